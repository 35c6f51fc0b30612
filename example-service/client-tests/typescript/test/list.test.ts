// Filters (every operator family), sort and pagination.

import { test, before } from "node:test";
import assert from "node:assert/strict";
import type { ApiClient, Project, Task, TaskListParams } from "../../../clients/typescript-v1/src";
import { newClient, newProject, recordingFetch } from "./support";

let client: ApiClient;
let project: Project;
let tasks: Task[];

before(async () => {
  client = newClient();
  project = await newProject(client);
  tasks = await client.tasks.createMany([
    { title: "Alpha report", status: "todo", done: false, priority: 1, project_id: project.id, estimate_hours: 1, due_at: "2030-01-01T00:00:00Z" },
    { title: "Beta report", status: "in_progress", done: false, priority: 2, project_id: project.id, estimate_hours: 2.5 },
    { title: "Gamma", status: "done", done: true, priority: 3, project_id: project.id, due_at: "2030-06-01T12:00:00Z" },
    { title: "Delta 100% _done_", status: "blocked", done: false, priority: 4, project_id: project.id, estimate_hours: 8 },
    { title: "Epsilon & co = 1?", status: "todo", done: false, priority: 5, project_id: project.id },
  ]);
});

/** Titles of this project's tasks matching `params`, in server order. */
async function titles(params: TaskListParams = {}): Promise<string[]> {
  const page = await client.tasks.list({ ...params, filter: { project_id: project.id, ...params.filter } });
  return page.items.map((t) => t.title);
}

test("equality: bare values and eq", async () => {
  assert.deepEqual(await titles({ filter: { done: true } }), ["Gamma"]);
  assert.deepEqual(await titles({ filter: { status: { eq: "blocked" } } }), ["Delta 100% _done_"]);
  assert.deepEqual(await titles({ filter: { id: tasks[1]!.id } }), ["Beta report"]);
});

test("ne, in and nin", async () => {
  assert.deepEqual(await titles({ filter: { status: { ne: "todo" } } }), ["Beta report", "Gamma", "Delta 100% _done_"]);
  assert.deepEqual(await titles({ filter: { status: { in: ["done", "blocked"] } } }), ["Gamma", "Delta 100% _done_"]);
  assert.deepEqual(await titles({ filter: { priority: { nin: [1, 2, 3] } } }), ["Delta 100% _done_", "Epsilon & co = 1?"]);
  assert.deepEqual(await titles({ filter: { id: { in: [tasks[0]!.id, tasks[4]!.id] } } }), ["Alpha report", "Epsilon & co = 1?"]);
});

test("comparisons on numbers and date-times", async () => {
  assert.deepEqual(await titles({ filter: { priority: { gte: 4 } } }), ["Delta 100% _done_", "Epsilon & co = 1?"]);
  assert.deepEqual(await titles({ filter: { priority: { gt: 1, lt: 3 } } }), ["Beta report"]);
  assert.deepEqual(await titles({ filter: { estimate_hours: { lte: 2.5 } } }), ["Alpha report", "Beta report"]);
  assert.deepEqual(await titles({ filter: { due_at: { gt: "2030-03-01T00:00:00Z" } } }), ["Gamma"]);
  assert.deepEqual(await titles({ filter: { due_at: { lt: new Date("2030-03-01T00:00:00Z") } } }), ["Alpha report"], "Date operands");
});

test("contains, starts_with, ends_with: case-insensitive, special characters literal", async () => {
  assert.deepEqual(await titles({ filter: { title: { contains: "REPORT" } } }), ["Alpha report", "Beta report"]);
  assert.deepEqual(await titles({ filter: { title: { starts_with: "gam" } } }), ["Gamma"]);
  assert.deepEqual(await titles({ filter: { title: { ends_with: "_done_" } } }), ["Delta 100% _done_"]);
  assert.deepEqual(await titles({ filter: { title: { contains: "100%" } } }), ["Delta 100% _done_"]);
  assert.deepEqual(await titles({ filter: { title: { contains: "_" } } }), ["Delta 100% _done_"], "`_` is not a wildcard");
  assert.deepEqual(await titles({ filter: { title: { contains: "& co = 1?" } } }), ["Epsilon & co = 1?"], "& = ? are encoded");
});

