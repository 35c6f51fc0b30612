// Maintenance windows: the `Maintenance` field's parser, MaintenanceError,
// client.maintenance and useMaintenance. The live tests schedule real
// windows (POST /admin/maintenance as root) and cancel them when done:
// windows may not overlap, so they run one after another, in this file only.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { act, create } from "react-test-renderer";
import type { ReactTestRenderer } from "react-test-renderer";
import {
  ApiError,
  MaintenanceError,
  createClient,
  isMaintenanceError,
  parseMaintenanceHeader,
} from "../../../clients/typescript-v1/src";
import type { AnnouncedWindow, FetchLike, MaintenanceWindow } from "../../../clients/typescript-v1/src";
import { ApiClientProvider, useMaintenance } from "../../../clients/typescript-v1/src/react";
import { API_BASE, newClient, newProject, recordingFetch, sleep, token } from "./support";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// ---- the header parser --------------------------------------------------

test("the Maintenance field: several members, dates, tokens, bare booleans", () => {
  const parsed = parseMaintenanceHeader(
    '"3f0c-a";start=@1767304800;end=@1767308400;mode=read_only;active;resources="tasks", ' +
      '"9a1b-b";start=@1767391200;end=@1767394800;mode=full',
  );
  assert.deepEqual(parsed, [
    {
      id: "3f0c-a",
      startsAt: new Date("2026-01-01T22:00:00Z"),
      endsAt: new Date("2026-01-01T23:00:00Z"),
      mode: "read_only",
      active: true,
      resources: ["tasks"],
    },
    {
      id: "9a1b-b",
      startsAt: new Date("2026-01-02T22:00:00Z"),
      endsAt: new Date("2026-01-02T23:00:00Z"),
      mode: "full",
      active: false,
      resources: [],
    },
  ]);
  // An explicit boolean, and several resources (extra spaces are no paths).
  const [w] = parseMaintenanceHeader('"x";start=@0;end=@60;mode=full;active=?0;resources="  tasks   projects "');
  assert.equal(w!.active, false);
  assert.deepEqual(w!.resources, ["tasks", "projects"]);
  assert.equal(parseMaintenanceHeader('"x";start=@0;end=@60;mode=full;active=?1')[0]!.active, true);
  // Whitespace around members, tabs after the comma.
  const spaced = parseMaintenanceHeader('  "a";start=@1;end=@2;mode=full ,\t "b";start=@3;end=@4;mode=full  ');
  assert.deepEqual(spaced.map((x) => x.id), ["a", "b"]);
});

test("the Maintenance field: escapes in strings, unknown parameters", () => {
  const [w] = parseMaintenanceHeader('"a\\"b\\\\c";start=@1;end=@2;mode=full');
  assert.equal(w!.id, 'a"b\\c');
  // Parameters this client does not know, of every kind, are ignored; a
  // comma inside a string does not end the member.
  const parsed = parseMaintenanceHeader(
    '"k";x-new=?1;start=@10;weight=0.5;count=-3;tag=:aGk=:;note="x, \\"y\\"";kind=*tok/en:1;end=@20;mode=read_only;future, ' +
      '"l";start=@30;end=@40;mode=full',
  );
  assert.deepEqual(parsed.map((x) => [x.id, x.startsAt.getTime(), x.endsAt.getTime(), x.mode]), [
    ["k", 10_000, 20_000, "read_only"],
    ["l", 30_000, 40_000, "full"],
  ]);
  // A repeated parameter: the last one wins (RFC 9651 §4.2.3.2).
  assert.equal(parseMaintenanceHeader('"r";start=@1;end=@2;end=@9;mode=full')[0]!.endsAt.getTime(), 9_000);
});

