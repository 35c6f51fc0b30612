// Maintenance windows: the `Maintenance` field parser, the announcements
// and MaintenanceException without a server; then against the running
// service, windows scheduled by root (an admin) and cancelled afterwards.
// Windows may not overlap, so these tests run one after the other and each
// cancels its window in `finally`.

import 'dart:convert';
import 'dart:io';
import 'dart:math';

import 'package:resourceful_example_client_v1/io.dart';
import 'package:resourceful_example_client_v1/resourceful_example_client_v1.dart';

import 'harness.dart';
import 'live_test.dart' show newProject, signedIn, taskInput;
import 'support.dart';
import 'tokens.dart';

late String _base;

DateTime _at(int seconds) => DateTime.fromMillisecondsSinceEpoch(seconds * 1000, isUtc: true);

/// The window JSON the server sends.
Map<String, dynamic> windowJson({
  String id = 'w-1',
  String mode = 'read_only',
  String status = 'active',
  List<String> resources = const <String>['tasks'],
}) =>
    <String, dynamic>{
      'id': id,
      'starts_at': '2030-01-01T10:00:00Z',
      'ends_at': '2030-01-01T11:00:00Z',
      'mode': mode,
      'status': status,
      'message': 'Database upgrade',
      'resources': resources,
      'link': 'https://status.example.com',
      'revision': 2,
      'created_at': '2029-12-30T08:00:00Z',
      'updated_at': '2029-12-31T08:00:00Z',
    };

ApiResponse refusal({String retryAfter = '30', Object? window}) => ApiResponse(
      status: 503,
      headers: <String, String>{
        'content-type': 'application/problem+json',
        'retry-after': retryAfter,
        'maintenance': '"w-1";start=@1893492000;end=@1893495600;mode=read_only;active;resources="tasks"',
      },
      body: jsonEncode(<String, dynamic>{
        'type': 'urn:resourceful:problem:maintenance',
        'title': 'Under maintenance',
        'status': 503,
        'detail': 'read-only for maintenance until 2030-01-01T11:00:00Z: Database upgrade',
        'maintenance': window ?? windowJson(),
      }),
    );

const String _taskBody = '{"id":1,"title":"t","notes":null,"status":"todo","done":false,"priority":3,'
    '"estimate_hours":null,"project_id":1,"due_at":null,'
    '"created_at":"2030-01-01T00:00:00Z","updated_at":"2030-01-01T00:00:00Z"}';

// --- the admin side: scheduling and cancelling windows ---------------------

/// An admin request to the service; the status and the decoded body.
Future<List<Object?>> _admin(String method, String path, [Object? body]) async {
  final http = HttpClient();
  try {
    final req = await http.openUrl(method, Uri.parse('$_base$path'));
    req.headers.set('authorization', 'Bearer ${await token(_base, 'root')}');
    if (body != null) {
      req.headers.contentType = ContentType.json;
      req.write(jsonEncode(body));
    }
    final res = await req.close();
    final text = await res.transform(utf8.decoder).join();
    return <Object?>[res.statusCode, text.isEmpty ? null : jsonDecode(text)];
  } finally {
    http.close();
  }
}

/// Schedules a window; its JSON as the server answered.
Future<Map<String, dynamic>> schedule({
  required DateTime startsAt,
  required DateTime endsAt,
  String mode = 'read_only',
  List<String>? resources,
  String message = 'Client test window',
}) async {
  final r = await _admin('POST', '/admin/maintenance', <String, Object>{
    'starts_at': startsAt.toUtc().toIso8601String(),
    'ends_at': endsAt.toUtc().toIso8601String(),
    'mode': mode,
    'message': message,
    if (resources != null) 'resources': resources,
  });
  if (r[0] != 201) throw StateError('POST /admin/maintenance answered ${r[0]}: ${r[1]}');
  return r[1] as Map<String, dynamic>;
}

/// Cancels a window; one that has ended already (409) is left as it is.
Future<void> cancel(String id) async {
  final r = await _admin('DELETE', '/admin/maintenance/${Uri.encodeComponent(id)}');
  if (r[0] != 204 && r[0] != 409) throw StateError('DELETE /admin/maintenance/$id answered ${r[0]}: ${r[1]}');
}

/// The next whole second at least [ahead] from now.
DateTime wholeSecondsAhead(Duration ahead) {
  final ms = DateTime.now().toUtc().add(ahead).millisecondsSinceEpoch;
  return DateTime.fromMillisecondsSinceEpoch((ms ~/ 1000 + 1) * 1000, isUtc: true);
}

