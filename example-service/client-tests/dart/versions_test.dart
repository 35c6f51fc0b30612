// Both packages against the real example service: the v1 client
// (`resourceful_example_client_v1`, projects at /v1 with `due_on`) and the
// newest one (`resourceful_example_client`, projects at /v2 with
// `deadline` and `color`) read and write the same rows; v1 responses
// announce its retirement, v2 ones do not; each version has its own
// OpenAPI document.
//
// Projects answers carry `Cache-Control: max-age=30`, so a read after a
// write made through the other version's client revalidates
// (`cache: CachePolicy.revalidate`).

import 'dart:async';
import 'dart:convert';
import 'dart:io';
import 'dart:math';

import 'package:resourceful_example_client/io.dart' as v2;
import 'package:resourceful_example_client/resourceful_example_client.dart' as v2;
import 'package:resourceful_example_client_v1/io.dart' as v1;
import 'package:resourceful_example_client_v1/resourceful_example_client_v1.dart' as v1;

import 'harness.dart';
import 'live_test.dart' show tokenOf, uniqueKey;
import 'support.dart' show RecordingTransport;
import 'tokens.dart';

late String _base;

/// What v1 responses announce (the example's `projects` v1).
const String deprecationField = '@1796083200';
final DateTime deprecatedAt = DateTime.utc(2026, 12, 1);
const String sunsetField = 'Wed, 30 Jun 2027 00:00:00 GMT';
final DateTime sunsetAt = DateTime.utc(2027, 6, 30);

/// Records the newest client's wire traffic (the v1 package has
/// `RecordingTransport` in support.dart; the types differ per package).
class V2Wire extends v2.ApiTransport {
  V2Wire() : inner = v2.IoHttpTransport();

  final v2.ApiTransport inner;
  final List<v2.ApiRequest> requests = <v2.ApiRequest>[];
  final List<v2.ApiResponse> responses = <v2.ApiResponse>[];

  @override
  Future<v2.ApiResponse> send(v2.ApiRequest request) async {
    requests.add(request);
    final res = await inner.send(request);
    responses.add(res);
    return res;
  }

  @override
  void close() => inner.close();
}

/// A v1 client and a v2 client, both signed in as ana (an editor), each
/// with its own cache and recorded wire.
class Pair {
  Pair()
      : wire1 = RecordingTransport(v1.IoHttpTransport()),
        wire2 = V2Wire() {
    c1 = v1.ApiClient(baseUrl: _base, transport: wire1, getToken: tokenOf());
    c2 = v2.ApiClient(baseUrl: _base, transport: wire2, getToken: tokenOf());
  }

  final RecordingTransport wire1;
  final V2Wire wire2;
  late final v1.ApiClient c1;
  late final v2.ApiClient c2;

  /// The body of the last v1 response, decoded.
  Map<String, dynamic> get lastV1Body => jsonDecode(wire1.responses.last.body) as Map<String, dynamic>;

  void close() {
    c1.close();
    c2.close();
  }
}

Future<v1.Project> newV1Project(v1.ApiClient c, {DateTime? dueOn}) => c.projects.create(v1.ProjectCreate(
      name: 'Versioned ${uniqueKey()}',
      key: uniqueKey(),
      visibility: v1.Visibility.team,
      dueOn: dueOn,
    ));

/// rel → target of each value of a `Link` field (RFC 8288), e.g.
/// `</v2/projects/1>; rel="successor-version", </v1/projects?…>; rel="next"`.
Map<String, String> linksOf(String? field) {
  final out = <String, String>{};
  if (field == null) return out;
  for (final m in RegExp(r'<([^>]*)>((?:\s*;\s*[^;,]+)*)').allMatches(field)) {
    final rel = RegExp(r'rel\s*=\s*"([^"]*)"|rel\s*=\s*([^\s;]+)').firstMatch(m.group(2)!);
    if (rel == null) continue;
    for (final r in (rel.group(1) ?? rel.group(2)!).split(' ')) {
      if (r.isNotEmpty) out[r.toLowerCase()] = m.group(1)!;
    }
  }
  return out;
}

