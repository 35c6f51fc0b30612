// Two API versions of projects served side by side from one table: the
// package of the API as of v1 (`@resourceful-example/client-v1`, projects
// at /v1 with `due_on`) and the newest package (`@resourceful-example/client`,
// projects at /v2 with `deadline` and `color`) used together, the way an app
// migrating from one to the other would.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ApiError as ApiErrorV1,
  createClient as createClientV1,
  projectResource as projectResourceV1,
} from "../../../clients/typescript-v1/src";
import type {
  ApiClient as ApiClientV1,
  DeprecationNotice as DeprecationNoticeV1,
  FetchLike as FetchLikeV1,
  Project as ProjectV1,
  ProjectCreate as ProjectCreateV1,
  ProjectPatch as ProjectPatchV1,
} from "../../../clients/typescript-v1/src";
import { ApiError, createClient, projectResource } from "../../../clients/typescript/src";
import type { ApiClient, DeprecationNotice, FetchLike, Project, ProjectCreate } from "../../../clients/typescript/src";
import { API_BASE, token, uniqueKey } from "./support";

/** The retirement the service announces for /v1/projects. */
const DEPRECATION = "@1796083200";
const SUNSET = "Wed, 30 Jun 2027 00:00:00 GMT";

/** The fields of each version's representation, in the documented order. */
const V1_FIELDS = ["id", "name", "key", "description", "visibility", "due_on", "created_at", "updated_at"];
const V2_FIELDS = ["id", "name", "key", "description", "visibility", "deadline", "color", "created_at", "updated_at"];

interface Exchange {
  method: string;
  url: string;
  status: number;
  headers: Headers;
}

/** The platform fetch, keeping every response's headers (the clients do not expose them). */
function headerFetch(): { fetch: FetchLike & FetchLikeV1; calls: Exchange[] } {
  const calls: Exchange[] = [];
  const f = async (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: unknown }) => {
    const res = await fetch(url, init as RequestInit);
    const body = await res.text();
    calls.push({ method: init.method, url, status: res.status, headers: res.headers });
    return { status: res.status, statusText: res.statusText, headers: res.headers, text: async () => body };
  };
  return { fetch: f, calls };
}

/** ana (editor) on the API as of v1. */
function v1Client(fetch?: FetchLikeV1, onDeprecation?: (notice: DeprecationNoticeV1) => void): ApiClientV1 {
  return createClientV1({ baseUrl: API_BASE, getToken: () => token("ana"), ...(fetch ? { fetch } : {}), ...(onDeprecation ? { onDeprecation } : {}) });
}

/** ana (editor) on the newest API. */
function v2Client(fetch?: FetchLike, onDeprecation?: (notice: DeprecationNotice) => void): ApiClient {
  return createClient({ baseUrl: API_BASE, getToken: () => token("ana"), ...(fetch ? { fetch } : {}), ...(onDeprecation ? { onDeprecation } : {}) });
}

/** A date no other test uses (YYYY-MM-DD), `days` after a random far-future day. */
const base = Date.UTC(2300 + Math.floor(Math.random() * 500), 0, 1) + Math.floor(Math.random() * 300) * 86_400_000;
function farDate(days: number): string {
  return new Date(base + days * 86_400_000).toISOString().slice(0, 10);
}

/** The `Link` header's values: `<uri>; rel="…"`, comma-separated (the URIs may hold commas). */
function links(header: string | null): { uri: string; rel: string }[] {
  const out: { uri: string; rel: string }[] = [];
  for (const m of (header ?? "").matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel="?([^";,]+)"?/.exec(m[2] ?? "");
    out.push({ uri: m[1]!, rel: rel ? rel[1]! : "" });
  }
  return out;
}

async function getJson(path: string): Promise<{ status: number; contentType: string | null; body: any }> {
  const res = await fetch(API_BASE + path);
  return { status: res.status, contentType: res.headers.get("content-type"), body: await res.json() };
}

