// `client.graphql` of the newest package (GraphQL serves the newest API):
// automatic persisted queries seen on the wire (the hash alone, the text on
// a miss, the hash alone again), APQ switched off, typed GraphQL errors
// with partial data, permissions, the one token refresh after a 401, no
// second send of a mutation whose answer was lost, and the SHA-256 behind
// the hashes against the standard vectors and node's crypto.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ApiError,
  GraphQLResponseError,
  NetworkError,
  UnauthorizedError,
  createClient,
  isGraphQLResponseError,
  operationType,
  sha256,
  sha256Hex,
  utf8Bytes,
} from "../../../clients/typescript/src";
import type { ApiClient, ClientConfig, FetchInit, FetchLike, Project, Task } from "../../../clients/typescript/src";
import { API_BASE, sleep, token, uniqueKey } from "./support";
import type { User } from "./support";

/** One request to the service and its answer, bodies parsed. */
interface Call {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string>;
  /** The request body. */
  sent: { query?: string; variables?: Record<string, unknown>; operationName?: string; extensions?: { persistedQuery?: { version: number; sha256Hash: string } } };
  /** The response body. */
  got: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** The platform fetch, counting and recording every exchange. */
function wire(): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const f: FetchLike = async (url: string, init: FetchInit) => {
    const res = await fetch(url, init);
    const text = await res.text();
    let got: Call["got"] = {};
    try {
      got = JSON.parse(text) as Call["got"];
    } catch {
      // A non-JSON answer keeps `got` empty.
    }
    calls.push({ method: init.method, url, status: res.status, headers: { ...init.headers }, sent: init.body ? JSON.parse(init.body) : {}, got });
    return { status: res.status, statusText: res.statusText, headers: res.headers, text: async () => text };
  };
  return { fetch: f, calls };
}

/** A client of the newest API signed in as `user` (ana, the editor, by default). */
function client(config: Partial<ClientConfig> = {}, user: User = "ana"): ApiClient {
  return createClient({ baseUrl: API_BASE, getToken: () => token(user), ...config });
}

/** A comment that makes a document new to the server (its hash changes). */
function fresh(document: string): string {
  return `${document}\n# ${uniqueKey()}-${Math.random().toString(36).slice(2)}`;
}

function hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

async function newProject(c: ApiClient): Promise<Project> {
  const key = uniqueKey();
  return c.projects.create({ name: `GraphQL ${key}`, key, visibility: "team" });
}

async function newTask(c: ApiClient, title = "Through GraphQL"): Promise<{ project: Project; task: Task }> {
  const project = await newProject(c);
  const task = await c.tasks.create({ title, status: "in_progress", done: false, priority: 2, project_id: project.id });
  return { project, task };
}

const TASK = "query TaskById($id: ID!) { task(id: $id) { id title status priority project_id } }";

interface TaskById {
  task: { id: string; title: string; status: string; priority: number; project_id: string } | null;
}

// ---- against the service -------------------------------------------------

test("a query returns a row created through REST", async () => {
  const c = client();
  const { project, task } = await newTask(c, "Read back by GraphQL");
  const data = await c.graphql<TaskById, { id: string }>(TASK, { id: String(task.id) });
  assert.deepEqual(data, {
    task: { id: String(task.id), title: "Read back by GraphQL", status: "IN_PROGRESS", priority: 2, project_id: String(project.id) },
  });
  const missing = await c.graphql<TaskById>(TASK, { id: "999999999" });
  assert.equal(missing.task, null, "no such task: null, no error");
});

