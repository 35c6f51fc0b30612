"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const jsx_runtime_1 = require("react/jsx-runtime");
// The TanStack Query hooks, rendered with react-test-renderer (no DOM)
// against the running service.
const node_test_1 = require("node:test");
const strict_1 = __importDefault(require("node:assert/strict"));
const react_test_renderer_1 = require("react-test-renderer");
const react_query_1 = require("@tanstack/react-query");
const src_1 = require("../../../clients/typescript/src");
const react_1 = require("../../../clients/typescript/src/react");
const support_1 = require("./support");
globalThis.IS_REACT_ACT_ENVIRONMENT = true;
const mounted = [];
(0, node_test_1.after)(() => {
    for (const m of mounted) {
        (0, react_test_renderer_1.act)(() => m.renderer.unmount());
        m.qc.clear();
    }
});
/** Renders `hook` inside the providers; `result.current` is its latest value. */
function renderHook(hook, client) {
    const qc = new react_query_1.QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity }, mutations: { retry: false } } });
    const result = { current: undefined, renders: 0 };
    function Probe() {
        result.current = hook();
        result.renders += 1;
        return null;
    }
    let renderer;
    (0, react_test_renderer_1.act)(() => {
        renderer = (0, react_test_renderer_1.create)((0, jsx_runtime_1.jsx)(react_query_1.QueryClientProvider, { client: qc, children: (0, jsx_runtime_1.jsx)(react_1.ApiClientProvider, { client: client, children: (0, jsx_runtime_1.jsx)(Probe, {}) }) }));
    });
    mounted.push({ renderer, qc });
    return { result, qc };
}
async function waitFor(what, cond, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
        if (Date.now() > deadline)
            throw new Error(`timed out waiting for ${what}`);
        await (0, react_test_renderer_1.act)(async () => {
            await (0, support_1.sleep)(5);
        });
    }
}
/** A fetch whose PATCH/DELETE requests wait until `release()`. */
function gatedFetch() {
    const inner = (0, support_1.recordingFetch)();
    let open = () => { };
    let gate = Promise.resolve();
    const fetch = async (url, init) => {
        if (init.method === "PATCH" || init.method === "DELETE")
            await gate;
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
async function seed(n) {
    const client = (0, support_1.newClient)();
    const project = await (0, support_1.newProject)(client);
    const inputs = Array.from({ length: n }, (_, i) => ({
        title: `Task ${String(i + 1).padStart(2, "0")}`,
        status: "todo",
        done: false,
        priority: (i % 5) + 1,
        project_id: project.id,
    }));
    return { project, tasks: await client.tasks.createMany(inputs) };
}
(0, node_test_1.test)("useTaskList loads one page; useTask loads one item", async () => {
    const { project, tasks } = await seed(3);
    const client = (0, support_1.newClient)();
    const { result } = renderHook(() => ({
        list: (0, react_1.useTaskList)({ filter: { project_id: project.id }, sort: "-title" }),
        one: (0, react_1.useTask)(tasks[0].id),
        none: (0, react_1.useTask)(null),
    }), client);
    await waitFor("the list", () => result.current.list.isSuccess && result.current.one.isSuccess);
    strict_1.default.deepEqual(result.current.list.data.items.map((t) => t.title), ["Task 03", "Task 02", "Task 01"]);
    strict_1.default.equal(result.current.list.data.next_cursor, null);
    strict_1.default.deepEqual(result.current.one.data, tasks[0]);
    strict_1.default.equal(result.current.none.fetchStatus, "idle", "a null id waits");
});
(0, node_test_1.test)("useTask surfaces ApiError", async () => {
    const { result } = renderHook(() => (0, react_1.useTask)(987654321), (0, support_1.newClient)());
    await waitFor("the error", () => result.current.isError);
    strict_1.default.ok(result.current.error instanceof src_1.ApiError);
    strict_1.default.equal(result.current.error.status, 404);
});
(0, node_test_1.test)("useTaskInfinite fetches pages with the cursor until the last", async () => {
    const { project } = await seed(7);
    const { fetch, calls } = (0, support_1.recordingFetch)();
    const { result } = renderHook(() => (0, react_1.useTaskInfinite)({ filter: { project_id: project.id }, sort: "title", limit: 3 }), (0, support_1.newClient)({ fetch }));
    await waitFor("the first page", () => result.current.isSuccess);
    strict_1.default.equal(result.current.hasNextPage, true);
    let guard = 0;
    while (result.current.hasNextPage) {
        strict_1.default.ok(++guard < 10, "too many pages");
        await (0, react_test_renderer_1.act)(async () => {
            await result.current.fetchNextPage();
        });
        await waitFor("the next page", () => !result.current.isFetchingNextPage);
    }
    const data = result.current.data;
    strict_1.default.deepEqual(data.pages.map((p) => p.items.length), [3, 3, 1]);
    strict_1.default.deepEqual(data.pageParams, [null, data.pages[0].next_cursor, data.pages[1].next_cursor]);
    strict_1.default.deepEqual((0, react_1.flattenPages)(data).map((t) => t.title), ["Task 01", "Task 02", "Task 03", "Task 04", "Task 05", "Task 06", "Task 07"]);
    strict_1.default.equal(calls.length, 3);
    strict_1.default.ok(calls[1].url.includes("cursor="), "pages after the first send the cursor");
});
(0, node_test_1.test)("useUpdateTask: optimistic in the list and the item, then confirmed", async () => {
    const { project, tasks } = await seed(2);
    const target = tasks[0];
    const gated = gatedFetch();
    const client = (0, support_1.newClient)({ fetch: gated.fetch });
    const { result, qc } = renderHook(() => ({
        list: (0, react_1.useTaskList)({ filter: { project_id: project.id } }),
        infinite: (0, react_1.useTaskInfinite)({ filter: { project_id: project.id } }),
        one: (0, react_1.useTask)(target.id),
        update: (0, react_1.useUpdateTask)(),
    }), client);
    await waitFor("the queries", () => result.current.list.isSuccess && result.current.one.isSuccess && result.current.infinite.isSuccess);
    gated.hold();
    (0, react_test_renderer_1.act)(() => result.current.update.mutate({ id: target.id, patch: { done: true } }));
    await waitFor("the optimistic list", () => result.current.list.data.items[0].done === true);
    strict_1.default.equal(result.current.one.data.done, true, "the cached item changed too");
    strict_1.default.equal((0, react_1.flattenPages)(result.current.infinite.data)[0].done, true, "and the infinite list");
    strict_1.default.equal(result.current.list.data.items[1].done, false, "other items untouched");
    strict_1.default.ok(!gated.calls.some((c) => c.method === "PATCH"), "the server has not answered yet");
    gated.release();
    await waitFor("the mutation", () => result.current.update.isSuccess);
    strict_1.default.equal(result.current.one.data.done, true);
    strict_1.default.notEqual(result.current.one.data.updated_at, target.updated_at, "the server's version replaced the guess");
    strict_1.default.equal((await (0, support_1.newClient)().tasks.get(target.id)).done, true);
    strict_1.default.equal(qc.getQueryData(react_1.taskKeys.detail(target.id)).done, true);
});
(0, node_test_1.test)("useUpdateTask: rolled back when the server refuses", async () => {
    const { project, tasks } = await seed(1);
    const target = tasks[0];
    const gated = gatedFetch();
    const errors = [];
    const { result } = renderHook(() => ({
        list: (0, react_1.useTaskList)({ filter: { project_id: project.id } }),
        one: (0, react_1.useTask)(target.id),
        update: (0, react_1.useUpdateTask)({ onError: (e) => errors.push(e) }),
    }), (0, support_1.newClient)({ fetch: gated.fetch }));
    await waitFor("the queries", () => result.current.list.isSuccess && result.current.one.isSuccess);
    gated.hold();
    (0, react_test_renderer_1.act)(() => result.current.update.mutate({ id: target.id, patch: { title: "", priority: 1 } }));
    await waitFor("the optimistic change", () => result.current.one.data.title === "");
    strict_1.default.equal(result.current.list.data.items[0].title, "");
    strict_1.default.equal(result.current.list.data.items[0].priority, 1);
    gated.release();
    await waitFor("the rejection", () => result.current.update.isError);
    const error = result.current.update.error;
    strict_1.default.ok(error instanceof src_1.ApiError);
    strict_1.default.equal(error.status, 422);
    strict_1.default.deepEqual(Object.keys(error.fieldErrors()), ["title"]);
    strict_1.default.equal(errors.length, 1, "the caller's onError ran");
    await waitFor("the rollback", () => result.current.one.data.title === target.title);
    strict_1.default.equal(result.current.list.data.items[0].title, target.title);
    strict_1.default.equal(result.current.list.data.items[0].priority, target.priority);
    strict_1.default.equal((await (0, support_1.newClient)().tasks.get(target.id)).title, target.title, "nothing changed on the server");
});
(0, node_test_1.test)("useCreateTask and useDeleteTask keep the lists current", async () => {
    const { project, tasks } = await seed(2);
    const gated = gatedFetch();
    const { result } = renderHook(() => ({
        list: (0, react_1.useTaskList)({ filter: { project_id: project.id } }),
        create: (0, react_1.useCreateTask)(),
        remove: (0, react_1.useDeleteTask)(),
    }), (0, support_1.newClient)({ fetch: gated.fetch }));
    await waitFor("the list", () => result.current.list.isSuccess);
    await (0, react_test_renderer_1.act)(async () => {
        await result.current.create.mutateAsync({ title: "Created by a hook", status: "todo", done: false, priority: 2, project_id: project.id });
    });
    await waitFor("the refreshed list", () => result.current.list.data.items.length === 3);
    gated.hold();
    (0, react_test_renderer_1.act)(() => result.current.remove.mutate({ id: tasks[0].id }));
    await waitFor("the optimistic removal", () => result.current.list.data.items.length === 2);
    gated.release();
    await waitFor("the deletion", () => result.current.remove.isSuccess);
    await waitFor("the refreshed list", () => !result.current.list.isFetching);
    strict_1.default.deepEqual(result.current.list.data.items.map((t) => t.title), ["Task 02", "Created by a hook"]);
    // Deleting a missing item fails and the list comes back.
    gated.hold();
    (0, react_test_renderer_1.act)(() => result.current.remove.mutate({ id: tasks[1].id, ifMatch: '"stale"' }));
    await waitFor("the optimistic removal", () => result.current.list.data.items.length === 1);
    gated.release();
    await waitFor("the rejection", () => result.current.remove.isError);
    const refused = result.current.remove.error;
    strict_1.default.ok(refused instanceof src_1.ApiError);
    strict_1.default.equal(refused.status, 412);
    await waitFor("the rollback", () => result.current.list.data.items.length === 2);
});
(0, node_test_1.test)("hooks accept an explicit client instead of the provider", async () => {
    const { project } = await seed(1);
    const qc = new react_query_1.QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity } } });
    const client = (0, support_1.newClient)();
    const result = { current: undefined };
    function Probe() {
        result.current = (0, react_1.useTaskList)({ filter: { project_id: project.id } }, { client });
        return null;
    }
    let renderer;
    (0, react_test_renderer_1.act)(() => {
        renderer = (0, react_test_renderer_1.create)((0, jsx_runtime_1.jsx)(react_query_1.QueryClientProvider, { client: qc, children: (0, jsx_runtime_1.jsx)(Probe, {}) }));
    });
    mounted.push({ renderer, qc });
    await waitFor("the list", () => result.current.isSuccess);
    strict_1.default.equal(result.current.data.items.length, 1);
});
//# sourceMappingURL=hooks.test.js.map