// Compile-time: each package's types describe its version only.
export function typesFollowTheVersion(v1: ProjectV1, v2: Project): void {
  const create1: ProjectCreateV1 = { name: "n", key: "KK", visibility: "team", due_on: "2030-01-01" };
  const create2: ProjectCreate = { name: "n", key: "KK", visibility: "team", deadline: "2030-01-01", color: "#00ff00" };
  // @ts-expect-error v1 has no color
  const bad1: ProjectCreateV1 = { name: "n", key: "KK", visibility: "team", color: "#00ff00" };
  // @ts-expect-error v2 calls due_on deadline
  const bad2: ProjectCreate = { name: "n", key: "KK", visibility: "team", due_on: "2030-01-01" };
  // @ts-expect-error v1 projects have no deadline
  void v1.deadline;
  // @ts-expect-error v2 projects have no due_on
  void v2.due_on;
  void [create1, create2, bad1, bad2];
}

test("each package talks to its own version of projects; the others stay at v1", () => {
  assert.equal(projectResourceV1.route, "/v1/projects");
  assert.equal(projectResource.route, "/v2/projects");
  const v1 = v1Client();
  const v2 = v2Client();
  assert.equal(v2.tasks.descriptor.route, "/v1/tasks", "tasks have one version");
  assert.equal(v1.tasks.descriptor.route, "/v1/tasks");
  assert.equal(v2.comments.descriptor.route, "/v1/comments");
  assert.equal(v2.bookmarks.descriptor.route, "/v1/bookmarks");
});

test("a project created through v1 (due_on) reads through v2 as deadline, with no color", async () => {
  const v1 = v1Client();
  const v2 = v2Client();
  const key = uniqueKey();
  const due = farDate(0);
  const created = await v1.projects.create({ name: `Versions ${key}`, key, visibility: "team", due_on: due, description: "from v1" });
  assert.deepEqual(Object.keys(created), V1_FIELDS, "the v1 representation, unchanged");
  assert.equal(created.due_on, due);

  const seen = await v2.projects.get(created.id);
  assert.deepEqual(Object.keys(seen), V2_FIELDS);
  assert.equal(seen.deadline, due, "due_on is v2's deadline");
  assert.equal(seen.color, null, "a v1 create leaves color null");
  assert.equal(seen.name, created.name);
  assert.equal(seen.key, key);
  assert.equal(seen.description, "from v1");
  assert.equal(seen.created_at, created.created_at);
  assert.equal(seen.updated_at, created.updated_at);
  // The same row under either version.
  assert.deepEqual((await v2.projects.list({ filter: { key } })).items, [seen]);
});

test("v2 sets color and deadline; v1 sees due_on and no color; v1 PUT and PATCH keep the color", async () => {
  const v1 = v1Client();
  const v2 = v2Client();
  const key = uniqueKey();
  const project = await v1.projects.create({ name: `Colors ${key}`, key, visibility: "team", due_on: farDate(1) });
  const before = await v1.projects.get(project.id);

  const colored = await v2.projects.update(project.id, { color: "#1a2b3c", deadline: farDate(2) });
  assert.equal(colored.color, "#1a2b3c");
  assert.equal(colored.deadline, farDate(2));

  // Projects may be reused for 30 s (Cache-Control: max-age=30): the v1
  // client does not know the row changed through v2 until it asks again.
  assert.equal((await v1.projects.get(project.id)).due_on, before.due_on, "within max-age the v1 read is reused");
  const read = await v1.projects.get(project.id, { revalidate: true });
  assert.equal(read.due_on, farDate(2), "v2's deadline is v1's due_on");
  assert.deepEqual(Object.keys(read), V1_FIELDS, "no color key in v1");
  assert.equal("color" in read, false);
  assert.equal(Date.parse(read.updated_at) >= Date.parse(before.updated_at), true);

  // A v1 full replace: every v1 field, and the color it cannot see stays.
  const replaced = await v1.projects.replace(project.id, { name: `Replaced ${key}`, key, visibility: "private", due_on: farDate(3) });
  assert.deepEqual(Object.keys(replaced), V1_FIELDS);
  assert.equal(replaced.description, null, "absent optional v1 fields become null");
  let now = await v2.projects.get(project.id, { revalidate: true });
  assert.equal(now.color, "#1a2b3c", "a v1 PUT keeps the color");
  assert.equal(now.name, `Replaced ${key}`);
  assert.equal(now.visibility, "private");
  assert.equal(now.deadline, farDate(3));

  // A v1 merge patch, clearing due_on.
  const patched = await v1.projects.update(project.id, { name: `Patched ${key}`, due_on: null });
  assert.equal(patched.due_on, null);
  now = await v2.projects.get(project.id, { revalidate: true });
  assert.equal(now.color, "#1a2b3c", "a v1 PATCH keeps the color");
  assert.equal(now.name, `Patched ${key}`);
  assert.equal(now.deadline, null);

  // v1 cannot write color at all.
  await assert.rejects(
    v1.projects.update(project.id, { color: "#000000" } as unknown as ProjectPatchV1),
    (e: unknown) => {
      assert.ok(e instanceof ApiErrorV1);
      assert.equal(e.status, 422);
      assert.deepEqual(e.errors.map((f) => [f.field, f.code]), [["color", "unknown"]]);
      return true;
    },
  );
  assert.equal((await v2.projects.get(project.id, { revalidate: true })).color, "#1a2b3c", "the refused write changed nothing");

  // v2 validates color; a v2 PUT is a full replace of the v2 fields.
  await assert.rejects(v2.projects.update(project.id, { color: "#ABCDEF" }), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 422);
    assert.deepEqual(e.errors.map((f) => [f.field, f.code]), [["color", "pattern"]]);
    return true;
  });
  const replaced2 = await v2.projects.replace(project.id, { name: `V2 ${key}`, key, visibility: "team" });
  assert.equal(replaced2.color, null, "a v2 PUT without color clears it");
});

