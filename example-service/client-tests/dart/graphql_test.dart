// `client.graphql` of the newest package (GraphQL serves the newest API),
// against the service at API_BASE and against scripted answers: automatic
// persisted queries seen on the wire (the hash alone, the text on a miss,
// the hash alone again), APQ switched off, typed GraphQL errors with
// partial data, permissions, the one token refresh after a 401, no second
// send of a mutation whose answer was lost, and the SHA-256 behind the
// hashes against the standard vectors.

import 'dart:convert';
import 'dart:io';

import 'package:resourceful_example_client/io.dart';
import 'package:resourceful_example_client/resourceful_example_client.dart';

import 'harness.dart';
import 'live_test.dart' show uniqueKey;
import 'tokens.dart';

late String _base;

/// One request to `/graphql` and its answer, bodies decoded.
class Call {
  Call(this.request, this.response)
      : sent = jsonDecode(request.body ?? '{}') as Map<String, dynamic>,
        got = _decode(response.body);

  final ApiRequest request;
  final ApiResponse response;
  final Map<String, dynamic> sent;
  final Map<String, dynamic> got;

  static Map<String, dynamic> _decode(String body) {
    try {
      final d = jsonDecode(body);
      return d is Map<String, dynamic> ? d : <String, dynamic>{};
    } on FormatException {
      return <String, dynamic>{};
    }
  }

  bool get hasText => sent.containsKey('query');
  String? get hash => ((sent['extensions'] as Map<String, dynamic>?)?['persistedQuery'] as Map<String, dynamic>?)?['sha256Hash'] as String?;
  String? get firstCode => ((got['errors'] as List<dynamic>?)?.first as Map<String, dynamic>?)?['extensions']?['code'] as String?;
}

/// The `dart:io` transport, recording every exchange; with [lose], the
/// answer to the first request whose body contains it is lost after the
/// server has acted on it.
class Wire extends ApiTransport {
  Wire({this.lose}) : _inner = IoHttpTransport();

  final ApiTransport _inner;
  final String? lose;
  bool _lost = false;
  final List<Call> calls = <Call>[];
  int sent = 0;

  @override
  Future<ApiResponse> send(ApiRequest request) async {
    sent++;
    final res = await _inner.send(request);
    final marker = lose;
    if (marker != null && !_lost && (request.body ?? '').contains(marker)) {
      _lost = true;
      throw SocketException('connection reset after the server answered');
    }
    calls.add(Call(request, res));
    return res;
  }

  @override
  void close() => _inner.close();
}

/// Answers from a function, without a network.
class Scripted extends ApiTransport {
  Scripted(this.answer);

  final ApiResponse Function(Map<String, dynamic> sent) answer;
  final List<Map<String, dynamic>> sent = <Map<String, dynamic>>[];

  @override
  Future<ApiResponse> send(ApiRequest request) async {
    final body = jsonDecode(request.body ?? '{}') as Map<String, dynamic>;
    sent.add(body);
    return answer(body);
  }
}

ApiResponse json(Object body, {int status = 200, Map<String, String> headers = const <String, String>{}}) =>
    ApiResponse(status: status, headers: <String, String>{'content-type': 'application/json', ...headers}, body: jsonEncode(body));

/// A client of the newest API signed in as [user] (ana, the editor).
ApiClient client({String user = 'ana', ApiTransport? transport, bool persistedQueries = true}) => ApiClient(
      baseUrl: _base,
      transport: transport ?? IoHttpTransport(),
      getToken: () => token(_base, user),
      persistedQueries: persistedQueries,
    );

/// A comment that makes a document new to the server (its hash changes).
String fresh(String document) => '$document\n# ${uniqueKey()}-${DateTime.now().microsecondsSinceEpoch}';

const String taskById = r'query TaskById($id: ID!) { task(id: $id) { id title status priority project_id } }';

Future<Project> newProject(ApiClient c) {
  final key = uniqueKey();
  return c.projects.create(ProjectCreate(name: 'GraphQL $key', key: key, visibility: Visibility.team));
}

