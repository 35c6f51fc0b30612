// Tests of the generated package that need no server: JSON mapping,
// inputs, filters, errors, the cache storage.

import 'dart:convert';

import 'package:resourceful_example_client_v1/resourceful_example_client_v1.dart';

import 'harness.dart';
import 'support.dart';

final Map<String, dynamic> taskJson = <String, dynamic>{
  'id': 7,
  'title': 'Write copy',
  'notes': null,
  'status': 'in_progress',
  'done': false,
  'priority': 3,
  'estimate_hours': 3.0,
  'project_id': 2,
  'due_at': '2030-01-31T12:00:00.123456Z',
  'created_at': '2026-11-23T11:02:35.618888Z',
  'updated_at': '2026-11-23T11:02:35.618888Z',
};

ApiClient fakeClient(ApiResponse Function(ApiRequest) handler) =>
    ApiClient(baseUrl: 'http://api.test/', transport: FakeTransport(handler));

void registerOfflineTests() {
  group('enums', () {
    test('wire values map both ways', () {
      expect(TaskStatus.inProgress.wire, 'in_progress');
      expect(TaskStatusWire.fromWire('blocked'), TaskStatus.blocked);
      expect(TaskStatusWire.tryFromWire('nope'), null);
      expect(TaskStatusWire.known.map((v) => v.wire).toList(), ['todo', 'in_progress', 'blocked', 'done']);
      expect(VisibilityWire.known.map((v) => v.wire).toList(), ['private', 'team', 'public']);
      expect(TaskStatus.values.last, TaskStatus.unknown);
      expect(TaskStatusWire.fromWireOrUnknown('archived'), TaskStatus.unknown);
      expect(TaskStatusWire.fromWireOrUnknown('done'), TaskStatus.done);
      check(TaskStatus.unknown.isUnknown && !TaskStatus.done.isUnknown, 'isUnknown');
    });
    test('an unknown wire value is a FormatException', () async {
      await expectThrows<FormatException>(() => TaskStatusWire.fromWire('archived'));
    });
  });

  group('models', () {
    test('fromJson reads every type', () {
      final t = Task.fromJson(taskJson);
      expect(t.id, 7);
      expect(t.status, TaskStatus.inProgress);
      expect(t.notes, null);
      expect(t.estimateHours, 3.0);
      expect(t.dueAt, DateTime.utc(2030, 1, 31, 12, 0, 0, 123, 456));
      check(t.createdAt.isUtc, 'date-times are UTC');
    });
    test('toJson gives back the wire form', () {
      expect(Task.fromJson(taskJson).toJson(), taskJson);
      final p = Project.fromJson(<String, dynamic>{
        'id': 1,
        'name': 'Web',
        'key': 'WEB',
        'description': null,
        'visibility': 'team',
        'due_on': '2027-03-31',
        'created_at': '2026-11-23T11:02:35.611171Z',
        'updated_at': '2026-11-23T11:02:35.611171Z',
      });
      expect(p.dueOn, DateTime.utc(2027, 3, 31));
      expect(p.toJson()['due_on'], '2027-03-31');
      expect(p.visibility, Visibility.team);
    });
    test('integers sent as 3.0 and doubles sent as 3 are read', () {
      final j = Map<String, dynamic>.of(taskJson)
        ..['priority'] = 3.0
        ..['estimate_hours'] = 3;
      final t = Task.fromJson(j);
      expect(t.priority, 3);
      expect(t.estimateHours, 3.0);
    });
    test('a wrong type is a FormatException naming the field', () async {
      final j = Map<String, dynamic>.of(taskJson)..['title'] = 5;
      final e = await expectThrows<FormatException>(() => Task.fromJson(j));
      check(e.message.contains('title'), 'message names the field: ${e.message}');
      final k = Map<String, dynamic>.of(taskJson)..['due_at'] = 'tomorrow';
      await expectThrows<FormatException>(() => Task.fromJson(k));
      final m = Map<String, dynamic>.of(taskJson)..remove('done');
      await expectThrows<FormatException>(() => Task.fromJson(m));
    });
    test('value equality and hashCode', () {
      final a = Task.fromJson(taskJson);
      final b = Task.fromJson(jsonDecode(jsonEncode(taskJson)) as Map<String, dynamic>);
      expect(a, b);
      expect(a.hashCode, b.hashCode);
      check(a != a.copyWith(done: true), 'a changed copy differs');
      expect(<Task>{a, b}.length, 1);
    });
    test('copyWith: values, Optional(null) clears, absent keeps', () {
      final t = Task.fromJson(taskJson).copyWith(notes: const Optional('n'));
      expect(t.notes, 'n');
      final u = t.copyWith(title: 'x', estimateHours: const Optional(null));
      expect(u.title, 'x');
      expect(u.estimateHours, null);
      expect(u.notes, 'n');
      expect(u.dueAt, t.dueAt);
    });
  });

  group('inputs', () {
    test('create: required named parameters; null optionals are left out', () {
      final c = TaskCreate(
        title: 'T',
        status: TaskStatus.todo,
        done: false,
        priority: 2,
        projectId: 1,
        dueAt: DateTime.utc(2030, 1, 2, 3, 4, 5),
      );
      expect(c.toJson(), <String, dynamic>{
        'title': 'T',
        'status': 'todo',
        'done': false,
        'priority': 2,
        'project_id': 1,
        'due_at': '2030-01-02T03:04:05.000Z',
      });
    });
    test('dates are sent from their own year, month and day', () {
      final c = ProjectCreate(name: 'N', key: 'KEY', visibility: Visibility.public, dueOn: DateTime(2027, 3, 31, 23, 30));
      expect(c.toJson()['due_on'], '2027-03-31');
    });
    test('date-times are sent in UTC', () {
      final local = DateTime(2030, 6, 1, 12);
      final c = TaskCreate(title: 'T', status: TaskStatus.todo, done: false, priority: 1, projectId: 1, dueAt: local);
      final sent = DateTime.parse(c.toJson()['due_at'] as String);
      check((c.toJson()['due_at'] as String).endsWith('Z'), 'UTC designator');
      expect(sent, local.toUtc());
    });
    test('fromModel copies the writable fields', () {
      final t = Task.fromJson(taskJson);
      final c = TaskCreate.fromModel(t);
      expect(c.title, t.title);
      expect(c.toJson().containsKey('id'), false);
      expect(c.toJson().containsKey('created_at'), false);
    });
    test('patch: absent, value and explicit null differ', () {
      expect(const TaskPatch().toJson(), <String, dynamic>{});
      check(const TaskPatch().isEmpty, 'empty patch');
      expect(
        const TaskPatch(title: 'x', notes: Optional(null), done: true).toJson(),
        <String, dynamic>{'title': 'x', 'notes': null, 'done': true},
      );
      expect(TaskPatch(dueAt: Optional(DateTime.utc(2030))).toJson(), <String, dynamic>{'due_at': '2030-01-01T00:00:00.000Z'});
      expect(const TaskPatch(status: TaskStatus.done).toJson(), <String, dynamic>{'status': 'done'});
      check(!const TaskPatch(notes: Optional(null)).isEmpty, 'a null is a change');
    });
  });

  group('queries', () {
    final client = fakeClient((r) => ApiResponse(status: 500));
    test('filters encode as field[op]=value, in order', () {
      final f = TaskFilter()
          .title
          .contains('a b&c')
          .status
          .isIn([TaskStatus.todo, TaskStatus.inProgress])
          .priority
          .between(1, 3)
          .estimateHours
          .isNull()
          .dueAt
          .lt(DateTime.utc(2030, 1, 1));
      expect(f.filterConditions.map((c) => '$c').toList(), [
        'title[contains]=a b&c',
        'status[in]=todo,in_progress',
        'priority[gte]=1',
        'priority[lte]=3',
        'estimate_hours[is_null]=true',
        'due_at[lt]=2030-01-01T00:00:00.000Z',
      ]);
      expect(
        client.tasks.listPath(filter: TaskFilter().title.contains('a b&c'), sort: [TaskSort.priority.desc, TaskSort.title], limit: 5),
        '/v1/tasks?title%5Bcontains%5D=a+b%26c&sort=-priority%2Ctitle&limit=5',
      );
      expect(client.tasks.listPath(), '/v1/tasks');
    });
    test('filters compare by their conditions', () {
      expect(TaskFilter().done.eq(true), TaskFilter().done.eq(true));
      expect(TaskFilter().done.eq(true).hashCode, TaskFilter().done.eq(true).hashCode);
      check(TaskFilter().done.eq(true) != TaskFilter().done.eq(false), 'different filters differ');
    });
    test('an empty in-list is refused before sending', () async {
      await expectThrows<ArgumentError>(() => TaskFilter().id.isIn(<int>[]));
    });
    test('sort keys', () {
      expect(TaskSort.priority.desc.wire, '-priority');
      expect(TaskSort.priority.desc.asc.wire, 'priority');
      expect(TaskSort.dueAt.wire, 'due_at');
    });
  });

  group('errors', () {
    test('problem+json becomes an ApiException with field errors', () async {
      final client = fakeClient((r) => ApiResponse(
            status: 422,
            headers: {'Content-Type': 'application/problem+json'},
            body: jsonEncode({
              'type': 'urn:resourceful:problem:validation',
              'title': 'Validation failed',
              'status': 422,
              'detail': '2 fields are invalid',
              'errors': [
                {'field': 'title', 'pointer': '/title', 'code': 'length', 'message': 'too short'},
                {'field': 'priority', 'pointer': '/priority', 'code': 'range', 'message': 'too big'},
              ],
            }),
          ));
      final e = await expectThrows<ApiException>(() => client.tasks.get(1));
      expect(e.status, 422);
      expect(e.slug, 'validation');
      expect(e.type, ProblemType.validation);
      expect(e.detail, '2 fields are invalid');
      expect(e.errors.map((x) => x.pointer).toList(), ['/title', '/priority']);
      expect(e.fieldMessages, {'title': ['too short'], 'priority': ['too big']});
      expect(e.errorsFor('priority').single.code, 'range');
      check(e is ResourcefulException, 'common base');
      expect(e.request?.method, 'GET');
    });
    test('429 and 503 carry retryAfter (seconds or HTTP-date)', () async {
      final c1 = fakeClient((r) => ApiResponse(status: 429, headers: {'retry-after': '7'}, body: '{"type":"urn:resourceful:problem:rate-limited","title":"Too many requests","status":429}'));
      final e1 = await expectThrows<ApiException>(() => c1.projects.list());
      expect(e1.retryAfter, const Duration(seconds: 7));
      check(e1.isRateLimited && e1.isRetryable, 'rate limited and retryable');
      final when = DateTime.now().toUtc().add(const Duration(seconds: 120));
      const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
      const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
      String two(int n) => n.toString().padLeft(2, '0');
      final httpDate = '${days[when.weekday - 1]}, ${two(when.day)} ${months[when.month - 1]} ${when.year} '
          '${two(when.hour)}:${two(when.minute)}:${two(when.second)} GMT';
      final c2 = fakeClient((r) => ApiResponse(status: 503, headers: {'Retry-After': httpDate}, body: ''));
      final e2 = await expectThrows<ApiException>(() => c2.projects.list());
      check(e2.isUnavailable, '503');
      final s = e2.retryAfter!.inSeconds;
      check(s >= 100 && s <= 121, 'about two minutes, got $s s');
    });
    test('a non-JSON error body still gives the status', () async {
      final c = fakeClient((r) => ApiResponse(status: 502, body: '<html>bad gateway</html>'));
      final e = await expectThrows<ApiException>(() => c.tasks.list());
      expect(e.status, 502);
      expect(e.title, 'Bad gateway');
      expect(e.errors, <FieldError>[]);
    });
    test('an unreadable success body is an InvalidResponseException', () async {
      final c = fakeClient((r) => ApiResponse(status: 200, body: '{"items": 5}'));
      await expectThrows<InvalidResponseException>(() => c.tasks.list());
      final d = fakeClient((r) => ApiResponse(status: 200, body: jsonEncode(Map<String, dynamic>.of(taskJson)..['status'] = 42)));
      final e = await expectThrows<InvalidResponseException>(() => d.tasks.get(7));
      check(e.message.contains('status'), 'names the field: ${e.message}');
    });
    test('a failing transport is a NetworkException', () async {
      final c = ApiClient(baseUrl: 'http://api.test', transport: FakeTransport((r) => throw StateError('socket gone')));
      final e = await expectThrows<NetworkException>(() => c.tasks.get(1));
      check(e.cause is StateError, 'keeps the cause');
      check(e is! ApiException, 'not an ApiException');
    });
  });

  group('retries', () {
    test('a failure a retry may fix is sent again with the same key', () async {
      var n = 0;
      final t = FakeTransport((r) {
        n += 1;
        if (n < 3) return ApiResponse(status: 503, headers: {'retry-after': '0'}, body: '');
        return ApiResponse(status: 201, body: jsonEncode(taskJson));
      });
      final c = ApiClient(baseUrl: 'http://api.test', transport: t);
      final created = await c.tasks.create(const TaskCreate(title: 'x', status: TaskStatus.todo, done: false, priority: 3, projectId: 1));
      expect(created.id, 7);
      expect(t.requests.length, 3);
      final keys = t.requests.map((r) => r.headers['idempotency-key']).toSet();
      expect(keys.length, 1);
      check(RegExp(r'^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$').hasMatch(keys.single!),
          'a quoted UUIDv4: ${keys.single}');
    });
    test('a given key is sent as it is; reads carry none; 404 is not retried', () async {
      final t = FakeTransport((r) => r.method == 'GET'
          ? ApiResponse(status: 404, body: '')
          : ApiResponse(status: 201, body: jsonEncode(taskJson)));
      final c = ApiClient(baseUrl: 'http://api.test', transport: t);
      await c.tasks.create(const TaskCreate(title: 'x', status: TaskStatus.todo, done: false, priority: 3, projectId: 1),
          idempotencyKey: 'my-key');
      expect(t.requests.single.headers['idempotency-key'], '"my-key"');
      await expectThrows<ApiException>(() => c.tasks.get(8));
      expect(t.requests.length, 2, 'one GET');
      expect(t.requests.last.headers['idempotency-key'], null);
    });
    test('retries stop at the configured count and at a long Retry-After', () async {
      final busy = FakeTransport((r) => ApiResponse(status: 503, headers: {'retry-after': '0'}, body: ''));
      await expectThrows<ApiException>(() => ApiClient(baseUrl: 'http://api.test', transport: busy, retries: 3).tasks.list());
      expect(busy.requests.length, 4);
      final later = FakeTransport((r) => ApiResponse(status: 503, headers: {'retry-after': '60'}, body: ''));
      await expectThrows<ApiException>(() => ApiClient(baseUrl: 'http://api.test', transport: later).tasks.list());
      expect(later.requests.length, 1);
      final none = FakeTransport((r) => ApiResponse(status: 503, headers: {'retry-after': '0'}, body: ''));
      await expectThrows<ApiException>(() => ApiClient(baseUrl: 'http://api.test', transport: none, retries: 0).tasks.list());
      expect(none.requests.length, 1);
    });
  });

  group('tokens', () {
    final projectJson = jsonEncode(<String, dynamic>{
      'id': 1,
      'name': 'Web',
      'key': 'WEB',
      'description': null,
      'visibility': 'team',
      'due_on': null,
      'created_at': '2026-11-23T11:02:35.618888Z',
      'updated_at': '2026-11-23T11:02:35.618888Z',
    });
    test('401 and 403 are typed, with the WWW-Authenticate challenge', () async {
      final c = fakeClient((r) => r.url.path.endsWith('/projects')
          ? ApiResponse(status: 401, headers: {
              'www-authenticate': 'Bearer error="invalid_token", error_description="the token \\"x\\" expired"',
            }, body: '{"type":"urn:resourceful:problem:unauthorized","title":"Unauthorized","status":401,"detail":"expired"}')
          : ApiResponse(status: 403, headers: {
              'www-authenticate': 'Bearer error="insufficient_scope", scope="tasks:write  tasks:admin"',
            }, body: '{"type":"urn:resourceful:problem:forbidden","title":"Forbidden","status":403,"detail":"no"}'));
      final u = await expectThrows<UnauthorizedException>(() => c.projects.list());
      check(u.isUnauthorized && u is! ForbiddenException, 'unauthorized only');
      expect([u.challenge?.scheme, u.challenge?.error, u.challenge?.description], ['Bearer', 'invalid_token', 'the token "x" expired']);
      expect(u.message, 'expired');
      final f = await expectThrows<ForbiddenException>(() => c.tasks.create(const TaskCreate(title: 'x', status: TaskStatus.todo, done: false, priority: 1, projectId: 1)));
      check(f.isForbidden && f is! UnauthorizedException, 'forbidden only');
      expect(f.requiredScopes, ['tasks:write', 'tasks:admin']);
      expect(f.request?.method, 'POST');
      expect(AuthChallenge.parse(null), null);
      expect(AuthChallenge.parse('Basic')?.scheme, 'Basic');
    });
    test('the token goes as a bearer header and wins over a configured one', () async {
      final t = FakeTransport((r) => ApiResponse(status: 200, body: projectJson));
      final c = ApiClient(baseUrl: 'http://api.test', transport: t, headers: {'Authorization': 'Bearer from-headers'}, getToken: () async => 'abc');
      await c.projects.get(1);
      expect(t.requests.single.headers['authorization'], 'Bearer abc');
      final none = FakeTransport((r) => ApiResponse(status: 200, body: projectJson));
      await ApiClient(baseUrl: 'http://api.test', transport: none, headers: {'Authorization': 'Bearer from-headers'}, getToken: () async => null)
          .projects
          .get(1);
      expect(none.requests.single.headers['authorization'], 'Bearer from-headers', 'no token: the configured header');
    });
    test('the 401 refresh composes with retries: one refresh, one key', () async {
      // Old token: 503 (retried), then 401; new token: 503 (retried), then 201.
      final answers = <int>[503, 401, 503, 201];
      final t = FakeTransport((r) {
        final status = answers.removeAt(0);
        return ApiResponse(
            status: status,
            headers: {'retry-after': '0'},
            body: status == 201 ? jsonEncode(taskJson) : '');
      });
      var refreshes = 0;
      var current = 'old';
      final c = ApiClient(
        baseUrl: 'http://api.test',
        transport: t,
        getToken: () async => current,
        refreshToken: () async {
          refreshes++;
          return current = 'new';
        },
      );
      final created = await c.tasks.create(const TaskCreate(title: 'x', status: TaskStatus.todo, done: false, priority: 3, projectId: 1));
      expect(created.id, 7);
      expect(refreshes, 1);
      expect(t.requests.map((r) => r.headers['authorization']).toList(), ['Bearer old', 'Bearer old', 'Bearer new', 'Bearer new']);
      expect(t.requests.map((r) => r.headers['idempotency-key']).toSet().length, 1, 'the same key on every attempt');
    });
    test('a refresh that throws surfaces its own exception', () async {
      final t = FakeTransport((r) => ApiResponse(status: 401, body: ''));
      final c = ApiClient(
        baseUrl: 'http://api.test',
        transport: t,
        getToken: () async => 'old',
        refreshToken: () => throw StateError('identity provider down'),
      );
      await expectThrows<StateError>(() => c.projects.list());
      await expectThrows<StateError>(() => c.projects.list());
      expect(t.requests.length, 2, 'one attempt each; the failed refresh is not kept');
    });
    test('a fresh cached read is not served after the token changes', () async {
      final t = FakeTransport((r) =>
          ApiResponse(status: 200, headers: {'etag': '"v1"', 'cache-control': 'private, max-age=600'}, body: projectJson));
      var user = 'ana-token';
      final cache = MemoryCacheStorage();
      final c = ApiClient(baseUrl: 'http://api.test', transport: t, cache: cache, getToken: () async => user);
      await c.projects.get(1);
      await c.projects.get(1);
      expect(t.requests.length, 1, 'fresh for 10 minutes');
      final scope = (await cache.read('http://api.test/v1/projects/1'))!.scope;
      check(scope != null && !scope.contains('ana-token'), 'a digest, not the token: $scope');
      user = 'ben-token';
      await c.projects.get(1);
      expect(t.requests.length, 2, 'asked again for the new caller');
      expect(t.requests.last.headers['if-none-match'], null);
      check((await cache.read('http://api.test/v1/projects/1'))!.scope != scope, 'stored for ben');
    });
  });

  group('cache storage', () {
    test('memory storage drops the least recently used', () async {
      final s = MemoryCacheStorage(maxEntries: 2);
      final now = DateTime.now().toUtc();
      await s.write('a', CacheEntry(body: 'A', storedAt: now));
      await s.write('b', CacheEntry(body: 'B', storedAt: now));
      await s.read('a');
      await s.write('c', CacheEntry(body: 'C', storedAt: now));
      expect((await s.keys())..sort(), ['a', 'c']);
    });
    test('entries round-trip through JSON', () {
      final e = CacheEntry(body: '{}', etag: '"x"', storedAt: DateTime.utc(2030), stale: true, scope: 'abc');
      final f = CacheEntry.fromJson(jsonDecode(jsonEncode(e.toJson())) as Map<String, dynamic>);
      expect([f.body, f.etag, f.storedAt, f.stale, f.scope], ['{}', '"x"', DateTime.utc(2030), true, 'abc']);
      expect(f.markedStale().scope, 'abc');
      expect(f.confirmed(DateTime.utc(2031)).scope, 'abc');
    });
    test('fresh within max-age, unless stale; none without one', () {
      final now = DateTime.utc(2030);
      final at = now.subtract(const Duration(seconds: 5));
      check(CacheEntry(body: '', storedAt: at, maxAge: const Duration(seconds: 10)).isFresh(now), 'fresh');
      check(!CacheEntry(body: '', storedAt: at, maxAge: const Duration(seconds: 5)).isFresh(now), 'expired');
      check(!CacheEntry(body: '', storedAt: at).isFresh(now), 'no max-age: revalidate');
      check(CacheEntry(body: '', storedAt: at).isFresh(now, override: const Duration(minutes: 1)), 'app override');
      check(
          !CacheEntry(body: '', storedAt: at, maxAge: const Duration(hours: 1)).markedStale().isFresh(now), 'stale');
      final e = CacheEntry(body: '{}', storedAt: at, maxAge: const Duration(seconds: 30));
      final f = CacheEntry.fromJson(jsonDecode(jsonEncode(e.toJson())) as Map<String, dynamic>);
      expect(f.maxAge, const Duration(seconds: 30));
      expect(f.markedStale().maxAge, const Duration(seconds: 30));
    });
    test('Cache-Control is read', () {
      expect(CacheDirectives.parse('private, max-age=30').maxAge, const Duration(seconds: 30));
      expect(CacheDirectives.parse('MAX-AGE=0').maxAge, Duration.zero);
      expect(CacheDirectives.parse('private, no-cache').maxAge, null);
      expect(CacheDirectives.parse('no-cache, max-age=30').maxAge, null);
      expect(CacheDirectives.parse(null).maxAge, null);
      expect(CacheDirectives.parse('max-age=oops').maxAge, null);
      check(CacheDirectives.parse('no-store').noStore, 'no-store');
      check(!CacheDirectives.parse('max-age=5').noStore, 'stored');
    });
  });

  group('cache-control', () {
    const pj = <String, dynamic>{
      'id': 1,
      'name': 'Web',
      'key': 'WEB',
      'description': null,
      'visibility': 'team',
      'due_on': null,
      'created_at': '2026-11-23T11:02:35.618888Z',
      'updated_at': '2026-11-23T11:02:35.618888Z',
    };
    ApiResponse answer(ApiRequest r, String cc, {String etag = '"v1"'}) =>
        r.headers['if-none-match'] == etag
            ? ApiResponse(status: 304, headers: {'etag': etag, 'cache-control': cc}, body: '')
            : ApiResponse(status: 200, headers: {'etag': etag, 'cache-control': cc}, body: jsonEncode(pj));
    test('max-age: reused without a request within it', () async {
      final t = FakeTransport((r) => answer(r, 'private, max-age=30'));
      final c = ApiClient(baseUrl: 'http://api.test', transport: t);
      await c.projects.get(1);
      await c.projects.get(1);
      expect(t.requests.length, 1);
    });
    test('max-age=0 and no-cache revalidate every read; no header too', () async {
      for (final cc in ['max-age=0', 'private, no-cache', '']) {
        final t = FakeTransport((r) => answer(r, cc));
        final c = ApiClient(baseUrl: 'http://api.test', transport: t);
        await c.projects.get(1);
        await c.projects.get(1);
        await c.projects.get(1);
        expect(t.requests.length, 3, cc);
        expect(t.requests.map((r) => r.headers['if-none-match']).toList(), [null, '"v1"', '"v1"'], cc);
      }
    });
    test('a 304 sets the new max-age', () async {
      var cc = 'no-cache';
      final t = FakeTransport((r) => answer(r, cc));
      final cache = MemoryCacheStorage();
      final c = ApiClient(baseUrl: 'http://api.test', transport: t, cache: cache);
      await c.projects.get(1);
      cc = 'max-age=60';
      await c.projects.get(1);
      await c.projects.get(1);
      expect(t.requests.length, 2, 'the 304 allowed reuse for 60 s');
      final e = await cache.read('http://api.test/v1/projects/1');
      expect(e?.maxAge, const Duration(seconds: 60));
    });
    test('no-store: nothing is kept', () async {
      final t = FakeTransport((r) => answer(r, 'no-store'));
      final cache = MemoryCacheStorage();
      final c = ApiClient(baseUrl: 'http://api.test', transport: t, cache: cache);
      await c.projects.get(1);
      await c.projects.get(1);
      expect(t.requests.length, 2);
      expect(t.requests.last.headers['if-none-match'], null);
      expect(cache.length, 0);
    });
    test('an explicit cacheTtl overrides the server', () async {
      final t = FakeTransport((r) => answer(r, 'no-cache'));
      final c = ApiClient(baseUrl: 'http://api.test', transport: t, cacheTtl: const Duration(minutes: 5));
      await c.projects.get(1);
      await c.projects.get(1);
      expect(t.requests.length, 1);
    });
  });

  group('unknown values', () {
    Map<String, dynamic> task(int id, String status) => <String, dynamic>{...taskJson, 'id': id, 'status': status};
    test('an unknown enum value and an unknown field do not fail the page', () async {
      final page = <String, dynamic>{
        'items': [
          task(1, 'todo'),
          <String, dynamic>{...task(2, 'archived'), 'labels': ['x'], 'score': 3},
          task(3, 'done'),
        ],
        'next_cursor': null,
        'limit': 50,
      };
      final c = fakeClient((r) => ApiResponse(status: 200, headers: {'cache-control': 'no-cache'}, body: jsonEncode(page)));
      final p = await c.tasks.list();
      expect(p.items.length, 3);
      expect(p.items[0], Task.fromJson(task(1, 'todo')));
      expect(p.items[2].status, TaskStatus.done);
      expect(p.items[2].statusRaw, null);
      final odd = p.items[1];
      expect(odd.status, TaskStatus.unknown);
      expect(odd.statusRaw, 'archived');
      expect(odd.title, taskJson['title']);
      expect(odd.extra, <String, dynamic>{'labels': ['x'], 'score': 3});
      expect(p.items[0].extra, <String, dynamic>{});
      // Round trips write the raw value, never "unknown".
      expect(odd.toJson()['status'], 'archived');
      expect(odd.toJson()['labels'], ['x']);
      expect(Task.fromJson(odd.toJson()), odd);
      expect(TaskCreate.fromModel(odd).toJson()['status'], 'archived');
      expect(odd.copyWith(title: 'renamed').toJson()['status'], 'archived');
      // Setting a known value drops the raw one.
      final set = odd.copyWith(status: TaskStatus.blocked);
      expect(set.statusRaw, null);
      expect(set.toJson()['status'], 'blocked');
    });
    test('an unknown value decodes a single record; a wrong type still fails', () async {
      final c = fakeClient((r) => ApiResponse(status: 200, headers: {}, body: jsonEncode(task(9, 'archived'))));
      final t = await c.tasks.get(9);
      expect(t.statusRaw, 'archived');
      await expectThrows<FormatException>(() => Task.fromJson(<String, dynamic>{...taskJson, 'status': 5}));
    });
  });
}
