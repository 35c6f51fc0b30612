"use strict";
// The application-level ETag cache: If-None-Match, 304 from the cache,
// invalidation on writes, pluggable (async) storage.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const node_test_1 = require("node:test");
const strict_1 = __importDefault(require("node:assert/strict"));
const src_1 = require("../../../clients/typescript/src");
const support_1 = require("./support");
/** An async store like AsyncStorage, over a Map we can inspect. */
function asyncStore() {
    const map = new Map();
    return {
        map,
        get: async (k) => map.get(k) ?? null,
        set: async (k, v) => void map.set(k, v),
        delete: async (k) => void map.delete(k),
        keys: async () => [...map.keys()],
    };
}
(0, node_test_1.test)("a repeated GET is revalidated: 304 on the wire, body from the cache", async () => {
    const { fetch, calls } = (0, support_1.recordingFetch)();
    const store = asyncStore();
    const infos = [];
    const client = (0, support_1.newClient)({ fetch, cache: store, onResponse: (i) => infos.push(i) });
    const project = await (0, support_1.newProject)(client);
    const task = await client.tasks.create({ title: "Cached", status: "todo", done: false, priority: 3, project_id: project.id });
    calls.length = 0;
    const first = await client.tasks.getWithEtag(task.id);
    const second = await client.tasks.getWithEtag(task.id);
    strict_1.default.deepEqual(calls.map((c) => c.status), [200, 304]);
    strict_1.default.equal(calls[0].requestHeaders["If-None-Match"], undefined);
    strict_1.default.equal(calls[1].requestHeaders["If-None-Match"], first.etag);
    strict_1.default.equal(calls[1].body, "", "a 304 carries no body");
    strict_1.default.deepEqual(second.data, first.data);
    strict_1.default.equal(second.etag, first.etag);
    strict_1.default.equal(infos.at(-1).fromCache, true);
    // Prove the body came from the store: alter the stored copy, GET again.
    const key = `resourceful:${support_1.API_BASE}/v1/tasks/${task.id}`;
    const entry = JSON.parse(store.map.get(key));
    store.map.set(key, JSON.stringify({ etag: entry.etag, body: entry.body.replace("Cached", "From the cache") }));
    const third = await client.tasks.get(task.id);
    strict_1.default.equal(calls.at(-1).status, 304);
    strict_1.default.equal(third.title, "From the cache");
});
(0, node_test_1.test)("list pages are cached and revalidated too", async () => {
    const { fetch, calls } = (0, support_1.recordingFetch)();
    const client = (0, support_1.newClient)({ fetch });
    const project = await (0, support_1.newProject)(client);
    await client.tasks.create({ title: "Listed", status: "todo", done: false, priority: 3, project_id: project.id });
    calls.length = 0;
    const params = { filter: { project_id: project.id, title: { contains: "list" } }, sort: "-created_at" };
    const a = await client.tasks.list(params);
    const b = await client.tasks.list(params);
    strict_1.default.deepEqual(calls.map((c) => c.status), [200, 304]);
    strict_1.default.deepEqual(b, a);
});
(0, node_test_1.test)("writes invalidate the item and the resource's lists", async () => {
    const { fetch, calls } = (0, support_1.recordingFetch)();
    const store = new src_1.MemoryStorage();
    const client = (0, support_1.newClient)({ fetch, cache: store });
    const project = await (0, support_1.newProject)(client);
    const task = await client.tasks.create({ title: "Old", status: "todo", done: false, priority: 3, project_id: project.id });
    await client.tasks.get(task.id);
    await client.tasks.list({ filter: { project_id: project.id } });
    await client.tasks.list({ filter: { project_id: project.id }, limit: 1 });
    await client.projects.get(project.id);
    const taskKeys = () => store.keys().filter((k) => k.includes("/v1/tasks"));
    strict_1.default.equal(taskKeys().length, 3);
    await client.tasks.update(task.id, { title: "New" });
    strict_1.default.deepEqual(taskKeys(), [], "item and both list pages dropped");
    strict_1.default.ok(store.keys().some((k) => k.endsWith(`/v1/projects/${project.id}`)), "other resources stay");
    calls.length = 0;
    const fresh = await client.tasks.get(task.id);
    strict_1.default.equal(fresh.title, "New");
    strict_1.default.deepEqual(calls.map((c) => c.status), [200]);
    await client.tasks.list({ filter: { project_id: project.id } });
    await client.tasks.create({ title: "Another", status: "todo", done: false, priority: 3, project_id: project.id });
    strict_1.default.equal(taskKeys().filter((k) => k.includes("?")).length, 0, "create drops list pages");
    await client.tasks.get(task.id);
    await client.tasks.delete(task.id);
    strict_1.default.ok(!store.keys().some((k) => k.endsWith(`/v1/tasks/${task.id}`)), "delete drops the item");
});
(0, node_test_1.test)("a stale entry is never served: the server answers 200 with the new body", async () => {
    const { fetch, calls } = (0, support_1.recordingFetch)();
    const shared = new src_1.MemoryStorage();
    const reader = (0, support_1.newClient)({ fetch, cache: shared });
    const writer = (0, support_1.newClient)(); // another device: does not touch reader's cache
    const project = await (0, support_1.newProject)(writer);
    const task = await writer.tasks.create({ title: "v1", status: "todo", done: false, priority: 3, project_id: project.id });
    strict_1.default.equal((await reader.tasks.get(task.id)).title, "v1");
    await writer.tasks.update(task.id, { title: "v2" });
    strict_1.default.equal((await reader.tasks.get(task.id)).title, "v2");
    strict_1.default.deepEqual(calls.map((c) => c.status), [200, 200]);
});
(0, node_test_1.test)("the cache persists through its storage (a new client reuses it)", async () => {
    const store = asyncStore();
    const project = await (0, support_1.newProject)((0, support_1.newClient)());
    const first = (0, support_1.recordingFetch)();
    await (0, support_1.newClient)({ fetch: first.fetch, cache: new src_1.EtagCache(store, { prefix: "app:" }) }).projects.get(project.id);
    strict_1.default.ok([...store.map.keys()].every((k) => k.startsWith("app:")));
    const second = (0, support_1.recordingFetch)();
    const restarted = (0, support_1.newClient)({ fetch: second.fetch, cache: new src_1.EtagCache(store, { prefix: "app:" }) });
    strict_1.default.equal((await restarted.projects.get(project.id)).id, project.id);
    strict_1.default.deepEqual(second.calls.map((c) => c.status), [304]);
    await restarted.cache.clear();
    strict_1.default.equal(store.map.size, 0);
});
(0, node_test_1.test)("cache: false and noCache never send If-None-Match", async () => {
    const { fetch, calls } = (0, support_1.recordingFetch)();
    const project = await (0, support_1.newProject)((0, support_1.newClient)());
    const off = (0, support_1.newClient)({ fetch, cache: false });
    strict_1.default.equal(off.cache, null);
    await off.projects.get(project.id);
    await off.projects.get(project.id);
    const on = (0, support_1.newClient)({ fetch });
    await on.projects.get(project.id);
    await on.projects.get(project.id, { noCache: true });
    strict_1.default.deepEqual(calls.map((c) => c.status), [200, 200, 200, 200]);
    strict_1.default.ok(calls.every((c) => c.requestHeaders["If-None-Match"] === undefined));
});
(0, node_test_1.test)("a failing store only costs a round trip", async () => {
    const broken = {
        get: async () => {
            throw new Error("disk full");
        },
        set: async () => {
            throw new Error("disk full");
        },
        delete: async () => {
            throw new Error("disk full");
        },
    };
    const client = (0, support_1.newClient)({ cache: broken });
    const project = await (0, support_1.newProject)(client);
    strict_1.default.equal((await client.projects.get(project.id)).id, project.id);
    await client.projects.update(project.id, { description: "still works" });
});
(0, node_test_1.test)("the in-memory store is bounded (least recently used dropped)", () => {
    const m = new src_1.MemoryStorage(3);
    m.set("a", "1");
    m.set("b", "2");
    m.set("c", "3");
    m.get("a");
    m.set("d", "4");
    strict_1.default.deepEqual(m.keys().sort(), ["a", "c", "d"]);
    strict_1.default.equal(m.size, 3);
});
(0, node_test_1.test)("a 404 drops the cached entry", async () => {
    const store = new src_1.MemoryStorage();
    const client = (0, support_1.newClient)({ cache: store });
    const project = await (0, support_1.newProject)(client);
    await client.projects.get(project.id);
    await (0, support_1.newClient)().projects.delete(project.id);
    await strict_1.default.rejects(client.projects.get(project.id));
    strict_1.default.ok(!store.keys().some((k) => k.endsWith(`/v1/projects/${project.id}`)));
});
//# sourceMappingURL=cache.test.js.map