/// Sleeps until [t] (plus [slack]); never longer than [t] is away.
Future<void> sleepUntil(DateTime t, {Duration slack = const Duration(milliseconds: 150)}) async {
  final left = t.add(slack).difference(DateTime.now().toUtc());
  if (!left.isNegative) await Future<void>.delayed(left);
}

List<AnnouncedWindow> withId(List<AnnouncedWindow> ws, String id) => ws.where((w) => w.id == id).toList();

void registerMaintenanceTests(String apiBase) {
  _base = apiBase;

  group('maintenance field', () {
    test('one member: id, dates, mode, active, resources', () {
      final ws = AnnouncedWindow.parseHeader(
          '"3f0c-1";start=@1767304800;end=@1767308400;mode=read_only;active;resources="tasks projects"');
      expect(ws.length, 1);
      final w = ws.single;
      expect(w.id, '3f0c-1');
      expect(w.startsAt, DateTime.utc(2026, 1, 1, 22));
      expect(w.endsAt, DateTime.utc(2026, 1, 1, 23));
      check(w.startsAt.isUtc, 'UTC');
      expect(w.mode, MaintenanceMode.readOnly);
      expect(w.active, true);
      expect(w.resources, ['tasks', 'projects']);
      check(w.affects('tasks') && !w.affects('comments'), 'covers the named resources only');
    });
    test('several members, in order; OWS around commas; absent params default', () {
      final ws = AnnouncedWindow.parseHeader(' "a";start=@10;end=@20;mode=full ,\t"b";start=@30;end=@40;mode=read_only;active=?0,"c";start=@50;end=@60 ');
      expect(ws.map((w) => w.id).toList(), ['a', 'b', 'c']);
      expect(ws.map((w) => w.mode).toList(), [MaintenanceMode.full, MaintenanceMode.readOnly, MaintenanceMode.unknown]);
      expect(ws.map((w) => w.active).toList(), [false, false, false]);
      expect(ws[0].resources, <String>[]);
      check(ws[0].affects('tasks') && ws[2].affects('anything'), 'no resources: every resource');
      expect(ws[1].endsAt, _at(40));
    });
    test('string escapes, and commas and semicolons inside strings', () {
      final ws = AnnouncedWindow.parseHeader(r'"a\"b\\c, d;e";start=@1;end=@2;resources="x\\y", "next";start=@3;end=@4');
      expect(ws.map((w) => w.id).toList(), [r'a"b\c, d;e', 'next']);
      expect(ws.first.resources, [r'x\y']);
    });
    test('unknown parameters and values are ignored; an unknown mode is unknown', () {
      final ws = AnnouncedWindow.parseHeader('"w";rev=3;start=@100;weight=0.5;end=@200;note="hi";bin=:aGVsbG8=:;'
          'shown=?1;label=%"caf%c3%a9";*x-y.z=tok/en:1;mode=drain;active;mode=full');
      expect(ws.length, 1);
      expect(ws.single.mode, MaintenanceMode.full, 'the last of a repeated key wins');
      expect(ws.single.active, true);
      final drain = AnnouncedWindow.parseHeader('"w";start=@100;end=@200;mode=drain');
      expect(drain.single.mode, MaintenanceMode.unknown);
      expect(MaintenanceModeWire.fromWire('drain'), MaintenanceMode.unknown);
      expect(MaintenanceModeWire.fromWire('read_only').wire, 'read_only');
    });
    test('an inner list member is skipped, the others read', () {
      final ws = AnnouncedWindow.parseHeader('("a" "b");start=@1;end=@2, "ok";start=@1;end=@2');
      expect(ws.map((w) => w.id).toList(), ['ok']);
    });
    test('garbage: unreadable members are skipped, never thrown', () {
      const ok = '"ok";start=@10;end=@20';
      for (final bad in <String>[
        'nonsense here',
        '"w";start=@abc;end=@20',
        '"w";end=@20', // no start
        '"w";start=@10', // no end
        '"w";start=10.5;end=@20', // a Decimal is no date
        '"w";start=@1.5;end=@20',
        '"w";Start=@10;end=@20', // keys are lower-case
        r'"w\x";start=@10;end=@20', // a bad escape
        '"wé";start=@10;end=@20', // not ASCII
        '"w";start=@9999999999999999;end=@20', // too many digits
        '"w";start=@999999999999999;end=@20', // beyond DateTime
        '42;start=@10;end=@20', // the id is no string
        'tok;start=@10;end=@20',
        '"";start=@10;end=@20',
        '"w";start=@10;end=@20;mode=', // a parameter without its value
        '"w";start=@10;end=@20 trailing',
        '"w";;start=@10;end=@20',
        '"w";start=@10;end=@20;x=?2',
        '"w";start=@10;end=@20;x=:not base64!:',
        '"w";start=@10;end=@20;x=%"%zz"',
      ]) {
        expect(AnnouncedWindow.parseHeader(bad), <AnnouncedWindow>[], bad);
        expect(AnnouncedWindow.parseHeader('$bad, $ok').map((w) => w.id).toList(), ['ok'], '$bad, $ok');
        expect(AnnouncedWindow.parseHeader('$ok, $bad').map((w) => w.id).toList(), ['ok'], '$ok, $bad');
      }
      for (final nothing in <String?>[null, '', '   ', ',', ',,,', '"unterminated', '"a";start=@1;end=@2;resources="x']) {
        expect(AnnouncedWindow.parseHeader(nothing), <AnnouncedWindow>[], '$nothing');
      }
      // Trailing and doubled commas are forgiven.
      expect(AnnouncedWindow.parseHeader('$ok,, $ok,').length, 2);
    });
    test('random input never throws', () {
      final rnd = Random(7);
      const alphabet = '"\\;=,@?:%()*-. \tabz09AZé';
      for (var i = 0; i < 3000; i++) {
        final n = rnd.nextInt(40);
        final s = String.fromCharCodes(List<int>.generate(n, (_) => alphabet.codeUnitAt(rnd.nextInt(alphabet.length))));
        // Also after a valid member, which must survive unless the junk opens a string.
        AnnouncedWindow.parseHeader(s);
        AnnouncedWindow.parseHeader('"ok";start=@1;end=@2, $s');
      }
    });
  });

  group('maintenance offline', () {
    test('current and changes follow the field: appears, changes, disappears', () async {
      var header = <String, String>{};
      final client = ApiClient(
          baseUrl: 'http://api.test',
          transport: FakeTransport((r) => ApiResponse(status: 200, headers: header, body: '{"items":[],"next_cursor":null,"limit":20}')),
          cache: const NoCacheStorage());
      final probe = Probe<List<AnnouncedWindow>>(client.maintenance.changes);
      await client.tasks.list();
      await probe.expectQuiet(wait: const Duration(milliseconds: 50));
      expect(client.maintenance.current, <AnnouncedWindow>[]);

      header = {'Maintenance': '"w";start=@100;end=@200;mode=full'};
      await client.tasks.list();
      final first = await probe.next();
      expect(first.map((w) => w.id).toList(), ['w']);
      expect(client.maintenance.current, first);
      check(!first.single.active, 'not on yet');
      await client.tasks.list(); // the same field: nothing new
      await probe.expectQuiet(wait: const Duration(milliseconds: 50));

      header = {'Maintenance': '"w";start=@100;end=@200;mode=full;active'};
      await client.tasks.list();
      check((await probe.next()).single.active, 'on now');

      header = {};
      await client.tasks.list();
      expect(await probe.next(), <AnnouncedWindow>[]);
      expect(client.maintenance.current, <AnnouncedWindow>[]);
      await probe.cancel();
      client.close();
    });
    test('a 503 for maintenance beyond maxRetryDelay is a MaintenanceException at once', () async {
      final fake = FakeTransport((r) => refusal(retryAfter: '30'));
      final client = ApiClient(baseUrl: 'http://api.test', transport: fake);
      final started = DateTime.now();
      final e = await expectThrows<MaintenanceException>(() => client.tasks.create(taskInput(1, 'x')));
      check(DateTime.now().difference(started) < const Duration(seconds: 1), 'no waiting');
      expect(fake.requests.length, 1, 'not retried');
      expect(e.endsAt, DateTime.utc(2030, 1, 1, 11));
      expect(e.window.id, 'w-1');
      expect(e.window.mode, MaintenanceMode.readOnly);
      expect(e.window.status, MaintenanceStatus.active);
      expect(e.window.message, 'Database upgrade');
      expect(e.window.link, 'https://status.example.com');
      expect(e.window.resources, ['tasks']);
      expect(e.retryAfter, const Duration(seconds: 30));
      check(e.isUnavailable && e.isMaintenance && e.isRetryable, '503, maintenance, retryable');
      expect(e.slug, 'maintenance');
      expect(e.type, ProblemType.maintenance);
      check(e is ApiException && e is ResourcefulException, 'an ApiException');
      expect(client.maintenance.current.single.active, true, 'the refusal announced the window too');
      client.close();
    });
    test('within maxRetryDelay the client waits for Retry-After and retries with the same key', () async {
      var n = 0;
      final fake = FakeTransport((r) => n++ == 0 ? refusal(retryAfter: '1') : ApiResponse(status: 201, body: _taskBody));
      final client = ApiClient(baseUrl: 'http://api.test', transport: fake);
      final started = DateTime.now();
      final t = await client.tasks.create(taskInput(1, 't'));
      expect(t.id, 1);
      check(DateTime.now().difference(started) >= const Duration(milliseconds: 950), 'waited for Retry-After');
      expect(fake.requests.length, 2);
      expect(fake.requests[1].headers['idempotency-key'], fake.requests[0].headers['idempotency-key']);
      client.close();
    });
    test('a maintenance problem without a readable window stays an ApiException', () async {
      final client = ApiClient(
          baseUrl: 'http://api.test', transport: FakeTransport((r) => refusal(window: <String, dynamic>{'id': 7})));
      final e = await expectThrows<ApiException>(() => client.tasks.get(1));
      check(e is! MaintenanceException, 'not a MaintenanceException');
      check(e.isMaintenance, 'still says maintenance');
      client.close();
    });
    test('windows: unknown mode and status do not throw; JSON round trip', () async {
      final w = MaintenanceWindow.fromJson(windowJson(mode: 'drain', status: 'paused', resources: const <String>[]));
      expect(w.mode, MaintenanceMode.unknown);
      expect(w.status, MaintenanceStatus.unknown);
      check(w.affects('tasks'), 'no resources: every resource');
      final v = MaintenanceWindow.fromJson(windowJson());
      expect(MaintenanceWindow.fromJson(v.toJson()), v);
      expect(v.toJson()['ends_at'], '2030-01-01T11:00:00.000Z');
      expect(v.toJson()['mode'], 'read_only');
      expect(v.createdAt, DateTime.utc(2029, 12, 30, 8));
      expect(v.revision, 2);
      check(!v.affects('comments'), 'only tasks');
      expect(MaintenanceWindow.fromJson(windowJson(mode: 'full')).affects('comments'), true, 'full covers everything');
      await expectThrows<FormatException>(() => MaintenanceWindow.fromJson(<String, dynamic>{'id': 'x'}));
    });
    test('list() splits the schedule by status', () async {
      final fake = FakeTransport((r) => ApiResponse(
          status: 200,
          headers: {'etag': '"s1"'},
          body: jsonEncode(<String, dynamic>{
            'items': [
              windowJson(id: 'old', status: 'ended'),
              windowJson(id: 'now', status: 'active'),
              windowJson(id: 'soon', status: 'upcoming'),
              windowJson(id: 'later', status: 'upcoming'),
            ],
            'horizon_seconds': 259200,
          })));
      final client = ApiClient(baseUrl: 'http://api.test', transport: fake);
      final s = await client.maintenance.list();
      expect(fake.requests.single.url.path, '/v1/maintenance');
      expect(s.upcoming.map((w) => w.id).toList(), ['soon', 'later']);
      expect(s.active.map((w) => w.id).toList(), ['now']);
      expect(s.recent.map((w) => w.id).toList(), ['old']);
      expect(s.windows.length, 4);
      expect(s.horizon, const Duration(hours: 72));
      await client.maintenance.list();
      expect(fake.requests[1].headers['if-none-match'], '"s1"', 'revalidated');
      client.close();
    });
  });

  group('maintenance live', () {
    test('a window an hour ahead: announced on any response, listed as upcoming, gone when cancelled', () async {
      final client = signedIn();
      final probe = Probe<List<AnnouncedWindow>>(client.maintenance.changes);
      final start = wholeSecondsAhead(const Duration(hours: 1));
      final end = start.add(const Duration(minutes: 30));
      final w = await schedule(startsAt: start, endsAt: end, resources: ['projects'], message: 'Upgrade in an hour');
      final id = w['id'] as String;
      var cancelled = false;
      try {
        await client.projects.list(cache: CachePolicy.networkOnly);
        final seen = withId(await probe.next(), id);
        expect(seen.length, 1, 'the new window is announced');
        final a = seen.single;
        expect(a.startsAt, start);
        expect(a.endsAt, end);
        expect(a.mode, MaintenanceMode.readOnly);
        expect(a.active, false);
        expect(a.resources, ['projects']);
        expect(withId(client.maintenance.current, id), [a]);

        final s = await client.maintenance.list();
        final listed = s.upcoming.where((x) => x.id == id).toList();
        expect(listed.length, 1, 'listed as upcoming');
        expect(listed.single.message, 'Upgrade in an hour');
        expect(listed.single.startsAt, start);
        expect(listed.single.endsAt, end);
        expect(listed.single.resources, ['projects']);
        check(s.active.every((x) => x.id != id), 'not active');
        check(s.horizon >= const Duration(hours: 1), 'the horizon reaches it: ${s.horizon}');

        await client.projects.list(cache: CachePolicy.networkOnly); // the same field: no event
        await probe.expectQuiet(wait: const Duration(milliseconds: 100));

        await cancel(id);
        cancelled = true;
        await client.projects.list(cache: CachePolicy.networkOnly);
        expect(withId(await probe.next(), id), <AnnouncedWindow>[], 'gone once cancelled');
        expect(withId(client.maintenance.current, id), <AnnouncedWindow>[]);
        check((await client.maintenance.list()).windows.every((x) => x.id != id), 'cancelled windows are not listed');
      } finally {
        if (!cancelled) await cancel(id);
        await probe.cancel();
        client.close();
      }
    });

    test('a read_only window on tasks: writes throw MaintenanceException until it ends, reads work', () async {
      final capped = RecordingTransport(IoHttpTransport());
      final patient = RecordingTransport(IoHttpTransport());
      // Retry-After is whole seconds, at least 1: always beyond 500 ms.
      final client = ApiClient(
          baseUrl: _base, transport: capped, getToken: () => token(_base, 'ana'), maxRetryDelay: const Duration(milliseconds: 500));
      final waiting = ApiClient(baseUrl: _base, transport: patient, getToken: () => token(_base, 'ana'));
      final project = await newProject(client);
      final start = wholeSecondsAhead(const Duration(seconds: 1));
      final end = start.add(const Duration(seconds: 3));
      final w = await schedule(startsAt: start, endsAt: end, resources: ['tasks'], message: 'Tasks are read-only');
      final id = w['id'] as String;
      try {
        expect(w['ends_at'], end.toIso8601String().replaceFirst('.000', ''));
        await sleepUntil(start, slack: const Duration(milliseconds: 100));

        capped.reset();
        final sent = DateTime.now();
        final e = await expectThrows<MaintenanceException>(() => client.tasks.create(taskInput(project.id, 'Refused')));
        check(DateTime.now().difference(sent) < const Duration(seconds: 1), 'thrown without waiting');
        expect(capped.statuses, [503], 'not retried: Retry-After exceeds maxRetryDelay');
        expect(e.endsAt, end);
        expect(e.window.id, id);
        expect(e.window.mode, MaintenanceMode.readOnly);
        expect(e.window.status, MaintenanceStatus.active);
        expect(e.window.resources, ['tasks']);
        expect(e.window.message, 'Tasks are read-only');
        final wait = e.retryAfter!;
        check(wait >= const Duration(seconds: 1) && wait <= const Duration(seconds: 3), 'Retry-After to the end: $wait');
        final on = withId(client.maintenance.current, id);
        check(on.length == 1 && on.single.active, 'announced as active: ${client.maintenance.current}');

        // Reads, and writes to other resources, keep working.
        final listed = await client.tasks.list(filter: TaskFilter().projectId.eq(project.id), cache: CachePolicy.networkOnly);
        expect(listed.items, <Task>[]);
        expect((await client.projects.get(project.id, cache: CachePolicy.networkOnly)).id, project.id);
        await newProject(client);
        expect((await client.maintenance.list()).active.map((x) => x.id).toList(), [id]);

        // A client that may wait that long retries after Retry-After.
        patient.reset();
        final before = DateTime.now().toUtc();
        final made = await waiting.tasks.create(taskInput(project.id, 'Waited'));
        expect(made.title, 'Waited');
        if (before.isBefore(end.subtract(const Duration(milliseconds: 300)))) {
          expect(patient.statuses, [503, 201], 'refused, then accepted after Retry-After');
          check(!DateTime.now().toUtc().isBefore(end), 'accepted after the end');
          expect(patient.requests[1].headers['idempotency-key'], patient.requests[0].headers['idempotency-key']);
        }

        await sleepUntil(end);
        final after = await client.tasks.create(taskInput(project.id, 'After the window'));
        expect(after.title, 'After the window');
        expect(withId(client.maintenance.current, id), <AnnouncedWindow>[], 'no longer announced');
        final recent = (await client.maintenance.list()).recent.where((x) => x.id == id).toList();
        expect(recent.length, 1, 'listed as recent');
        expect(recent.single.endsAt, end);
      } finally {
        await cancel(id);
        client.close();
        waiting.close();
      }
    });
  });
}
