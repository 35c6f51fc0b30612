// A newer server than the client: unknown enum values and unknown fields
// never fail a page; the raw value and the extra field are kept.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient, isTaskStatus } from "../../../clients/typescript-v1/src";
import type { FetchLike, Task, TaskStatus } from "../../../clients/typescript-v1/src";

const item = (id: number, status: string) => ({
  id,
  title: `Task ${id}`,
  notes: null,
  status,
  done: false,
  priority: 3,
  project_id: 1,
  due_at: null,
  created_at: "2025-01-31T12:00:00.000000Z",
  updated_at: "2025-01-31T12:00:00.000000Z",
  // A field this client does not know.
  reviewer: { id: "u-7", name: "Kim" },
});

function serving(body: unknown): FetchLike {
  return async () => ({
    status: 200,
    headers: { get: (n: string) => ({ "content-type": "application/json", etag: '"p1"', "cache-control": "private, no-cache" })[n.toLowerCase()] ?? null },
    text: async () => JSON.stringify(body),
  });
}

test("a page with an unknown enum value and an extra field decodes, keeping both", async () => {
  const client = createClient({
    baseUrl: "https://api.invalid",
    fetch: serving({ items: [item(1, "todo"), item(2, "archived")], next_cursor: null, limit: 50 }),
  });
  const page = await client.tasks.list();
  assert.equal(page.items.length, 2);
  const [known, unknown] = page.items as [Task, Task];
  assert.equal(known.status, "todo");
  assert.equal(unknown.status, "archived", "the raw value is kept");
  assert.equal(isTaskStatus(unknown.status), false);
  assert.deepEqual((unknown as unknown as Record<string, unknown>)["reviewer"], { id: "u-7", name: "Kim" }, "extra fields pass through");
  // The item type admits it; narrowing gives the known union.
  const s: Task["status"] = "archived";
  const label = (v: Task["status"]): string => (isTaskStatus(v) ? (v satisfies TaskStatus) : `unknown (${v})`);
  assert.equal(label(s), "unknown (archived)");
  assert.equal(label(known.status), "todo");
});

test("an item with an unknown value is read and cached like any other", async () => {
  const client = createClient({ baseUrl: "https://api.invalid", fetch: serving(item(9, "in_review")) });
  const task = await client.tasks.get(9);
  assert.equal(task.status, "in_review");
  assert.equal((task as unknown as Record<string, unknown>)["reviewer"] !== undefined, true);
  assert.equal((await client.tasks.get(9)).status, "in_review");
});