test("a new document: the hash alone misses, then hash and text; the next call sends the hash alone", async () => {
  const w = wire();
  const c = client({ fetch: w.fetch });
  const { task } = await newTask(client());
  const doc = fresh(TASK);
  const hash = hex(doc);

  const first = await c.graphql<TaskById>(doc, { id: String(task.id) });
  assert.equal(first.task?.title, task.title);
  assert.equal(w.calls.length, 2, "a miss, then the text");
  const [miss, text] = w.calls;
  for (const call of [miss!, text!]) {
    assert.equal(call.method, "POST");
    assert.equal(call.url, `${API_BASE}/graphql`);
    assert.equal(call.headers["Content-Type"], "application/json");
    assert.equal(call.headers["Idempotency-Key"], undefined, "the server keeps no idempotency keys for GraphQL");
    assert.deepEqual(call.sent.extensions, { persistedQuery: { version: 1, sha256Hash: hash } });
    assert.deepEqual(call.sent.variables, { id: String(task.id) });
  }
  assert.equal(miss!.sent.query, undefined, "the first request carries the hash only");
  assert.equal(miss!.status, 200);
  assert.equal(miss!.got.errors?.[0]?.extensions?.code, "PERSISTED_QUERY_NOT_FOUND");
  assert.equal(text!.sent.query, doc, "on the miss, the text with its hash");
  assert.equal(text!.status, 200);

  const second = await c.graphql<TaskById>(doc, { id: String(task.id) });
  assert.deepEqual(second, first);
  assert.equal(w.calls.length, 3, "one request the second time");
  assert.equal(w.calls[2]!.sent.query, undefined);
  assert.equal(w.calls[2]!.sent.extensions?.persistedQuery?.sha256Hash, hash);
  assert.equal(w.calls[2]!.got.errors, undefined);

  // The server remembers the text, not the client: another client's first
  // call is a hit too.
  const other = wire();
  const again = await client({ fetch: other.fetch }, "ben").graphql<TaskById>(doc, { id: String(task.id) });
  assert.equal(again.task?.title, task.title);
  assert.equal(other.calls.length, 1);
  assert.equal(other.calls[0]!.sent.query, undefined);
});

test("APQ switched off sends the text every time, without the extension", async () => {
  const { task } = await newTask(client());
  const doc = fresh(TASK);
  const w = wire();
  const off = client({ fetch: w.fetch, persistedQueries: false });
  for (let i = 0; i < 2; i++) {
    const data = await off.graphql<TaskById>(doc, { id: String(task.id) });
    assert.equal(data.task?.id, String(task.id));
  }
  assert.equal(w.calls.length, 2, "one request per call");
  for (const call of w.calls) {
    assert.equal(call.sent.query, doc);
    assert.equal(call.sent.extensions, undefined);
  }
  // Per call, on a client that has it on.
  const v = wire();
  const on = client({ fetch: v.fetch });
  await on.graphql<TaskById>(fresh(TASK), { id: String(task.id) }, { persisted: false });
  assert.equal(v.calls.length, 1);
  assert.equal(v.calls[0]!.sent.extensions, undefined);
  assert.ok(v.calls[0]!.sent.query);
});

test("an unknown field rejects with a GraphQLResponseError", async () => {
  const w = wire();
  const c = client({ fetch: w.fetch });
  const e = await rejection(c.graphql(fresh("{ tasks(first: 1) { items { id nope } } }")));
  assert.ok(isGraphQLResponseError(e), `expected a GraphQLResponseError, got ${String(e)}`);
  assert.ok(e instanceof GraphQLResponseError && !(e instanceof ApiError), "not an HTTP error: the answer was 200");
  assert.equal(e.name, "GraphQLResponseError");
  assert.equal(e.status, 200);
  assert.equal(e.errors.length, 1);
  assert.match(e.errors[0]!.message, /Unknown field "nope" on type "Task"/);
  assert.equal(e.message, e.errors[0]!.message);
  assert.equal(e.errors[0]!.locations[0]?.line, 1);
  assert.equal(e.code, null, "errors of the document carry no code");
  assert.equal(e.data, null);
  assert.ok(e.requestId && e.requestId.length > 0, "the x-request-id of the answer");
  assert.equal(w.calls.length, 2, "the miss, then the text, which fails validation");
});

