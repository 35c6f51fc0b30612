// The docs UI at /docs in headless Chromium, against a running service
// (API_BASE). Every request to another host is blocked and counts as a
// failure, as does any failed request, console error or CSP violation: the
// page must work offline, from the assets inside the binary.
// Closing line: `browser: N passed, M failed`.
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { assert, base as baseUrl, check, finish, launch, watchedPage } from "./support.mjs";

const base = baseUrl();
const origin = new URL(base).origin;
const screenshot = process.env.SCREENSHOT || "target/browser-tests/docs.png";
const TOKEN = "docs-ui-test-token";

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
// Requests to the list are recorded so the Authorize check can read their
// headers; with `withBearerScheme` the document gets a bearer scheme.
const projectRequests = [];
let withBearerScheme = false;
const browser = await launch();
if (browser) try {
  const page = await watchedPage(browser, origin, problems, { width: 1280, height: 900 }, async (url, req, route) => {
    if (withBearerScheme && url.pathname === "/openapi.json") {
      const res = await route.fetch();
      const doc = await res.json();
      doc.components ??= {};
      doc.components.securitySchemes = { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } };
      doc.security = [{ bearer: [] }];
      await route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(doc) });
      return true;
    }
    if (req.method() === "GET" && url.pathname === "/v2/projects") {
      projectRequests.push(await req.allHeaders());
    }
    return false;
  });

  const listOp = () =>
    page.locator(".opblock.opblock-get", { has: page.locator('.opblock-summary-path[data-path="/v2/projects"]') }).first();
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
    assert(projectRequests.length > before, "Execute sent no GET /v2/projects");
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
    const real = problems.filter((p) => !/^HTTP 401: GET .*\/v2\/projects/.test(p) && !/status of 401/.test(p));
    assert(real.length === 0, real.join("\n"));
  });
} finally {
  await browser.close();
}
finish();
