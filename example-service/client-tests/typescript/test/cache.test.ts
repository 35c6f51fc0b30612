// The application-level ETag cache: If-None-Match, 304 from the cache,
// invalidation on writes, pluggable (async) storage.

import { test } from "node:test";
import assert from "node:assert/strict";
import { EtagCache, MemoryStorage } from "../../../clients/typescript/src";
import type { CacheStorage, ResponseInfo } from "../../../clients/typescript/src";
import { API_BASE, newClient, newProject, recordingFetch } from "./support";

/** An async store like AsyncStorage, over a Map we can inspect. */
function asyncStore(): CacheStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    get: async (k) => map.get(k) ?? null,
    set: async (k, v) => void map.set(k, v),
    delete: async (k) => void map.delete(k),
    keys: async () => [...map.keys()],
  };
}

test("a repeated GET is revalidated: 304 on the wire, body from the cache", async () => {
  const { fetch, calls } = recordingFetch();
  const store = asyncStore();
  const infos: ResponseInfo[] = [];
  const client = newClient({ fetch, cache: store, onResponse: (i) => infos.push(i) });
  const project = await newProject(client);
  const task = await client.tasks.create({ title: "Cached", status: "todo", done: false, priority: 3, project_id: project.id });
  calls.length = 0;

  const first = await client.tasks.getWithEtag(task.id);
  const second = await client.tasks.getWithEtag(task.id);
  assert.deepEqual(calls.map((c) => c.status), [200, 304]);
  assert.equal(calls[0]!.requestHeaders["If-None-Match"], undefined);
  assert.equal(calls[1]!.requestHeaders["If-None-Match"], first.etag);
  assert.equal(calls[1]!.body, "", "a 304 carries no body");
  assert.deepEqual(second.data, first.data);
  assert.equal(second.etag, first.etag);
  assert.equal(infos.at(-1)!.fromCache, true);

  // Prove the body came from the store: alter the stored copy, GET again.
  const key = `resourceful:${API_BASE}/v1/tasks/${task.id}`;
  const entry = JSON.parse(store.map.get(key)!) as { etag: string; body: string; scope: string };
  store.map.set(key, JSON.stringify({ ...entry, body: entry.body.replace("Cached", "From the cache") }));
  const third = await client.tasks.get(task.id);
  assert.equal(calls.at(-1)!.status, 304);
  assert.equal(third.title, "From the cache");
});

test("list pages are cached and revalidated too", async () => {
  const { fetch, calls } = recordingFetch();
  const client = newClient({ fetch });
  const project = await newProject(client);
  await client.tasks.create({ title: "Listed", status: "todo", done: false, priority: 3, project_id: project.id });
  calls.length = 0;
  const params = { filter: { project_id: project.id, title: { contains: "list" } }, sort: "-created_at" } as const;
  const a = await client.tasks.list(params);
  const b = await client.tasks.list(params);
  assert.deepEqual(calls.map((c) => c.status), [200, 304]);
  assert.deepEqual(b, a);
});

test("writes invalidate the item and the resource's lists", async () => {
  const { fetch, calls } = recordingFetch();
  const store = new MemoryStorage();
  const client = newClient({ fetch, cache: store });
  const project = await newProject(client);
  const task = await client.tasks.create({ title: "Old", status: "todo", done: false, priority: 3, project_id: project.id });
  await client.tasks.get(task.id);
  await client.tasks.list({ filter: { project_id: project.id } });
  await client.tasks.list({ filter: { project_id: project.id }, limit: 1 });
  await client.projects.get(project.id);
  const taskKeys = () => store.keys().filter((k) => k.includes("/v1/tasks"));
  assert.equal(taskKeys().length, 3);

  await client.tasks.update(task.id, { title: "New" });
  assert.deepEqual(taskKeys(), [], "item and both list pages dropped");
  assert.ok(store.keys().some((k) => k.endsWith(`/v1/projects/${project.id}`)), "other resources stay");

  calls.length = 0;
  const fresh = await client.tasks.get(task.id);
  assert.equal(fresh.title, "New");
  assert.deepEqual(calls.map((c) => c.status), [200]);

  await client.tasks.list({ filter: { project_id: project.id } });
  await client.tasks.create({ title: "Another", status: "todo", done: false, priority: 3, project_id: project.id });
  assert.equal(taskKeys().filter((k) => k.includes("?")).length, 0, "create drops list pages");

  await client.tasks.get(task.id);
  await client.tasks.delete(task.id);
  assert.ok(!store.keys().some((k) => k.endsWith(`/v1/tasks/${task.id}`)), "delete drops the item");
});

test("a stale entry is never served: the server answers 200 with the new body", async () => {
  const { fetch, calls } = recordingFetch();
  const shared = new MemoryStorage();
  const reader = newClient({ fetch, cache: shared });
  const writer = newClient(); // another device: does not touch reader's cache
  const project = await newProject(writer);
  const task = await writer.tasks.create({ title: "v1", status: "todo", done: false, priority: 3, project_id: project.id });
  assert.equal((await reader.tasks.get(task.id)).title, "v1");
  await writer.tasks.update(task.id, { title: "v2" });
  assert.equal((await reader.tasks.get(task.id)).title, "v2");
  assert.deepEqual(calls.map((c) => c.status), [200, 200]);
});

test("the cache persists through its storage (a new client reuses it)", async () => {
  const store = asyncStore();
  const project = await newProject(newClient());
  const first = recordingFetch();
  await newClient({ fetch: first.fetch, cache: new EtagCache(store, { prefix: "app:" }) }).projects.get(project.id);
  assert.ok([...store.map.keys()].every((k) => k.startsWith("app:")));
  const second = recordingFetch();
  const restarted = newClient({ fetch: second.fetch, cache: new EtagCache(store, { prefix: "app:" }) });
  assert.equal((await restarted.projects.get(project.id)).id, project.id);
  assert.deepEqual(second.calls.map((c) => c.status), [304]);
  await restarted.cache!.clear();
  assert.equal(store.map.size, 0);
});

test("cache: false and noCache never send If-None-Match", async () => {
  const { fetch, calls } = recordingFetch();
  const project = await newProject(newClient());
  const off = newClient({ fetch, cache: false });
  assert.equal(off.cache, null);
  await off.projects.get(project.id);
  await off.projects.get(project.id);
  const on = newClient({ fetch });
  await on.projects.get(project.id);
  await on.projects.get(project.id, { noCache: true });
  assert.deepEqual(calls.map((c) => c.status), [200, 200, 200, 200]);
  assert.ok(calls.every((c) => c.requestHeaders["If-None-Match"] === undefined));
});

test("a failing store only costs a round trip", async () => {
  const broken: CacheStorage = {
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
  const client = newClient({ cache: broken });
  const project = await newProject(client);
  assert.equal((await client.projects.get(project.id)).id, project.id);
  await client.projects.update(project.id, { description: "still works" });
});

test("the in-memory store is bounded (least recently used dropped)", () => {
  const m = new MemoryStorage(3);
  m.set("a", "1");
  m.set("b", "2");
  m.set("c", "3");
  m.get("a");
  m.set("d", "4");
  assert.deepEqual(m.keys().sort(), ["a", "c", "d"]);
  assert.equal(m.size, 3);
});

test("a 404 drops the cached entry", async () => {
  const store = new MemoryStorage();
  const client = newClient({ cache: store });
  const project = await newProject(client);
  await client.projects.get(project.id);
  await newClient().projects.delete(project.id);
  await assert.rejects(client.projects.get(project.id));
  assert.ok(!store.keys().some((k) => k.endsWith(`/v1/projects/${project.id}`)));
});
