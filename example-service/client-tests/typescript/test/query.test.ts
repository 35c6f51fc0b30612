// Query-string encoding, without a server.

import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeComponent, encodeQuery, filterPairs, listQuery } from "../../../clients/typescript-v1/src";
import type { TaskListParams } from "../../../clients/typescript-v1/src";

test("keys and values are percent-encoded, brackets included", () => {
  assert.equal(encodeQuery([["title[contains]", "a&b=c d/é"]]), "title%5Bcontains%5D=a%26b%3Dc%20d%2F%C3%A9");
  assert.equal(encodeComponent("it's (ok)*!"), "it%27s%20%28ok%29%2A%21");
});

test("filters: bare values, operators, null, Date, lists", () => {
  const params: TaskListParams = {
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
  assert.deepEqual(filterPairs(params.filter), [
    ["done", "false"],
    ["due_at[gte]", "2030-01-02T03:04:05.000Z"],
    ["estimate_hours[is_null]", "true"],
    ["status[in]", "todo,done"],
    ["title[contains]", "b"],
    ["title[starts_with]", "A"],
  ]);
  assert.equal(
    listQuery(params),
    "done=false&due_at%5Bgte%5D=2030-01-02T03%3A04%3A05.000Z&estimate_hours%5Bis_null%5D=true&status%5Bin%5D=todo%2Cdone" +
      "&title%5Bcontains%5D=b&title%5Bstarts_with%5D=A&sort=-priority%2Ctitle&limit=10&cursor=abc%3D",
  );
  assert.equal(listQuery(undefined), "");
  assert.equal(listQuery({ sort: [], cursor: null }), "");
});

test("equal filters give equal query strings whatever the key order", () => {
  assert.equal(listQuery({ filter: { a: 1, b: { lt: 2, gt: 0 } } }), listQuery({ filter: { b: { gt: 0, lt: 2 }, a: 1 } }));
});

test("values the server could misread are refused early", () => {
  assert.throws(() => filterPairs({ title: { in: ["a,b"] } }), /comma/);
  assert.throws(() => filterPairs({ title: { in: [] } }), /non-empty/);
  assert.throws(() => filterPairs({ priority: Number.NaN }), /finite/);
  assert.throws(() => filterPairs({ priority: { like: 1 } }), /unknown filter operator/);
  assert.throws(() => filterPairs({ due_at: new Date("nope") }), /invalid Date/);
});