/// The `Deprecation` field's date (RFC 9745: `@` and Unix seconds).
DateTime? deprecationDate(String? field) {
  final m = field == null ? null : RegExp(r'^\s*@(-?\d+)\s*$').firstMatch(field);
  if (m == null) return null;
  return DateTime.fromMillisecondsSinceEpoch(int.parse(m.group(1)!) * 1000, isUtc: true);
}

/// A v1 response's retirement announcement: Deprecation, Sunset and a
/// successor-version link to [successor].
void expectAnnounced(String? Function(String) header, String successor, String what) {
  expect(header('deprecation'), deprecationField, '$what: Deprecation');
  expect(deprecationDate(header('deprecation')), deprecatedAt, '$what: Deprecation date');
  expect(header('sunset'), sunsetField, '$what: Sunset');
  expect(HttpDate.parse(header('sunset')!), sunsetAt, '$what: Sunset date');
  expect(linksOf(header('link'))['successor-version'], successor, '$what: successor-version link');
}

/// A v2 response announces nothing.
void expectNotAnnounced(String? Function(String) header, String what) {
  expect(header('deprecation'), null, '$what: Deprecation');
  expect(header('sunset'), null, '$what: Sunset');
  check(!linksOf(header('link')).containsKey('successor-version'), '$what: no successor-version link');
}

/// A request outside the clients, for what they do not expose.
class Raw {
  Raw(this.status, this.headers, this.body);
  final int status;
  final HttpHeaders headers;
  final String body;

  /// A header, repeated ones joined with `, `.
  String? header(String name) {
    final values = headers[name];
    return values == null ? null : values.join(', ');
  }

  Object? get json => jsonDecode(body);
}

Future<Raw> raw(String method, String path, {String? user = 'ana', Object? json}) async {
  final http = HttpClient();
  try {
    final req = await http.openUrl(method, Uri.parse('$_base$path'));
    if (user != null) req.headers.set('authorization', 'Bearer ${await token(_base, user)}');
    if (json != null) {
      req.headers.contentType = ContentType.json;
      req.write(jsonEncode(json));
    }
    final res = await req.close();
    final body = await res.transform(utf8.decoder).join();
    return Raw(res.statusCode, res.headers, body);
  } finally {
    http.close();
  }
}

/// `YYYY-MM-DD`.
String wireDate(DateTime d) =>
    '${d.year.toString().padLeft(4, '0')}-${d.month.toString().padLeft(2, '0')}-${d.day.toString().padLeft(2, '0')}';

/// A date no other test uses, so that a filter on it finds one row.
DateTime uniqueDate() {
  final r = Random();
  return DateTime.utc(2200 + r.nextInt(700), 1 + r.nextInt(12), 1 + r.nextInt(28));
}

/// Answers from a function, without a network (the newest package's types).
class V2Fake extends v2.ApiTransport {
  V2Fake(this.handler);
  final v2.ApiResponse Function(v2.ApiRequest request) handler;
  final List<v2.ApiRequest> requests = <v2.ApiRequest>[];

  @override
  Future<v2.ApiResponse> send(v2.ApiRequest request) async {
    requests.add(request);
    return handler(request);
  }
}