test("v1 responses announce the retirement (Deprecation, Sunset, successor-version); v2 responses do not", async () => {
  const rec = headerFetch();
  const v1 = v1Client(rec.fetch);
  const v2 = v2Client(rec.fetch);
  const key = uniqueKey();

  const p = await v1.projects.create({ name: `Retire ${key}`, key, visibility: "team" });
  await v1.projects.get(p.id);
  await v1.projects.update(p.id, { description: "patched" });
  await v1.projects.replace(p.id, { name: `Retire ${key}`, key, visibility: "team" });
  await v1.projects.create({ name: `Retire 2 ${key}`, key: uniqueKey(), visibility: "team" });
  const page = await v1.projects.list({ limit: 1 });
  assert.ok(page.next_cursor, "more than one project: the page links to the next");
  await assert.rejects(v1.projects.get(2_000_000_000), (e: unknown) => e instanceof ApiErrorV1 && e.status === 404);
  await assert.rejects(
    v1.projects.create({ name: "x", key: "9", visibility: "team" }),
    (e: unknown) => e instanceof ApiErrorV1 && e.status === 422,
  );
  const v1Calls = rec.calls.splice(0);
  assert.deepEqual(
    v1Calls.map((c) => `${c.method} ${c.status}`),
    ["POST 201", "GET 200", "PATCH 200", "PUT 200", "POST 201", "GET 200", "GET 404", "POST 422"],
  );
  for (const c of v1Calls) {
    const what = `${c.method} ${c.url} (${c.status})`;
    assert.equal(c.headers.get("deprecation"), DEPRECATION, what);
    assert.equal(c.headers.get("sunset"), SUNSET, what);
    const path = c.url.slice(API_BASE.length).split("?")[0]!;
    const successor = path.replace(/^\/v1\/projects/, "/v2/projects");
    const ls = links(c.headers.get("link"));
    assert.deepEqual(
      ls.filter((l) => l.rel === "successor-version").map((l) => l.uri),
      [successor],
      `${what}: the same item (or the collection) in v2`,
    );
  }
  // The list page also links to its next page, in the same header.
  const listLinks = links(v1Calls[5]!.headers.get("link"));
  assert.deepEqual(listLinks.map((l) => l.rel).sort(), ["next", "successor-version"]);
  assert.match(listLinks.find((l) => l.rel === "next")!.uri, /^\/v1\/projects\?.*cursor=/);

  // RFC 9745: `@` and Unix seconds; the sunset (RFC 8594) comes after it.
  const deprecatedAt = Number(DEPRECATION.slice(1)) * 1000;
  assert.equal(new Date(deprecatedAt).toISOString(), "2026-12-01T00:00:00.000Z");
  assert.ok(Date.parse(SUNSET) > deprecatedAt, "the sunset follows the deprecation");

  // The same operations on v2, and on tasks (served at /v1 only, not retired).
  const q = await v2.projects.create({ name: `Current ${key}`, key: uniqueKey(), visibility: "team", color: "#00aa00" });
  await v2.projects.get(q.id);
  await v2.projects.update(q.id, { description: "patched" });
  await v2.projects.replace(q.id, { name: `Current ${key}`, key: q.key, visibility: "team" });
  const page2 = await v2.projects.list({ limit: 1 });
  assert.ok(page2.next_cursor);
  await assert.rejects(v2.projects.get(2_000_000_000), (e: unknown) => e instanceof ApiError && e.status === 404);
  const task = await v2.tasks.create({ title: "Not retired", status: "todo", done: false, priority: 1, project_id: q.id });
  await v2.tasks.get(task.id);
  await v1.tasks.list({ filter: { project_id: p.id } });
  await v2.projects.delete(q.id);
  await v1.projects.delete(p.id);
  const rest = rec.calls.splice(0);
  const v1Delete = rest.pop()!;
  assert.deepEqual(
    rest.map((c) => `${c.method} ${c.status} ${c.url.slice(API_BASE.length).split("?")[0]!.replace(/\d+$/, "ID")}`),
    [
      "POST 201 /v2/projects",
      "GET 200 /v2/projects/ID",
      "PATCH 200 /v2/projects/ID",
      "PUT 200 /v2/projects/ID",
      "GET 200 /v2/projects",
      "GET 404 /v2/projects/ID",
      "POST 201 /v1/tasks",
      "GET 200 /v1/tasks/ID",
      "GET 200 /v1/tasks",
      "DELETE 204 /v2/projects/ID",
    ],
  );
  for (const c of rest) {
    const what = `${c.method} ${c.url} (${c.status})`;
    assert.equal(c.headers.get("deprecation"), null, what);
    assert.equal(c.headers.get("sunset"), null, what);
    assert.deepEqual(links(c.headers.get("link")).filter((l) => l.rel === "successor-version"), [], what);
  }
  assert.equal(`${v1Delete.method} ${v1Delete.status}`, "DELETE 204");
  assert.equal(v1Delete.headers.get("deprecation"), DEPRECATION, "a v1 delete is announced too");
  assert.equal(v1Delete.headers.get("sunset"), SUNSET);
  assert.deepEqual(links(v1Delete.headers.get("link")), [{ uri: `/v2/projects/${p.id}`, rel: "successor-version" }]);
});

