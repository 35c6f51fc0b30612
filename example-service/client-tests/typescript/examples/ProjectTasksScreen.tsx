// App code typed against the package the way a React Native app imports it.
// Checked by `tsc -p tsconfig.examples.json` (never run): the
// `ts-expect-error` directives below prove the types reject what the server would.

import { useState } from "react";
import { ActivityIndicator, FlatList, Pressable, RefreshControl, Text, View } from "react-native";
import {
  ApiError,
  TASK_STATUS_VALUES,
  createClient,
  isForbiddenError,
  isTaskStatus,
  isUnauthorizedError,
} from "@resourceful-example/client-v1";
import type {
  Page,
  Project,
  ProjectId,
  Task,
  TaskCreate,
  TaskFilter,
  TaskListParams,
  TaskPatch,
  TaskSort,
  TaskStatus,
} from "@resourceful-example/client-v1";
import {
  ApiClientProvider,
  flattenPages,
  taskKeys,
  useCreateTask,
  useDeleteTask,
  useProject,
  useTaskInfinite,
  useTaskList,
  useUpdateTask,
} from "@resourceful-example/client-v1/react";

/** The app's identity provider: a new access token, or null when signed out. */
declare function renewAccessToken(): Promise<string | null>;

let accessToken: string | null = null;

export const client = createClient({
  baseUrl: "https://api.example.com",
  timeoutMs: 10_000,
  getToken: () => accessToken,
  refreshToken: async () => (accessToken = await renewAccessToken()),
});

/** What a screen shows for a failed write. */
export function describeFailure(e: unknown): string {
  if (isUnauthorizedError(e)) return `Sign in again (${e.challenge?.error ?? "no token"})`;
  if (isForbiddenError(e)) return `Not allowed${e.requiredScopes.length ? `: needs ${e.requiredScopes.join(", ")}` : ""}`;
  return e instanceof ApiError ? e.title : "No connection";
}

export function ProjectTasksScreen({ projectId }: { projectId: ProjectId }) {
  const project = useProject(projectId);
  const [status, setStatus] = useState<TaskStatus | undefined>(undefined);
  const filter: TaskFilter = { project_id: projectId, ...(status ? { status } : {}) };
  const tasks = useTaskInfinite({ filter, sort: ["priority", "-created_at"], limit: 25 });
  const openCount = useTaskList({ filter: { project_id: projectId, done: false }, limit: 1 }, {
    select: (page: Page<Task>) => page.items.length,
  });
  const create = useCreateTask();
  const update = useUpdateTask({ onError: (e) => (e instanceof ApiError ? e.fieldErrors() : null) });
  const remove = useDeleteTask();

  const add = (title: string) => {
    const input: TaskCreate = { title, status: "todo", done: false, priority: 3, project_id: projectId };
    create.mutate(input);
  };

  if (project.isPending || tasks.isPending) return <ActivityIndicator size="large" />;
  if (project.error) return <Text>{project.error.message}</Text>;
  const p: Project = project.data;
  const openTasks: number | undefined = openCount.data;
  return (
    <View>
      <Text>
        {p.name} ({p.key}) {p.due_on ?? "no due date"} {openTasks ?? "…"}
      </Text>
      {TASK_STATUS_VALUES.map((s) => (
        <Text key={s} onPress={() => setStatus(isTaskStatus(s) ? s : undefined)}>
          {s}
        </Text>
      ))}
      <Text onPress={() => add("New task")}>Add</Text>
      <FlatList
        data={flattenPages(tasks.data)}
        keyExtractor={(t) => String(t.id)}
        renderItem={({ item }) => (
          <Pressable onPress={() => update.mutate({ id: item.id, patch: { done: !item.done } })}>
            <Text>
              {item.title} {item.estimate_hours ?? "?"} h {item.due_at ?? ""}
            </Text>
            <Text onPress={() => remove.mutate({ id: item.id })}>Delete</Text>
          </Pressable>
        )}
        onEndReached={() => void (tasks.hasNextPage && tasks.fetchNextPage())}
        refreshControl={<RefreshControl refreshing={tasks.isRefetching} onRefresh={() => void tasks.refetch()} />}
      />
    </View>
  );
}

export function Root({ projectId }: { projectId: ProjectId }) {
  return (
    <ApiClientProvider client={client}>
      <ProjectTasksScreen projectId={projectId} />
    </ApiClientProvider>
  );
}

// ---- what the types accept and refuse ----------------------------------

export async function typeChecks(id: number) {
  const ok: TaskListParams = {
    filter: {
      title: { contains: "x", starts_with: "a" },
      status: { in: ["todo", "blocked"] },
      priority: { gte: 1, lt: 5 },
      estimate_hours: null,
      due_at: { lt: new Date(), is_null: false },
      done: true,
      id: { nin: [1, 2] },
    },
    sort: ["-priority", "title", "-due_at"],
    cursor: null,
  };
  await client.tasks.list(ok);
  const sort: TaskSort = "-created_at";
  const patch: TaskPatch = { notes: null, estimate_hours: null, priority: 2 };
  await client.tasks.update(id, patch, { ifMatch: '"abc"' });
  const key: readonly unknown[] = taskKeys.list({ filter: { done: false }, sort });
  const page: Page<Task> = await client.tasks.list({ filter: { project_id: id } });
  const first: Task | undefined = page.items[0];
  const due: string | null | undefined = first?.due_at;
  const comments = await client.comments.list({ filter: { task_id: id, author: { starts_with: "a" } } });
  const commentId: string | undefined = comments.items[0]?.id;

  // @ts-expect-error `lt` does not apply to booleans
  await client.tasks.list({ filter: { done: { lt: true } } });
  // @ts-expect-error `contains` applies to strings only
  await client.tasks.list({ filter: { priority: { contains: "1" } } });
  // @ts-expect-error `is_null` applies to optional fields only
  await client.tasks.list({ filter: { priority: { is_null: true } } });
  // @ts-expect-error comparisons do not apply to enums
  await client.tasks.list({ filter: { status: { gt: "todo" } } });
  // @ts-expect-error not an enum value
  await client.tasks.list({ filter: { status: "later" } });
  // @ts-expect-error `notes` is not filterable
  await client.tasks.list({ filter: { notes: "x" } });
  // @ts-expect-error `notes` is not sortable
  await client.tasks.list({ sort: "notes" });
  // @ts-expect-error required fields are missing
  await client.tasks.create({ title: "x" });
  // @ts-expect-error the id is assigned by the server
  await client.tasks.create({ id: 1, title: "x", status: "todo", done: false, priority: 1, project_id: 1 });
  // @ts-expect-error `done` is not optional, so it cannot be cleared
  await client.tasks.update(id, { done: null });
  // @ts-expect-error `created_at` is set by the server
  await client.tasks.update(id, { created_at: "2030-01-01T00:00:00Z" });
  // @ts-expect-error comment ids are UUID strings
  await client.comments.get(1);
  // @ts-expect-error `author` is set by the server from the token
  await client.comments.create({ task_id: id, body: "x", author: "someone" });
  // @ts-expect-error a bookmark's `owner` is set by the server
  await client.bookmarks.create({ task_id: id, owner: "someone" });
  await client.bookmarks.create({ task_id: id, note: null });

  return { key, due, commentId };
}
