// A small program using the generated client the way an app would: it
// runs on the plain Dart VM (the README's Flutter widget needs Flutter).
// It signs in as an editor with a token from the service's development
// issuer (TOKEN_ANA, or minted at POST /dev/token).
//
//   API_BASE=http://127.0.0.1:8080 dart example.dart

import 'dart:async';
import 'dart:io';

import 'package:resourceful_example_client_v1/resourceful_example_client_v1.dart';

import 'tokens.dart';

Future<void> main() async {
  final base = Platform.environment['API_BASE'] ?? 'http://127.0.0.1:8080';
  final client = ApiClient(
    baseUrl: base,
    getToken: () => token(base, 'ana'),
    // A development token cannot be refreshed: mint another.
    refreshToken: () => mintToken(base, 'ana', roles['ana']!),
  );
  try {
    await run(client);
    print('example finished');
  } on UnauthorizedException catch (e) {
    stderr.writeln('not signed in: ${e.message}');
    exitCode = 1;
  } on ApiException catch (e) {
    stderr.writeln('the API refused: $e');
    exitCode = 1;
  } on NetworkException catch (e) {
    stderr.writeln('cannot reach the API: ${e.message}');
    exitCode = 1;
  } finally {
    client.close();
  }
}

Future<void> run(ApiClient client) async {
  final stamp = DateTime.now().microsecondsSinceEpoch.toRadixString(36).toUpperCase();
  final key = 'EX${stamp.substring(stamp.length - 6)}';

  // Create a project and a few tasks in one transaction.
  final project = await client.projects.create(ProjectCreate(
    name: 'Example $key',
    key: key,
    visibility: Visibility.team,
    dueOn: DateTime(2030, 6, 30),
  ));
  print('created project ${project.id} (${project.key}), due ${project.dueOn}');
  final tasks = await client.tasks.createMany([
    for (var i = 1; i <= 5; i++)
      TaskCreate(
        title: 'Task $i',
        status: i.isEven ? TaskStatus.inProgress : TaskStatus.todo,
        done: false,
        priority: i,
        projectId: project.id,
        estimateHours: i * 1.5,
      ),
  ]);
  print('created ${tasks.length} tasks');

  // Watch the open tasks: the stream re-emits after every write below.
  final open = TaskFilter().projectId.eq(project.id).done.eq(false);
  final updates = <int>[];
  final firstPage = Completer<void>();
  final sub = client.tasks.watchList(filter: open, sort: [TaskSort.priority]).listen((page) {
    updates.add(page.items.length);
    if (!firstPage.isCompleted) firstPage.complete();
  });
  await firstPage.future;

  // Filter, sort and page through.
  final urgent = await client.tasks.list(
    filter: TaskFilter().projectId.eq(project.id).priority.lte(2).status.isIn([TaskStatus.todo, TaskStatus.inProgress]),
    sort: [TaskSort.priority.desc, TaskSort.title],
  );
  print('urgent: ${urgent.items.map((t) => t.title).join(', ')}');
  var pages = 0;
  await for (final page in client.tasks.pages(filter: TaskFilter().projectId.eq(project.id), limit: 2)) {
    pages++;
    print('page $pages: ${page.items.map((t) => t.title).join(', ')}');
  }

  // Tick one off optimistically, then clear an optional field.
  final first = tasks.first;
  final ticked = await client.tasks.update(
    first.id,
    const TaskPatch(done: true, status: TaskStatus.done),
    optimistic: first.copyWith(done: true, status: TaskStatus.done),
  );
  final cleared = await client.tasks.update(ticked.id, const TaskPatch(estimateHours: Optional(null)));
  print('task ${cleared.id}: done=${cleared.done}, estimate=${cleared.estimateHours}');

  // A conditional write with a stale ETag is refused.
  final versioned = await client.tasks.getVersioned(cleared.id);
  await client.tasks.update(cleared.id, const TaskPatch(title: 'Task 1 (renamed)'));
  try {
    await client.tasks.update(cleared.id, const TaskPatch(priority: 1), ifMatch: versioned.etag);
  } on ApiException catch (e) {
    print('stale ETag: ${e.status} ${e.slug}');
  }

  // Validation errors come per field.
  try {
    await client.tasks.create(TaskCreate(title: '', status: TaskStatus.todo, done: false, priority: 7, projectId: project.id));
  } on ApiException catch (e) {
    print('invalid: ${e.fieldMessages}');
  }

  // Comments hang off tasks; deleting the project removes everything.
  final comment = await client.comments.create(CommentCreate(taskId: cleared.id, body: 'Done and dusted.'));
  print('comment by ${comment.author}');
  await Future<void>.delayed(const Duration(milliseconds: 200));
  await sub.cancel();
  print('open-task list updates seen: $updates');
  await client.projects.delete(project.id);
  print('project deleted: ${await client.projects.tryGet(project.id) == null}');
}
