// The docs UI at /docs in headless Chromium, against a running service
// (API_BASE). Every request to another host is blocked and counts as a
// failure, as does any failed request, console error or CSP violation: the
// page must work offline, from the assets inside the binary.
// Closing line: `browser: N passed, M failed`.
import { chromium } from "playwright-core";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";

const base = process.env.API_BASE;
if (!base) {
  console.error("API_BASE is not set");
  console.log("browser: 0 passed, 1 failed");
  process.exit(1);
}
const origin = new URL(base).origin;
const screenshot = process.env.SCREENSHOT || "target/browser-tests/docs.png";
const TOKEN = "docs-ui-test-token";

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e?.message ?? e).split("\n").join("\n  ")}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// --- HTTP: caching and headers of the page and its assets -----------------
let assetUrls = [];
await check("GET /docs has a strict CSP, nosniff and an ETag", async () => {
  const r = await fetch(`${base}/docs`);
  assert(r.status === 200, `status ${r.status}`);
  assert(r.headers.get("content-type")?.startsWith("text/html"), `content-type ${r.headers.get("content-type")}`);
  const csp = r.headers.get("content-security-policy") ?? "";
  assert(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), `CSP: ${csp}`);
  assert(!/script-src[^;]*unsafe/.test(csp), `scripts must not be unsafe: ${csp}`);
  assert(r.headers.get("x-content-type-options") === "nosniff", "no nosniff");
  assert(r.headers.get("etag"), "no ETag");
  const html = await r.text();
  assert(!/<script>/.test(html) && !html.includes("://"), `inline script or outside URL in:\n${html}`);
  assetUrls = [...html.matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert(assetUrls.length >= 3, `assets named by the page: ${assetUrls}`);
});
await check("assets are immutable, typed, and answer 304 to their ETag", async () => {
  assert(assetUrls.length > 0, "the page named no assets");
  for (const path of assetUrls) {
    const r = await fetch(base + path);
    assert(r.status === 200, `${path}: status ${r.status}`);
    const ct = r.headers.get("content-type") ?? "";
    const want = path.endsWith(".js") ? "text/javascript" : "text/css";
    assert(ct.startsWith(want), `${path}: content-type ${ct}`);
    assert(r.headers.get("cache-control") === "public, max-age=31536000, immutable", `${path}: cache-control ${r.headers.get("cache-control")}`);
    assert(r.headers.get("x-content-type-options") === "nosniff", `${path}: no nosniff`);
    const etag = r.headers.get("etag");
    assert(/^"[0-9a-f]{64}"$/.test(etag ?? ""), `${path}: etag ${etag}`);
    await r.arrayBuffer();
    const again = await fetch(base + path, { headers: { "if-none-match": etag } });
    assert(again.status === 304, `${path}: If-None-Match gave ${again.status}`);
  }
  const missing = await fetch(`${base}/docs/assets/nothing.js`);
  assert(missing.status === 404, `an unknown asset gave ${missing.status}`);
});

// --- The page in the browser ----------------------------------------------
const problems = [];
let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
} catch (e) {
  failed++;
  console.log(`not ok - launch Chromium\n  ${e.message}`);
}
if (browser) try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.exposeBinding("reportCspViolation", (_source, v) => {
    problems.push(`CSP violation: ${v.directive} blocked ${v.blocked} (${v.source})`);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.reportCspViolation({
        directive: e.violatedDirective,
        blocked: e.blockedURI || "(inline)",
        source: `${e.sourceFile}:${e.lineNumber}`,
      });
    });
  });
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });

  // Only the service itself may be reached; requests to the list are
  // recorded so the Authorize check can read their headers.
  const projectRequests = [];
  let withBearerScheme = false;
  await page.route("**/*", async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    if (url.origin !== origin) {
      problems.push(`blocked: ${req.method()} ${req.url()}`);
      return route.abort("blockedbyclient");
    }
    if (withBearerScheme && url.pathname === "/openapi.json") {
      const res = await route.fetch();
      const doc = await res.json();
      doc.components ??= {};
      doc.components.securitySchemes = { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } };
      doc.security = [{ bearer: [] }];
      return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(doc) });
    }
    if (req.method() === "GET" && url.pathname === "/v1/projects") {
      projectRequests.push(await req.allHeaders());
    }
    return route.continue();
  });

  const listOp = () =>
    page.locator(".opblock.opblock-get", { has: page.locator('.opblock-summary-path[data-path="/v1/projects"]') }).first();
  let rendered = false;
  await check("GET /docs renders the operations", async () => {
    const res = await page.goto(`${base}/docs`, { waitUntil: "load" });
    assert(res?.status() === 200, `status ${res?.status()}`);
    await listOp().waitFor({ state: "visible", timeout: 30000 });
    rendered = true;
  });
  await check("several operations are listed", async () => {
    const n = await page.locator(".opblock").count();
    assert(n >= 5, `only ${n} operations`);
    const methods = await page.locator(".opblock .opblock-summary-method").allTextContents();
    for (const m of ["GET", "POST", "DELETE"]) assert(methods.includes(m), `no ${m} operation among ${methods}`);
  });
  await mkdir(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot });
  console.log(`screenshot: ${screenshot}`);

  const authorize = page.locator(".auth-wrapper button.authorize");
  const bearerIsSent = async () => {
    await authorize.click();
    const input = page.locator("#auth-bearer-value");
    await input.waitFor({ state: "visible", timeout: 10000 });
    await input.fill(TOKEN);
    await page.locator(".modal-ux .auth-btn-wrapper button.authorize").click();
    await page.locator(".modal-ux .btn-done").first().click();
    const op = listOp();
    await op.locator(".opblock-summary").first().click();
    const before = projectRequests.length;
    await op.locator("button.execute").click();
    await op.locator(".responses-inner .live-responses-table").first().waitFor({ timeout: 15000 });
    assert(projectRequests.length > before, "Execute sent no GET /v1/projects");
    const auth = projectRequests[projectRequests.length - 1]["authorization"];
    assert(
      auth === `Bearer ${TOKEN}`,
      `Authorization was ${JSON.stringify(auth)}: the operation may lack a security requirement naming the bearer scheme`,
    );
    const stored = await page.evaluate(() => JSON.stringify(window.localStorage));
    assert(!stored.includes(TOKEN), "the token was kept in localStorage");
  };
  if (rendered && (await authorize.count()) > 0) {
    await check("Authorize sends the bearer token with Try it out", bearerIsSent);
  } else if (rendered) {
    // The document declares no scheme yet: the UI's side is still checked,
    // on a copy of the document with the bearer scheme added.
    console.log("note - the document declares no security scheme; adding one in the browser");
    withBearerScheme = true;
    await check("Authorize sends the bearer token with Try it out (scheme added by the test)", async () => {
      await page.goto(`${base}/docs`, { waitUntil: "load" });
      await listOp().waitFor({ state: "visible", timeout: 30000 });
      assert((await authorize.count()) > 0, "no Authorize button for a document with a bearer scheme");
      await bearerIsSent();
    });
  }

  // Late failures (an image, a chunk) would only show after a moment.
  await page.waitForTimeout(500);
  await check("no request blocked or failed, no console error or CSP violation", async () => {
    // The service answers 401 to a token it does not know; that is the
    // API's answer, not a failure of the page.
    const real = problems.filter((p) => !/^HTTP 401: GET .*\/v1\/projects/.test(p) && !/status of 401/.test(p));
    assert(real.length === 0, real.join("\n"));
  });
} finally {
  await browser.close();
}

console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