test("a failing field: the typed error with its code and path, the partial data beside it", async () => {
  const c = client();
  const project = await newProject(c);
  const doc = 'query Partial($p: ID!) { a: project(id: $p) { name } b: bookmark(id: "x") { id } }';
  const e = await rejection(c.graphql<{ a: { name: string } | null; b: { id: string } | null }>(doc, { p: String(project.id) }));
  assert.ok(e instanceof GraphQLResponseError, String(e));
  assert.equal(e.code, "NOT_FOUND");
  assert.ok(e.is("NOT_FOUND") && !e.is("FORBIDDEN"));
  assert.deepEqual(e.codes, ["NOT_FOUND"]);
  assert.deepEqual(e.path, ["b"]);
  assert.equal(e.errors[0]!.extensions.status, 404);
  assert.equal(e.errors[0]!.extensions.type, "urn:resourceful:problem:not-found");
  assert.deepEqual(e.data?.a, { name: project.name }, "the field that resolved");
});

test("a mutation with the editor's token creates the row; without the role the server's FORBIDDEN, and nothing written", async () => {
  const ana = client();
  const project = await newProject(ana);
  const title = `Made by mutation ${uniqueKey()}`;
  const created = await ana.graphql<{ createTask: { id: string; title: string; status: string } }, { input: Record<string, unknown> }>(
    "mutation NewTask($input: TaskCreateInput!) { createTask(input: $input) { id title status } }",
    { input: { title, status: "TODO", done: false, priority: 3, project_id: String(project.id) } },
  );
  assert.equal(created.createTask.title, title);
  assert.equal(created.createTask.status, "TODO");
  const rest = await ana.tasks.get(Number(created.createTask.id));
  assert.equal(rest.title, title, "REST reads what the mutation wrote");
  assert.equal(rest.project_id, project.id);

  const ben = client({}, "ben");
  const key = uniqueKey();
  const e = await rejection(
    ben.graphql("mutation NewProject($input: ProjectCreateInput!) { createProject(input: $input) { id } }", {
      input: { name: `Ben's ${key}`, key, visibility: "TEAM" },
    }),
  );
  assert.ok(e instanceof GraphQLResponseError, String(e));
  assert.equal(e.code, "FORBIDDEN");
  assert.equal(e.errors[0]!.extensions.status, 403);
  assert.match(e.errors[0]!.message, /role:editor/);
  assert.deepEqual(e.path, ["createProject"]);
  assert.equal(e.data, null);
  assert.deepEqual((await ana.projects.list({ filter: { key } })).items, [], "the refused mutation wrote nothing");
});

test("no token: the server's UNAUTHORIZED GraphQL error", async () => {
  const anonymous = createClient({ baseUrl: API_BASE });
  const e = await rejection(anonymous.graphql("{ tasks(first: 1) { items { id } } }"));
  assert.ok(e instanceof GraphQLResponseError, String(e));
  assert.equal(e.code, "UNAUTHORIZED");
  assert.equal(e.errors[0]!.extensions.status, 401);
});

test("a refused token: one refresh, the operation sent again, and it succeeds", async () => {
  const { task } = await newTask(client());
  const w = wire();
  const state = { current: "expired-or-garbage", refreshes: 0 };
  const c = createClient({
    baseUrl: API_BASE,
    fetch: w.fetch,
    getToken: () => state.current,
    refreshToken: async () => {
      state.refreshes += 1;
      await sleep(10);
      state.current = await token("ana");
      return state.current;
    },
  });
  const doc = fresh(TASK);
  const data = await c.graphql<TaskById>(doc, { id: String(task.id) });
  assert.equal(data.task?.title, task.title);
  assert.equal(state.refreshes, 1);
  const ana = `Bearer ${await token("ana")}`;
  assert.deepEqual(
    w.calls.map((x) => [x.status, x.headers["Authorization"], x.sent.query === undefined ? "hash" : "text"]),
    [
      [401, "Bearer expired-or-garbage", "hash"],
      [200, ana, "hash"],
      [200, ana, "text"],
    ],
  );
  // Known now: the next call is one request, and no refresh.
  await c.graphql<TaskById>(doc, { id: String(task.id) });
  assert.equal(w.calls.length, 4);
  assert.equal(state.refreshes, 1);

  // A refresh that gives up: the typed 401.
  const gaveUp = createClient({ baseUrl: API_BASE, getToken: () => "garbage", refreshToken: async () => null });
  const e = await rejection(gaveUp.graphql(TASK, { id: "1" }));
  assert.ok(e instanceof UnauthorizedError, String(e));
  assert.equal(e.status, 401);
  assert.equal(e.challenge?.error, "invalid_token");
});

