// Problem details as ApiError; failures without an answer as NetworkError.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { ApiError, NetworkError, createClient, isRetryable, parseRetryAfter } from "../../../clients/typescript-v1/src";
import type { FetchInit, FetchLike, TaskCreate } from "../../../clients/typescript-v1/src";
import { newClient, newProject, uniqueKey } from "./support";

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const e = await rejection(p);
  assert.ok(e instanceof ApiError, `expected an ApiError, got ${String(e)}`);
  return e;
}

test("422: every invalid field, with pointer, code and message", async () => {
  const client = newClient();
  const project = await newProject(client);
  const e = await apiError(client.tasks.create({ title: "", status: "todo", done: false, priority: 9, project_id: project.id }));
  assert.equal(e.status, 422);
  assert.equal(e.type, "urn:resourceful:problem:validation");
  assert.ok(e.is("validation"));
  assert.equal(e.title, "Validation failed");
  assert.deepEqual(
    e.errors.map((x) => [x.field, x.pointer, x.code]),
    [
      ["title", "/title", "length"],
      ["priority", "/priority", "range"],
    ],
  );
  const byField = e.fieldErrors();
  assert.deepEqual(Object.keys(byField).sort(), ["priority", "title"]);
  assert.match(byField["title"]![0]!, /at least 1 character/);
  assert.ok(e.message.startsWith("Validation failed: "));
  assert.ok(e.requestId, "x-request-id is kept");

  // Missing required fields (the types forbid it; the server reports it too).
  const missing = await apiError(client.tasks.create({ title: "x" } as unknown as TaskCreate));
  assert.deepEqual(missing.errors.map((x) => x.code), ["required", "required", "required", "required"]);

  // Bulk: the pointer names the item.
  const bulk = await apiError(
    client.tasks.createMany([
      { title: "fine", status: "todo", done: false, priority: 1, project_id: project.id },
      { title: "", status: "todo", done: false, priority: 1, project_id: project.id },
    ]),
  );
  assert.equal(bulk.errors[0]!.pointer, "/1/title");
  assert.equal((await client.tasks.list({ filter: { project_id: project.id } })).items.length, 0, "all or nothing");
});

test("404: not-found", async () => {
  const e = await apiError(newClient().tasks.get(987654321));
  assert.equal(e.status, 404);
  assert.ok(e.is("not-found"));
  assert.match(e.detail, /987654321/);
  assert.equal(e.errors.length, 0);
  assert.deepEqual(e.fieldErrors(), {});
});

test("412: a stale ifMatch is refused and nothing changes", async () => {
  const client = newClient();
  const project = await newProject(client);
  const task = await client.tasks.create({ title: "Contended", status: "todo", done: false, priority: 3, project_id: project.id });
  const { etag } = await client.tasks.getWithEtag(task.id);
  await client.tasks.update(task.id, { priority: 1 }); // someone else's change
  const e = await apiError(client.tasks.update(task.id, { title: "Mine" }, { ifMatch: etag! }));
  assert.equal(e.status, 412);
  assert.ok(e.is("precondition-failed"));
  const r = await apiError(client.tasks.replace(task.id, { title: "Mine", status: "todo", done: false, priority: 3, project_id: project.id }, { ifMatch: etag! }));
  assert.equal(r.status, 412);
  const d = await apiError(client.tasks.delete(task.id, { ifMatch: etag! }));
  assert.equal(d.status, 412);
  assert.equal((await client.tasks.get(task.id)).title, "Contended");
});

test("409: a duplicate unique value", async () => {
  const client = newClient();
  const project = await newProject(client);
  const e = await apiError(client.projects.create({ name: project.name, key: uniqueKey(), visibility: "private" }));
  assert.equal(e.status, 409);
  assert.ok(e.is("conflict"));
  // A dangling relation is a conflict too.
  const fk = await apiError(client.tasks.create({ title: "Orphan", status: "todo", done: false, priority: 1, project_id: 999999999 }));
  assert.equal(fk.status, 409);
});

