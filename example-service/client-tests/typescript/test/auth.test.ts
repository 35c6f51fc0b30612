// Bearer tokens against the service's permissions: 401 and 403 as typed
// errors, owner-only rows, server-set owners, one refresh per 401, and an
// ETag cache that never crosses callers.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ApiError,
  EtagCache,
  ForbiddenError,
  MemoryStorage,
  UnauthorizedError,
  createClient,
  isApiError,
  isForbiddenError,
  isRetryable,
  isUnauthorizedError,
} from "../../../clients/typescript-v1/src";
import type { ApiClient, BookmarkCreate, CommentCreate, FetchInit, FetchLike, Task } from "../../../clients/typescript-v1/src";
import { API_BASE, newClient, newProject, recordingFetch, sleep, token } from "./support";

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

/** A task of a new project, made by ana (the editor). */
async function newTask(): Promise<Task> {
  const ana = newClient();
  const project = await newProject(ana);
  return ana.tasks.create({ title: "Shared", status: "todo", done: false, priority: 3, project_id: project.id });
}

test("every request carries the bearer token, the raw helper too", async () => {
  const { fetch, calls } = recordingFetch();
  const client = newClient({ fetch });
  await newProject(client);
  await client.projects.list({ limit: 1 });
  const raw = await client.http.request<{ items: unknown[] }>({ method: "GET", path: "/v1/tasks", query: "limit=1" });
  assert.equal(raw.status, 200);
  const bearer = `Bearer ${await token("ana")}`;
  assert.deepEqual(
    calls.map((c) => [c.method, c.requestHeaders["Authorization"]]),
    [
      ["POST", bearer],
      ["GET", bearer],
      ["GET", bearer],
    ],
  );
});

test("no token: a typed UnauthorizedError with the problem details", async () => {
  const anonymous = createClient({ baseUrl: API_BASE });
  const e = await rejection(anonymous.projects.list());
  assert.ok(isUnauthorizedError(e), `expected an UnauthorizedError, got ${String(e)}`);
  assert.ok(e instanceof UnauthorizedError && e instanceof ApiError && isApiError(e));
  assert.ok(!isForbiddenError(e));
  assert.equal(e.name, "UnauthorizedError");
  assert.equal(e.status, 401);
  assert.equal(e.type, "urn:resourceful:problem:unauthorized");
  assert.ok(e.is("unauthorized"));
  assert.match(e.detail, /bearer token/);
  assert.equal(e.challenge?.scheme, "Bearer");
  assert.equal(e.challenge?.error, "invalid_token");
  assert.ok(!isRetryable(e), "the same request cannot succeed unchanged");
  // Writes and the raw helper are refused alike.
  assert.ok(isUnauthorizedError(await rejection(anonymous.tasks.create({ title: "x", status: "todo", done: false, priority: 1, project_id: 1 }))));
  assert.ok(isUnauthorizedError(await rejection(anonymous.http.request({ method: "GET", path: "/v1/comments" }))));
});

test("a garbage token is unauthorized too", async () => {
  const client = newClient({ getToken: () => "not-a-jwt" });
  const e = await rejection(client.tasks.get(1));
  assert.ok(isUnauthorizedError(e));
  assert.equal(e.challenge?.error, "invalid_token");
});

test("ben (no role) reads projects but creating one is a typed ForbiddenError", async () => {
  const ben = newClient({}, "ben");
  const project = await newProject(newClient());
  assert.equal((await ben.projects.get(project.id)).id, project.id, "any signed-in caller reads");
  const e = await rejection(ben.projects.create({ name: `Ben's ${project.key}`, key: "BEN" + project.key.slice(-6), visibility: "team" }));
  assert.ok(isForbiddenError(e), `expected a ForbiddenError, got ${String(e)}`);
  assert.ok(e instanceof ForbiddenError && e instanceof ApiError);
  assert.ok(!isUnauthorizedError(e));
  assert.equal(e.name, "ForbiddenError");
  assert.equal(e.status, 403);
  assert.equal(e.type, "urn:resourceful:problem:forbidden");
  assert.ok(e.is("forbidden"));
  assert.match(e.detail, /role:editor/);
  assert.equal(e.challenge?.error, "insufficient_scope");
  assert.deepEqual(e.requiredScopes, []);
  assert.ok(isForbiddenError(await rejection(ben.projects.update(project.id, { description: "mine" }))));
  assert.ok(isForbiddenError(await rejection(ben.projects.delete(project.id))));
});