test("an aborted signal rejects with NetworkError before anything is sent", async () => {
  const w = wire();
  const c = client({ fetch: w.fetch });
  const controller = new AbortController();
  controller.abort();
  const e = await rejection(c.graphql(TASK, { id: "1" }, { signal: controller.signal }));
  assert.ok(e instanceof NetworkError && e.reason === "aborted", String(e));
  assert.equal(w.calls.length, 0);
});

test("a lost answer: a query is sent again, a mutation is not (it may have been applied)", async () => {
  const ana = client();
  const project = await newProject(ana);
  /** The real fetch, but the first answer to a request carrying `marker` is lost. */
  const losing = (marker: string) => {
    const state = { sent: 0, lost: false };
    const f: FetchLike = async (url, init) => {
      state.sent += 1;
      const res = await fetch(url, init);
      const text = await res.text();
      if (!state.lost && init.body?.includes(marker)) {
        state.lost = true;
        throw new TypeError("connection reset after the server answered");
      }
      return { status: res.status, statusText: res.statusText, headers: res.headers, text: async () => text };
    };
    return { fetch: f, state };
  };

  const q = losing("project(id");
  const data = await client({ fetch: q.fetch }).graphql<{ project: { name: string } }>(
    "query P($id: ID!) { project(id: $id) { name } }",
    { id: String(project.id) },
    { persisted: false },
  );
  assert.equal(data.project.name, project.name);
  assert.equal(q.state.sent, 2, "the query was sent again");

  const title = `Sent once ${uniqueKey()}`;
  const m = losing("createTask");
  const e = await rejection(
    client({ fetch: m.fetch }).graphql(
      "mutation NewTask($input: TaskCreateInput!) { createTask(input: $input) { id } }",
      { input: { title, status: "TODO", done: false, priority: 1, project_id: String(project.id) } },
      { persisted: false },
    ),
  );
  assert.ok(e instanceof NetworkError && e.reason === "network", String(e));
  assert.equal(m.state.sent, 1, "the mutation was not sent again");
  const rows = await ana.tasks.list({ filter: { title } });
  assert.equal(rows.items.length, 1, "applied once, by the one request");
});