test("400: a filter the server refuses lists the offending parameter", async () => {
  const client = newClient();
  // The generated types do not allow this; force it through.
  const e = await apiError(client.tasks.list({ filter: { done: { lt: true } } as never }));
  assert.equal(e.status, 400);
  assert.ok(e.is("bad-query"));
  assert.equal(e.errors[0]!.pointer, "done[lt]");
  assert.equal(e.errors[0]!.code, "operator");
});

test("connection refused is a NetworkError, not an ApiError", async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const client = createClient({ baseUrl: `http://127.0.0.1:${port}` });
  const e = await rejection(client.projects.list());
  assert.ok(e instanceof NetworkError, String(e));
  assert.equal(e.reason, "network");
  assert.ok(!(e instanceof ApiError));
  assert.ok(isRetryable(e));
});

test("timeouts abort the request", async () => {
  let signal: { aborted: boolean } | undefined;
  const hanging: FetchLike = (_url: string, init: FetchInit) =>
    new Promise((_resolve, reject) => {
      signal = init.signal;
      init.signal?.addEventListener("abort", () => reject(new Error("aborted by the client")));
    });
  const client = createClient({ baseUrl: "http://127.0.0.1:9", fetch: hanging, timeoutMs: 50 });
  const e = await rejection(client.projects.list());
  assert.ok(e instanceof NetworkError);
  assert.equal(e.reason, "timeout");
  assert.ok(e.isTimeout);
  assert.equal(signal?.aborted, true, "the fetch was aborted through AbortController");
});

test("a caller's AbortSignal cancels the request", async () => {
  const hanging: FetchLike = (_url: string, init: FetchInit) =>
    new Promise((_resolve, reject) => init.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
  const client = createClient({ baseUrl: "http://127.0.0.1:9", fetch: hanging, timeoutMs: 0 });
  const controller = new AbortController();
  const pending = rejection(client.projects.list({}, { signal: controller.signal }));
  controller.abort();
  const e = await pending;
  assert.ok(e instanceof NetworkError);
  assert.equal(e.reason, "aborted");
  assert.ok(!isRetryable(e));
});

/** A fetch answering every request with one canned response. */
function canned(status: number, headers: Record<string, string>, body: string): FetchLike {
  return async () => ({
    status,
    statusText: "",
    headers: { get: (name: string) => headers[name.toLowerCase()] ?? null },
    text: async () => body,
  });
}

test("retryAfter is exposed for 429 and 503", async () => {
  const busy = createClient({
    baseUrl: "http://api.test",
    retries: 0,
    fetch: canned(503, { "content-type": "application/problem+json", "retry-after": "5" }, JSON.stringify({ type: "urn:resourceful:problem:unavailable", title: "Service unavailable", status: 503, detail: "the database is unavailable" })),
  });
  const e = await apiError(busy.tasks.list());
  assert.equal(e.status, 503);
  assert.equal(e.retryAfter, 5);
  assert.ok(e.is("unavailable"));
  assert.ok(isRetryable(e));

  const limited = createClient({
    baseUrl: "http://api.test",
    retries: 0,
    fetch: canned(429, { "retry-after": new Date(Date.now() + 30_000).toUTCString() }, JSON.stringify({ type: "urn:resourceful:problem:rate-limited", title: "Too many requests", status: 429 })),
  });
  const l = await apiError(limited.tasks.get(1));
  assert.ok(l.retryAfter !== null && l.retryAfter >= 28 && l.retryAfter <= 31, String(l.retryAfter));
  assert.equal(parseRetryAfter("soon"), null);
  assert.equal(parseRetryAfter(null), null);
});

test("non-problem error bodies and non-JSON successes", async () => {
  const proxy = createClient({ baseUrl: "http://api.test", fetch: canned(502, { "content-type": "text/html" }, "<h1>Bad gateway</h1>") });
  const e = await apiError(proxy.tasks.list());
  assert.equal(e.status, 502);
  assert.equal(e.type, "about:blank");
  assert.equal(e.body, "<h1>Bad gateway</h1>");
  const garbled = createClient({ baseUrl: "http://api.test", fetch: canned(200, {}, "<html>") });
  const g = await rejection(garbled.tasks.list());
  assert.ok(g instanceof NetworkError);
  assert.equal(g.reason, "invalid-response");
});
