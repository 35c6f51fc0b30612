// Tests against the real example service (API_BASE): CRUD, filters, sort,
// pagination, the ETag cache, errors and watch streams, signed in as ana
// (an editor).

import 'dart:math';

import 'package:resourceful_example_client_v1/io.dart';
import 'package:resourceful_example_client_v1/resourceful_example_client_v1.dart';

import 'harness.dart';
import 'support.dart';
import 'tokens.dart';

late String base;
final String _run = List.generate(4, (_) => String.fromCharCode(65 + Random().nextInt(26))).join();
int _seq = 0;

/// A unique project key (pattern `[A-Z][A-Z0-9]{1,9}`).
String uniqueKey() => 'K$_run${(++_seq).toString().padLeft(4, '0')}';

/// Gives [user]'s token (ana, the editor, by default).
TokenProvider tokenOf([String user = 'ana']) => () => token(base, user);

/// A client signed in as [user].
ApiClient signedIn({String user = 'ana', ApiTransport? transport, CacheStorage? cache}) =>
    ApiClient(baseUrl: base, transport: transport, cache: cache, getToken: tokenOf(user));

/// A client whose wire traffic is recorded.
class Rig {
  Rig({Duration? cacheTtl, CacheStorage? cache, String user = 'ana'})
      : wire = RecordingTransport(IoHttpTransport()) {
    client = ApiClient(baseUrl: base, transport: wire, cacheTtl: cacheTtl, cache: cache, getToken: tokenOf(user));
  }

  final RecordingTransport wire;
  late final ApiClient client;

  void close() => client.close();
}

/// A second client, to change data behind the first one's back.
ApiClient other() => signedIn(cache: const NoCacheStorage());

Future<Project> newProject(ApiClient c, {String? name, DateTime? dueOn}) => c.projects.create(ProjectCreate(
      name: name ?? 'Project ${uniqueKey()}',
      key: uniqueKey(),
      visibility: Visibility.team,
      dueOn: dueOn,
    ));

TaskCreate taskInput(int projectId, String title,
        {TaskStatus status = TaskStatus.todo,
        bool done = false,
        int priority = 3,
        double? estimate,
        DateTime? dueAt,
        String? notes}) =>
    TaskCreate(
      title: title,
      status: status,
      done: done,
      priority: priority,
      projectId: projectId,
      estimateHours: estimate,
      dueAt: dueAt,
      notes: notes,
    );

/// A project with seven tasks of known values, for filters and sorting.
class Fixture {
  Fixture(this.project, this.tasks);
  final Project project;
  final List<Task> tasks;
  TaskFilter get inProject => TaskFilter().projectId.eq(project.id);
}

Future<Fixture> fixture(ApiClient c) async {
  final p = await newProject(c);
  final tasks = await c.tasks.createMany([
    taskInput(p.id, 'Alpha launch', status: TaskStatus.todo, priority: 1, estimate: 2.5, dueAt: DateTime.utc(2030, 1, 10)),
    taskInput(p.id, 'Beta feedback', status: TaskStatus.inProgress, priority: 2, estimate: 8),
    taskInput(p.id, 'gamma review', status: TaskStatus.blocked, priority: 3, dueAt: DateTime.utc(2030, 3, 1)),
    taskInput(p.id, 'Delta LAUNCH plan', status: TaskStatus.done, done: true, priority: 4, estimate: 1),
    taskInput(p.id, 'Epsilon', status: TaskStatus.todo, priority: 5, notes: 'has notes'),
    taskInput(p.id, 'Zeta 100%_done', status: TaskStatus.done, done: true, priority: 2, estimate: 40),
    taskInput(p.id, 'Eta', status: TaskStatus.inProgress, priority: 3, dueAt: DateTime.utc(2031, 1, 1)),
  ]);
  return Fixture(p, tasks);
}

List<String> titles(Iterable<Task> ts) => ts.map((t) => t.title).toList();

