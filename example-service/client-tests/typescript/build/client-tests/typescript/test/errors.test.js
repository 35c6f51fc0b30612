"use strict";
// Problem details as ApiError; failures without an answer as NetworkError.
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const node_test_1 = require("node:test");
const strict_1 = __importDefault(require("node:assert/strict"));
const net = __importStar(require("node:net"));
const src_1 = require("../../../clients/typescript/src");
const support_1 = require("./support");
async function rejection(p) {
    try {
        await p;
    }
    catch (e) {
        return e;
    }
    strict_1.default.fail("expected a rejection");
}
async function apiError(p) {
    const e = await rejection(p);
    strict_1.default.ok(e instanceof src_1.ApiError, `expected an ApiError, got ${String(e)}`);
    return e;
}
(0, node_test_1.test)("422: every invalid field, with pointer, code and message", async () => {
    const client = (0, support_1.newClient)();
    const project = await (0, support_1.newProject)(client);
    const e = await apiError(client.tasks.create({ title: "", status: "todo", done: false, priority: 9, project_id: project.id }));
    strict_1.default.equal(e.status, 422);
    strict_1.default.equal(e.type, "urn:resourceful:problem:validation");
    strict_1.default.ok(e.is("validation"));
    strict_1.default.equal(e.title, "Validation failed");
    strict_1.default.deepEqual(e.errors.map((x) => [x.field, x.pointer, x.code]), [
        ["title", "/title", "length"],
        ["priority", "/priority", "range"],
    ]);
    const byField = e.fieldErrors();
    strict_1.default.deepEqual(Object.keys(byField).sort(), ["priority", "title"]);
    strict_1.default.match(byField["title"][0], /at least 1 character/);
    strict_1.default.ok(e.message.startsWith("Validation failed: "));
    strict_1.default.ok(e.requestId, "x-request-id is kept");
    // Missing required fields (the types forbid it; the server reports it too).
    const missing = await apiError(client.tasks.create({ title: "x" }));
    strict_1.default.deepEqual(missing.errors.map((x) => x.code), ["required", "required", "required", "required"]);
    // Bulk: the pointer names the item.
    const bulk = await apiError(client.tasks.createMany([
        { title: "fine", status: "todo", done: false, priority: 1, project_id: project.id },
        { title: "", status: "todo", done: false, priority: 1, project_id: project.id },
    ]));
    strict_1.default.equal(bulk.errors[0].pointer, "/1/title");
    strict_1.default.equal((await client.tasks.list({ filter: { project_id: project.id } })).items.length, 0, "all or nothing");
});
(0, node_test_1.test)("404: not-found", async () => {
    const e = await apiError((0, support_1.newClient)().tasks.get(987654321));
    strict_1.default.equal(e.status, 404);
    strict_1.default.ok(e.is("not-found"));
    strict_1.default.match(e.detail, /987654321/);
    strict_1.default.equal(e.errors.length, 0);
    strict_1.default.deepEqual(e.fieldErrors(), {});
});
(0, node_test_1.test)("412: a stale ifMatch is refused and nothing changes", async () => {
    const client = (0, support_1.newClient)();
    const project = await (0, support_1.newProject)(client);
    const task = await client.tasks.create({ title: "Contended", status: "todo", done: false, priority: 3, project_id: project.id });
    const { etag } = await client.tasks.getWithEtag(task.id);
    await client.tasks.update(task.id, { priority: 1 }); // someone else's change
    const e = await apiError(client.tasks.update(task.id, { title: "Mine" }, { ifMatch: etag }));
    strict_1.default.equal(e.status, 412);
    strict_1.default.ok(e.is("precondition-failed"));
    const r = await apiError(client.tasks.replace(task.id, { title: "Mine", status: "todo", done: false, priority: 3, project_id: project.id }, { ifMatch: etag }));
    strict_1.default.equal(r.status, 412);
    const d = await apiError(client.tasks.delete(task.id, { ifMatch: etag }));
    strict_1.default.equal(d.status, 412);
    strict_1.default.equal((await client.tasks.get(task.id)).title, "Contended");
});
(0, node_test_1.test)("409: a duplicate unique value", async () => {
    const client = (0, support_1.newClient)();
    const project = await (0, support_1.newProject)(client);
    const e = await apiError(client.projects.create({ name: project.name, key: (0, support_1.uniqueKey)(), visibility: "private" }));
    strict_1.default.equal(e.status, 409);
    strict_1.default.ok(e.is("conflict"));
    // A dangling relation is a conflict too.
    const fk = await apiError(client.tasks.create({ title: "Orphan", status: "todo", done: false, priority: 1, project_id: 999999999 }));
    strict_1.default.equal(fk.status, 409);
});
(0, node_test_1.test)("400: a filter the server refuses lists the offending parameter", async () => {
    const client = (0, support_1.newClient)();
    // The generated types do not allow this; force it through.
    const e = await apiError(client.tasks.list({ filter: { done: { lt: true } } }));
    strict_1.default.equal(e.status, 400);
    strict_1.default.ok(e.is("bad-query"));
    strict_1.default.equal(e.errors[0].pointer, "done[lt]");
    strict_1.default.equal(e.errors[0].code, "operator");
});
(0, node_test_1.test)("connection refused is a NetworkError, not an ApiError", async () => {
    const port = await new Promise((resolve) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
            const p = s.address().port;
            s.close(() => resolve(p));
        });
    });
    const client = (0, src_1.createClient)({ baseUrl: `http://127.0.0.1:${port}` });
    const e = await rejection(client.projects.list());
    strict_1.default.ok(e instanceof src_1.NetworkError, String(e));
    strict_1.default.equal(e.reason, "network");
    strict_1.default.ok(!(e instanceof src_1.ApiError));
    strict_1.default.ok((0, src_1.isRetryable)(e));
});
(0, node_test_1.test)("timeouts abort the request", async () => {
    let signal;
    const hanging = (_url, init) => new Promise((_resolve, reject) => {
        signal = init.signal;
        init.signal?.addEventListener("abort", () => reject(new Error("aborted by the client")));
    });
    const client = (0, src_1.createClient)({ baseUrl: "http://127.0.0.1:9", fetch: hanging, timeoutMs: 50 });
    const e = await rejection(client.projects.list());
    strict_1.default.ok(e instanceof src_1.NetworkError);
    strict_1.default.equal(e.reason, "timeout");
    strict_1.default.ok(e.isTimeout);
    strict_1.default.equal(signal?.aborted, true, "the fetch was aborted through AbortController");
});
(0, node_test_1.test)("a caller's AbortSignal cancels the request", async () => {
    const hanging = (_url, init) => new Promise((_resolve, reject) => init.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    const client = (0, src_1.createClient)({ baseUrl: "http://127.0.0.1:9", fetch: hanging, timeoutMs: 0 });
    const controller = new AbortController();
    const pending = rejection(client.projects.list({}, { signal: controller.signal }));
    controller.abort();
    const e = await pending;
    strict_1.default.ok(e instanceof src_1.NetworkError);
    strict_1.default.equal(e.reason, "aborted");
    strict_1.default.ok(!(0, src_1.isRetryable)(e));
});
/** A fetch answering every request with one canned response. */
function canned(status, headers, body) {
    return async () => ({
        status,
        statusText: "",
        headers: { get: (name) => headers[name.toLowerCase()] ?? null },
        text: async () => body,
    });
}
(0, node_test_1.test)("retryAfter is exposed for 429 and 503", async () => {
    const busy = (0, src_1.createClient)({
        baseUrl: "http://api.test",
        fetch: canned(503, { "content-type": "application/problem+json", "retry-after": "5" }, JSON.stringify({ type: "urn:resourceful:problem:unavailable", title: "Service unavailable", status: 503, detail: "the database is unavailable" })),
    });
    const e = await apiError(busy.tasks.list());
    strict_1.default.equal(e.status, 503);
    strict_1.default.equal(e.retryAfter, 5);
    strict_1.default.ok(e.is("unavailable"));
    strict_1.default.ok((0, src_1.isRetryable)(e));
    const limited = (0, src_1.createClient)({
        baseUrl: "http://api.test",
        fetch: canned(429, { "retry-after": new Date(Date.now() + 30000).toUTCString() }, JSON.stringify({ type: "urn:resourceful:problem:rate-limited", title: "Too many requests", status: 429 })),
    });
    const l = await apiError(limited.tasks.get(1));
    strict_1.default.ok(l.retryAfter !== null && l.retryAfter >= 28 && l.retryAfter <= 31, String(l.retryAfter));
    strict_1.default.equal((0, src_1.parseRetryAfter)("soon"), null);
    strict_1.default.equal((0, src_1.parseRetryAfter)(null), null);
});
(0, node_test_1.test)("non-problem error bodies and non-JSON successes", async () => {
    const proxy = (0, src_1.createClient)({ baseUrl: "http://api.test", fetch: canned(502, { "content-type": "text/html" }, "<h1>Bad gateway</h1>") });
    const e = await apiError(proxy.tasks.list());
    strict_1.default.equal(e.status, 502);
    strict_1.default.equal(e.type, "about:blank");
    strict_1.default.equal(e.body, "<h1>Bad gateway</h1>");
    const garbled = (0, src_1.createClient)({ baseUrl: "http://api.test", fetch: canned(200, {}, "<html>") });
    const g = await rejection(garbled.tasks.list());
    strict_1.default.ok(g instanceof src_1.NetworkError);
    strict_1.default.equal(g.reason, "invalid-response");
});
//# sourceMappingURL=errors.test.js.map