test("a bookmark is its owner's alone: others list none and get 404", async () => {
  const task = await newTask();
  const ana = newClient();
  const ben = newClient({}, "ben");
  const mark = await ana.bookmarks.create({ task_id: task.id, note: "look later" });
  assert.equal(mark.owner, "ana", "the owner comes from the token");
  assert.equal(mark.note, "look later");
  assert.deepEqual((await ana.bookmarks.list({ filter: { task_id: task.id } })).items.map((b) => b.id), [mark.id]);
  assert.deepEqual((await ben.bookmarks.list({ filter: { task_id: task.id } })).items, []);
  assert.ok(!(await ben.bookmarks.listAll()).some((b) => b.id === mark.id));
  const e = await rejection(ben.bookmarks.get(mark.id));
  assert.ok(e instanceof ApiError && e.status === 404 && e.is("not-found"), String(e));
  assert.ok(isApiError(await rejection(ben.bookmarks.delete(mark.id))));
  assert.equal((await ana.bookmarks.get(mark.id)).id, mark.id, "still there for ana");
  // @ts-expect-error `owner` is set by the server
  const withOwner: BookmarkCreate = { task_id: task.id, owner: "ben" };
  assert.ok(withOwner);
});

test("a comment's author comes from the token; only the author or an admin changes it", async () => {
  const task = await newTask();
  const ben = newClient({}, "ben");
  const ana = newClient();
  const root = newClient({}, "root");
  const comment = await ben.comments.create({ task_id: task.id, body: "Looks good" });
  assert.equal(comment.author, "ben");
  assert.equal((await ana.comments.get(comment.id)).author, "ben", "any signed-in caller reads");
  const upd = await rejection(ana.comments.update(comment.id, { body: "Edited by ana" }));
  assert.ok(isForbiddenError(upd), String(upd));
  const del = await rejection(ana.comments.delete(comment.id));
  assert.ok(isForbiddenError(del), String(del));
  assert.equal((await ben.comments.update(comment.id, { body: "Edited" })).body, "Edited", "the author may");
  await root.comments.delete(comment.id);
  const gone = await rejection(ben.comments.get(comment.id));
  assert.ok(gone instanceof ApiError && gone.status === 404);
  // @ts-expect-error `author` is set by the server
  const withAuthor: CommentCreate = { task_id: task.id, body: "x", author: "root" };
  assert.ok(withAuthor);
});

/** A client whose token starts out rejected; `refreshToken` counts its calls. */
function refreshing(refreshTo: () => Promise<string | null>, start = "expired-or-garbage") {
  const wire = recordingFetch();
  const state = { current: start, refreshes: 0 };
  const client = newClient({
    fetch: wire.fetch,
    getToken: () => state.current,
    refreshToken: async () => {
      state.refreshes += 1;
      await sleep(20);
      const fresh = await refreshTo();
      if (fresh) state.current = fresh;
      return fresh;
    },
  });
  return { client, state, calls: wire.calls };
}

test("refresh: a rejected token is refreshed once and the call succeeds", async () => {
  const ana = await token("ana");
  const { client, state, calls } = refreshing(() => Promise.resolve(ana));
  const page = await client.tasks.list({ limit: 1 });
  assert.ok(Array.isArray(page.items));
  assert.equal(state.refreshes, 1);
  assert.deepEqual(calls.map((c) => c.status), [401, 200]);
  assert.equal(calls[0]!.requestHeaders["Authorization"], "Bearer expired-or-garbage");
  assert.equal(calls[1]!.requestHeaders["Authorization"], `Bearer ${ana}`);
  await client.tasks.list({ limit: 1 });
  assert.equal(state.refreshes, 1, "the new token is used from then on");
  assert.deepEqual(calls.map((c) => c.status).slice(2), [304], "revalidated under the new token");
});

test("refresh: a write is retried with the same Idempotency-Key and applied once", async () => {
  const ana = await token("ana");
  const { client, state, calls } = refreshing(() => Promise.resolve(ana));
  const project = await newProject(client);
  assert.equal(state.refreshes, 1);
  const posts = calls.filter((c) => c.method === "POST");
  assert.deepEqual(posts.map((c) => c.status), [401, 201]);
  assert.equal(posts[0]!.requestHeaders["Idempotency-Key"], posts[1]!.requestHeaders["Idempotency-Key"]);
  const found = await newClient().projects.list({ filter: { key: project.key } });
  assert.deepEqual(found.items.map((p) => p.id), [project.id], "created once");
});

test("refresh: concurrent 401s share one refresh", async () => {
  const ana = await token("ana");
  const { client, state, calls } = refreshing(() => Promise.resolve(ana));
  const pages = await Promise.all([1, 2, 3, 4, 5].map((limit) => client.projects.list({ limit })));
  assert.equal(pages.length, 5);
  assert.equal(state.refreshes, 1);
  assert.equal(calls.filter((c) => c.status === 401).length, 5);
  assert.equal(calls.filter((c) => c.status === 200).length, 5);
});

test("refresh: a refresh that yields a bad token ends in UnauthorizedError after one refresh", async () => {
  const { client, state, calls } = refreshing(() => Promise.resolve("still-garbage"));
  const e = await rejection(client.tasks.list());
  assert.ok(isUnauthorizedError(e), String(e));
  assert.equal(state.refreshes, 1, "no loop");
  assert.deepEqual(calls.map((c) => c.status), [401, 401]);
  assert.equal(calls[1]!.requestHeaders["Authorization"], "Bearer still-garbage");
});

