"use strict";
// Filters (every operator family), sort and pagination.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const node_test_1 = require("node:test");
const strict_1 = __importDefault(require("node:assert/strict"));
const support_1 = require("./support");
let client;
let project;
let tasks;
(0, node_test_1.before)(async () => {
    client = (0, support_1.newClient)();
    project = await (0, support_1.newProject)(client);
    tasks = await client.tasks.createMany([
        { title: "Alpha report", status: "todo", done: false, priority: 1, project_id: project.id, estimate_hours: 1, due_at: "2030-01-01T00:00:00Z" },
        { title: "Beta report", status: "in_progress", done: false, priority: 2, project_id: project.id, estimate_hours: 2.5 },
        { title: "Gamma", status: "done", done: true, priority: 3, project_id: project.id, due_at: "2030-06-01T12:00:00Z" },
        { title: "Delta 100% _done_", status: "blocked", done: false, priority: 4, project_id: project.id, estimate_hours: 8 },
        { title: "Epsilon & co = 1?", status: "todo", done: true, priority: 5, project_id: project.id },
    ]);
});
/** Titles of this project's tasks matching `params`, in server order. */
async function titles(params = {}) {
    const page = await client.tasks.list({ ...params, filter: { project_id: project.id, ...params.filter } });
    return page.items.map((t) => t.title);
}
(0, node_test_1.test)("equality: bare values and eq", async () => {
    strict_1.default.deepEqual(await titles({ filter: { done: true } }), ["Gamma", "Epsilon & co = 1?"]);
    strict_1.default.deepEqual(await titles({ filter: { status: { eq: "blocked" } } }), ["Delta 100% _done_"]);
    strict_1.default.deepEqual(await titles({ filter: { id: tasks[1].id } }), ["Beta report"]);
});
(0, node_test_1.test)("ne, in and nin", async () => {
    strict_1.default.deepEqual(await titles({ filter: { status: { ne: "todo" } } }), ["Beta report", "Gamma", "Delta 100% _done_"]);
    strict_1.default.deepEqual(await titles({ filter: { status: { in: ["done", "blocked"] } } }), ["Gamma", "Delta 100% _done_"]);
    strict_1.default.deepEqual(await titles({ filter: { priority: { nin: [1, 2, 3] } } }), ["Delta 100% _done_", "Epsilon & co = 1?"]);
    strict_1.default.deepEqual(await titles({ filter: { id: { in: [tasks[0].id, tasks[4].id] } } }), ["Alpha report", "Epsilon & co = 1?"]);
});
(0, node_test_1.test)("comparisons on numbers and date-times", async () => {
    strict_1.default.deepEqual(await titles({ filter: { priority: { gte: 4 } } }), ["Delta 100% _done_", "Epsilon & co = 1?"]);
    strict_1.default.deepEqual(await titles({ filter: { priority: { gt: 1, lt: 3 } } }), ["Beta report"]);
    strict_1.default.deepEqual(await titles({ filter: { estimate_hours: { lte: 2.5 } } }), ["Alpha report", "Beta report"]);
    strict_1.default.deepEqual(await titles({ filter: { due_at: { gt: "2030-03-01T00:00:00Z" } } }), ["Gamma"]);
    strict_1.default.deepEqual(await titles({ filter: { due_at: { lt: new Date("2030-03-01T00:00:00Z") } } }), ["Alpha report"], "Date operands");
});
(0, node_test_1.test)("contains, starts_with, ends_with: case-insensitive, special characters literal", async () => {
    strict_1.default.deepEqual(await titles({ filter: { title: { contains: "REPORT" } } }), ["Alpha report", "Beta report"]);
    strict_1.default.deepEqual(await titles({ filter: { title: { starts_with: "gam" } } }), ["Gamma"]);
    strict_1.default.deepEqual(await titles({ filter: { title: { ends_with: "_done_" } } }), ["Delta 100% _done_"]);
    strict_1.default.deepEqual(await titles({ filter: { title: { contains: "100%" } } }), ["Delta 100% _done_"]);
    strict_1.default.deepEqual(await titles({ filter: { title: { contains: "_" } } }), ["Delta 100% _done_"], "`_` is not a wildcard");
    strict_1.default.deepEqual(await titles({ filter: { title: { contains: "& co = 1?" } } }), ["Epsilon & co = 1?"], "& = ? are encoded");
});
(0, node_test_1.test)("is_null, and null as a shorthand", async () => {
    strict_1.default.deepEqual(await titles({ filter: { estimate_hours: { is_null: true } } }), ["Gamma", "Epsilon & co = 1?"]);
    strict_1.default.deepEqual(await titles({ filter: { estimate_hours: null } }), ["Gamma", "Epsilon & co = 1?"]);
    strict_1.default.deepEqual(await titles({ filter: { due_at: { is_null: false } } }), ["Alpha report", "Gamma"]);
});
(0, node_test_1.test)("several conditions combine with AND", async () => {
    strict_1.default.deepEqual(await titles({ filter: { done: false, priority: { lte: 2 }, title: { contains: "report" } } }), ["Alpha report", "Beta report"]);
});
(0, node_test_1.test)("bracketed keys are percent-encoded on the wire", async () => {
    const { fetch, calls } = (0, support_1.recordingFetch)();
    const c = (0, support_1.newClient)({ fetch });
    await c.tasks.list({ filter: { project_id: project.id, title: { contains: "a b" }, status: { in: ["todo", "done"] } }, sort: ["-priority", "title"] });
    const url = calls[0].url;
    strict_1.default.ok(url.includes("title%5Bcontains%5D=a%20b"), url);
    strict_1.default.ok(url.includes("status%5Bin%5D=todo%2Cdone"), url);
    strict_1.default.ok(url.includes("sort=-priority%2Ctitle"), url);
    strict_1.default.ok(!url.includes("["), url);
});
(0, node_test_1.test)("sort: one key, several keys, descending", async () => {
    strict_1.default.deepEqual(await titles({ sort: "title" }), ["Alpha report", "Beta report", "Delta 100% _done_", "Epsilon & co = 1?", "Gamma"]);
    strict_1.default.deepEqual(await titles({ sort: "-priority" }), ["Epsilon & co = 1?", "Delta 100% _done_", "Gamma", "Beta report", "Alpha report"]);
    strict_1.default.deepEqual(await titles({ sort: ["status", "-title"] }).then((t) => t.length), 5);
    // Nulls sort last whichever the direction.
    const byEstimate = await titles({ sort: ["-estimate_hours"] });
    strict_1.default.deepEqual(byEstimate.slice(0, 3), ["Delta 100% _done_", "Beta report", "Alpha report"]);
});
(0, node_test_1.test)("cursor pagination reaches the last page", async () => {
    const seen = [];
    let cursor = null;
    let pages = 0;
    do {
        const page = await client.tasks.list({ filter: { project_id: project.id }, sort: "title", limit: 2, cursor });
        strict_1.default.equal(page.limit, 2);
        seen.push(...page.items.map((t) => t.title));
        cursor = page.next_cursor;
        pages += 1;
    } while (cursor);
    strict_1.default.equal(pages, 3);
    strict_1.default.deepEqual(seen, ["Alpha report", "Beta report", "Delta 100% _done_", "Epsilon & co = 1?", "Gamma"]);
});
(0, node_test_1.test)("pages(), items() and listAll() follow the cursors", async () => {
    const params = { filter: { project_id: project.id }, sort: "-priority", limit: 2 };
    const sizes = [];
    for await (const page of client.tasks.pages(params))
        sizes.push(page.items.length);
    strict_1.default.deepEqual(sizes, [2, 2, 1]);
    const ids = [];
    for await (const t of client.tasks.items(params))
        ids.push(t.id);
    strict_1.default.equal(ids.length, 5);
    const all = await client.tasks.listAll(params);
    strict_1.default.deepEqual(all.map((t) => t.id), ids);
    const capped = await client.tasks.listAll(params, { maxItems: 3 });
    strict_1.default.deepEqual(capped.map((t) => t.id), ids.slice(0, 3));
});
(0, node_test_1.test)("offset pagination", async () => {
    const page = await client.tasks.list({ filter: { project_id: project.id }, sort: "title", limit: 2, offset: 3 });
    strict_1.default.deepEqual(page.items.map((t) => t.title), ["Epsilon & co = 1?", "Gamma"]);
});
//# sourceMappingURL=list.test.js.map