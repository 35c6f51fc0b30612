// Create, read, replace, update, delete against the running service.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError } from "../../../clients/typescript-v1/src";
import type { Task } from "../../../clients/typescript-v1/src";
import { newClient, newProject, recordingFetch, token } from "./support";

test("create returns the stored item with server-set fields", async () => {
  const client = newClient();
  const project = await newProject(client);
  const task = await client.tasks.create({
    title: "Write the client",
    status: "in_progress",
    done: false,
    priority: 2,
    project_id: project.id,
    estimate_hours: 1.5,
    due_at: "2030-05-01T09:30:00Z",
  });
  assert.equal(typeof task.id, "number");
  assert.equal(task.title, "Write the client");
  assert.equal(task.status, "in_progress");
  assert.equal(task.notes, null, "optional fields left out are null");
  assert.equal(task.estimate_hours, 1.5);
  assert.equal(Date.parse(task.due_at!), Date.parse("2030-05-01T09:30:00Z"), "RFC 3339 with microseconds");
  assert.match(task.created_at, /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(await client.tasks.get(task.id), task);
});

test("createWithEtag and getWithEtag expose the strong ETag", async () => {
  const client = newClient();
  const project = await newProject(client);
  const created = await client.tasks.createWithEtag({ title: "Etag", status: "todo", done: false, priority: 3, project_id: project.id });
  assert.match(created.etag ?? "", /^"[0-9a-f]+"$/);
  const fetched = await client.tasks.getWithEtag(created.data.id);
  assert.equal(fetched.etag, created.etag);
  assert.deepEqual(fetched.data, created.data);
});

test("uuid ids, dates and enums round-trip", async () => {
  const client = newClient();
  const project = await client.projects.create({
    name: `Dates ${Date.now()}`,
    key: "D" + Math.floor(Math.random() * 1e6),
    visibility: "public",
    due_on: "2031-12-24",
    description: "with a date",
  });
  assert.equal(project.due_on, "2031-12-24");
  assert.equal(project.visibility, "public");
  const task = await client.tasks.create({ title: "Commented", status: "todo", done: false, priority: 1, project_id: project.id });
  const comment = await client.comments.create({ task_id: task.id, body: "Looks good" });
  assert.equal(comment.author, "ana", "set by the server from the token");
  assert.match(comment.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(await client.comments.get(comment.id), comment);
});

test("createMany creates all items in one request", async () => {
  const { fetch, calls } = recordingFetch();
  const client = newClient({ fetch });
  const project = await newProject(client);
  const made = await client.tasks.createMany([
    { title: "One", status: "todo", done: false, priority: 1, project_id: project.id },
    { title: "Two", status: "done", done: true, priority: 2, project_id: project.id },
  ]);
  assert.deepEqual(made.map((t) => t.title), ["One", "Two"]);
  assert.equal(calls.filter((c) => c.method === "POST").length, 2, "one for the project, one for both tasks");
  assert.deepEqual(await client.tasks.createMany([]), [], "nothing to send");
});

test("replace sets every field; absent optional fields become null", async () => {
  const client = newClient();
  const project = await newProject(client);
  const task = await client.tasks.create({ title: "Before", notes: "some notes", status: "todo", done: false, priority: 4, project_id: project.id });
  const replaced = await client.tasks.replace(task.id, { title: "After", status: "blocked", done: false, priority: 1, project_id: project.id });
  assert.equal(replaced.title, "After");
  assert.equal(replaced.status, "blocked");
  assert.equal(replaced.notes, null);
  assert.equal(replaced.created_at, task.created_at);
});

test("update sends a JSON merge patch: only given fields change, null clears", async () => {
  const { fetch, calls } = recordingFetch();
  const client = newClient({ fetch });
  const project = await newProject(client);
  const task = await client.tasks.create({ title: "Patch me", notes: "keep?", status: "todo", done: false, priority: 3, project_id: project.id, estimate_hours: 2 });
  const updated: Task = await client.tasks.update(task.id, { done: true, notes: null });
  assert.equal(updated.done, true);
  assert.equal(updated.notes, null);
  assert.equal(updated.title, "Patch me");
  assert.equal(updated.estimate_hours, 2);
  const patch = calls.find((c) => c.method === "PATCH");
  assert.ok(patch);
  assert.equal(patch.requestHeaders["Content-Type"], "application/merge-patch+json");
});

test("ifMatch with the current ETag succeeds, and chained writes reuse returned ETags", async () => {
  const client = newClient();
  const project = await newProject(client);
  const task = await client.tasks.create({ title: "Guarded", status: "todo", done: false, priority: 3, project_id: project.id });
  const { etag } = await client.tasks.getWithEtag(task.id);
  assert.ok(etag);
  const first = await client.tasks.updateWithEtag(task.id, { priority: 2 }, { ifMatch: etag });
  assert.notEqual(first.etag, etag);
  const second = await client.tasks.replaceWithEtag(task.id, { title: "Guarded 2", status: "done", done: true, priority: 2, project_id: project.id }, { ifMatch: first.etag ?? "" });
  assert.equal(second.data.title, "Guarded 2");
  await client.tasks.delete(task.id, { ifMatch: second.etag ?? "" });
  await assert.rejects(client.tasks.get(task.id), (e: unknown) => e instanceof ApiError && e.status === 404);
});

test("delete removes the item", async () => {
  const client = newClient();
  const project = await newProject(client);
  const task = await client.tasks.create({ title: "Delete me", status: "todo", done: false, priority: 3, project_id: project.id });
  await client.tasks.delete(task.id);
  await assert.rejects(client.tasks.get(task.id), (e: unknown) => e instanceof ApiError && e.is("not-found"));
  // Cascade: deleting the project deletes its tasks.
  const other = await client.tasks.create({ title: "Cascade", status: "todo", done: false, priority: 3, project_id: project.id });
  await client.projects.delete(project.id);
  await assert.rejects(client.tasks.get(other.id), (e: unknown) => e instanceof ApiError && e.status === 404);
});

test("headers from a function are sent with every request", async () => {
  const { fetch, calls } = recordingFetch();
  let n = 0;
  const ana = await token("ana");
  // Without getToken, an Authorization from `headers` still works.
  const client = newClient({ fetch, getToken: undefined, headers: async () => ({ Authorization: `Bearer ${ana}`, "X-Call": `call-${++n}` }) });
  await client.projects.list({ limit: 1 });
  await client.projects.list({ limit: 2 });
  assert.deepEqual(calls.map((c) => c.requestHeaders["X-Call"]), ["call-1", "call-2"]);
  assert.deepEqual(calls.map((c) => c.status), [200, 200]);
});
