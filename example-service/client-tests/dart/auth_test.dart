// Bearer tokens against the service's permissions (API_BASE): 401 and 403
// as typed exceptions, owner-only bookmarks, server-set comment authors,
// one refresh per 401, and a cache that never crosses callers.

import 'package:resourceful_example_client_v1/io.dart';
import 'package:resourceful_example_client_v1/resourceful_example_client_v1.dart';

import 'harness.dart';
import 'live_test.dart' show Rig, newProject, signedIn, taskInput, tokenOf, uniqueKey;
import 'support.dart';
import 'tokens.dart';

late String _base;

/// A task in a new project, made by ana (the editor).
Future<Task> newTask() async {
  final ana = signedIn();
  final p = await newProject(ana);
  final t = await ana.tasks.create(taskInput(p.id, 'Shared'));
  ana.close();
  return t;
}

/// A client whose token starts out rejected; counts `refreshToken` calls.
class Refreshing {
  Refreshing(Future<String?> Function() refreshTo, {String start = 'expired-or-garbage'})
      : current = start,
        wire = RecordingTransport(IoHttpTransport()) {
    client = ApiClient(
      baseUrl: _base,
      transport: wire,
      getToken: () async => current,
      refreshToken: () async {
        refreshes++;
        await Future<void>.delayed(const Duration(milliseconds: 20));
        final fresh = await refreshTo();
        if (fresh != null) current = fresh;
        return fresh;
      },
    );
  }

  String? current;
  int refreshes = 0;
  final RecordingTransport wire;
  late final ApiClient client;

  List<String?> get sentTokens => wire.requests.map((r) => r.headers['authorization']).toList();
}