void registerVersionTests(String apiBase) {
  _base = apiBase;

  group('deprecation notices (offline)', () {
    test('fromHeaders reads the three fields', () {
      final url = Uri.parse('https://api.example.com/v1/things/7?x=1');
      final n = v2.DeprecationNotice.fromHeaders('/v1/things', url, <String, String>{
        'deprecation': '@1796083200',
        'sunset': 'Wed, 30 Jun 2027 00:00:00 GMT',
        'link': '</v1/things?cursor=abc,def>; rel="next", </v2/things/7>; rel="successor-version"',
      })!;
      expect(n.route, '/v1/things');
      expect(n.deprecatedAt, DateTime.utc(2026, 12, 1));
      expect(n.sunset, DateTime.utc(2027, 6, 30));
      expect(n.successor, Uri.parse('https://api.example.com/v2/things/7'));
      // Only one of the fields; a rel list; a successor elsewhere.
      final sunsetOnly = v2.DeprecationNotice.fromHeaders('/r', url, <String, String>{
        'sunset': 'Thu, 01 Jan 2043 12:00:00 GMT',
        'link': '<https://new.example.com/r>; title="x; y"; rel="latest-version successor-version"',
      })!;
      expect(sunsetOnly.deprecatedAt, null);
      expect(sunsetOnly.sunset, DateTime.utc(2043, 1, 1, 12));
      expect(sunsetOnly.successor, Uri.parse('https://new.example.com/r'));
      final bare = v2.DeprecationNotice.fromHeaders('/r', url, <String, String>{'deprecation': '@0'})!;
      expect(bare.deprecatedAt, DateTime.utc(1970));
      expect(bare.sunset, null);
      expect(bare.successor, null);
      expect(v2.DeprecationNotice.fromHeaders('/r', url, <String, String>{'link': '</v2/r>; rel="successor-version"'}), null,
          'a successor link alone announces nothing');
      expect(v2.DeprecationNotice.parseDeprecation('Wed, 30 Jun 2027 00:00:00 GMT'), null, 'not an RFC 9745 date');
    });

    test('once per route and client; records count for their collection; errors too', () async {
      final fake = V2Fake((r) {
        final retiring = r.url.path.startsWith('/v2/projects');
        return v2.ApiResponse(
          status: r.url.path.endsWith('/404') ? 404 : 200,
          headers: <String, String>{
            'content-type': 'application/json',
            if (retiring) 'deprecation': '@1796083200',
            if (retiring) 'link': '<${r.url.path.replaceFirst('/v2/', '/v3/')}>; rel="successor-version"',
          },
          body: r.url.path.endsWith('/404')
              ? '{"type":"urn:resourceful:problem:not-found","title":"Not found","status":404}'
              : r.url.path.contains('/projects/')
                  ? '{"id":1,"name":"N","key":"KEY","description":null,"visibility":"team","deadline":null,"color":null,'
                      '"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}'
                  : '{"items":[],"next_cursor":null,"limit":50}',
        );
      });
      final notices = <v2.DeprecationNotice>[];
      final c = v2.ApiClient(baseUrl: 'https://api.example.com/', transport: fake, onDeprecation: notices.add);
      await c.tasks.list();
      expect(notices, <v2.DeprecationNotice>[], 'tasks announce nothing');
      await expectThrows<v2.ApiException>(() => c.projects.get(404));
      await c.projects.get(1, cache: v2.CachePolicy.networkOnly);
      await c.projects.list();
      expect(fake.requests.length, 4);
      expect(notices, [
        v2.DeprecationNotice(
            route: '/v2/projects',
            deprecatedAt: DateTime.utc(2026, 12, 1),
            successor: Uri.parse('https://api.example.com/v3/projects/404')),
      ]);
      c.close();

      // A callback that throws: the request still succeeds, the error goes
      // to the zone.
      final zoneErrors = <Object>[];
      final done = Completer<v2.Project>();
      runZonedGuarded(() {
        final throwing = v2.ApiClient(
            baseUrl: 'https://api.example.com', transport: fake, onDeprecation: (_) => throw StateError('app bug'));
        throwing.projects.get(1).then(done.complete, onError: done.completeError);
      }, (e, _) => zoneErrors.add(e));
      expect((await done.future).id, 1);
      expect(zoneErrors.map((e) => '$e').toList(), ['Bad state: app bug']);
    });
  });

  group('versions', () {
    test('a v1 create reads in v2 as deadline, with no color', () async {
      final p = Pair();
      final due = DateTime.utc(2031, 4, 5);
      final created = await newV1Project(p.c1, dueOn: due);
      expect(created.dueOn, due);
      expect(created.extra, <String, dynamic>{}, 'a v1 answer has no v2 fields');
      check(!p.lastV1Body.containsKey('color') && !p.lastV1Body.containsKey('deadline'), 'no color or deadline on v1');

      final seen = await p.c2.projects.get(created.id, cache: v2.CachePolicy.revalidate);
      expect(p.wire2.requests.last.url.path, '/v2/projects/${created.id}');
      expect(seen.id, created.id);
      expect(seen.name, created.name);
      expect(seen.key, created.key);
      expect(seen.visibility, v2.Visibility.team);
      expect(seen.deadline, due, 'due_on is deadline in v2');
      expect(seen.color, null, 'a v1 create leaves color null');
      expect(seen.createdAt, created.createdAt);
      expect(seen.updatedAt, created.updatedAt);
      expect(seen.extra, <String, dynamic>{}, 'a v2 answer has no due_on');
      p.close();
    });

    test('v2 writes color and deadline; v1 sees the date, never the color, and keeps it', () async {
      final p = Pair();
      final created = await newV1Project(p.c1, dueOn: DateTime.utc(2031, 1, 1));
      // Cached by the v1 client, as an app would have it.
      expect((await p.c1.projects.get(created.id)).dueOn, DateTime.utc(2031, 1, 1));

      final later = DateTime.utc(2032, 2, 29);
      final coloured = await p.c2.projects
          .update(created.id, v2.ProjectPatch(color: const v2.Optional('#1a2b3c'), deadline: v2.Optional(later)));
      expect(coloured.color, '#1a2b3c');
      expect(coloured.deadline, later);

      // The v1 client revalidates: its cached copy is still fresh for 30 s.
      final readV1 = await p.c1.projects.get(created.id, cache: v1.CachePolicy.revalidate);
      expect(p.wire1.statuses.last, 200, 'the v1 representation changed with the deadline');
      expect(readV1.dueOn, later, 'v1 sees the new deadline as due_on');
      expect(readV1.extra, <String, dynamic>{}, 'v1 answers carry no color');
      check(!p.lastV1Body.containsKey('color'), 'no color in the v1 body');

      // A v1 full replace: clears what v1 knows and does not set (due_on),
      // keeps what it cannot see (color).
      final replaced = await p.c1.projects.replace(
          created.id, v1.ProjectCreate(name: 'Replaced ${uniqueKey()}', key: created.key, visibility: v1.Visibility.private));
      expect(replaced.dueOn, null);
      var v2seen = await p.c2.projects.get(created.id, cache: v2.CachePolicy.revalidate);
      expect(v2seen.name, replaced.name);
      expect(v2seen.visibility, v2.Visibility.private);
      expect(v2seen.deadline, null, 'the replace cleared due_on');
      expect(v2seen.color, '#1a2b3c', 'a v1 replace keeps the color');

      // A v1 patch keeps it too.
      final patched = await p.c1.projects.update(created.id,
          v1.ProjectPatch(description: const v1.Optional('set through v1'), dueOn: v1.Optional(DateTime.utc(2033, 3, 3))));
      expect(patched.dueOn, DateTime.utc(2033, 3, 3));
      v2seen = await p.c2.projects.get(created.id, cache: v2.CachePolicy.revalidate);
      expect(v2seen.description, 'set through v1');
      expect(v2seen.deadline, DateTime.utc(2033, 3, 3));
      expect(v2seen.color, '#1a2b3c', 'a v1 patch keeps the color');

      // v2 clears it; v1 reads on.
      final cleared = await p.c2.projects.update(created.id, const v2.ProjectPatch(color: v2.Optional(null)));
      expect(cleared.color, null);
      expect((await p.c1.projects.get(created.id, cache: v1.CachePolicy.revalidate)).description, 'set through v1');
      p.close();
    });

    test('v1 refuses color (422 unknown field) and v2 checks its pattern', () async {
      final p = Pair();
      final created = await newV1Project(p.c1);
      await p.c2.projects.update(created.id, const v2.ProjectPatch(color: v2.Optional('#abcdef')));

      final refused = await raw('PATCH', '/v1/projects/${created.id}', json: <String, Object>{'color': '#000000'});
      expect(refused.status, 422);
      final errors = ((refused.json as Map<String, dynamic>)['errors'] as List<dynamic>).cast<Map<String, dynamic>>();
      expect(errors.map((e) => '${e['field']} ${e['code']}').toList(), ['color unknown']);
      expectAnnounced(refused.header, '/v2/projects/${created.id}', 'a v1 422');

      final bad = await expectThrows<v2.ApiException>(
          () => p.c2.projects.update(created.id, const v2.ProjectPatch(color: v2.Optional('#ABCDEF'))));
      expect(bad.status, 422);
      expect(bad.errors.map((e) => '${e.field} ${e.code}').toList(), ['color pattern']);
      expect((await p.c2.projects.get(created.id, cache: v2.CachePolicy.revalidate)).color, '#abcdef',
          'neither refused write changed the color');
      p.close();
    });

    test('v1 responses announce the retirement; v2 responses do not', () async {
      final p = Pair();
      final created = await newV1Project(p.c1, dueOn: DateTime.utc(2030, 9, 9));
      final id = created.id;
      final item1 = '/v2/projects/$id';
      String? Function(String) last1() => p.wire1.responses.last.header;
      // The create's target is the collection, and so is its successor.
      expectAnnounced(last1(), '/v2/projects', 'v1 POST');
      await p.c1.projects.get(id, cache: v1.CachePolicy.networkOnly);
      final got = p.wire1.responses.last;
      expectAnnounced(got.header, item1, 'v1 GET');
      await p.c1.projects.get(id, cache: v1.CachePolicy.revalidate);
      expect(p.wire1.statuses.last, 304);
      expectAnnounced(last1(), item1, 'v1 304');
      await newV1Project(p.c1);
      final page = await p.c1.projects.list(limit: 1, cache: v1.CachePolicy.networkOnly);
      check(page.nextCursor != null, 'more than one page');
      expectAnnounced(last1(), '/v2/projects', 'v1 list');
      check(linksOf(last1()('link'))['next']?.startsWith('/v1/projects?') ?? false, 'a v1 next link stays on v1');
      await p.c1.projects.update(id, const v1.ProjectPatch(description: v1.Optional('patched')));
      expectAnnounced(last1(), item1, 'v1 PATCH');
      final missing = await expectThrows<v1.ApiException>(() => p.c1.projects.get(1 << 40));
      expect(missing.status, 404);
      expectAnnounced((n) => missing.headers[n], '/v2/projects/${1 << 40}', 'v1 404');

      // Resources that have only a v1 announce nothing.
      await p.c1.tasks.list(limit: 1);
      expect(p.wire1.requests.last.url.path, '/v1/tasks');
      expectNotAnnounced(last1(), 'v1 tasks');

      // The successor link leads to the same record in v2.
      final successor = linksOf(got.header('link'));
      final followed = await raw('GET', successor['successor-version']!);
      expect(followed.status, 200);
      expect((followed.json as Map<String, dynamic>)['id'], id);
      check((followed.json as Map<String, dynamic>).containsKey('deadline'), 'the successor is the v2 representation');
      expectNotAnnounced(followed.header, 'the successor');

      // v2: none of it, on any operation.
      String? Function(String) last2() => p.wire2.responses.last.header;
      final made = await p.c2.projects.create(v2.ProjectCreate(
          name: 'Versioned ${uniqueKey()}', key: uniqueKey(), visibility: v2.Visibility.team, color: '#0f0f0f'));
      expectNotAnnounced(last2(), 'v2 POST');
      await p.c2.projects.get(made.id, cache: v2.CachePolicy.networkOnly);
      expectNotAnnounced(last2(), 'v2 GET');
      await p.c2.projects.list(limit: 1, cache: v2.CachePolicy.networkOnly);
      expectNotAnnounced(last2(), 'v2 list');
      check(linksOf(last2()('link'))['next']?.startsWith('/v2/projects?') ?? false, 'a v2 next link');
      await p.c2.projects.update(made.id, const v2.ProjectPatch(description: v2.Optional('patched')));
      expectNotAnnounced(last2(), 'v2 PATCH');
      await p.c2.projects.delete(made.id);
      expectNotAnnounced(last2(), 'v2 DELETE');

      // Outside the client, the same (dart:io).
      expectAnnounced((await raw('GET', '/v1/projects/$id')).header, item1, 'v1 GET (dart:io)');
      expectAnnounced((await raw('GET', '/v1/projects/$id', user: null)).header, item1, 'v1 401 (dart:io)');
      expectNotAnnounced((await raw('GET', '/v2/projects/$id')).header, 'v2 GET (dart:io)');

      await p.c1.projects.delete(id);
      expectAnnounced(last1(), item1, 'v1 DELETE');
      p.close();
    });

    test('onDeprecation: once per route, with the dates and the successor', () async {
      final notices1 = <v1.DeprecationNotice>[];
      final notices2 = <v2.DeprecationNotice>[];
      final c1 = v1.ApiClient(baseUrl: _base, getToken: tokenOf(), onDeprecation: notices1.add);
      final c2 = v2.ApiClient(baseUrl: _base, getToken: tokenOf(), onDeprecation: notices2.add);
      await c1.tasks.list(limit: 1);
      expect(notices1, <v1.DeprecationNotice>[], 'v1 tasks are not retiring');
      final p = await newV1Project(c1, dueOn: DateTime.utc(2030, 1, 1));
      await c1.projects.get(p.id, cache: v1.CachePolicy.networkOnly);
      await c1.projects.list(limit: 1);
      await c1.projects.update(p.id, const v1.ProjectPatch(description: v1.Optional('seen')));
      expect(notices1, [
        v1.DeprecationNotice(
            route: '/v1/projects', deprecatedAt: deprecatedAt, sunset: sunsetAt, successor: Uri.parse('$_base/v2/projects')),
      ], 'one notice, from the create (whose target is the collection)');

      // A client whose first v1 call fails hears of it from the error.
      final notices3 = <v1.DeprecationNotice>[];
      final c3 = v1.ApiClient(baseUrl: _base, getToken: tokenOf(), onDeprecation: notices3.add);
      await expectThrows<v1.ApiException>(() => c3.projects.get(1 << 40));
      await c3.projects.get(p.id);
      expect(notices3.map((n) => '${n.route} ${n.successor}').toList(), ['/v1/projects $_base/v2/projects/${1 << 40}']);

      // v2 never announces.
      final q = await c2.projects.get(p.id, cache: v2.CachePolicy.revalidate);
      await c2.projects.update(q.id, const v2.ProjectPatch(color: v2.Optional('#aabbcc')));
      await c2.projects.list(limit: 1);
      await c2.tasks.list(limit: 1);
      expect(notices2, <v2.DeprecationNotice>[]);
      c1.close();
      c2.close();
      c3.close();
    });

    test('each version has its OpenAPI document', () async {
      final docs = <String, Map<String, dynamic>>{};
      for (final path in ['/v1/openapi.json', '/v2/openapi.json', '/openapi.json']) {
        final r = await raw('GET', path);
        expect(r.status, 200, path);
        check(r.headers.contentType?.mimeType == 'application/json', '$path is JSON');
        docs[path] = r.json as Map<String, dynamic>;
      }
      Map<String, dynamic> paths(String doc) => docs[doc]!['paths'] as Map<String, dynamic>;
      Map<String, dynamic> props(String doc, String schema) =>
          ((docs[doc]!['components'] as Map<String, dynamic>)['schemas'] as Map<String, dynamic>)[schema]['properties']
              as Map<String, dynamic>;
      const verbs = <String>{'get', 'put', 'post', 'patch', 'delete'};
      Map<String, Object?> deprecation(String doc, String path) {
        final ops = paths(doc)[path] as Map<String, dynamic>?;
        if (ops == null) throw Failure('$doc has no $path');
        return <String, Object?>{
          for (final e in ops.entries)
            if (verbs.contains(e.key)) e.key: (e.value as Map<String, dynamic>)['deprecated'],
        };
      }

      // v1: projects at /v1, every operation deprecated, due_on and no color.
      const v1Doc = '/v1/openapi.json';
      expect(deprecation(v1Doc, '/v1/projects'), <String, Object?>{'get': true, 'post': true});
      expect(deprecation(v1Doc, '/v1/projects/{id}'),
          <String, Object?>{'get': true, 'put': true, 'patch': true, 'delete': true});
      check(!paths(v1Doc).containsKey('/v2/projects'), 'v1 has no /v2/projects');
      check(deprecation(v1Doc, '/v1/tasks').values.every((d) => d != true), 'v1 tasks are not deprecated');
      for (final schema in ['Project', 'ProjectCreate', 'ProjectPatch']) {
        check(props(v1Doc, schema).containsKey('due_on'), 'v1 $schema has due_on');
        check(!props(v1Doc, schema).containsKey('deadline'), 'v1 $schema has no deadline');
        check(!props(v1Doc, schema).containsKey('color'), 'v1 $schema has no color');
      }

      // v2: projects at /v2, nothing deprecated, deadline and color.
      const v2Doc = '/v2/openapi.json';
      check(deprecation(v2Doc, '/v2/projects').values.every((d) => d != true), 'v2 list/create not deprecated');
      check(deprecation(v2Doc, '/v2/projects/{id}').values.every((d) => d != true), 'v2 item operations not deprecated');
      expect(deprecation(v2Doc, '/v2/projects/{id}').keys.toList()..sort(), ['delete', 'get', 'patch', 'put']);
      check(!paths(v2Doc).containsKey('/v1/projects') && !paths(v2Doc).containsKey('/v1/projects/{id}'),
          'v2 has no /v1/projects');
      check(paths(v2Doc).containsKey('/v1/tasks'), 'v2 still has the v1-only tasks');
      for (final schema in ['Project', 'ProjectCreate', 'ProjectPatch']) {
        check(props(v2Doc, schema).containsKey('deadline'), 'v2 $schema has deadline');
        check(props(v2Doc, schema).containsKey('color'), 'v2 $schema has color');
        check(!props(v2Doc, schema).containsKey('due_on'), 'v2 $schema has no due_on');
      }
      check('${props(v2Doc, 'Project')['color']['pattern']}'.contains('#[0-9a-f]{6}'), 'the color pattern');

      // The unversioned document is the newest API.
      expect(docs['/openapi.json'], docs[v2Doc], '/openapi.json describes v2');
    });

    test('filters: v1 due_on and v2 deadline find the same row', () async {
      final p = Pair();
      final day = uniqueDate();
      final made = await p.c2.projects.create(v2.ProjectCreate(
          name: 'Dated ${uniqueKey()}', key: uniqueKey(), visibility: v2.Visibility.team, deadline: day, color: '#123abc'));
      await newV1Project(p.c1, dueOn: day.add(const Duration(days: 1)));

      final byDueOn = await p.c1.projects.list(filter: v1.ProjectFilter().dueOn.eq(day), cache: v1.CachePolicy.revalidate);
      expect(p.wire1.requests.last.url.queryParameters, <String, String>{'due_on[eq]': wireDate(day)});
      expect(byDueOn.items.map((x) => x.id).toList(), [made.id]);
      expect(byDueOn.items.single.dueOn, day);

      final byDeadline = await p.c2.projects.list(filter: v2.ProjectFilter().deadline.eq(day), cache: v2.CachePolicy.revalidate);
      expect(p.wire2.requests.last.url.queryParameters, <String, String>{'deadline[eq]': wireDate(day)});
      expect(byDeadline.items.map((x) => x.id).toList(), [made.id]);
      expect(byDeadline.items.single.color, '#123abc');

      // A range and a sort name the field per version too.
      final next = day.add(const Duration(days: 1));
      final range1 = await p.c1.projects.list(
          filter: v1.ProjectFilter().dueOn.gte(day).dueOn.lte(next), sort: [v1.ProjectSort.dueOn], cache: v1.CachePolicy.revalidate);
      final range2 = await p.c2.projects.list(
          filter: v2.ProjectFilter().deadline.gte(day).deadline.lte(next), sort: [v2.ProjectSort.deadline], cache: v2.CachePolicy.revalidate);
      expect(range1.items.length, 2);
      expect(range1.items.map((x) => x.id).toList(), range2.items.map((x) => x.id).toList());
      expect(range1.items.map((x) => x.dueOn).toList(), [day, next]);

      // Moved through v2: the v1 filter follows.
      final moved = day.add(const Duration(days: 2));
      await p.c2.projects.update(made.id, v2.ProjectPatch(deadline: v2.Optional(moved)));
      expect((await p.c1.projects.list(filter: v1.ProjectFilter().dueOn.eq(day), cache: v1.CachePolicy.revalidate)).items, <v1.Project>[]);
      expect((await p.c1.projects.list(filter: v1.ProjectFilter().dueOn.eq(moved), cache: v1.CachePolicy.revalidate))
          .items
          .map((x) => x.id)
          .toList(), [made.id]);
      p.close();
    });
  });
}