test("is_null, and null as a shorthand", async () => {
  assert.deepEqual(await titles({ filter: { estimate_hours: { is_null: true } } }), ["Gamma", "Epsilon & co = 1?"]);
  assert.deepEqual(await titles({ filter: { estimate_hours: null } }), ["Gamma", "Epsilon & co = 1?"]);
  assert.deepEqual(await titles({ filter: { due_at: { is_null: false } } }), ["Alpha report", "Gamma"]);
});

test("several conditions combine with AND", async () => {
  assert.deepEqual(await titles({ filter: { done: false, priority: { lte: 2 }, title: { contains: "report" } } }), ["Alpha report", "Beta report"]);
});

test("bracketed keys are percent-encoded on the wire", async () => {
  const { fetch, calls } = recordingFetch();
  const c = newClient({ fetch });
  await c.tasks.list({ filter: { project_id: project.id, title: { contains: "a b" }, status: { in: ["todo", "done"] } }, sort: ["-priority", "title"] });
  const url = calls[0]!.url;
  assert.ok(url.includes("title%5Bcontains%5D=a%20b"), url);
  assert.ok(url.includes("status%5Bin%5D=todo%2Cdone"), url);
  assert.ok(url.includes("sort=-priority%2Ctitle"), url);
  assert.ok(!url.includes("["), url);
});

test("sort: one key, several keys, descending", async () => {
  assert.deepEqual(await titles({ sort: "title" }), ["Alpha report", "Beta report", "Delta 100% _done_", "Epsilon & co = 1?", "Gamma"]);
  assert.deepEqual(await titles({ sort: "-priority" }), ["Epsilon & co = 1?", "Delta 100% _done_", "Gamma", "Beta report", "Alpha report"]);
  assert.deepEqual(await titles({ sort: ["status", "-title"] }).then((t) => t.length), 5);
  // Nulls sort last whichever the direction.
  const byEstimate = await titles({ sort: ["-estimate_hours"] });
  assert.deepEqual(byEstimate.slice(0, 3), ["Delta 100% _done_", "Beta report", "Alpha report"]);
});

test("cursor pagination reaches the last page", async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await client.tasks.list({ filter: { project_id: project.id }, sort: "title", limit: 2, cursor });
    assert.equal(page.limit, 2);
    seen.push(...page.items.map((t) => t.title));
    cursor = page.next_cursor;
    pages += 1;
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(seen, ["Alpha report", "Beta report", "Delta 100% _done_", "Epsilon & co = 1?", "Gamma"]);
});

test("pages(), items() and listAll() follow the cursors", async () => {
  const params: TaskListParams = { filter: { project_id: project.id }, sort: "-priority", limit: 2 };
  const sizes: number[] = [];
  for await (const page of client.tasks.pages(params)) sizes.push(page.items.length);
  assert.deepEqual(sizes, [2, 2, 1]);
  const ids: number[] = [];
  for await (const t of client.tasks.items(params)) ids.push(t.id);
  assert.equal(ids.length, 5);
  const all = await client.tasks.listAll(params);
  assert.deepEqual(all.map((t) => t.id), ids);
  const capped = await client.tasks.listAll(params, { maxItems: 3 });
  assert.deepEqual(capped.map((t) => t.id), ids.slice(0, 3));
});

test("offset pagination", async () => {
  const page = await client.tasks.list({ filter: { project_id: project.id }, sort: "title", limit: 2, offset: 3 });
  assert.deepEqual(page.items.map((t) => t.title), ["Epsilon & co = 1?", "Gamma"]);
});
