// The analytics page at /admin/analytics in headless Chromium, against a
// running service (API_BASE) after some load: with an admin token its
// charts and tables show non-zero figures, drawn from assets inside the
// binary. Every request to another host is blocked and counts as a
// failure, as does any failed request, console error or CSP violation.
// Keeps a screenshot. Closing line: `browser: N passed, M failed`.
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { assert, base as baseUrl, check, finish, launch, watchedPage } from "./support.mjs";

const base = baseUrl();
const origin = new URL(base).origin;
const screenshot = process.env.SCREENSHOT || "target/browser-tests/analytics.png";

async function token(sub, roles) {
  const r = await fetch(`${base}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub, roles, ttl_secs: 600 }),
  });
  assert(r.ok, `POST /dev/token answered ${r.status}`);
  return (await r.json()).access_token;
}

const admin = await token("root", ["admin"]);
const editor = await token("ana", ["editor"]);

await check("the figures are for admins only", async () => {
  const anon = await fetch(`${base}/admin/analytics/data`);
  assert(anon.status === 401, `without a token: ${anon.status}`);
  const r = await fetch(`${base}/admin/analytics/data`, { headers: { authorization: `Bearer ${editor}` } });
  assert(r.status === 403, `as an editor: ${r.status}`);
});

// Load: reads, writes, a miss and a bad request, as two callers.
await check("load is served", async () => {
  const auth = { authorization: `Bearer ${editor}`, "content-type": "application/json" };
  const p = await fetch(`${base}/v1/projects`, { method: "POST", headers: auth, body: JSON.stringify({ name: `analytics ${Date.now()}`, key: `AN${Date.now() % 100000}`, visibility: "public" }) });
  assert(p.status === 201, `create: ${p.status}`);
  const project = await p.json();
  const calls = [];
  for (let i = 0; i < 60; i++) {
    calls.push(fetch(`${base}/v1/projects/${project.id}`, { headers: auth }).then((r) => r.arrayBuffer()));
    calls.push(fetch(`${base}/v1/tasks?limit=5`, { headers: auth }).then((r) => r.arrayBuffer()));
  }
  calls.push(fetch(`${base}/v1/projects/999999999`, { headers: auth }).then((r) => r.arrayBuffer()));
  calls.push(fetch(`${base}/v1/projects`, { method: "POST", headers: auth, body: "{" }).then((r) => r.arrayBuffer()));
  await Promise.all(calls);
});

const problems = [];
const browser = await launch();
if (browser) try {
  const page = await watchedPage(browser, origin, problems, { width: 1400, height: 1600 });

  await check("the page loads with a strict CSP and asks for a token", async () => {
    const res = await page.goto(`${base}/admin/analytics`, { waitUntil: "load" });
    assert(res?.status() === 200, `status ${res?.status()}`);
    const csp = (await res.allHeaders())["content-security-policy"] ?? "";
    assert(csp.includes("script-src 'self'") && !csp.includes("unsafe"), `CSP: ${csp}`);
    assert(await page.locator("#token").isVisible(), "no token field");
    assert(await page.locator("#figures").isHidden(), "figures shown before a token");
    const text = await page.locator("header").innerText();
    assert(/Grafana/.test(text), "the page does not say where fleet-wide views are");
  });

  await check("with an admin token the charts show non-zero figures", async () => {
    await page.fill("#token", admin);
    await page.click("#connect button");
    await page.waitForFunction(() => document.body.dataset.state === "live", null, { timeout: 15000 });
    // An interval closes every 5 s: wait until the figures hold the load.
    await page.waitForFunction(
      () => {
        const d = window.analytics?.data;
        const s = d?.series;
        return s && d.totals.requests >= 120 && (s.requests_per_second || []).some((v) => v > 0) && (s.p95_ms || []).some((v) => v > 0);
      },
      null,
      { timeout: 30000, polling: 500 },
    );
    const d = await page.evaluate(() => window.analytics.data);
    assert(d.totals.requests >= 120, `requests: ${d.totals.requests}`);
    assert(d.totals.p95_ms > 0, `p95: ${d.totals.p95_ms}`);
    const charts = await page.locator(".chart canvas").count();
    assert(charts >= 4, `${charts} chart canvases`);
    const drawn = await page.evaluate(() => window.analytics.charts.traffic.data[1].some((v) => v > 0));
    assert(drawn, "the traffic chart holds no non-zero point");
    const rows = await page.locator("#routes tbody tr").allInnerTexts();
    assert(rows.some((r) => r.includes("/v1/projects/{id}")), `route table:\n${rows.join("\n")}`);
    const clients = await page.locator("#clients tbody").innerText();
    assert(/ana|root|127\.0\.0\.1/.test(clients), `clients:\n${clients}`);
    const queries = await page.locator("#queries tbody tr").count();
    assert(queries >= 1, "no database operation listed");
    const tile = await page.locator("#t-requests").innerText();
    assert(tile !== "–" && tile !== "0", `requests tile: ${tile}`);
  });
  await mkdir(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);

  await check("no request blocked or failed, no console error or CSP violation", async () => {
    assert(problems.length === 0, problems.join("\n"));
  });
} finally {
  await browser.close();
}
finish();
