// The application-level ETag cache: freshness from the server's
// Cache-Control (projects: max-age=30, the rest no-cache), If-None-Match,
// 304 from the cache, invalidation on writes, pluggable (async) storage.

import { test } from "node:test";
import assert from "node:assert/strict";
import { EtagCache, MemoryStorage, createClient, parseCacheControl } from "../../../clients/typescript-v1/src";
import type { CacheStorage, FetchLike, ResponseInfo } from "../../../clients/typescript-v1/src";
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
  const writer = newClient();
  const project = await newProject(writer);
  const task = await writer.tasks.create({ title: "Kept", status: "todo", done: false, priority: 3, project_id: project.id });
  const first = recordingFetch();
  const before = newClient({ fetch: first.fetch, cache: new EtagCache(store, { prefix: "app:" }) });
  await before.projects.get(project.id);
  await before.tasks.get(task.id);
  assert.ok([...store.map.keys()].every((k) => k.startsWith("app:")));
  const second = recordingFetch();
  const restarted = newClient({ fetch: second.fetch, cache: new EtagCache(store, { prefix: "app:" }) });
  // The project is within its max-age (kept with the entry): no request.
  assert.equal((await restarted.projects.get(project.id)).id, project.id);
  // The task (no-cache) is revalidated.
  assert.equal((await restarted.tasks.get(task.id)).title, "Kept");
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
  const task = await client.tasks.create({ title: "Gone", status: "todo", done: false, priority: 3, project_id: project.id });
  await client.tasks.get(task.id);
  await newClient().tasks.delete(task.id);
  await assert.rejects(client.tasks.get(task.id));
  assert.ok(!store.keys().some((k) => k.endsWith(`/v1/tasks/${task.id}`)));
});

// ---- Freshness from Cache-Control ----------------------------------

test("the server's Cache-Control: projects max-age=30, tasks no-cache, on 200 and 304", async () => {
  const { fetch, calls } = recordingFetch();
  const client = newClient({ fetch, cacheFreshness: "revalidate" });
  const project = await newProject(client);
  const task = await client.tasks.create({ title: "Headers", status: "todo", done: false, priority: 3, project_id: project.id });
  calls.length = 0;
  await client.projects.get(project.id);
  await client.projects.get(project.id);
  await client.tasks.get(task.id);
  await client.tasks.get(task.id);
  assert.deepEqual(calls.map((c) => c.status), [200, 304, 200, 304]);
  assert.deepEqual(calls.map((c) => c.cacheControl), ["private, max-age=30", "private, max-age=30", "private, no-cache", "private, no-cache"]);
});

test("a max-age resource (projects) is served from the cache within the window, without a request", async () => {
  const { fetch, calls } = recordingFetch();
  const infos: ResponseInfo[] = [];
  const store = new MemoryStorage();
  const client = newClient({ fetch, cache: store, onResponse: (i) => infos.push(i) });
  const project = await newProject(client);
  calls.length = 0;
  infos.length = 0;
  const first = await client.projects.getWithEtag(project.id);
  const second = await client.projects.getWithEtag(project.id);
  const page1 = await client.projects.list({ filter: { key: project.key } });
  const page2 = await client.projects.list({ filter: { key: project.key } });
  assert.deepEqual(calls.map((c) => c.status), [200, 200], "one request per URL");
  assert.deepEqual(second, first);
  assert.deepEqual(page2, page1);
  assert.equal(infos.length, 2, "a reuse without a request is not reported");
  const entry = JSON.parse(store.get(`resourceful:${API_BASE}/v1/projects/${project.id}`)!) as { maxAge: number; storedAt: number };
  assert.equal(entry.maxAge, 30);
  assert.ok(Math.abs(Date.now() - entry.storedAt) < 10_000);

  // An explicit revalidation still asks (and 304 reuses the body).
  const third = await client.projects.get(project.id, { revalidate: true });
  assert.equal(calls.at(-1)!.status, 304);
  assert.equal(calls.at(-1)!.requestHeaders["If-None-Match"], first.etag);
  assert.deepEqual(third, first.data);
});

