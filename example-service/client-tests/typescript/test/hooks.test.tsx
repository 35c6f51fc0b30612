// The TanStack Query hooks, rendered with react-test-renderer (no DOM)
// against the running service.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { act, create } from "react-test-renderer";
import type { ReactTestRenderer } from "react-test-renderer";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { UseQueryResult } from "@tanstack/react-query";
import { ApiError } from "../../../clients/typescript-v1/src";
import type { ApiClient, ClientError, FetchLike, Page, Project, Task } from "../../../clients/typescript-v1/src";
import {
  ApiClientProvider,
  flattenPages,
  taskKeys,
  useCreateTask,
  useDeleteTask,
  useTask,
  useTaskInfinite,
  useTaskList,
  useUpdateTask,
} from "../../../clients/typescript-v1/src/react";
import { newClient, newProject, recordingFetch, sleep } from "./support";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const mounted: Array<{ renderer: ReactTestRenderer; qc: QueryClient }> = [];

after(() => {
  for (const m of mounted) {
    act(() => m.renderer.unmount());
    m.qc.clear();
  }
});

/** Renders `hook` inside the providers; `result.current` is its latest value. */
function renderHook<T>(hook: () => T, client: ApiClient) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } } });
  const result = { current: undefined as unknown as T, renders: 0 };
  function Probe() {
    result.current = hook();
    result.renders += 1;
    return null;
  }
  let renderer!: ReactTestRenderer;
  act(() => {
    renderer = create(
      <QueryClientProvider client={qc}>
        <ApiClientProvider client={client}>
          <Probe />
        </ApiClientProvider>
      </QueryClientProvider>,
    );
  });
  mounted.push({ renderer, qc });
  return { result, qc };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await act(async () => {
      await sleep(5);
    });
  }
}

/** A fetch whose PATCH/DELETE requests wait until `release()`. */
function gatedFetch() {
  const inner = recordingFetch();
  let open: () => void = () => {};
  let gate = Promise.resolve();
  const fetch: FetchLike = async (url, init) => {
    if (init.method === "PATCH" || init.method === "DELETE") await gate;
    return inner.fetch(url, init);
  };
  return {
    fetch,
    calls: inner.calls,
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      open();
    },
  };
}

async function seed(n: number): Promise<{ project: Project; tasks: Task[] }> {
  const client = newClient();
  const project = await newProject(client);
  const inputs = Array.from({ length: n }, (_, i) => ({
    title: `Task ${String(i + 1).padStart(2, "0")}`,
    status: "todo" as const,
    done: false,
    priority: (i % 5) + 1,
    project_id: project.id,
  }));
  return { project, tasks: await client.tasks.createMany(inputs) };
}

test("useTaskList loads one page; useTask loads one item", async () => {
  const { project, tasks } = await seed(3);
  const client = newClient();
  const { result } = renderHook(
    () => ({
      list: useTaskList({ filter: { project_id: project.id }, sort: "-title" }),
      one: useTask(tasks[0]!.id),
      none: useTask(null),
    }),
    client,
  );
  await waitFor("the list", () => result.current.list.isSuccess && result.current.one.isSuccess);
  assert.deepEqual(result.current.list.data!.items.map((t) => t.title), ["Task 03", "Task 02", "Task 01"]);
  assert.equal(result.current.list.data!.next_cursor, null);
  assert.deepEqual(result.current.one.data, tasks[0]);
  assert.equal(result.current.none.fetchStatus, "idle", "a null id waits");
});

test("useTask surfaces ApiError", async () => {
  const { result } = renderHook(() => useTask(987654321), newClient());
  await waitFor("the error", () => result.current.isError);
  assert.ok(result.current.error instanceof ApiError);
  assert.equal(result.current.error.status, 404);
});

test("useTaskInfinite fetches pages with the cursor until the last", async () => {
  const { project } = await seed(7);
  const { fetch, calls } = recordingFetch();
  const { result } = renderHook(() => useTaskInfinite({ filter: { project_id: project.id }, sort: "title", limit: 3 }), newClient({ fetch }));
  await waitFor("the first page", () => result.current.isSuccess);
  assert.equal(result.current.hasNextPage, true);
  let guard = 0;
  while (result.current.hasNextPage) {
    assert.ok(++guard < 10, "too many pages");
    await act(async () => {
      await result.current.fetchNextPage();
    });
    await waitFor("the next page", () => !result.current.isFetchingNextPage);
  }
  const data = result.current.data!;
  assert.deepEqual(data.pages.map((p) => p.items.length), [3, 3, 1]);
  assert.deepEqual(data.pageParams, [null, data.pages[0]!.next_cursor, data.pages[1]!.next_cursor]);
  assert.deepEqual(flattenPages(data).map((t) => t.title), ["Task 01", "Task 02", "Task 03", "Task 04", "Task 05", "Task 06", "Task 07"]);
  assert.equal(calls.length, 3);
  assert.ok(calls[1]!.url.includes("cursor="), "pages after the first send the cursor");
});

