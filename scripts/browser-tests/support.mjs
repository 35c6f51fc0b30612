// What the browser tests share: counted checks, Chromium, and a page that
// records every blocked request, failure, console error and CSP violation
// (only the service's own origin may be reached).
import { chromium } from "playwright-core";

export const results = { passed: 0, failed: 0 };

export async function check(name, fn) {
  try {
    await fn();
    results.passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    results.failed++;
    console.log(`not ok - ${name}\n  ${String(e?.message ?? e).split("\n").join("\n  ")}`);
  }
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** The service under test, from API_BASE (the run ends when it is unset). */
export function base() {
  const b = process.env.API_BASE;
  if (!b) {
    console.error("API_BASE is not set");
    console.log("browser: 0 passed, 1 failed");
    process.exit(1);
  }
  return b;
}

/** Headless Debian Chromium; a failure to start is a failed check. */
export async function launch() {
  try {
    return await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  } catch (e) {
    results.failed++;
    console.log(`not ok - launch Chromium\n  ${e.message}`);
    return null;
  }
}

/**
 * A page whose problems land in `problems`. `route(url, request, route)` may
 * answer a same-origin request itself; other hosts are always blocked.
 */
export async function watchedPage(browser, origin, problems, viewport, route) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.exposeBinding("reportCspViolation", (_source, v) => {
    problems.push(`CSP violation: ${v.directive} blocked ${v.blocked} (${v.source})`);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.reportCspViolation({ directive: e.violatedDirective, blocked: e.blockedURI || "(inline)", source: `${e.sourceFile}:${e.lineNumber}` });
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
  await page.route("**/*", async (r) => {
    const req = r.request();
    const url = new URL(req.url());
    if (url.origin !== origin) {
      problems.push(`blocked: ${req.method()} ${req.url()}`);
      return r.abort("blockedbyclient");
    }
    if (route && (await route(url, req, r))) return;
    return r.continue();
  });
  return page;
}

export function finish() {
  console.log(`\nbrowser: ${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed === 0 ? 0 : 1);
}