test("the Maintenance field: unreadable members are skipped, nothing throws", () => {
  for (const empty of [null, undefined, "", "   ", ",", "garbage", '"unterminated;start=@1', "@@@", "(", '"\\']) {
    assert.deepEqual(parseMaintenanceHeader(empty), [], `${JSON.stringify(empty)}`);
  }
  const ok = (id: string) => `"${id}";start=@1;end=@2;mode=full`;
  const cases: Array<[string, string]> = [
    ["a bare token, not a string", "tok;start=@1;end=@2;mode=full"],
    ["an inner list", '("a" "b");start=@1;end=@2;mode=full'],
    ["an unknown mode", '"m";start=@1;end=@2;mode=partial'],
    ["a mode as a string", '"m";start=@1;end=@2;mode="full"'],
    ["no end", '"m";start=@1;mode=full'],
    ["an integer for a date", '"m";start=1;end=@2;mode=full'],
    ["a decimal date", '"m";start=@1.5;end=@2;mode=full'],
    ["a date of 16 digits", '"m";start=@1234567890123456;end=@2;mode=full'],
    ["a bad escape", '"a\\x, b";start=@1;end=@2;mode=full'],
    ["a character beyond ASCII", '"é";start=@1;end=@2;mode=full'],
    ["an empty id", '"";start=@1;end=@2;mode=full'],
    ["a space before a parameter", '"m" ;start=@1;end=@2;mode=full'],
    ["an upper-case key", '"m";START=@1;end=@2;mode=full'],
    ["text after the item", '"m";start=@1;end=@2;mode=full junk'],
    ["a boolean that is not ?0 or ?1", '"m";start=@1;end=@2;mode=full;active=?2'],
    ["an empty member", ""],
  ];
  for (const [what, bad] of cases) {
    const parsed = parseMaintenanceHeader(`${ok("before")}, ${bad}, ${ok("after")}`);
    assert.deepEqual(parsed.map((x) => x.id), ["before", "after"], what);
  }
  // Whatever the text, the parser returns.
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = '"\\;=,@?:()*. -_az09\té';
  for (let i = 0; i < 2000; i++) {
    const s = Array.from({ length: Math.floor(rand() * 40) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join("");
    assert.ok(Array.isArray(parseMaintenanceHeader(ok("x") + s)));
  }
});

// ---- the client, with an injected fetch -----------------------------------

const WINDOW: MaintenanceWindow = {
  id: "w-1",
  starts_at: "2030-01-01T10:00:00Z",
  ends_at: "2030-01-01T11:00:00Z",
  mode: "read_only",
  status: "active",
  message: "Moving the database",
  resources: ["tasks"],
  link: null,
  revision: 0,
  created_at: "2029-12-31T10:00:00Z",
  updated_at: "2029-12-31T10:00:00Z",
};

/** A fetch that answers every request with `answer()`; counts the calls. */
function scripted(answer: () => { status: number; headers?: Record<string, string>; body?: unknown }) {
  let calls = 0;
  const fetch: FetchLike = async () => {
    calls += 1;
    const a = answer();
    const headers = Object.fromEntries(Object.entries(a.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      status: a.status,
      statusText: "",
      headers: { get: (n: string) => headers[n.toLowerCase()] ?? null },
      text: async () => (a.body === undefined ? "" : JSON.stringify(a.body)),
    };
  };
  return { fetch, calls: () => calls };
}

function refusal(retryAfter: string, maintenance: unknown = WINDOW) {
  return {
    status: 503,
    headers: { "Retry-After": retryAfter, "Content-Type": "application/problem+json" },
    body: {
      type: "urn:resourceful:problem:maintenance",
      title: "Under maintenance",
      status: 503,
      detail: "read-only for maintenance until 2030-01-01T11:00:00Z: Moving the database",
      maintenance,
    },
  };
}

test("a maintenance 503 is a MaintenanceError; a wait beyond maxRetryDelayMs is not slept", async () => {
  const s = scripted(() => refusal("3600"));
  const client = createClient({ baseUrl: API_BASE, fetch: s.fetch, retries: 3 });
  const started = Date.now();
  const e = await client.tasks.list().then(
    () => assert.fail("expected an error"),
    (err: unknown) => err,
  );
  assert.ok(Date.now() - started < 1000, "no wait");
  assert.equal(s.calls(), 1, "not retried: the window lasts longer than the longest wait");
  assert.ok(e instanceof MaintenanceError && e instanceof ApiError && isMaintenanceError(e));
  assert.equal(e.name, "MaintenanceError");
  assert.equal(e.status, 503);
  assert.ok(e.is("maintenance"));
  assert.deepEqual(e.window, WINDOW);
  assert.equal(e.endsAt.toISOString(), "2030-01-01T11:00:00.000Z");
  assert.equal(e.retryAfter, 3600);
  assert.match(e.message, /^Under maintenance: read-only/);

  // Without a readable window (a proxy's rewrite), an ApiError still says what it is.
  const bare = scripted(() => refusal("3600", { id: 7 }));
  const plain = await createClient({ baseUrl: API_BASE, fetch: bare.fetch }).tasks.list().catch((err: unknown) => err);
  assert.ok(plain instanceof ApiError && !(plain instanceof MaintenanceError));
  assert.ok(plain.is("maintenance"));
  // Another 503 is no MaintenanceError.
  const busy = scripted(() => ({ status: 503, headers: { "Retry-After": "3600" }, body: { type: "urn:resourceful:problem:unavailable", status: 503 } }));
  const other = await createClient({ baseUrl: API_BASE, fetch: busy.fetch }).tasks.list().catch((err: unknown) => err);
  assert.ok(other instanceof ApiError && !isMaintenanceError(other));
});

test("a window that ends within maxRetryDelayMs is waited out", async () => {
  let n = 0;
  const s = scripted(() => (++n === 1 ? refusal("1") : { status: 200, body: { items: [], next_cursor: null, limit: 50 } }));
  const client = createClient({ baseUrl: API_BASE, fetch: s.fetch, maxRetryDelayMs: 2000 });
  const started = Date.now();
  const page = await client.tasks.list();
  assert.deepEqual(page.items, []);
  assert.equal(s.calls(), 2);
  assert.ok(Date.now() - started >= 950, "waited for Retry-After");
});

test("onMaintenance fires when the field appears, changes or disappears, not on repeats", async () => {
  let field: string | null = null;
  const s = scripted(() => ({ status: 200, headers: field === null ? {} : ({ Maintenance: field } as Record<string, string>), body: { items: [], next_cursor: null, limit: 50 } }));
  const fromOption: Array<readonly AnnouncedWindow[]> = [];
  const client = createClient({ baseUrl: API_BASE, fetch: s.fetch, onMaintenance: (a) => fromOption.push(a) });
  const seen: Array<readonly AnnouncedWindow[]> = [];
  const off = client.maintenance.onMaintenance((a) => seen.push(a));
  const ids = () => seen.map((a) => a.map((w) => `${w.id}${w.active ? "*" : ""}`).join(" "));

  assert.deepEqual(client.maintenance.current(), [], "nothing before the first response");
  await client.tasks.list();
  assert.deepEqual(seen, [], "no field, nothing changed");
  field = '"a";start=@1;end=@2;mode=full';
  await client.tasks.list();
  await client.tasks.list();
  assert.deepEqual(ids(), ["a"], "once for the same text");
  assert.equal(client.maintenance.current(), seen[0], "current() is the announced array");
  assert.equal(client.maintenance.current(), client.maintenance.current(), "the same array until it changes");
  field = '"a";start=@1;end=@2;mode=full;active';
  await client.tasks.list();
  field = '"a";start=@1;end=@2;mode=full;active, "b";start=@3;end=@4;mode=read_only';
  await client.tasks.list();
  field = null;
  await client.tasks.list();
  assert.deepEqual(ids(), ["a", "a*", "a* b", ""]);
  assert.deepEqual(client.maintenance.current(), []);
  assert.deepEqual(fromOption, seen, "the option is called the same way");

  off();
  field = '"c";start=@5;end=@6;mode=full';
  await client.tasks.list();
  assert.equal(seen.length, 4, "unsubscribed");
  assert.equal(fromOption.length, 5);
  assert.deepEqual(client.maintenance.current().map((w) => w.id), ["c"]);
  // Errors carry the field too.
  field = '"d";start=@5;end=@6;mode=full;active';
  const s503 = scripted(() => ({ ...refusal("3600"), headers: { ...refusal("3600").headers, Maintenance: field! } }));
  const failing = createClient({ baseUrl: API_BASE, fetch: s503.fetch });
  await failing.tasks.list().catch(() => undefined);
  assert.deepEqual(failing.maintenance.current().map((w) => [w.id, w.active]), [["d", true]]);
});

// ---- against the service ------------------------------------------------------

interface Schedule {
  starts_at: string;
  ends_at: string;
  mode: "read_only" | "full";
  message: string;
  resources?: string[];
  link?: string;
}

/** Whole seconds: the field and the JSON carry times to the second. */
function at(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${API_BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${await token("root")}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const open = new Set<string>();

async function schedule(s: Schedule): Promise<MaintenanceWindow> {
  const res = await admin("POST", "/admin/maintenance", s);
  const text = await res.text();
  assert.equal(res.status, 201, `POST /admin/maintenance answered ${res.status}: ${text}`);
  const w = JSON.parse(text) as MaintenanceWindow;
  open.add(w.id);
  return w;
}

/** Cancels a window that has not ended (an ended one answers 409: nothing to undo). */
async function cancel(id: string): Promise<void> {
  const res = await admin("DELETE", `/admin/maintenance/${id}`);
  await res.text();
  assert.ok(res.status === 204 || res.status === 409, `DELETE answered ${res.status}`);
  open.delete(id);
}

// A failed test must not leave a window behind for the other files.
after(async () => {
  for (const id of [...open]) await cancel(id).catch(() => undefined);
});

/** Polls `probe` every 100 ms until it gives a value, for at most `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test("a window an hour ahead: announced after any request, listed as upcoming, gone when cancelled", async () => {
  const seen: Array<readonly AnnouncedWindow[]> = [];
  const client = newClient({ onMaintenance: (a) => seen.push(a) });
  const starts = Date.now() + 3600_000;
  const w = await schedule({
    starts_at: at(starts),
    ends_at: at(starts + 1800_000),
    mode: "full",
    message: "Upgrading the cluster",
    link: "https://status.example.com/upgrade",
  });
  try {
    assert.equal(w.status, "upcoming");
    // Tasks are no-cache: every read is a request that carries the field.
    await client.tasks.list({ limit: 1 });
    assert.equal(seen.length, 1, "fired by the first response");
    const mine = seen[0]!.find((a) => a.id === w.id);
    assert.deepEqual(mine, {
      id: w.id,
      startsAt: new Date(w.starts_at),
      endsAt: new Date(w.ends_at),
      mode: "full",
      active: false,
      resources: [],
    });
    assert.deepEqual(client.maintenance.current(), seen[0]);
    await client.tasks.list({ limit: 1 });
    assert.equal(seen.length, 1, "the same announcement fires once");

    const listed = await client.maintenance.list();
    assert.deepEqual(listed.upcoming.find((x) => x.id === w.id), w);
    assert.ok(!listed.active.some((x) => x.id === w.id) && !listed.recent.some((x) => x.id === w.id));
    assert.equal(listed.horizonSeconds, 259200);
    // Public: no token needed.
    const anonymous = createClient({ baseUrl: API_BASE });
    assert.ok((await anonymous.maintenance.list()).upcoming.some((x) => x.id === w.id));
    assert.ok(anonymous.maintenance.current().some((x) => x.id === w.id));
  } finally {
    await cancel(w.id);
  }
  await client.tasks.list({ limit: 1 });
  assert.equal(seen.length, 2, "fired again when the field changed");
  assert.ok(!seen[1]!.some((a) => a.id === w.id), "the cancelled window is gone");
  // The schedule may be reused for 10 s (max-age=10): ask the server.
  assert.ok(!(await client.maintenance.list({ revalidate: true })).upcoming.some((x) => x.id === w.id), "and not listed");
});

test("a read_only window on tasks: writes to tasks reject with MaintenanceError, reads work, writes succeed after the end", async () => {
  const setup = newClient();
  const project = await newProject(setup);
  const input = { title: "During maintenance", status: "todo" as const, done: false, priority: 3, project_id: project.id };
  // Retry-After is at least 1 s: beyond this client's longest wait.
  const strict = newClient({ maxRetryDelayMs: 500 });
  const starts = Math.ceil((Date.now() + 1000) / 1000) * 1000;
  const ends = starts + 3000;
  const w = await schedule({ starts_at: at(starts), ends_at: at(ends), mode: "read_only", message: "Reindexing tasks", resources: ["tasks"] });
  try {
    assert.equal(Date.parse(w.ends_at), ends);
    await until("the window to start", 5000, async () => {
      await strict.tasks.list({ limit: 1 });
      return strict.maintenance.current().find((a) => a.id === w.id && a.active);
    });

    const sent = Date.now();
    const e = await strict.tasks.create(input).then(
      () => assert.fail("the write went through"),
      (err: unknown) => err,
    );
    assert.ok(e instanceof MaintenanceError, `expected a MaintenanceError, got ${String(e)}`);
    assert.ok(Date.now() - sent < 1000, "rejected at once, without waiting");
    assert.equal(e.endsAt.getTime(), ends);
    assert.equal(e.window.id, w.id);
    assert.equal(e.window.status, "active");
    assert.equal(e.window.message, "Reindexing tasks");
    assert.deepEqual(e.window.resources, ["tasks"]);
    assert.ok(e.retryAfter !== null && e.retryAfter >= 1 && e.retryAfter <= 3, `Retry-After ${e.retryAfter}`);
    assert.ok(e.is("maintenance"));

    // Reads of tasks, and writes to other resources, still work.
    assert.equal((await strict.tasks.list({ filter: { project_id: project.id } })).items.length, 0);
    await strict.projects.update(project.id, { description: "still writable" });
    const listed = await strict.maintenance.list();
    assert.ok(listed.active.some((x) => x.id === w.id));

    // A client whose longest wait covers the rest of the window waits for
    // its end and sends the write again, with the same key.
    const wire = recordingFetch();
    const patient = newClient({ fetch: wire.fetch });
    const created = await patient.tasks.create({ ...input, title: "Waited out" });
    assert.ok(Date.now() >= ends - 100, "sent again after the end");
    const posts = wire.calls.filter((c) => c.method === "POST");
    assert.deepEqual(posts.map((c) => c.status).slice(0, 1), [503]);
    assert.equal(posts.at(-1)!.status, 201);
    assert.equal(new Set(posts.map((c) => c.requestHeaders["Idempotency-Key"])).size, 1);
    assert.equal(created.title, "Waited out");

    // After the end: no longer announced, and writes succeed.
    await until("the window to end", 5000, async () => {
      await strict.tasks.list({ limit: 1 });
      return strict.maintenance.current().some((a) => a.id === w.id) ? undefined : true;
    });
    const later = await strict.tasks.create(input);
    assert.equal(later.title, input.title);
    // Listed less than 10 s ago (max-age=10): ask the server.
    const ended = await strict.maintenance.list({ revalidate: true });
    assert.equal(ended.recent.find((x) => x.id === w.id)?.status, "ended");
  } finally {
    await cancel(w.id);
  }
});

test("useMaintenance re-renders when the announcements change", async () => {
  const client = newClient();
  const result = { current: [] as readonly AnnouncedWindow[], renders: 0 };
  function Probe() {
    result.current = useMaintenance();
    result.renders += 1;
    return null;
  }
  let renderer!: ReactTestRenderer;
  act(() => {
    renderer = create(
      <ApiClientProvider client={client}>
        <Probe />
      </ApiClientProvider>,
    );
  });
  try {
    assert.equal(result.current.length, 0, "nothing before the first response");
    const starts = Date.now() + 7200_000;
    const w = await schedule({ starts_at: at(starts), ends_at: at(starts + 600_000), mode: "read_only", message: "Hook test", resources: ["tasks", "comments"] });
    try {
      await act(async () => {
        await client.tasks.list({ limit: 1 });
      });
      const mine = result.current.find((a) => a.id === w.id);
      assert.ok(mine, "the hook shows the window");
      assert.deepEqual(mine.resources, ["tasks", "comments"]);
      assert.equal(mine.mode, "read_only");
      const renders = result.renders;
      await act(async () => {
        await client.tasks.list({ limit: 1 });
      });
      assert.equal(result.renders, renders, "no render when nothing changed");
    } finally {
      await cancel(w.id);
    }
    await act(async () => {
      await client.tasks.list({ limit: 1 });
    });
    assert.deepEqual(result.current, [], "gone once cancelled");
  } finally {
    act(() => renderer.unmount());
  }
});