/** The notice the v1 clients are to report for /v1/projects, its successor at `successorPath`. */
function v1Notice(successorPath: string): DeprecationNoticeV1 {
  return {
    route: "/v1/projects",
    deprecatedAt: new Date(Number(DEPRECATION.slice(1)) * 1000),
    sunset: new Date(Date.parse(SUNSET)),
    successor: API_BASE + successorPath,
  };
}

test("onDeprecation: a v1 client hears of the projects' retirement once, whatever it calls; a v2 client never", async () => {
  // Two projects, so that the v1 list page links to the next one as well.
  const seed = v2Client();
  const key = uniqueKey();
  const a = await seed.projects.create({ name: `Notice ${key}`, key, visibility: "team" });
  const b = await seed.projects.create({ name: `Notice 2 ${key}`, key: uniqueKey(), visibility: "team" });

  const rec = headerFetch();
  const notices: DeprecationNoticeV1[] = [];
  const v1 = v1Client(rec.fetch, (n) => notices.push(n));
  const page = await v1.projects.list({ limit: 1 });
  assert.ok(page.next_cursor);
  assert.deepEqual(links(rec.calls[0]!.headers.get("link")).map((l) => l.rel).sort(), ["next", "successor-version"], "one Link field, two values");
  assert.deepEqual(notices, [v1Notice("/v2/projects")], "the first response reports it: the dates read, the successor resolved");
  assert.equal(notices[0]!.deprecatedAt!.toISOString(), "2026-12-01T00:00:00.000Z");
  assert.equal(notices[0]!.sunset!.toISOString(), "2027-06-30T00:00:00.000Z");

  // Every other v1 project call, successes and error answers, announces it again.
  await v1.projects.get(a.id);
  await v1.projects.get(b.id, { revalidate: true });
  await v1.projects.update(a.id, { description: "noticed" });
  await v1.projects.replace(b.id, { name: `Notice 2 ${key}`, key: b.key, visibility: "team", description: "replaced" });
  const c = await v1.projects.create({ name: `Notice 3 ${key}`, key: uniqueKey(), visibility: "team" });
  await v1.projects.list({ filter: { key } });
  await assert.rejects(v1.projects.get(2_000_000_000), (e: unknown) => e instanceof ApiErrorV1 && e.status === 404);
  await assert.rejects(
    v1.projects.create({ name: "x", key: "9", visibility: "team" }),
    (e: unknown) => e instanceof ApiErrorV1 && e.status === 422,
  );
  await v1.projects.delete(c.id);
  // Tasks (one version, not retired) report nothing.
  await v1.tasks.list({ limit: 1 });
  const projectCalls = rec.calls.filter((call) => call.url.startsWith(`${API_BASE}/v1/projects`));
  assert.equal(projectCalls.length, 10, "every call went to the server");
  for (const call of projectCalls) assert.equal(call.headers.get("deprecation"), DEPRECATION, `${call.method} ${call.url} announced it`);
  assert.equal(rec.calls[rec.calls.length - 1]!.headers.get("deprecation"), null, "the tasks list is not retired");
  assert.deepEqual(notices, [v1Notice("/v2/projects")], "one notice per route and client");

  // Another client hears of it anew, here from an item's response.
  const other: DeprecationNoticeV1[] = [];
  const v1b = v1Client(undefined, (n) => other.push(n));
  await v1b.projects.get(a.id);
  await v1b.projects.list({ limit: 1 });
  assert.deepEqual(other, [v1Notice(`/v2/projects/${a.id}`)], "an item stands for its collection route");
  assert.equal(notices.length, 1, "the first client is not told again");

  // The newest package on the same server: nothing is retired.
  const current: DeprecationNotice[] = [];
  const rec2 = headerFetch();
  const v2 = v2Client(rec2.fetch, (n) => current.push(n));
  await v2.projects.list({ limit: 1 });
  await v2.projects.get(a.id);
  await v2.projects.update(a.id, { color: "#0a0b0c" });
  await assert.rejects(v2.projects.get(2_000_000_000), (e: unknown) => e instanceof ApiError && e.status === 404);
  await v2.tasks.list({ limit: 1 });
  await v2.projects.delete(a.id);
  await v2.projects.delete(b.id);
  assert.equal(rec2.calls.length, 7, "every call went to the server");
  assert.deepEqual(current, [], "a v2 client gets no notice");
});

