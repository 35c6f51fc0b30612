// Retries: failures a retry may fix are retried, writes with the same
// Idempotency-Key so the server applies them once.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError, NetworkError, createClient, newIdempotencyKey } from "../../../clients/typescript-v1/src";
import type { FetchInit, FetchLike } from "../../../clients/typescript-v1/src";
import { API_BASE, newClient, recordingFetch, uniqueKey } from "./support";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("every POST and PATCH carries its own key; a given key is sent as it is", async () => {
  const wire = recordingFetch();
  const client = newClient({ fetch: wire.fetch });
  const a = await client.projects.create({ name: "Keyed A", key: uniqueKey(), visibility: "team" });
  await client.projects.create({ name: "Keyed B", key: uniqueKey(), visibility: "team" });
  await client.projects.update(a.id, { description: "patched" });
  await client.projects.get(a.id);
  const keys = wire.calls.map((c) => c.requestHeaders["Idempotency-Key"]);
  assert.equal(keys.length, 4);
  for (const k of keys.slice(0, 3)) assert.match(k!.slice(1, -1), UUID, `quoted UUID: ${k}`);
  assert.equal(new Set(keys.slice(0, 3)).size, 3, "one key per call");
  assert.equal(keys[3], undefined, "reads carry none");
  const mine = newIdempotencyKey();
  await client.projects.create({ name: "Keyed C", key: uniqueKey(), visibility: "team" }, { idempotencyKey: mine });
  assert.equal(wire.calls.at(-1)!.requestHeaders["Idempotency-Key"], `"${mine}"`);
});

test("a write whose answer is lost is sent again with the same key and applied once", async () => {
  const keys: string[] = [];
  let lost = false;
  // The first POST reaches the server, then the connection "drops".
  const flaky: FetchLike = async (url: string, init: FetchInit) => {
    if (init.method === "POST") keys.push(init.headers["Idempotency-Key"]!);
    const res = await fetch(url, init);
    const body = await res.text();
    if (init.method === "POST" && !lost) {
      lost = true;
      throw new Error("socket hang up");
    }
    return { status: res.status, statusText: res.statusText, headers: res.headers, text: async () => body };
  };
  const client = newClient({ fetch: flaky });
  const name = `Lost answer ${uniqueKey()}`;
  const created = await client.projects.create({ name, key: uniqueKey(), visibility: "team" });
  assert.equal(created.name, name);
  assert.equal(keys.length, 2, "sent twice");
  assert.equal(keys[0], keys[1], "with the same key");
  const found = await newClient().projects.list({ filter: { name } });
  assert.equal(found.items.length, 1, "created once");
  assert.equal(found.items[0]!.id, created.id);
});

test("retries stop at the configured count and honour Retry-After", async () => {
  let calls = 0;
  const busyFor = (seconds: string): FetchLike => async () => {
    calls += 1;
    return {
      status: 503,
      statusText: "",
      headers: { get: (n: string) => ({ "retry-after": seconds, "content-type": "application/problem+json" } as Record<string, string>)[n.toLowerCase()] ?? null },
      text: async () => JSON.stringify({ type: "urn:resourceful:problem:unavailable", title: "Service unavailable", status: 503 }),
    };
  };
  const client = createClient({ baseUrl: API_BASE, fetch: busyFor("0"), retries: 3 });
  const e = await client.tasks.list().then(
    () => assert.fail("expected an error"),
    (err: unknown) => err,
  );
  assert.ok(e instanceof ApiError && e.status === 503);
  assert.equal(calls, 4, "the first attempt and three retries");

  // A Retry-After beyond the longest wait ends the retries at once.
  calls = 0;
  const limited = createClient({ baseUrl: API_BASE, fetch: busyFor("60") });
  await limited.tasks.list().catch(() => undefined);
  assert.equal(calls, 1);

  // Errors a retry cannot fix are not retried.
  let refused = 0;
  const notFound: FetchLike = async () => {
    refused += 1;
    return { status: 404, statusText: "", headers: { get: () => null }, text: async () => "" };
  };
  await createClient({ baseUrl: API_BASE, fetch: notFound }).tasks.get(1).catch(() => undefined);
  assert.equal(refused, 1);
  const aborted = createClient({ baseUrl: API_BASE, fetch: async () => { throw new Error("down"); }, retries: 1 });
  const n = await aborted.tasks.list().catch((err: unknown) => err);
  assert.ok(n instanceof NetworkError && n.reason === "network");
});