Future<Task> newTask(ApiClient c, Project p, String title) => c.tasks.create(
    TaskCreate(title: title, status: TaskStatus.inProgress, done: false, priority: 2, projectId: p.id));

void registerGraphQLTests(String apiBase) {
  _base = apiBase;

  group('graphql sha256', () {
    test('the standard test vectors', () {
      expect(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      expect(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
          '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
      expect(
          sha256Hex('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'),
          'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1');
      expect(sha256Hex('a' * 1000000), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
      final one = sha256(<int>[0xbd]);
      expect(one.length, 32);
      expect(one.map((b) => b.toRadixString(16).padLeft(2, '0')).join(),
          '68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b');
    });

    test('every padding length, multi-block unicode and lone surrogates agree with a reference implementation', () {
      // The digests of 'x' * 0 … 200 (crossing the 55/56 and 63/64 byte
      // boundaries of several blocks), chained: the reference value is
      // Python's hashlib over the same strings.
      final chain = StringBuffer();
      for (var n = 0; n <= 200; n++) {
        chain.write(sha256Hex('x' * n));
      }
      expect(sha256Hex(chain.toString()), '75013a3fd49991ead9d8a57ea80485c088443c3406a0e8fa003ed57144041eb4');
      final unicode = 'Zürich · 東京 · Ελλάδα · 🚀🧪 · ' * 12 + 'café\u0301 — \u{10FFFF}';
      final bytes = utf8.encode(unicode);
      check(bytes.length > 256, 'several blocks');
      expect(sha256Hex(unicode), 'eaf4660b2ca3ad5a209c5fb2d0641360f1522449b0df50f66476c27ea6ba2b6d');
      // An unpaired surrogate is U+FFFD (EF BF BD), as on the wire.
      expect(sha256Hex('\uD800'), '83d544ccc223c057d2bf80d3f2a32982c32c3c0db8e2674820da5064783fb097');
      expect(sha256Hex('a\uDC00b'), '05087813392efc16fe8ff448920c6328e53af865df39419436659d9ffda90f7b');
    });
  });

  group('graphql offline', () {
    test('graphqlOperationType tells queries from mutations', () {
      expect(graphqlOperationType('{ tasks { items { id } } }'), 'query');
      expect(graphqlOperationType(r'query Named($id: ID!) { task(id: $id) { id } }'), 'query');
      expect(graphqlOperationType(r'mutation M($input: TaskCreateInput!) { createTask(input: $input) { id } }'), 'mutation');
      expect(graphqlOperationType('subscription { changes { id } }'), 'subscription');
      expect(graphqlOperationType('# mutation { x }\nquery Q(\$mutation: String = "mutation {") { a(s: "}") }'), 'query');
      expect(graphqlOperationType(r'query Q($f: TaskFilter = {title: {eq: "x"}}) { tasks(filter: $f) { items { id } } }'), 'query');
      expect(graphqlOperationType('"""mutation { x }""" query Q { a }'), 'query');
      expect(graphqlOperationType('fragment F on Task { id } mutation M { deleteTask(id: 1) { ...F } }'), 'mutation');
      const two = 'query A { a } mutation B { b }';
      expect(graphqlOperationType(two, operationName: 'A'), 'query');
      expect(graphqlOperationType(two, operationName: 'B'), 'mutation');
      expect(graphqlOperationType(two), null);
    });

    test('a server without persisted queries: the text at once, and from then on only the text', () async {
      final t = Scripted((sent) => sent.containsKey('query')
          ? json(<String, Object>{'data': <String, Object>{'ok': true}})
          : json(<String, Object>{
              'errors': <Object>[
                <String, Object>{'message': 'PersistedQueryNotSupported', 'extensions': <String, Object>{'code': 'PERSISTED_QUERY_NOT_SUPPORTED'}},
              ],
            }));
      final c = ApiClient(baseUrl: 'http://scripted', transport: t);
      expect(await c.graphql('{ ok }'), <String, Object>{'ok': true});
      expect(await c.graphql('{ ok }'), <String, Object>{'ok': true});
      expect(t.sent.map((b) => <bool>[b.containsKey('query'), b.containsKey('extensions')]).toList(), <List<bool>>[
        <bool>[false, true],
        <bool>[true, false],
        <bool>[true, false],
      ]);
    });

    test('a request the server could not execute (400 with errors): a GraphQLException with the status', () async {
      final t = Scripted((_) => json(<String, Object>{
            'errors': <Object>[
              <String, Object>{
                'message': 'extensions.persistedQuery: sha256Hash does not match the query',
                'extensions': <String, Object>{'code': 'BAD_QUERY', 'status': 400, 'type': 'urn:resourceful:problem:bad-query'},
              },
            ],
          }, status: 400, headers: <String, String>{'x-request-id': 'req-1'}));
      final c = ApiClient(baseUrl: 'http://scripted', transport: t);
      final e = await expectThrows<GraphQLException>(() => c.graphql('{ ok }'));
      expect(e.status, 400);
      expect(e.code, 'BAD_QUERY');
      expect(e.path, null);
      expect(e.requestId, 'req-1');
      expect(e.errors.single.status, 400);
      expect(t.sent.length, 1, 'a 400 is not retried');
    });

    test('validation problems read as fieldMessages; an answer without data or errors is an invalid response', () async {
      final t = Scripted((sent) => sent.containsKey('extensions')
          ? json(<String, Object?>{
              'data': null,
              'errors': <Object>[
                <String, Object>{
                  'message': '2 fields are invalid',
                  'path': <Object>['createTask'],
                  'locations': <Object>[
                    <String, Object>{'line': 1, 'column': 12},
                  ],
                  'extensions': <String, Object>{
                    'code': 'VALIDATION',
                    'status': 422,
                    'errors': <Object>[
                      <String, Object>{'field': 'title', 'pointer': '/title', 'code': 'length', 'message': 'too short'},
                      <String, Object>{'field': 'priority', 'pointer': '/priority', 'code': 'range', 'message': '1 to 5'},
                    ],
                  },
                },
              ],
            })
          : json(<String, Object>{}));
      final c = ApiClient(baseUrl: 'http://scripted', transport: t);
      final e = await expectThrows<GraphQLException>(() => c.graphql('mutation { createTask(input: {}) { id } }'));
      expect(e.fieldMessages, <String, List<String>>{
        'title': <String>['too short'],
        'priority': <String>['1 to 5'],
      });
      expect(e.errors.single.fieldErrors.first.pointer, '/title');
      expect(e.errors.single.locations, <GraphQLLocation>[const GraphQLLocation(1, 12)]);
      expect(e.path, <Object>['createTask']);
      await expectThrows<InvalidResponseException>(() => c.graphql('{ ok }', persisted: false));
    });

    test("a GraphQL answer's Maintenance field and retirement headers reach the client like any other", () async {
      final notices = <String>[];
      final t = Scripted((_) => json(<String, Object>{'data': <String, Object>{'ok': true}}, headers: <String, String>{
            'maintenance': '"w1";start=@1767304800;end=@1767308400;mode=read_only;resources="tasks"',
            'deprecation': '@1796083200',
            'sunset': 'Wed, 30 Jun 2027 00:00:00 GMT',
          }));
      final c = ApiClient(baseUrl: 'http://scripted', transport: t, onDeprecation: (n) => notices.add(n.route));
      await c.graphql('{ ok }', persisted: false);
      expect(c.maintenance.current.map((w) => w.id).toList(), <String>['w1']);
      expect(c.maintenance.current.single.resources, <String>['tasks']);
      expect(notices, <String>['/graphql']);
    });
  });

  group('graphql live', () {
    test('a query returns a row created through REST', () async {
      final c = client();
      final p = await newProject(c);
      final t = await newTask(c, p, 'Read back by GraphQL');
      final data = await c.graphql(taskById, variables: <String, Object?>{'id': '${t.id}'});
      expect(data, <String, Object?>{
        'task': <String, Object?>{
          'id': '${t.id}',
          'title': 'Read back by GraphQL',
          'status': 'IN_PROGRESS',
          'priority': 2,
          'project_id': '${p.id}',
        },
      });
      final missing = await c.graphql(taskById, variables: <String, Object?>{'id': '999999999'});
      expect(missing['task'], null, 'no such task: null, no error');
      c.close();
    });

    test('a new document: the hash alone misses, then hash and text; the next call sends the hash alone', () async {
      final setup = client();
      final t = await newTask(setup, await newProject(setup), 'Persisted');
      final wire = Wire();
      final c = client(transport: wire);
      final doc = fresh(taskById);
      final hash = sha256Hex(doc);
      final first = await c.graphql(doc, variables: <String, Object?>{'id': '${t.id}'});
      expect((first['task'] as Map<String, dynamic>)['title'], 'Persisted');
      expect(wire.calls.length, 2, 'a miss, then the text');
      for (final call in wire.calls) {
        expect(call.request.method, 'POST');
        expect(call.request.url.toString(), '$_base/graphql');
        expect(call.request.headers['content-type'], 'application/json');
        expect(call.request.headers['idempotency-key'], null, 'the server keeps no idempotency keys for GraphQL');
        expect(call.hash, hash);
        expect(call.sent['extensions'], <String, Object>{
          'persistedQuery': <String, Object>{'version': 1, 'sha256Hash': hash},
        });
        expect(call.sent['variables'], <String, Object>{'id': '${t.id}'});
      }
      final miss = wire.calls[0];
      final text = wire.calls[1];
      check(!miss.hasText, 'the first request carries the hash only');
      expect(miss.response.status, 200);
      expect(miss.firstCode, 'PERSISTED_QUERY_NOT_FOUND');
      expect(text.sent['query'], doc, 'on the miss, the text with its hash');
      expect(text.response.status, 200);

      final second = await c.graphql(doc, variables: <String, Object?>{'id': '${t.id}'});
      expect(second, first);
      expect(wire.calls.length, 3, 'one request the second time');
      check(!wire.calls[2].hasText, 'the hash alone');
      expect(wire.calls[2].hash, hash);
      expect(wire.calls[2].got['errors'], null);

      // The server remembers the text, not the client.
      final otherWire = Wire();
      final other = client(user: 'ben', transport: otherWire);
      final again = await other.graphql(doc, variables: <String, Object?>{'id': '${t.id}'});
      expect((again['task'] as Map<String, dynamic>)['title'], 'Persisted');
      expect(otherWire.calls.length, 1);
      check(!otherWire.calls.single.hasText, 'a hit at once');
      for (final x in <ApiClient>[setup, c, other]) {
        x.close();
      }
    });

    test('APQ switched off sends the text every time, without the extension', () async {
      final setup = client();
      final t = await newTask(setup, await newProject(setup), 'Plain');
      final doc = fresh(taskById);
      final wire = Wire();
      final off = client(transport: wire, persistedQueries: false);
      for (var i = 0; i < 2; i++) {
        final data = await off.graphql(doc, variables: <String, Object?>{'id': '${t.id}'});
        expect((data['task'] as Map<String, dynamic>)['id'], '${t.id}');
      }
      expect(wire.calls.length, 2, 'one request per call');
      for (final call in wire.calls) {
        expect(call.sent['query'], doc);
        check(!call.sent.containsKey('extensions'), 'no extension');
      }
      // Per call, on a client that has it on.
      final onWire = Wire();
      final on = client(transport: onWire);
      await on.graphql(fresh(taskById), variables: <String, Object?>{'id': '${t.id}'}, persisted: false);
      expect(onWire.calls.length, 1);
      check(onWire.calls.single.hasText && !onWire.calls.single.sent.containsKey('extensions'), 'the text alone');
      for (final x in <ApiClient>[setup, off, on]) {
        x.close();
      }
    });

    test('an unknown field throws a GraphQLException', () async {
      final wire = Wire();
      final c = client(transport: wire);
      final e = await expectThrows<GraphQLException>(() => c.graphql(fresh('{ tasks(first: 1) { items { id nope } } }')));
      check(e is ResourcefulException && e is! ApiException, 'not an HTTP error: the answer was 200');
      expect(e.status, 200);
      expect(e.errors.length, 1);
      check(e.errors.single.message.contains('Unknown field "nope" on type "Task"'), e.message);
      expect(e.message, e.errors.single.message);
      expect(e.errors.single.locations.first.line, 1);
      expect(e.code, null, 'errors of the document carry no code');
      expect(e.data, null);
      check((e.requestId ?? '').isNotEmpty, 'the x-request-id of the answer');
      expect(wire.calls.length, 2, 'the miss, then the text, which fails validation');
      c.close();
    });

    test('a failing field: the typed error with its code and path, the partial data beside it', () async {
      final c = client();
      final p = await newProject(c);
      final e = await expectThrows<GraphQLException>(() => c.graphql(
          r'query Partial($p: ID!) { a: project(id: $p) { name } b: bookmark(id: "x") { id } }',
          variables: <String, Object?>{'p': '${p.id}'}));
      expect(e.code, 'NOT_FOUND');
      check(e.hasCode('NOT_FOUND') && !e.hasCode('FORBIDDEN'), 'hasCode');
      expect(e.codes, <String>['NOT_FOUND']);
      expect(e.path, <Object>['b']);
      expect(e.errors.single.status, 404);
      expect(e.errors.single.type, ProblemType.notFound);
      expect(e.data?['a'], <String, Object>{'name': p.name}, 'the field that resolved');
      c.close();
    });

    test("a mutation with the editor's token creates the row; without the role the server's FORBIDDEN, and nothing written", () async {
      final ana = client();
      final p = await newProject(ana);
      final title = 'Made by mutation ${uniqueKey()}';
      final created = await ana.graphql(
        r'mutation NewTask($input: TaskCreateInput!) { createTask(input: $input) { id title status } }',
        variables: <String, Object?>{
          'input': <String, Object?>{'title': title, 'status': 'TODO', 'done': false, 'priority': 3, 'project_id': '${p.id}'},
        },
      );
      final task = created['createTask'] as Map<String, dynamic>;
      expect(task['title'], title);
      expect(task['status'], 'TODO');
      final rest = await ana.tasks.get(int.parse(task['id'] as String));
      expect(rest.title, title, 'REST reads what the mutation wrote');
      expect(rest.projectId, p.id);

      final ben = client(user: 'ben');
      final key = uniqueKey();
      final e = await expectThrows<GraphQLException>(() => ben.graphql(
            r'mutation NewProject($input: ProjectCreateInput!) { createProject(input: $input) { id } }',
            variables: <String, Object?>{
              'input': <String, Object?>{'name': "Ben's $key", 'key': key, 'visibility': 'TEAM'},
            },
          ));
      expect(e.code, 'FORBIDDEN');
      expect(e.errors.single.status, 403);
      check(e.message.contains('role:editor'), e.message);
      expect(e.path, <Object>['createProject']);
      expect(e.data, null);
      final none = await ana.projects.list(filter: ProjectFilter().key.eq(key), cache: CachePolicy.networkOnly);
      expect(none.items, <Project>[], 'the refused mutation wrote nothing');
      ana.close();
      ben.close();
    });

    test("no token: the server's UNAUTHORIZED GraphQL error", () async {
      final anonymous = ApiClient(baseUrl: _base);
      final e = await expectThrows<GraphQLException>(() => anonymous.graphql('{ tasks(first: 1) { items { id } } }'));
      expect(e.code, 'UNAUTHORIZED');
      expect(e.errors.single.status, 401);
      anonymous.close();
    });

    test('a refused token: one refresh, the operation sent again, and it succeeds', () async {
      final setup = client();
      final t = await newTask(setup, await newProject(setup), 'After a refresh');
      final wire = Wire();
      var current = 'expired-or-garbage';
      var refreshes = 0;
      final c = ApiClient(
        baseUrl: _base,
        transport: wire,
        getToken: () async => current,
        refreshToken: () async {
          refreshes++;
          await Future<void>.delayed(const Duration(milliseconds: 10));
          current = await token(_base, 'ana');
          return current;
        },
      );
      final doc = fresh(taskById);
      final data = await c.graphql(doc, variables: <String, Object?>{'id': '${t.id}'});
      expect((data['task'] as Map<String, dynamic>)['title'], 'After a refresh');
      expect(refreshes, 1);
      final ana = 'Bearer ${await token(_base, 'ana')}';
      expect(
          wire.calls.map((x) => <Object?>[x.response.status, x.request.headers['authorization'], x.hasText ? 'text' : 'hash']).toList(),
          <List<Object?>>[
            <Object?>[401, 'Bearer expired-or-garbage', 'hash'],
            <Object?>[200, ana, 'hash'],
            <Object?>[200, ana, 'text'],
          ]);
      await c.graphql(doc, variables: <String, Object?>{'id': '${t.id}'});
      expect(wire.calls.length, 4, 'known now: one request');
      expect(refreshes, 1);

      // A refresh that gives up: the typed 401.
      final gaveUp = ApiClient(baseUrl: _base, getToken: () async => 'garbage', refreshToken: () async => null);
      final e = await expectThrows<UnauthorizedException>(
          () => gaveUp.graphql(taskById, variables: <String, Object?>{'id': '1'}));
      expect(e.status, 401);
      expect(e.challenge?.error, 'invalid_token');
      for (final x in <ApiClient>[setup, c, gaveUp]) {
        x.close();
      }
    });

    test('a lost answer: a query is sent again, a mutation is not (it may have been applied)', () async {
      final ana = client();
      final p = await newProject(ana);
      final qWire = Wire(lose: 'project(id');
      final q = client(transport: qWire);
      final data = await q.graphql(r'query P($id: ID!) { project(id: $id) { name } }',
          variables: <String, Object?>{'id': '${p.id}'}, persisted: false);
      expect((data['project'] as Map<String, dynamic>)['name'], p.name);
      expect(qWire.sent, 2, 'the query was sent again');

      final title = 'Sent once ${uniqueKey()}';
      final mWire = Wire(lose: 'createTask');
      final m = client(transport: mWire);
      await expectThrows<NetworkException>(() => m.graphql(
            r'mutation NewTask($input: TaskCreateInput!) { createTask(input: $input) { id } }',
            variables: <String, Object?>{
              'input': <String, Object?>{'title': title, 'status': 'TODO', 'done': false, 'priority': 1, 'project_id': '${p.id}'},
            },
            persisted: false,
          ));
      expect(mWire.sent, 1, 'the mutation was not sent again');
      final rows = await ana.tasks.list(filter: TaskFilter().title.eq(title), cache: CachePolicy.networkOnly);
      expect(rows.items.length, 1, 'applied once, by the one request');
      for (final x in <ApiClient>[ana, q, m]) {
        x.close();
      }
    });

    test("the README's GraphQL documents run as written", () async {
      final readme = File('${Directory.current.path}/../../clients/dart/README.md').readAsStringSync();
      final query = RegExp(r"const String taskById = r'''(.*?)''';", dotAll: true).firstMatch(readme)?.group(1);
      final mutation = RegExp(r"r'(mutation ChangeTask[^']*)'").firstMatch(readme)?.group(1);
      check(query != null && mutation != null, "the README's example documents");
      check(readme.contains("'input': <String, Object?>{'done': true}"), 'the variables used below');
      final c = client();
      final t = await newTask(c, await newProject(c), 'Documented');
      final read = await c.graphql(query!, variables: <String, Object?>{'id': '${t.id}'});
      expect(read['task'], <String, Object>{'id': '${t.id}', 'title': 'Documented'});
      final changed = await c.graphql(mutation!, variables: <String, Object?>{
        'id': '${t.id}',
        'input': <String, Object?>{'done': true},
      });
      expect((changed['updateTask'] as Map<String, dynamic>)['id'], '${t.id}');
      expect((await c.tasks.get(t.id, cache: CachePolicy.networkOnly)).done, true);
      c.close();
    });
  });
}