test("onDeprecation: an error answer is reported too, when it comes first", async () => {
  const notices: DeprecationNoticeV1[] = [];
  const v1 = v1Client(undefined, (n) => notices.push(n));
  await assert.rejects(v1.projects.get(2_000_000_000), (e: unknown) => e instanceof ApiErrorV1 && e.status === 404);
  assert.deepEqual(notices, [v1Notice("/v2/projects/2000000000")]);
  await assert.rejects(v1.projects.update(2_000_000_000, { description: "x" }), (e: unknown) => e instanceof ApiErrorV1 && e.status === 404);
  assert.equal(notices.length, 1);
});

test("onDeprecation: a callback that throws fails no call; its error is rethrown apart, once", async () => {
  const boom = new Error("the app's callback failed");
  const rethrown: unknown[] = [];
  let called = 0;
  // The client rethrows the callback's error in a microtask: catch it there
  // (only that error), or the test runner would take it as this test's.
  const g = globalThis as unknown as { queueMicrotask: (callback: () => void) => void };
  const real = g.queueMicrotask;
  g.queueMicrotask = (callback) =>
    real(() => {
      try {
        callback();
      } catch (e) {
        if (e !== boom) throw e;
        rethrown.push(e);
      }
    });
  try {
    const v1 = v1Client(undefined, () => {
      called++;
      throw boom;
    });
    const key = uniqueKey();
    const p = await v1.projects.create({ name: `Throwing ${key}`, key, visibility: "team" });
    assert.equal(p.key, key, "the create that announced it resolves with the project");
    assert.equal((await v1.projects.get(p.id, { revalidate: true })).id, p.id);
    await assert.rejects(
      v1.projects.get(2_000_000_000),
      (e: unknown) => e instanceof ApiErrorV1 && e.status === 404,
      "an error answer rejects with its own error, not the callback's",
    );
    await v1.projects.delete(p.id);
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
  } finally {
    g.queueMicrotask = real;
  }
  assert.equal(called, 1, "called once, though every response announced it");
  assert.deepEqual(rethrown, [boom], "the callback's error is reported, not swallowed");
});