void registerAuthTests(String apiBase) {
  _base = apiBase;

  group('auth', () {
    test('every request carries the bearer token', () async {
      final r = Rig();
      await newProject(r.client);
      await r.client.projects.list(limit: 1, cache: CachePolicy.networkOnly);
      final bearer = 'Bearer ${await token(_base, 'ana')}';
      expect(r.wire.requests.map((q) => q.headers['authorization']).toList(), [bearer, bearer]);
      r.close();
    });

    test('no token: a typed UnauthorizedException with the problem details', () async {
      final c = ApiClient(baseUrl: _base);
      final e = await expectThrows<UnauthorizedException>(() => c.projects.list());
      check(e is ApiException && e is! ForbiddenException, 'an ApiException, not a ForbiddenException');
      expect(e.status, 401);
      check(e.isUnauthorized && !e.isForbidden, 'isUnauthorized');
      expect(e.type, ProblemType.unauthorized);
      expect(e.slug, 'unauthorized');
      check((e.detail ?? '').contains('bearer token'), 'detail: ${e.detail}');
      expect(e.challenge?.scheme, 'Bearer');
      expect(e.challenge?.error, 'invalid_token');
      check(!e.isRetryable, 'not retryable');
      await expectThrows<UnauthorizedException>(() => c.tasks.create(taskInput(1, 'x')));
      await expectThrows<UnauthorizedException>(() => c.comments.get('00000000-0000-4000-8000-000000000000'));
      c.close();
    });

    test('a garbage token is unauthorized too', () async {
      final c = ApiClient(baseUrl: _base, getToken: () async => 'not-a-jwt');
      final e = await expectThrows<UnauthorizedException>(() => c.tasks.get(1));
      expect(e.challenge?.error, 'invalid_token');
      c.close();
    });

    test('ben (no role) reads projects; creating one is a typed ForbiddenException', () async {
      final ben = signedIn(user: 'ben');
      final p = await newProject(signedIn());
      expect((await ben.projects.get(p.id)).id, p.id, 'any signed-in caller reads');
      final e = await expectThrows<ForbiddenException>(
          () => ben.projects.create(ProjectCreate(name: 'Ben ${uniqueKey()}', key: uniqueKey(), visibility: Visibility.team)));
      check(e is! UnauthorizedException, 'not an UnauthorizedException');
      expect(e.status, 403);
      check(e.isForbidden && !e.isUnauthorized, 'isForbidden');
      expect(e.type, ProblemType.forbidden);
      expect(e.slug, 'forbidden');
      check((e.detail ?? '').contains('role:editor'), 'detail: ${e.detail}');
      expect(e.challenge?.error, 'insufficient_scope');
      expect(e.requiredScopes, <String>[]);
      await expectThrows<ForbiddenException>(() => ben.projects.update(p.id, const ProjectPatch(description: Optional('mine'))));
      await expectThrows<ForbiddenException>(() => ben.projects.delete(p.id));
      ben.close();
    });

    test('a bookmark is its owner\'s alone: others list none and get 404', () async {
      final t = await newTask();
      final ana = signedIn();
      final ben = signedIn(user: 'ben');
      final mark = await ana.bookmarks.create(BookmarkCreate(taskId: t.id, note: 'look later'));
      expect(mark.owner, 'ana', 'the owner comes from the token');
      expect(mark.note, 'look later');
      final mine = BookmarkFilter().taskId.eq(t.id);
      expect((await ana.bookmarks.list(filter: mine)).items.map((b) => b.id).toList(), [mark.id]);
      expect((await ben.bookmarks.list(filter: mine)).items, <Bookmark>[]);
      check(!(await ben.bookmarks.all()).any((b) => b.id == mark.id), 'not in any of ben\'s pages');
      final e = await expectThrows<ApiException>(() => ben.bookmarks.get(mark.id));
      check(e.isNotFound, '404, got ${e.status}');
      expect(await ben.bookmarks.tryGet(mark.id), null);
      expect((await ana.bookmarks.get(mark.id)).id, mark.id, 'still there for ana');
      ana.close();
      ben.close();
    });

    test('a comment\'s author comes from the token; only the author or an admin changes it', () async {
      final t = await newTask();
      final ben = signedIn(user: 'ben');
      final ana = signedIn();
      final root = signedIn(user: 'root');
      final m = await ben.comments.create(CommentCreate(taskId: t.id, body: 'Looks good'));
      expect(m.author, 'ben');
      expect((await ana.comments.get(m.id)).author, 'ben', 'any signed-in caller reads');
      await expectThrows<ForbiddenException>(() => ana.comments.update(m.id, const CommentPatch(body: 'Edited by ana')));
      await expectThrows<ForbiddenException>(() => ana.comments.delete(m.id));
      expect((await ben.comments.update(m.id, const CommentPatch(body: 'Edited'))).body, 'Edited', 'the author may');
      await root.comments.delete(m.id);
      expect(await ben.comments.tryGet(m.id, cache: CachePolicy.networkOnly), null);
      for (final c in [ana, ben, root]) {
        c.close();
      }
    });

    test('refresh: a rejected token is refreshed once and the call succeeds', () async {
      final ana = await token(_base, 'ana');
      final r = Refreshing(() async => ana);
      final page = await r.client.projects.list(limit: 1);
      expect(page.limit, 1);
      expect(r.refreshes, 1);
      expect(r.wire.statuses, [401, 200]);
      expect(r.sentTokens, ['Bearer expired-or-garbage', 'Bearer $ana']);
      await r.client.projects.list(limit: 2);
      expect(r.refreshes, 1, 'the new token is used from then on');
      expect(r.wire.statuses.skip(2).toList(), [200]);
      r.client.close();
    });

    test('refresh: a write is retried with the same Idempotency-Key and applied once', () async {
      final ana = await token(_base, 'ana');
      final r = Refreshing(() async => ana);
      final p = await newProject(r.client);
      expect(r.refreshes, 1);
      expect(r.wire.statuses, [401, 201]);
      expect(r.wire.requests[0].headers['idempotency-key'], r.wire.requests[1].headers['idempotency-key']);
      final found = await signedIn().projects.list(filter: ProjectFilter().key.eq(p.key));
      expect(found.items.map((x) => x.id).toList(), [p.id], 'created once');
      r.client.close();
    });

    test('refresh: concurrent 401s share one refresh', () async {
      final ana = await token(_base, 'ana');
      final r = Refreshing(() async => ana);
      final pages = await Future.wait([1, 2, 3, 4, 5].map((n) => r.client.tasks.list(limit: n)));
      expect(pages.length, 5);
      expect(r.refreshes, 1);
      expect(r.wire.statuses.where((s) => s == 401).length, 5);
      expect(r.wire.statuses.where((s) => s == 200).length, 5);
      r.client.close();
    });

    test('refresh: a refresh that yields a bad token ends in UnauthorizedException after one refresh', () async {
      final r = Refreshing(() async => 'still-garbage');
      await expectThrows<UnauthorizedException>(() => r.client.tasks.list());
      expect(r.refreshes, 1, 'no loop');
      expect(r.wire.statuses, [401, 401]);
      expect(r.sentTokens.last, 'Bearer still-garbage');
      r.client.close();
    });

    test('refresh: null gives up at once with the 401', () async {
      final r = Refreshing(() async => null);
      await expectThrows<UnauthorizedException>(() => r.client.tasks.list());
      expect(r.refreshes, 1);
      expect(r.wire.statuses, [401]);
      r.client.close();
    });

    test('a 403 is not refreshed', () async {
      var refreshes = 0;
      final ben = ApiClient(
        baseUrl: _base,
        getToken: tokenOf('ben'),
        refreshToken: () async {
          refreshes++;
          return token(_base, 'ben');
        },
      );
      await expectThrows<ForbiddenException>(
          () => ben.projects.create(ProjectCreate(name: 'Nope ${uniqueKey()}', key: uniqueKey(), visibility: Visibility.team)));
      expect(refreshes, 0);
      ben.close();
    });

    test('the cache never serves one caller\'s response to another', () async {
      final t = await newTask();
      final mark = await signedIn().bookmarks.create(BookmarkCreate(taskId: t.id));
      final tokens = <String, String>{'ana': await token(_base, 'ana'), 'ben': await token(_base, 'ben')};
      var user = 'ana';
      final cache = MemoryCacheStorage();
      final wire = RecordingTransport(IoHttpTransport());
      // One app, two sign-ins in turn; projects are fresh for 10 minutes.
      final c = ApiClient(baseUrl: _base, transport: wire, cache: cache, getToken: () async => tokens[user]);
      expect((await c.projects.get(t.projectId)).id, t.projectId);
      expect((await c.bookmarks.list()).items.any((b) => b.id == mark.id), true);
      expect((await c.projects.get(t.projectId)).id, t.projectId);
      expect(wire.statuses, [200, 200], 'the project came from the cache the second time');
      for (final k in await cache.keys()) {
        final e = (await cache.read(k))!;
        check(e.scope != null && !e.scope!.contains(tokens['ana']!) && !e.body.contains(tokens['ana']!), 'no token stored');
      }

      user = 'ben';
      wire.reset();
      expect((await c.bookmarks.list()).items.any((b) => b.id == mark.id), false, 'ben sees none of ana\'s');
      expect((await c.projects.get(t.projectId)).id, t.projectId);
      expect(wire.statuses, [200, 200], 'ana\'s fresh project is not served to ben');
      check(wire.requests.every((q) => !q.headers.containsKey('if-none-match')), 'not even ana\'s validators are sent');
      expect((await cache.keys()).length, 2, 'ana\'s entries were dropped when the token changed');

      // Two clients sharing one store: entries are marked with their caller.
      final shared = MemoryCacheStorage();
      final anaWire = RecordingTransport(IoHttpTransport());
      final benWire = RecordingTransport(IoHttpTransport());
      final anaClient = ApiClient(baseUrl: _base, transport: anaWire, cache: shared, getToken: tokenOf('ana'));
      final benClient = ApiClient(baseUrl: _base, transport: benWire, cache: shared, getToken: tokenOf('ben'));
      await anaClient.projects.get(t.projectId);
      await benClient.projects.get(t.projectId);
      expect(benWire.statuses, [200], 'asked the server');
      await anaClient.bookmarks.get(mark.id);
      final watched = Probe<Bookmark>(benClient.bookmarks.watch(mark.id));
      final err = await watched.nextError();
      check(err is ApiException && err.isNotFound, 'ben\'s watch shows a 404, not ana\'s cached bookmark: $err');
      await watched.cancel();
      for (final x in [c, anaClient, benClient]) {
        x.close();
      }
    });
  });
}