test("the README's GraphQL documents run as written", async () => {
  const readme = readFileSync(join(__dirname, "../../../../../../clients/typescript/README.md"), "utf8");
  const query = /export const TASK_BY_ID = `([^`]*)`/.exec(readme)?.[1];
  const mutation = /"(mutation ChangeTask[^"]*)"/.exec(readme)?.[1];
  assert.ok(query && mutation, "the README's example documents");
  assert.ok(readme.includes("{ id, input: { done: true } }"), "the variables used below");
  const c = client();
  const { task } = await newTask(c, "Documented");
  const read = await c.graphql<{ task: { id: string; title: string } | null }>(query, { id: String(task.id) });
  assert.deepEqual(read.task, { id: String(task.id), title: "Documented" });
  const changed = await c.graphql<{ updateTask: { id: string } }>(mutation, { id: String(task.id), input: { done: true } });
  assert.equal(changed.updateTask.id, String(task.id));
  assert.equal((await c.tasks.get(task.id, { noCache: true })).done, true);
});

// ---- against scripted answers -------------------------------------------

interface Scripted {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}

function scripted(answer: (sent: Call["sent"]) => Scripted): { fetch: FetchLike; sent: Call["sent"][] } {
  const sent: Call["sent"][] = [];
  const f: FetchLike = async (_url, init) => {
    const body = JSON.parse(init.body ?? "{}") as Call["sent"];
    sent.push(body);
    const a = answer(body);
    const headers = Object.fromEntries(Object.entries({ "content-type": "application/json", ...a.headers }).map(([k, v]) => [k.toLowerCase(), v]));
    return { status: a.status ?? 200, headers: { get: (name: string) => headers[name.toLowerCase()] ?? null }, text: async () => JSON.stringify(a.body) };
  };
  return { fetch: f, sent };
}

test("a server without persisted queries: the text at once, and from then on only the text", async () => {
  const s = scripted((sent) =>
    sent.query === undefined
      ? { body: { errors: [{ message: "PersistedQueryNotSupported", extensions: { code: "PERSISTED_QUERY_NOT_SUPPORTED" } }] } }
      : { body: { data: { ok: true } } },
  );
  const c = createClient({ baseUrl: "http://scripted", fetch: s.fetch, cache: false });
  assert.deepEqual(await c.graphql("{ ok }"), { ok: true });
  assert.deepEqual(await c.graphql("{ ok }"), { ok: true });
  assert.deepEqual(
    s.sent.map((b) => [b.query !== undefined, b.extensions !== undefined]),
    [
      [false, true],
      [true, false],
      [true, false],
    ],
  );
});

test("a request the server could not execute (400 with errors): a GraphQLResponseError with the status", async () => {
  const s = scripted(() => ({
    status: 400,
    headers: { "x-request-id": "req-1" },
    body: { errors: [{ message: "extensions.persistedQuery: sha256Hash does not match the query", extensions: { code: "BAD_QUERY", status: 400, type: "urn:resourceful:problem:bad-query" } }] },
  }));
  const c = createClient({ baseUrl: "http://scripted", fetch: s.fetch });
  const e = await rejection(c.graphql("{ ok }"));
  assert.ok(e instanceof GraphQLResponseError, String(e));
  assert.equal(e.status, 400);
  assert.equal(e.code, "BAD_QUERY");
  assert.equal(e.path, null);
  assert.equal(e.requestId, "req-1");
  assert.equal(s.sent.length, 1, "a 400 is not retried");
});

test("validation problems read as fieldErrors(); a response without data or errors is an invalid response", async () => {
  const s = scripted((sent) =>
    sent.query === undefined && sent.extensions
      ? { body: { data: null, errors: [{ message: "2 fields are invalid", path: ["createTask"], extensions: { code: "VALIDATION", status: 422, errors: [{ field: "title", pointer: "/title", code: "length", message: "too short" }, { field: "priority", pointer: "/priority", code: "range", message: "1 to 5" }] } }] } }
      : { body: {} },
  );
  const c = createClient({ baseUrl: "http://scripted", fetch: s.fetch });
  const e = await rejection(c.graphql("mutation { createTask(input: {}) { id } }"));
  assert.ok(e instanceof GraphQLResponseError, String(e));
  assert.deepEqual(e.fieldErrors(), { title: ["too short"], priority: ["1 to 5"] });
  assert.equal(e.errors[0]!.extensions.errors?.[0]?.pointer, "/title");
  const bad = await rejection(c.graphql("{ ok }", undefined, { persisted: false }));
  assert.ok(bad instanceof NetworkError && bad.reason === "invalid-response", String(bad));
});

test("a GraphQL answer's Maintenance field and retirement headers reach the client like any other", async () => {
  const notices: string[] = [];
  const s = scripted(() => ({
    headers: {
      Maintenance: '"w1";start=@1767304800;end=@1767308400;mode=read_only;resources="tasks"',
      Deprecation: "@1796083200",
      Sunset: "Wed, 30 Jun 2027 00:00:00 GMT",
    },
    body: { data: { ok: true } },
  }));
  const c = createClient({ baseUrl: "http://scripted", fetch: s.fetch, onDeprecation: (n) => notices.push(n.route) });
  await c.graphql("{ ok }", undefined, { persisted: false });
  assert.deepEqual(c.maintenance.current().map((w) => [w.id, w.mode, w.resources]), [["w1", "read_only", ["tasks"]]]);
  assert.deepEqual(notices, ["/graphql"]);
});

// ---- the pieces ----------------------------------------------------------

test("operationType tells queries from mutations", () => {
  assert.equal(operationType("{ tasks { items { id } } }"), "query");
  assert.equal(operationType("query { a }"), "query");
  assert.equal(operationType("query Named($id: ID!) { task(id: $id) { id } }"), "query");
  assert.equal(operationType("mutation M($input: TaskCreateInput!) { createTask(input: $input) { id } }"), "mutation");
  assert.equal(operationType("subscription { changes { id } }"), "subscription");
  // Comments, strings, variable names and default values are no keywords or selections.
  assert.equal(operationType('# mutation { x }\nquery Q($mutation: String = "mutation {") { a(s: "}") }'), "query");
  assert.equal(operationType('query Q($f: TaskFilter = {title: {eq: "x"}}) { tasks(filter: $f) { items { id } } }'), "query");
  assert.equal(operationType('"""mutation { x }""" query Q { a }'), "query");
  // Fragments are not operations.
  assert.equal(operationType("fragment F on Task { id } mutation M { deleteTask(id: 1) { ...F } }"), "mutation");
  // Several operations: the named one, else unknown.
  const two = "query A { a } mutation B { b }";
  assert.equal(operationType(two, "A"), "query");
  assert.equal(operationType(two, "B"), "mutation");
  assert.equal(operationType(two), null);
  assert.equal(operationType(two, "C"), null);
});

test("SHA-256: the standard test vectors", () => {
  assert.equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  assert.equal(
    sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
  );
  assert.equal(sha256Hex("a".repeat(1_000_000)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  assert.equal(sha256(new Uint8Array([0xbd])).length, 32);
  assert.equal(sha256Hex(new Uint8Array([0xbd])), "68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b");
});

test("SHA-256 and UTF-8 agree with node's crypto: every padding length, multi-block unicode, lone surrogates", () => {
  // 0 to 200 bytes crosses the 55/56 and 63/64 byte padding boundaries of several blocks.
  for (let n = 0; n <= 200; n++) {
    const s = "x".repeat(n);
    assert.equal(sha256Hex(s), hex(s), `length ${n}`);
  }
  const unicode = "Zürich · 東京 · Ελλάδα · 🚀🧪 · ".repeat(12) + "café\u0301 — \u{10FFFF}";
  assert.ok(Buffer.byteLength(unicode, "utf8") > 256, "several blocks");
  assert.deepEqual(Array.from(utf8Bytes(unicode)), Array.from(Buffer.from(unicode, "utf8")));
  assert.equal(sha256Hex(unicode), hex(unicode));
  // Lone surrogates become U+FFFD, as node (and TextEncoder) encode them.
  for (const odd of ["\ud800", "a\udc00b", "\ud83d", "x\ud83d\ud83dy"]) {
    assert.deepEqual(Array.from(utf8Bytes(odd)), Array.from(Buffer.from(odd, "utf8")), JSON.stringify(odd));
    assert.equal(sha256Hex(odd), hex(odd));
  }
  // Random documents.
  for (let i = 0; i < 50; i++) {
    const len = Math.floor(Math.random() * 300);
    const s = Array.from({ length: len }, () => String.fromCodePoint(Math.floor(Math.random() * 0x2fff) + 32)).join("");
    assert.equal(sha256Hex(s), hex(s), JSON.stringify(s));
  }
});
