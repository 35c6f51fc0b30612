// basics.ts
import { client } from "./api";

export async function basics() {
  // One page: filters, sort keys, page size.
  const params = {
    filter: { title: { contains: "report" }, status: { in: ["todo", "in_progress"] }, priority: { gte: 1 }, done: false, estimate_hours: null },
    sort: ["-title", "status"],
    limit: 20,
  } as const;
  const page = await client.tasks.list(params);

  // The next page: the same filters and sort, plus the cursor.
  if (page.next_cursor) {
    await client.tasks.list({ ...params, cursor: page.next_cursor });
  }

  // Every page, lazily, or every item at once.
  let seen = 0;
  for await (const p of client.tasks.pages({ limit: 100 })) seen += p.items.length;
  const all = await client.tasks.listAll({ sort: ["-title", "status"] });

  // One item, and the writes.
  const created = await client.tasks.create({ title: "Example title", status: "todo", done: false, priority: 1, project_id: 1 });
  const again = await client.tasks.get(created.id);
  const changed = await client.tasks.update(created.id, { done: true }); // PATCH, JSON merge patch
  const [a, b] = await client.tasks.createMany([{ title: "Example title", status: "todo", done: false, priority: 1, project_id: 1 }, { title: "Example title", status: "todo", done: false, priority: 1, project_id: 1 }]); // all or nothing
  await client.tasks.delete(created.id);
  return { seen, all, again, changed, a, b };
}