test("useUpdateTask: optimistic in the list and the item, then confirmed", async () => {
  const { project, tasks } = await seed(2);
  const target = tasks[0]!;
  const gated = gatedFetch();
  const client = newClient({ fetch: gated.fetch });
  const { result, qc } = renderHook(
    () => ({
      list: useTaskList({ filter: { project_id: project.id } }),
      infinite: useTaskInfinite({ filter: { project_id: project.id } }),
      one: useTask(target.id),
      update: useUpdateTask(),
    }),
    client,
  );
  await waitFor("the queries", () => result.current.list.isSuccess && result.current.one.isSuccess && result.current.infinite.isSuccess);

  gated.hold();
  act(() => result.current.update.mutate({ id: target.id, patch: { done: true } }));
  await waitFor("the optimistic list", () => result.current.list.data!.items[0]!.done === true);
  assert.equal(result.current.one.data!.done, true, "the cached item changed too");
  assert.equal(flattenPages(result.current.infinite.data)[0]!.done, true, "and the infinite list");
  assert.equal(result.current.list.data!.items[1]!.done, false, "other items untouched");
  assert.ok(!gated.calls.some((c) => c.method === "PATCH"), "the server has not answered yet");

  gated.release();
  await waitFor("the mutation", () => result.current.update.isSuccess);
  assert.equal(result.current.one.data!.done, true);
  assert.notEqual(result.current.one.data!.updated_at, target.updated_at, "the server's version replaced the guess");
  assert.equal((await newClient().tasks.get(target.id)).done, true);
  assert.equal(qc.getQueryData<Task>(taskKeys.detail(target.id))!.done, true);
});

test("useUpdateTask: rolled back when the server refuses", async () => {
  const { project, tasks } = await seed(1);
  const target = tasks[0]!;
  const gated = gatedFetch();
  const errors: unknown[] = [];
  const { result } = renderHook(
    () => ({
      list: useTaskList({ filter: { project_id: project.id } }),
      one: useTask(target.id),
      update: useUpdateTask({ onError: (e) => errors.push(e) }),
    }),
    newClient({ fetch: gated.fetch }),
  );
  await waitFor("the queries", () => result.current.list.isSuccess && result.current.one.isSuccess);

  gated.hold();
  act(() => result.current.update.mutate({ id: target.id, patch: { title: "", priority: 1 } }));
  await waitFor("the optimistic change", () => result.current.one.data!.title === "");
  assert.equal(result.current.list.data!.items[0]!.title, "");
  assert.equal(result.current.list.data!.items[0]!.priority, 1);

  gated.release();
  await waitFor("the rejection", () => result.current.update.isError);
  const error = result.current.update.error;
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 422);
  assert.deepEqual(Object.keys(error.fieldErrors()), ["title"]);
  assert.equal(errors.length, 1, "the caller's onError ran");
  await waitFor("the rollback", () => result.current.one.data!.title === target.title);
  assert.equal(result.current.list.data!.items[0]!.title, target.title);
  assert.equal(result.current.list.data!.items[0]!.priority, target.priority);
  assert.equal((await newClient().tasks.get(target.id)).title, target.title, "nothing changed on the server");
});

test("useCreateTask and useDeleteTask keep the lists current", async () => {
  const { project, tasks } = await seed(2);
  const gated = gatedFetch();
  const { result } = renderHook(
    () => ({
      list: useTaskList({ filter: { project_id: project.id } }),
      create: useCreateTask(),
      remove: useDeleteTask(),
    }),
    newClient({ fetch: gated.fetch }),
  );
  await waitFor("the list", () => result.current.list.isSuccess);

  await act(async () => {
    await result.current.create.mutateAsync({ title: "Created by a hook", status: "todo", done: false, priority: 2, project_id: project.id });
  });
  await waitFor("the refreshed list", () => result.current.list.data!.items.length === 3);

  gated.hold();
  act(() => result.current.remove.mutate({ id: tasks[0]!.id }));
  await waitFor("the optimistic removal", () => result.current.list.data!.items.length === 2);
  gated.release();
  await waitFor("the deletion", () => result.current.remove.isSuccess);
  await waitFor("the refreshed list", () => !result.current.list.isFetching);
  assert.deepEqual(result.current.list.data!.items.map((t) => t.title), ["Task 02", "Created by a hook"]);

  // Deleting a missing item fails and the list comes back.
  gated.hold();
  act(() => result.current.remove.mutate({ id: tasks[1]!.id, ifMatch: '"stale"' }));
  await waitFor("the optimistic removal", () => result.current.list.data!.items.length === 1);
  gated.release();
  await waitFor("the rejection", () => result.current.remove.isError);
  const refused = result.current.remove.error;
  assert.ok(refused instanceof ApiError);
  assert.equal(refused.status, 412);
  await waitFor("the rollback", () => result.current.list.data!.items.length === 2);
});

test("hooks accept an explicit client instead of the provider", async () => {
  const { project } = await seed(1);
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity } } });
  const client = newClient();
  const result = { current: undefined as unknown as UseQueryResult<Page<Task>, ClientError> };
  function Probe() {
    result.current = useTaskList({ filter: { project_id: project.id } }, { client });
    return null;
  }
  let renderer!: ReactTestRenderer;
  act(() => {
    renderer = create(
      <QueryClientProvider client={qc}>
        <Probe />
      </QueryClientProvider>,
    );
  });
  mounted.push({ renderer, qc });
  await waitFor("the list", () => result.current.isSuccess);
  assert.equal(result.current.data!.items.length, 1);
});