void registerLiveTests(String apiBase) {
  base = apiBase;

  group('crud', () {
    test('create, get, update, replace, delete a project', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c, dueOn: DateTime.utc(2027, 3, 31));
      check(p.id > 0, 'server-assigned id');
      expect(p.dueOn, DateTime.utc(2027, 3, 31));
      expect(p.visibility, Visibility.team);
      expect(p.description, null);
      check(p.createdAt.isUtc, 'UTC');
      expect(await c.projects.get(p.id, cache: CachePolicy.networkOnly), p);

      final u = await c.projects.update(p.id, const ProjectPatch(description: Optional('About it'), visibility: Visibility.public));
      expect(u.description, 'About it');
      expect(u.visibility, Visibility.public);
      expect(u.name, p.name, 'absent fields keep their value');
      check(!u.updatedAt.isBefore(p.updatedAt), 'updated_at moves forward');

      final cleared = await c.projects.update(p.id, const ProjectPatch(description: Optional(null)));
      expect(cleared.description, null);
      expect(cleared.dueOn, DateTime.utc(2027, 3, 31));

      final replaced = await c.projects.replace(p.id, ProjectCreate.fromModel(cleared).copyWithName('Renamed ${uniqueKey()}'));
      check(replaced.name.startsWith('Renamed'), 'replaced name');
      final noDate = await c.projects.replace(p.id, ProjectCreate(name: replaced.name, key: replaced.key, visibility: Visibility.private));
      expect(noDate.dueOn, null, 'a replace clears optional fields it does not set');

      await c.projects.delete(p.id);
      expect(await c.projects.tryGet(p.id), null);
      final e = await expectThrows<ApiException>(() => c.projects.get(p.id));
      expect(e.status, 404);
      r.close();
    });

    test('tasks: enums, optional fields, date-times with microseconds', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      final due = DateTime.utc(2030, 5, 6, 7, 8, 9, 123, 456);
      final t = await c.tasks.create(taskInput(p.id, 'Ship it', status: TaskStatus.inProgress, estimate: 1.25, dueAt: due));
      expect(t.status, TaskStatus.inProgress);
      expect(t.dueAt, due);
      expect(t.estimateHours, 1.25);
      expect(t.notes, null);
      final patched = await c.tasks.update(t.id, const TaskPatch(status: TaskStatus.done, done: true, estimateHours: Optional(null)));
      expect([patched.status, patched.done, patched.estimateHours, patched.title], [TaskStatus.done, true, null, 'Ship it']);
      expect(await c.tasks.get(t.id), patched, 'the cache holds the written record');
      expect(await c.tasks.get(t.id, cache: CachePolicy.networkOnly), patched);
      r.close();
    });

    test('createMany is all or nothing', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      final made = await c.tasks.createMany([taskInput(p.id, 'One'), taskInput(p.id, 'Two')]);
      expect(titles(made), ['One', 'Two']);
      final e = await expectThrows<ApiException>(
          () => c.tasks.createMany([taskInput(p.id, 'Three'), taskInput(p.id, '', priority: 9)]));
      expect(e.status, 422);
      expect(e.errors.map((x) => x.pointer).toList()..sort(), ['/1/priority', '/1/title']);
      final all = await c.tasks.all(filter: TaskFilter().projectId.eq(p.id));
      expect(titles(all), ['One', 'Two'], 'the failed batch left nothing');
      r.close();
    });

    test('comments: UUID ids', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      final t = await c.tasks.create(taskInput(p.id, 'Discuss'));
      final m = await c.comments.create(CommentCreate(taskId: t.id, body: 'Looks good'));
      expect(m.author, 'ana', 'set by the server from the token');
      check(RegExp(r'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$').hasMatch(m.id), 'a v4 UUID: ${m.id}');
      expect(await c.comments.get(m.id, cache: CachePolicy.networkOnly), m);
      final listed = await c.comments.list(filter: CommentFilter().taskId.eq(t.id).id.eq(m.id));
      expect(listed.items, [m]);
      expect(listed.limit, 20, 'the resource page size');
      await c.comments.delete(m.id);
      expect(await c.comments.tryGet(m.id), null);
      r.close();
    });
  });

  group('filters', () {
    late Fixture f;
    late ApiClient c;
    test('setup: a project with seven tasks', () async {
      c = signedIn();
      f = await fixture(c);
      expect(f.tasks.length, 7);
    });
    Future<List<String>> q(TaskFilter filter) async =>
        titles((await c.tasks.list(filter: filter, sort: [TaskSort.id], cache: CachePolicy.networkOnly)).items);
    test('eq and ne', () async {
      expect(await q(f.inProject.status.eq(TaskStatus.done)), ['Delta LAUNCH plan', 'Zeta 100%_done']);
      expect((await q(f.inProject.done.ne(true))).length, 5);
      expect(await q(f.inProject.title.eq('Eta')), ['Eta']);
    });
    test('in and nin', () async {
      expect(await q(f.inProject.status.isIn([TaskStatus.blocked, TaskStatus.inProgress])), ['Beta feedback', 'gamma review', 'Eta']);
      expect(await q(f.inProject.priority.notIn([2, 3, 4])), ['Alpha launch', 'Epsilon']);
      expect(await q(f.inProject.id.isIn([f.tasks[0].id, f.tasks[6].id])), ['Alpha launch', 'Eta']);
    });
    test('contains, starts_with, ends_with (case-insensitive, % and _ literal)', () async {
      expect(await q(f.inProject.title.contains('launch')), ['Alpha launch', 'Delta LAUNCH plan']);
      expect(await q(f.inProject.title.startsWith('G')), ['gamma review']);
      expect(await q(f.inProject.title.endsWith('PLAN')), ['Delta LAUNCH plan']);
      expect(await q(f.inProject.title.contains('100%_')), ['Zeta 100%_done']);
      expect(await q(f.inProject.title.contains('0%d')), <String>[], '% is not a wildcard');
    });
    test('comparisons', () async {
      expect(await q(f.inProject.priority.lt(2)), ['Alpha launch']);
      expect(await q(f.inProject.priority.lte(2)), ['Alpha launch', 'Beta feedback', 'Zeta 100%_done']);
      expect(await q(f.inProject.priority.gt(4)), ['Epsilon']);
      expect(await q(f.inProject.priority.gte(4)), ['Delta LAUNCH plan', 'Epsilon']);
      expect(await q(f.inProject.estimateHours.between(2, 10)), ['Alpha launch', 'Beta feedback']);
      expect(await q(f.inProject.dueAt.gte(DateTime.utc(2030, 2, 1))), ['gamma review', 'Eta']);
      expect(await q(f.inProject.dueAt.lt(DateTime.utc(2030, 1, 10, 0, 0, 0, 0, 1))), ['Alpha launch']);
    });
    test('is_null', () async {
      expect(await q(f.inProject.estimateHours.isNull()), ['gamma review', 'Epsilon', 'Eta']);
      expect(await q(f.inProject.dueAt.isNotNull()), ['Alpha launch', 'gamma review', 'Eta']);
    });
    test('dates and enums on projects', () async {
      final p = await newProject(c, dueOn: DateTime.utc(2041, 2, 3));
      final found = await c.projects.list(
          filter: ProjectFilter().dueOn.eq(DateTime(2041, 2, 3)).visibility.eq(Visibility.team), cache: CachePolicy.networkOnly);
      expect(found.items.map((x) => x.id).toList(), [p.id]);
      final later = await c.projects.list(filter: ProjectFilter().dueOn.gt(DateTime.utc(2041, 2, 3)).id.eq(p.id));
      expect(later.items, <Project>[]);
    });
    test('sort: several keys, descending, nulls last', () async {
      final byPriority = await c.tasks.list(filter: f.inProject, sort: [TaskSort.priority.desc, TaskSort.title]);
      expect(titles(byPriority.items), ['Epsilon', 'Delta LAUNCH plan', 'Eta', 'gamma review', 'Beta feedback', 'Zeta 100%_done', 'Alpha launch']);
      final byEstimate = await c.tasks.list(filter: f.inProject, sort: [TaskSort.estimateHours]);
      expect(titles(byEstimate.items).take(4).toList(), ['Delta LAUNCH plan', 'Alpha launch', 'Beta feedback', 'Zeta 100%_done']);
      expect(byEstimate.items.skip(4).every((t) => t.estimateHours == null), true, 'nulls last');
      final desc = await c.tasks.list(filter: f.inProject, sort: [TaskSort.estimateHours.desc]);
      expect(desc.items.first.title, 'Zeta 100%_done');
      expect(desc.items.skip(4).every((t) => t.estimateHours == null), true, 'nulls last descending too');
    });
    test('pagination: cursors to the last page', () async {
      final seen = <String>[];
      String? cursor;
      var pages = 0;
      do {
        final page = await c.tasks.list(filter: f.inProject, sort: [TaskSort.title], limit: 3, cursor: cursor);
        pages++;
        expect(page.limit, 3);
        seen.addAll(titles(page.items));
        cursor = page.nextCursor;
        if (pages < 3) check(page.hasMore, 'page $pages has more');
      } while (cursor != null && pages < 10);
      expect(pages, 3);
      final whole = await c.tasks.list(filter: f.inProject, sort: [TaskSort.title]);
      expect(seen, titles(whole.items));
      expect(whole.nextCursor, null);
    });
    test('pagination helpers: pages() and all()', () async {
      final sizes = <int>[];
      await for (final p in c.tasks.pages(filter: f.inProject, sort: [TaskSort.priority.desc], limit: 2)) {
        sizes.add(p.items.length);
      }
      expect(sizes, [2, 2, 2, 1]);
      final all = await c.tasks.all(filter: f.inProject, sort: [TaskSort.priority.desc, TaskSort.title], limit: 2);
      expect(titles(all), ['Epsilon', 'Delta LAUNCH plan', 'Eta', 'gamma review', 'Beta feedback', 'Zeta 100%_done', 'Alpha launch']);
    });
    test('offset pagination', () async {
      final second = await c.tasks.list(filter: f.inProject, sort: [TaskSort.title], limit: 3, offset: 3);
      final whole = await c.tasks.list(filter: f.inProject, sort: [TaskSort.title]);
      expect(titles(second.items), titles(whole.items).sublist(3, 6));
    });
    test('teardown', () => c.close());
  });

  group('cache', () {
    test('projects (max-age=30): served from the cache within the window', () async {
      final r = Rig();
      final p = await newProject(other());
      r.wire.reset();
      final a = await r.client.projects.get(p.id);
      final b = await r.client.projects.get(p.id);
      expect(a, b);
      expect(r.wire.statuses, [200], 'the server lets clients reuse projects for 30 s');
      expect(r.wire.responses.single.header('cache-control'), 'private, max-age=30');
      final filter = ProjectFilter().id.eq(p.id);
      r.wire.reset();
      await r.client.projects.list(filter: filter);
      await r.client.projects.list(filter: filter);
      expect(r.wire.statuses, [200]);
      r.close();
    });
    test('tasks (no-cache): every read revalidates and a 304 reuses the body', () async {
      final r = Rig();
      final o = other();
      final p = await newProject(o);
      final t = await o.tasks.create(taskInput(p.id, 'revalidated'));
      r.wire.reset();
      final a = await r.client.tasks.get(t.id);
      final b = await r.client.tasks.get(t.id);
      final c = await r.client.tasks.get(t.id);
      expect(b, a);
      expect(c, a);
      expect(r.wire.statuses, [200, 304, 304]);
      check(r.wire.responses.first.header('cache-control')!.contains('no-cache'), 'no-cache');
      expect(r.wire.requests[1].headers['if-none-match'], r.wire.responses.first.header('etag'));
      final filter = TaskFilter().projectId.eq(p.id);
      r.wire.reset();
      await r.client.tasks.list(filter: filter);
      await r.client.tasks.list(filter: filter);
      expect(r.wire.statuses, [200, 304]);
      r.close();
    });
    test('tasks (no-cache): a write by another client shows on the next read', () async {
      final r = Rig();
      final o = other();
      final p = await newProject(o);
      final t = await o.tasks.create(taskInput(p.id, 'before'));
      final filter = TaskFilter().projectId.eq(p.id);
      expect((await r.client.tasks.get(t.id)).title, 'before');
      expect(titles((await r.client.tasks.list(filter: filter)).items), ['before']);
      await o.tasks.update(t.id, const TaskPatch(title: 'after'));
      r.wire.reset();
      expect((await r.client.tasks.get(t.id)).title, 'after');
      expect(titles((await r.client.tasks.list(filter: filter)).items), ['after']);
      expect(r.wire.statuses, [200, 200]);
      r.close();
    });
    test('revalidation sends If-None-Match and a 304 reuses the body', () async {
      final r = Rig();
      final p = await newProject(other());
      r.wire.reset();
      final a = await r.client.projects.get(p.id);
      final b = await r.client.projects.get(p.id, cache: CachePolicy.revalidate);
      expect(b, a);
      expect(r.wire.statuses, [200, 304]);
      check(r.wire.requests[1].headers['if-none-match'] != null, 'conditional request');
      // Lists too.
      r.wire.reset();
      final filter = ProjectFilter().id.eq(p.id);
      final l1 = await r.client.projects.list(filter: filter);
      final l2 = await r.client.projects.list(filter: filter, cache: CachePolicy.revalidate);
      expect(l2, l1);
      expect(r.wire.statuses, [200, 304]);
      r.close();
    });
    test('no client_cache: every read revalidates (comments)', () async {
      final r = Rig();
      final o = other();
      final p = await newProject(o);
      final t = await o.tasks.create(taskInput(p.id, 'x'));
      final m = await o.comments.create(CommentCreate(taskId: t.id, body: 'hi'));
      r.wire.reset();
      await r.client.comments.get(m.id);
      await r.client.comments.get(m.id);
      await r.client.comments.get(m.id);
      expect(r.wire.statuses, [200, 304, 304]);
      expect(r.wire.responses.last.header('cache-control'), 'private, no-cache');
      r.close();
    });
    test('a change elsewhere shows on revalidation', () async {
      final r = Rig();
      final o = other();
      final p = await newProject(o);
      await r.client.projects.get(p.id);
      await o.projects.update(p.id, const ProjectPatch(description: Optional('changed elsewhere')));
      expect((await r.client.projects.get(p.id)).description, null, 'still within max-age=30');
      r.wire.reset();
      expect((await r.client.projects.get(p.id, cache: CachePolicy.revalidate)).description, 'changed elsewhere');
      expect(r.wire.statuses, [200]);
      r.close();
    });
    test('writes through the client invalidate cached lists', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      final filter = TaskFilter().projectId.eq(p.id);
      expect((await c.tasks.list(filter: filter)).items, <Task>[]);
      final t = await c.tasks.create(taskInput(p.id, 'New'));
      r.wire.reset();
      expect((await c.tasks.list(filter: filter)).items, [t]);
      expect(r.wire.statuses, [200], 'the stale list was revalidated');
      r.wire.reset();
      await c.tasks.update(t.id, const TaskPatch(title: 'Renamed'));
      expect(titles((await c.tasks.list(filter: filter)).items), ['Renamed']);
      await c.tasks.delete(t.id);
      expect((await c.tasks.list(filter: filter)).items, <Task>[]);
      r.close();
    });
    test('NoCacheStorage never sends If-None-Match', () async {
      final r = Rig(cache: const NoCacheStorage());
      final p = await newProject(r.client);
      r.wire.reset();
      await r.client.projects.get(p.id);
      await r.client.projects.get(p.id);
      expect(r.wire.statuses, [200, 200]);
      check(r.wire.requests.every((q) => !q.headers.containsKey('if-none-match')), 'no validators');
      r.close();
    });
  });

  group('errors', () {
    test('422 with field details', () async {
      final c = signedIn();
      final e = await expectThrows<ApiException>(() => c.projects.create(const ProjectCreate(name: '', key: 'bad key', visibility: Visibility.team)));
      expect(e.status, 422);
      expect(e.slug, 'validation');
      check(e.isValidation, 'isValidation');
      expect(e.fieldMessages.keys.toList()..sort(), ['key', 'name']);
      expect(e.errorsFor('key').single.code, 'pattern');
      expect(e.errorsFor('name').single.pointer, '/name');
      c.close();
    });
    test('404', () async {
      final c = signedIn();
      final e = await expectThrows<ApiException>(() => c.tasks.get(987654321));
      check(e.isNotFound, 'isNotFound');
      expect(e.type, ProblemType.notFound);
      await expectThrows<ApiException>(() => c.tasks.update(987654321, const TaskPatch(done: true)));
      await expectThrows<ApiException>(() => c.tasks.delete(987654321));
      c.close();
    });
    test('412 on a stale ifMatch; the current ETag works', () async {
      final c = signedIn();
      final p = await newProject(c);
      final v = await c.projects.getVersioned(p.id);
      check(v.etag != null, 'an ETag');
      await other().projects.update(p.id, const ProjectPatch(description: Optional('someone else')));
      final e = await expectThrows<ApiException>(
          () => c.projects.update(p.id, const ProjectPatch(description: Optional('mine')), ifMatch: v.etag));
      expect(e.status, 412);
      check(e.isPreconditionFailed, 'isPreconditionFailed');
      await expectThrows<ApiException>(() => c.projects.delete(p.id, ifMatch: v.etag));
      final fresh = await c.projects.getVersioned(p.id, cache: CachePolicy.revalidate);
      expect(fresh.value.description, 'someone else');
      final mine = await c.projects.update(p.id, const ProjectPatch(description: Optional('mine')), ifMatch: fresh.etag);
      expect(mine.description, 'mine');
      final latest = await c.projects.getVersioned(p.id);
      await c.projects.delete(p.id, ifMatch: latest.etag);
      expect(await c.projects.tryGet(p.id, cache: CachePolicy.networkOnly), null);
      c.close();
    });
    test('409 on a unique value', () async {
      final c = signedIn();
      final p = await newProject(c);
      final e = await expectThrows<ApiException>(() => c.projects.create(ProjectCreate(name: p.name, key: uniqueKey(), visibility: Visibility.team)));
      expect(e.status, 409);
      check(e.isConflict, 'isConflict');
      expect(e.slug, 'conflict');
      c.close();
    });
    test('400 for a bad query, naming the parameter', () async {
      final c = signedIn();
      final e = await expectThrows<ApiException>(() => c.tasks.list(limit: 100000));
      expect(e.status, 400);
      expect(e.slug, 'bad-query');
      expect(e.errors.single.pointer, 'limit');
      final f = await expectThrows<ApiException>(() => c.tasks.list(cursor: 'garbage'));
      expect(f.errors.single.pointer, 'cursor');
      c.close();
    });
    test('a write whose answer is lost is sent again with the same key and applied once', () async {
      final t = LosingTransport(IoHttpTransport());
      final c = signedIn(transport: t);
      final name = 'Lost answer ${uniqueKey()}';
      final p = await c.projects.create(ProjectCreate(name: name, key: uniqueKey(), visibility: Visibility.team));
      expect(p.name, name);
      final posts = t.requests.where((r) => r.method == 'POST').toList();
      expect(posts.length, 2);
      expect(posts[0].headers['idempotency-key'], posts[1].headers['idempotency-key']);
      final found = await other().projects.list(filter: ProjectFilter().name.eq(name));
      expect(found.items.length, 1);
      expect(found.items.single.id, p.id);
      c.close();
    });
    test('no server: NetworkException, not ApiException', () async {
      final c = ApiClient(baseUrl: 'http://127.0.0.1:9', transport: IoHttpTransport(timeout: const Duration(seconds: 5)));
      final e = await expectThrows<NetworkException>(() => c.projects.list());
      check(e.request != null, 'carries the request');
      c.close();
    });
  });

  group('watch', () {
    test('watch(id): the cached value first, then the fresh one', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      final t = await c.tasks.create(taskInput(p.id, 'Before'));
      await other().tasks.update(t.id, const TaskPatch(title: 'After'));
      final probe = Probe<Task>(c.tasks.watch(t.id));
      expect((await probe.next()).title, 'Before', 'cached');
      expect((await probe.next()).title, 'After', 'fresh');
      await probe.expectQuiet();
      await probe.cancel();
      r.close();
    });
    test('watch(id): one value when the cache is current (304)', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      r.wire.reset();
      final probe = Probe<Project>(c.projects.watch(p.id));
      expect(await probe.next(), p);
      await waitFor(() => r.wire.statuses.isNotEmpty, 'the revalidation');
      await probe.expectQuiet();
      expect(r.wire.statuses, [304]);
      await probe.cancel();
      r.close();
    });
    test('watch(id): re-emits after an update through the client, then a delete is a 404', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      final t = await c.tasks.create(taskInput(p.id, 'Watch me'));
      r.wire.reset();
      final probe = Probe<Task>(c.tasks.watch(t.id));
      expect(await probe.next(), t);
      await waitFor(() => r.wire.statuses.isNotEmpty, 'the revalidation');
      expect(r.wire.statuses, [304]);
      r.wire.reset();
      final u = await c.tasks.update(t.id, const TaskPatch(done: true));
      expect(await probe.next(), u);
      expect(r.wire.statuses, [200], 'the PATCH only: no refetch needed');
      await c.tasks.delete(t.id);
      final e = await probe.nextError();
      check(e is ApiException && e.isNotFound, 'a 404 error event: $e');
      await probe.cancel();
      r.close();
    });
    test('watchList: cached, fresh, then after create, update and delete', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      final filter = TaskFilter().projectId.eq(p.id);
      final a = await c.tasks.create(taskInput(p.id, 'A'));
      await c.tasks.list(filter: filter, sort: [TaskSort.title]);
      await other().tasks.create(taskInput(p.id, 'B'));
      final probe = Probe<ApiPage<Task>>(c.tasks.watchList(filter: filter, sort: [TaskSort.title]));
      expect(titles((await probe.next()).items), ['A'], 'cached');
      expect(titles((await probe.next()).items), ['A', 'B'], 'fresh');
      await c.tasks.create(taskInput(p.id, 'C'));
      expect(titles((await probe.next()).items), ['A', 'B', 'C'], 'after create');
      await c.tasks.update(a.id, const TaskPatch(title: 'A2'));
      expect(titles((await probe.next()).items), ['A2', 'B', 'C'], 'after update');
      await c.tasks.delete(a.id);
      expect(titles((await probe.next()).items), ['B', 'C'], 'after delete');
      await probe.expectQuiet();
      await probe.cancel();
      r.close();
    });
    test('optimistic update: shown at once, rolled back when the write fails', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      final t = await c.tasks.create(taskInput(p.id, 'Toggle me'));
      final list = Probe<ApiPage<Task>>(c.tasks.watchList(filter: TaskFilter().projectId.eq(p.id)));
      final one = Probe<Task>(c.tasks.watch(t.id));
      expect((await list.next()).items.single.done, false);
      expect((await one.next()).done, false);
      // Success: the optimistic value, then the server's.
      final done = await c.tasks.update(t.id, const TaskPatch(done: true), optimistic: t.copyWith(done: true));
      expect((await list.next()).items.single, t.copyWith(done: true), 'optimistic');
      expect((await one.next()), t.copyWith(done: true), 'optimistic');
      expect((await list.next()).items.single, done, 'the server value (new updated_at)');
      expect((await one.next()), done, 'the server value');
      // Failure: the optimistic value, then the server state again.
      await expectThrows<ApiException>(
          () => c.tasks.update(t.id, const TaskPatch(title: ''), optimistic: done.copyWith(title: '')));
      expect((await one.next()).title, '', 'optimistic');
      expect((await one.next()), done, 'rolled back');
      expect((await list.next()).items.single.title, '', 'optimistic');
      expect((await list.next()).items.single, done, 'rolled back');
      await list.expectQuiet();
      await one.expectQuiet();
      await list.cancel();
      await one.cancel();
      r.close();
    });
    test('refresh() refetches what is watched (pull-to-refresh)', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      final filter = TaskFilter().projectId.eq(p.id);
      final probe = Probe<ApiPage<Task>>(c.tasks.watchList(filter: filter));
      expect((await probe.next()).items, <Task>[]);
      await other().tasks.create(taskInput(p.id, 'From elsewhere'));
      await c.tasks.refresh();
      expect(titles((await probe.next()).items), ['From elsewhere']);
      await probe.cancel();
      r.close();
    });
    test('a cascading delete refreshes dependent lists', () async {
      final r = Rig();
      final c = r.client;
      final p = await newProject(c);
      await c.tasks.create(taskInput(p.id, 'Doomed'));
      final probe = Probe<ApiPage<Task>>(c.tasks.watchList(filter: TaskFilter().projectId.eq(p.id)));
      expect(titles((await probe.next()).items), ['Doomed']);
      await c.projects.delete(p.id);
      expect((await probe.next()).items, <Task>[]);
      await probe.cancel();
      r.close();
    });
    test('changes broadcast every write', () async {
      final c = signedIn();
      final seen = <String>[];
      final sub = c.changes.listen((ch) => seen.add('${ch.resource} ${ch.kind.name}'));
      final p = await newProject(c);
      await c.projects.update(p.id, const ProjectPatch(visibility: Visibility.private));
      await c.projects.delete(p.id);
      await Future<void>.delayed(const Duration(milliseconds: 50));
      expect(seen, ['projects created', 'projects updated', 'tasks invalidated', 'comments invalidated', 'bookmarks invalidated', 'projects deleted']);
      await sub.cancel();
      c.close();
    });
  });
}

extension on ProjectCreate {
  ProjectCreate copyWithName(String name) =>
      ProjectCreate(name: name, key: key, description: description, visibility: visibility, dueOn: dueOn);
}
