"use strict";
// Shared helpers: the service's address, a fetch that records the wire
// traffic, and fresh projects so tests never see each other's rows.
Object.defineProperty(exports, "__esModule", { value: true });
exports.API_BASE = void 0;
exports.recordingFetch = recordingFetch;
exports.newClient = newClient;
exports.uniqueKey = uniqueKey;
exports.newProject = newProject;
exports.sleep = sleep;
const src_1 = require("../../../clients/typescript/src");
exports.API_BASE = (() => {
    const base = process.env.API_BASE;
    if (!base)
        throw new Error("API_BASE is not set: run scripts/client-tests/typescript.sh, or start the example service and export API_BASE");
    return base;
})();
/** The platform fetch, recording every exchange. */
function recordingFetch() {
    const calls = [];
    const f = async (url, init) => {
        const res = await fetch(url, init);
        const body = await res.text();
        calls.push({ method: init.method, url, status: res.status, requestHeaders: { ...init.headers }, body });
        return { status: res.status, statusText: res.statusText, headers: res.headers, text: async () => body };
    };
    return { fetch: f, calls };
}
function newClient(config = {}) {
    return (0, src_1.createClient)({ baseUrl: exports.API_BASE, ...config });
}
let counter = 0;
/** A project key matching the declared pattern `[A-Z][A-Z0-9]{1,9}`, unique per run. */
function uniqueKey() {
    counter += 1;
    const rand = Math.floor(Math.random() * 36 ** 5).toString(36).toUpperCase().padStart(5, "0");
    return `T${rand}${counter.toString(36).toUpperCase()}`.slice(0, 10);
}
async function newProject(client, name) {
    const key = uniqueKey();
    return client.projects.create({ name: name ?? `Project ${key}`, key, visibility: "team" });
}
function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}
//# sourceMappingURL=support.js.map