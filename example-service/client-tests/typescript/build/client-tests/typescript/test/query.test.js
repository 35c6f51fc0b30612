"use strict";
// Query-string encoding, without a server.
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const node_test_1 = require("node:test");
const strict_1 = __importDefault(require("node:assert/strict"));
const src_1 = require("../../../clients/typescript/src");
(0, node_test_1.test)("keys and values are percent-encoded, brackets included", () => {
    strict_1.default.equal((0, src_1.encodeQuery)([["title[contains]", "a&b=c d/é"]]), "title%5Bcontains%5D=a%26b%3Dc%20d%2F%C3%A9");
    strict_1.default.equal((0, src_1.encodeComponent)("it's (ok)*!"), "it%27s%20%28ok%29%2A%21");
});
(0, node_test_1.test)("filters: bare values, operators, null, Date, lists", () => {
    const params = {
        filter: {
            title: { starts_with: "A", contains: "b" },
            done: false,
            estimate_hours: null,
            due_at: { gte: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)) },
            status: { in: ["todo", "done"] },
            priority: undefined,
        },
        sort: ["-priority", "title"],
        limit: 10,
        cursor: "abc=",
    };
    strict_1.default.deepEqual((0, src_1.filterPairs)(params.filter), [
        ["done", "false"],
        ["due_at[gte]", "2030-01-02T03:04:05.000Z"],
        ["estimate_hours[is_null]", "true"],
        ["status[in]", "todo,done"],
        ["title[contains]", "b"],
        ["title[starts_with]", "A"],
    ]);
    strict_1.default.equal((0, src_1.listQuery)(params), "done=false&due_at%5Bgte%5D=2030-01-02T03%3A04%3A05.000Z&estimate_hours%5Bis_null%5D=true&status%5Bin%5D=todo%2Cdone" +
        "&title%5Bcontains%5D=b&title%5Bstarts_with%5D=A&sort=-priority%2Ctitle&limit=10&cursor=abc%3D");
    strict_1.default.equal((0, src_1.listQuery)(undefined), "");
    strict_1.default.equal((0, src_1.listQuery)({ sort: [], cursor: null }), "");
});
(0, node_test_1.test)("equal filters give equal query strings whatever the key order", () => {
    strict_1.default.equal((0, src_1.listQuery)({ filter: { a: 1, b: { lt: 2, gt: 0 } } }), (0, src_1.listQuery)({ filter: { b: { gt: 0, lt: 2 }, a: 1 } }));
});
(0, node_test_1.test)("values the server could misread are refused early", () => {
    strict_1.default.throws(() => (0, src_1.filterPairs)({ title: { in: ["a,b"] } }), /comma/);
    strict_1.default.throws(() => (0, src_1.filterPairs)({ title: { in: [] } }), /non-empty/);
    strict_1.default.throws(() => (0, src_1.filterPairs)({ priority: Number.NaN }), /finite/);
    strict_1.default.throws(() => (0, src_1.filterPairs)({ priority: { like: 1 } }), /unknown filter operator/);
    strict_1.default.throws(() => (0, src_1.filterPairs)({ due_at: new Date("nope") }), /invalid Date/);
});
//# sourceMappingURL=query.test.js.map