test("past its max-age an entry is revalidated, and the 304 renews the window", async () => {
  const { fetch, calls } = recordingFetch();
  const store = new MemoryStorage();
  const client = newClient({ fetch, cache: store });
  const project = await newProject(client);
  await client.projects.get(project.id);
  const key = `resourceful:${API_BASE}/v1/projects/${project.id}`;
  // Pretend it was received 31 s ago.
  const entry = JSON.parse(store.get(key)!) as { storedAt: number };
  store.set(key, JSON.stringify({ ...entry, storedAt: entry.storedAt - 31_000 }));
  calls.length = 0;
  await client.projects.get(project.id);
  assert.deepEqual(calls.map((c) => c.status), [304]);
  assert.ok(calls[0]!.requestHeaders["If-None-Match"]);
  const renewed = JSON.parse(store.get(key)!) as { storedAt: number; maxAge: number };
  assert.equal(renewed.maxAge, 30, "max-age taken from the 304");
  assert.ok(Date.now() - renewed.storedAt < 10_000, "counted from the 304");
  await client.projects.get(project.id);
  assert.deepEqual(calls.map((c) => c.status), [304], "fresh again: no request");
});

test("a no-cache resource (tasks) is revalidated on every read: If-None-Match, 304 reuse", async () => {
  const { fetch, calls } = recordingFetch();
  const client = newClient({ fetch });
  const project = await newProject(client);
  const task = await client.tasks.create({ title: "Always asked", status: "todo", done: false, priority: 3, project_id: project.id });
  calls.length = 0;
  const first = await client.tasks.getWithEtag(task.id);
  for (let i = 0; i < 3; i++) {
    const again = await client.tasks.getWithEtag(task.id);
    assert.deepEqual(again, first);
  }
  assert.deepEqual(calls.map((c) => c.status), [200, 304, 304, 304]);
  assert.ok(calls.slice(1).every((c) => c.requestHeaders["If-None-Match"] === first.etag));
});

test("a change by another client shows on the next read of a no-cache resource", async () => {
  const { fetch, calls } = recordingFetch();
  const reader = newClient({ fetch });
  const writer = newClient();
  const project = await newProject(writer);
  const task = await writer.tasks.create({ title: "before", status: "todo", done: false, priority: 3, project_id: project.id });
  const params = { filter: { project_id: project.id } } as const;
  assert.equal((await reader.tasks.get(task.id)).title, "before");
  assert.equal((await reader.tasks.list(params)).items[0]!.title, "before");
  await writer.tasks.update(task.id, { title: "after", status: "done" });
  assert.equal((await reader.tasks.get(task.id)).title, "after");
  const page = await reader.tasks.list(params);
  assert.equal(page.items[0]!.title, "after");
  assert.equal(page.items[0]!.status, "done");
  assert.deepEqual(calls.map((c) => c.status), [200, 200, 200, 200]);
});

test("cacheFreshness: 'revalidate' overrides max-age: every read asks", async () => {
  const { fetch, calls } = recordingFetch();
  const client = newClient({ fetch, cacheFreshness: "revalidate" });
  const project = await newProject(client);
  calls.length = 0;
  await client.projects.get(project.id);
  await client.projects.get(project.id);
  await client.projects.get(project.id);
  assert.deepEqual(calls.map((c) => c.status), [200, 304, 304]);
});

/** A fetch answering every GET with `body`, an ETag and `cacheControl`. */
function fakeServer(cacheControl: string | null, body = "{\"id\":1}") {
  const seen: Record<string, string>[] = [];
  const f: FetchLike = async (_url, init) => {
    seen.push({ ...init.headers });
    const h: Record<string, string> = { etag: '"v1"', "content-type": "application/json" };
    if (cacheControl !== null) h["cache-control"] = cacheControl;
    const notModified = init.headers["If-None-Match"] === '"v1"';
    return { status: notModified ? 304 : 200, headers: { get: (n: string) => h[n.toLowerCase()] ?? null }, text: async () => (notModified ? "" : body) };
  };
  return { fetch: f, seen };
}

test("Cache-Control parsing: no-store is not kept, no header or no-cache revalidates, max-age reuses", async () => {
  for (const [cc, expected] of [
    ["no-store", [undefined, undefined]],
    [null, [undefined, '"v1"']],
    ["private, no-cache", [undefined, '"v1"']],
    ["max-age=0", [undefined, '"v1"']],
    ["no-cache, max-age=60", [undefined, '"v1"']],
    ["Private, Max-Age=60", [undefined]],
  ] as const) {
    const { fetch, seen } = fakeServer(cc);
    const store = new MemoryStorage();
    const client = createClient({ baseUrl: API_BASE, fetch, cache: store });
    await client.tasks.get(1);
    await client.tasks.get(1);
    assert.deepEqual(seen.map((h) => h["If-None-Match"]), expected, `Cache-Control: ${cc}`);
    if (cc === "no-store") assert.equal(store.size, 0, "no-store is not stored");
  }
  assert.deepEqual(parseCacheControl("private, max-age=30"), { noStore: false, maxAge: 30 });
  assert.deepEqual(parseCacheControl("max-age=abc"), { noStore: false, maxAge: 0 });
});