test("/v1/openapi.json and /v2/openapi.json describe each version; /openapi.json the newest", async () => {
  const [v1, v2, newest] = await Promise.all([getJson("/v1/openapi.json"), getJson("/v2/openapi.json"), getJson("/openapi.json")]);
  for (const [name, doc] of [["v1", v1], ["v2", v2], ["newest", newest]] as const) {
    assert.equal(doc.status, 200, name);
    assert.match(doc.contentType ?? "", /^application\/json/, name);
    assert.match(doc.body.openapi, /^3\.1\./, name);
  }
  assert.deepEqual(newest.body, v2.body, "/openapi.json is the newest version's document");

  const methods = ["get", "head", "post", "put", "patch", "delete"];
  const ops = (doc: any, path: string): any[] => methods.filter((m) => doc.paths[path]?.[m]).map((m) => doc.paths[path][m]);

  // v1: projects at /v1, every operation deprecated, `due_on` and no `color`.
  const d1 = v1.body;
  assert.ok(d1.paths["/v1/projects"] && d1.paths["/v1/projects/{id}"], "v1 serves /v1/projects");
  assert.equal(d1.paths["/v2/projects"], undefined);
  assert.equal(d1.paths["/v2/projects/{id}"], undefined);
  const v1Ops = [...ops(d1, "/v1/projects"), ...ops(d1, "/v1/projects/{id}")];
  assert.equal(v1Ops.length, 8, "list, head list, create, get, head, replace, patch, delete");
  for (const op of v1Ops) assert.equal(op.deprecated, true, `${op.operationId} is deprecated in v1`);
  for (const op of [...ops(d1, "/v1/tasks"), ...ops(d1, "/v1/tasks/{id}")]) assert.notEqual(op.deprecated, true, `${op.operationId}: tasks are not`);
  for (const schema of ["Project", "ProjectCreate", "ProjectReplace", "ProjectPatch"]) {
    const props = Object.keys(d1.components.schemas[schema].properties);
    assert.ok(props.includes("due_on"), `v1 ${schema} has due_on`);
    assert.ok(!props.includes("deadline"), `v1 ${schema} has no deadline`);
    assert.ok(!props.includes("color"), `v1 ${schema} has no color`);
  }
  assert.deepEqual(Object.keys(d1.components.schemas.Project.properties), V1_FIELDS);
  const v1Params = d1.paths["/v1/projects"].get.parameters.map((p: any) => p.name ?? p.$ref);
  assert.ok(v1Params.includes("due_on") && !v1Params.includes("deadline"), "v1 filters on due_on");

  // v2: projects at /v2, not deprecated, `deadline` and `color`.
  const d2 = v2.body;
  assert.ok(d2.paths["/v2/projects"] && d2.paths["/v2/projects/{id}"], "v2 serves /v2/projects");
  assert.equal(d2.paths["/v1/projects"], undefined);
  assert.equal(d2.paths["/v1/projects/{id}"], undefined);
  const v2Ops = [...ops(d2, "/v2/projects"), ...ops(d2, "/v2/projects/{id}")];
  assert.equal(v2Ops.length, 8);
  for (const op of v2Ops) assert.notEqual(op.deprecated, true, `${op.operationId} is current in v2`);
  for (const schema of ["Project", "ProjectCreate", "ProjectReplace", "ProjectPatch"]) {
    const props = Object.keys(d2.components.schemas[schema].properties);
    assert.ok(props.includes("deadline") && props.includes("color"), `v2 ${schema} has deadline and color`);
    assert.ok(!props.includes("due_on"), `v2 ${schema} has no due_on`);
  }
  assert.deepEqual(Object.keys(d2.components.schemas.Project.properties), V2_FIELDS);
  const color = d2.components.schemas.Project.properties.color;
  assert.ok(new RegExp(color.pattern).test("#a1b2c3") && !new RegExp(color.pattern).test("#A1B2C3"), "color's pattern");
  const v2Params = d2.paths["/v2/projects"].get.parameters.map((p: any) => p.name ?? p.$ref);
  assert.ok(v2Params.includes("deadline") && !v2Params.includes("due_on"), "v2 filters on deadline");
  // Both documents still describe the resources that have one version.
  for (const doc of [d1, d2]) assert.ok(doc.paths["/v1/tasks"] && doc.paths["/v1/comments"] && doc.paths["/v1/bookmarks"]);
});