test("refresh: null gives up at once with the 401", async () => {
  const { client, state, calls } = refreshing(() => Promise.resolve(null));
  const e = await rejection(client.tasks.list());
  assert.ok(isUnauthorizedError(e));
  assert.equal(state.refreshes, 1);
  assert.equal(calls.length, 1, "nothing to retry with");
});

test("a 403 is not refreshed", async () => {
  let refreshes = 0;
  const ben = newClient({ refreshToken: async () => { refreshes += 1; return token("ben"); } }, "ben");
  const e = await rejection(ben.projects.create({ name: "Nope", key: "NOPE", visibility: "team" }));
  assert.ok(isForbiddenError(e));
  assert.equal(refreshes, 0);
});

test("the ETag cache never serves one caller's response to another", async () => {
  const task = await newTask();
  const mark = await newClient().bookmarks.create({ task_id: task.id });
  const tokens = { ana: await token("ana"), ben: await token("ben") };
  let user: "ana" | "ben" = "ana";
  const store = new MemoryStorage();
  const { fetch, calls } = recordingFetch();
  // One app, two sign-ins in turn.
  const client: ApiClient = newClient({ fetch, cache: store, getToken: () => tokens[user] });
  const params = { filter: { task_id: task.id } };
  assert.deepEqual((await client.bookmarks.list(params)).items.map((b) => b.id), [mark.id]);
  assert.deepEqual((await client.bookmarks.list(params)).items.map((b) => b.id), [mark.id]);
  assert.deepEqual(calls.map((c) => c.status), [200, 304], "ana's list is cached");
  assert.ok(store.keys().length > 0);
  for (const key of store.keys()) assert.ok(!store.get(key)!.includes(tokens.ana), "the token is not stored");

  user = "ben";
  calls.length = 0;
  assert.deepEqual((await client.bookmarks.list(params)).items, [], "ben sees none of ana's");
  assert.equal(calls[0]!.requestHeaders["If-None-Match"], undefined, "not even ana's validator is sent");
  assert.deepEqual(calls.map((c) => c.status), [200]);
  assert.equal(store.keys().length, 1, "ana's entries were dropped when the token changed");

  // Two clients sharing one store: entries are marked with their caller.
  const shared = new EtagCache(new MemoryStorage());
  const anaWire = recordingFetch();
  const benWire = recordingFetch();
  const anaClient = newClient({ fetch: anaWire.fetch, cache: shared });
  const benClient = newClient({ fetch: benWire.fetch, cache: shared }, "ben");
  await anaClient.bookmarks.get(mark.id);
  const e = await rejection(benClient.bookmarks.get(mark.id));
  assert.ok(e instanceof ApiError && e.status === 404, String(e));
  assert.equal(benWire.calls[0]!.requestHeaders["If-None-Match"], undefined);
  await anaClient.projects.get(task.project_id);
  await benClient.projects.get(task.project_id);
  assert.deepEqual(benWire.calls.map((c) => c.status), [404, 200], "ana's cached project is not ben's");
});

test("the 401 refresh composes with retries: one refresh, one key", async () => {
  // Old token: 503 (retried), then 401; new token: 503 (retried), then 201.
  const answers = [503, 401, 503, 201];
  const seen: Array<[string | undefined, string | undefined]> = [];
  const fake: FetchLike = async (_url: string, init: FetchInit) => {
    seen.push([init.headers["Authorization"], init.headers["Idempotency-Key"]]);
    const status = answers.shift()!;
    const body = status === 201 ? JSON.stringify({ id: 9, name: "P", key: "PP", description: null, visibility: "team", due_on: null }) : "";
    return { status, statusText: "", headers: { get: (n: string) => (n.toLowerCase() === "retry-after" ? "0" : null) }, text: async () => body };
  };
  let current = "old";
  let refreshes = 0;
  const client = createClient({
    baseUrl: "http://api.test",
    fetch: fake,
    getToken: () => current,
    refreshToken: async () => {
      refreshes += 1;
      return (current = "new");
    },
  });
  const created = await client.projects.create({ name: "P", key: "PP", visibility: "team" });
  assert.equal(created.id, 9);
  assert.equal(refreshes, 1);
  assert.deepEqual(seen.map((s) => s[0]), ["Bearer old", "Bearer old", "Bearer new", "Bearer new"]);
  assert.equal(new Set(seen.map((s) => s[1])).size, 1, "the same Idempotency-Key on every attempt");
});

test("a refresh that throws surfaces its own error, and the next 401 tries again", async () => {
  let calls = 0;
  const fake: FetchLike = async () => {
    calls += 1;
    return { status: 401, statusText: "", headers: { get: () => null }, text: async () => "" };
  };
  const client = createClient({
    baseUrl: "http://api.test",
    fetch: fake,
    getToken: () => "old",
    refreshToken: () => {
      throw new Error("identity provider down");
    },
  });
  await assert.rejects(client.projects.list(), /identity provider down/);
  await assert.rejects(client.projects.list(), /identity provider down/);
  assert.equal(calls, 2, "one attempt each");
});
