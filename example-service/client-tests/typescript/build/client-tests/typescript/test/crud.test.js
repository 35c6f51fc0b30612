"use strict";
// Create, read, replace, update, delete against the running service.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const node_test_1 = require("node:test");
const strict_1 = __importDefault(require("node:assert/strict"));
const src_1 = require("../../../clients/typescript/src");
const support_1 = require("./support");
(0, node_test_1.test)("create returns the stored item with server-set fields", async () => {
    const client = (0, support_1.newClient)();
    const project = await (0, support_1.newProject)(client);
    const task = await client.tasks.create({
        title: "Write the client",
        status: "in_progress",
        done: false,
        priority: 2,
        project_id: project.id,
        estimate_hours: 1.5,
        due_at: "2030-05-01T09:30:00Z",
    });
    strict_1.default.equal(typeof task.id, "number");
    strict_1.default.equal(task.title, "Write the client");
    strict_1.default.equal(task.status, "in_progress");
    strict_1.default.equal(task.notes, null, "optional fields left out are null");
    strict_1.default.equal(task.estimate_hours, 1.5);
    strict_1.default.equal(task.due_at, "2030-05-01T09:30:00Z");
    strict_1.default.match(task.created_at, /^\d{4}-\d\d-\d\dT/);
    strict_1.default.deepEqual(await client.tasks.get(task.id), task);
});
(0, node_test_1.test)("createWithEtag and getWithEtag expose the strong ETag", async () => {
    const client = (0, support_1.newClient)();
    const project = await (0, support_1.newProject)(client);
    const created = await client.tasks.createWithEtag({ title: "Etag", status: "todo", done: false, priority: 3, project_id: project.id });
    strict_1.default.match(created.etag ?? "", /^"[0-9a-f]+"$/);
    const fetched = await client.tasks.getWithEtag(created.data.id);
    strict_1.default.equal(fetched.etag, created.etag);
    strict_1.default.deepEqual(fetched.data, created.data);
});
(0, node_test_1.test)("uuid ids, dates and enums round-trip", async () => {
    const client = (0, support_1.newClient)();
    const project = await client.projects.create({
        name: `Dates ${Date.now()}`,
        key: "D" + Math.floor(Math.random() * 1e6),
        visibility: "public",
        due_on: "2031-12-24",
        description: "with a date",
    });
    strict_1.default.equal(project.due_on, "2031-12-24");
    strict_1.default.equal(project.visibility, "public");
    const task = await client.tasks.create({ title: "Commented", status: "todo", done: false, priority: 1, project_id: project.id });
    const comment = await client.comments.create({ task_id: task.id, author: "ana", body: "Looks good" });
    strict_1.default.match(comment.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    strict_1.default.deepEqual(await client.comments.get(comment.id), comment);
});
(0, node_test_1.test)("createMany creates all items in one request", async () => {
    const { fetch, calls } = (0, support_1.recordingFetch)();
    const client = (0, support_1.newClient)({ fetch });
    const project = await (0, support_1.newProject)(client);
    const made = await client.tasks.createMany([
        { title: "One", status: "todo", done: false, priority: 1, project_id: project.id },
        { title: "Two", status: "done", done: true, priority: 2, project_id: project.id },
    ]);
    strict_1.default.deepEqual(made.map((t) => t.title), ["One", "Two"]);
    strict_1.default.equal(calls.filter((c) => c.method === "POST").length, 2, "one for the project, one for both tasks");
    strict_1.default.deepEqual(await client.tasks.createMany([]), [], "nothing to send");
});
(0, node_test_1.test)("replace sets every field; absent optional fields become null", async () => {
    const client = (0, support_1.newClient)();
    const project = await (0, support_1.newProject)(client);
    const task = await client.tasks.create({ title: "Before", notes: "some notes", status: "todo", done: false, priority: 4, project_id: project.id });
    const replaced = await client.tasks.replace(task.id, { title: "After", status: "blocked", done: false, priority: 1, project_id: project.id });
    strict_1.default.equal(replaced.title, "After");
    strict_1.default.equal(replaced.status, "blocked");
    strict_1.default.equal(replaced.notes, null);
    strict_1.default.equal(replaced.created_at, task.created_at);
});
(0, node_test_1.test)("update sends a JSON merge patch: only given fields change, null clears", async () => {
    const { fetch, calls } = (0, support_1.recordingFetch)();
    const client = (0, support_1.newClient)({ fetch });
    const project = await (0, support_1.newProject)(client);
    const task = await client.tasks.create({ title: "Patch me", notes: "keep?", status: "todo", done: false, priority: 3, project_id: project.id, estimate_hours: 2 });
    const updated = await client.tasks.update(task.id, { done: true, notes: null });
    strict_1.default.equal(updated.done, true);
    strict_1.default.equal(updated.notes, null);
    strict_1.default.equal(updated.title, "Patch me");
    strict_1.default.equal(updated.estimate_hours, 2);
    const patch = calls.find((c) => c.method === "PATCH");
    strict_1.default.ok(patch);
    strict_1.default.equal(patch.requestHeaders["Content-Type"], "application/merge-patch+json");
});
(0, node_test_1.test)("ifMatch with the current ETag succeeds, and chained writes reuse returned ETags", async () => {
    const client = (0, support_1.newClient)();
    const project = await (0, support_1.newProject)(client);
    const task = await client.tasks.create({ title: "Guarded", status: "todo", done: false, priority: 3, project_id: project.id });
    const { etag } = await client.tasks.getWithEtag(task.id);
    strict_1.default.ok(etag);
    const first = await client.tasks.updateWithEtag(task.id, { priority: 2 }, { ifMatch: etag });
    strict_1.default.notEqual(first.etag, etag);
    const second = await client.tasks.replaceWithEtag(task.id, { title: "Guarded 2", status: "done", done: true, priority: 2, project_id: project.id }, { ifMatch: first.etag ?? "" });
    strict_1.default.equal(second.data.title, "Guarded 2");
    await client.tasks.delete(task.id, { ifMatch: second.etag ?? "" });
    await strict_1.default.rejects(client.tasks.get(task.id), (e) => e instanceof src_1.ApiError && e.status === 404);
});
(0, node_test_1.test)("delete removes the item", async () => {
    const client = (0, support_1.newClient)();
    const project = await (0, support_1.newProject)(client);
    const task = await client.tasks.create({ title: "Delete me", status: "todo", done: false, priority: 3, project_id: project.id });
    await client.tasks.delete(task.id);
    await strict_1.default.rejects(client.tasks.get(task.id), (e) => e instanceof src_1.ApiError && e.is("not-found"));
    // Cascade: deleting the project deletes its tasks.
    const other = await client.tasks.create({ title: "Cascade", status: "todo", done: false, priority: 3, project_id: project.id });
    await client.projects.delete(project.id);
    await strict_1.default.rejects(client.tasks.get(other.id), (e) => e instanceof src_1.ApiError && e.status === 404);
});
(0, node_test_1.test)("headers from a function are sent with every request", async () => {
    const { fetch, calls } = (0, support_1.recordingFetch)();
    let n = 0;
    const client = (0, support_1.newClient)({ fetch, headers: async () => ({ Authorization: `Bearer token-${++n}` }) });
    await client.projects.list({ limit: 1 });
    await client.projects.list({ limit: 2 });
    strict_1.default.deepEqual(calls.map((c) => c.requestHeaders["Authorization"]), ["Bearer token-1", "Bearer token-2"]);
});
//# sourceMappingURL=crud.test.js.map