test("filtering and sorting: v1 due_on and v2 deadline find the same rows", async () => {
  const v1 = v1Client();
  const v2 = v2Client();
  const early = await v1.projects.create({ name: `Early ${uniqueKey()}`, key: uniqueKey(), visibility: "team", due_on: farDate(10) });
  const late = await v2.projects.create({ name: `Late ${uniqueKey()}`, key: uniqueKey(), visibility: "team", deadline: farDate(12), color: "#123456" });
  const middle = await v1.projects.create({ name: `Middle ${uniqueKey()}`, key: uniqueKey(), visibility: "team", due_on: farDate(11) });

  const ids = (items: { id: number }[]) => items.map((p) => p.id);
  assert.deepEqual(ids((await v1.projects.list({ filter: { due_on: farDate(12) } })).items), [late.id], "v1 finds v2's row by due_on");
  assert.deepEqual(ids((await v2.projects.list({ filter: { deadline: farDate(10) } })).items), [early.id], "v2 finds v1's row by deadline");

  const range1 = await v1.projects.list({ filter: { due_on: { gte: farDate(10), lte: farDate(12) } }, sort: ["-due_on"] });
  const range2 = await v2.projects.list({ filter: { deadline: { gte: farDate(10), lte: farDate(12) } }, sort: ["-deadline"] });
  assert.deepEqual(ids(range1.items), [late.id, middle.id, early.id]);
  assert.deepEqual(ids(range2.items), [late.id, middle.id, early.id]);
  assert.deepEqual(range1.items.map((p) => p.due_on), range2.items.map((p) => p.deadline));
  assert.deepEqual(range2.items.map((p) => p.color), ["#123456", null, null]);
  assert.ok(range1.items.every((p) => !("color" in p)), "v1 lists carry no color");
  const asc = await v2.projects.list({ filter: { deadline: { in: [farDate(10), farDate(11), farDate(12)] } }, sort: "deadline" });
  assert.deepEqual(ids(asc.items), [early.id, middle.id, late.id]);

  // The query strings as sent on the wire, without the clients.
  const auth = { Authorization: `Bearer ${await token("ana")}` };
  const raw = async (path: string) => {
    const res = await fetch(API_BASE + path, { headers: auth });
    return { status: res.status, body: (await res.json()) as any };
  };
  const r1 = await raw(`/v1/projects?due_on=${farDate(11)}`);
  const r2 = await raw(`/v2/projects?deadline=${farDate(11)}`);
  assert.equal(r1.status, 200);
  assert.equal(r2.status, 200);
  assert.deepEqual(ids(r1.body.items), [middle.id]);
  assert.deepEqual(ids(r2.body.items), [middle.id]);

  // Each version knows only its own name for the field.
  const wrong1 = await raw(`/v1/projects?deadline=${farDate(11)}`);
  const wrong2 = await raw(`/v2/projects?due_on=${farDate(11)}`);
  const wrong3 = await raw(`/v2/projects?sort=due_on`);
  const wrong4 = await raw(`/v1/projects?sort=-deadline`);
  for (const [w, field, pointer] of [
    [wrong1, "deadline", "deadline"],
    [wrong2, "due_on", "due_on"],
    [wrong3, "due_on", "sort"],
    [wrong4, "deadline", "sort"],
  ] as const) {
    assert.equal(w.status, 400, pointer);
    assert.equal(w.body.type, "urn:resourceful:problem:bad-query");
    assert.deepEqual(w.body.errors.map((e: any) => [e.field, e.pointer, e.code]), [[field, pointer, "unknown"]]);
  }
});
