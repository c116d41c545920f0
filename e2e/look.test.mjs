// Every page, as a visitor, a member and an administrator meet it: its weight on a cold load
// (every page under 50 KB transferred, the map under 150 KB), axe-core's accessibility rules in
// English and Arabic, light and dark (no serious or critical violation), that it fits 320 px,
// and screenshots of the main pages in both languages at 1280 and 320 px, written to
// e2e/screenshots/ (or CXC_SCREENSHOTS_DIR) for a reviewer.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { site, signUp } from "./harness.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const screenshots = process.env.CXC_SCREENSHOTS_DIR || fileURLToPath(new URL("./screenshots/", import.meta.url));
const PAGE_BUDGET = 50_000;
const MAP_BUDGET = 150_000;

let base, browser, stop, signedIn, admin;
/// Signed-out pages, then (from `before`) a sample of each kind of page the demo has.
const publicPages = ["/", "/people", "/people?offers=wikidata&language=en", "/people?q=zzzzzz", "/capacities", "/organizations", "/map", "/dashboard", "/posts", "/events", "/programmes", "/cohorts", "/about", "/privacy", "/opendata", "/login", "/signup", "/language", "/no-such-page"];
const memberPages = ["/", "/matches", "/connections", "/notifications", "/saved", "/account", "/profile/edit", "/posts/new", "/events/new", "/organizations/new", "/programmes/new", "/cohorts/new", "/cohorts/proposals", "/capacities/suggest", "/people/LookingAround", "/report?target=profile&id=LookingAround"];
/// What only administrators and moderators see.
const adminPages = ["/admin/reports", "/admin/audit", "/admin/capacities"];

/// The first link on `path` whose address matches `pattern`.
async function firstLink(path, pattern) {
  const html = await (await fetch(`${base}${path}`)).text();
  const found = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replaceAll("&amp;", "&")).find((href) => pattern.test(href));
  assert.ok(found, `${path} links to ${pattern}`);
  return found;
}

before(async () => {
  let cxc;
  ({ base, browser, stop, cxc } = await site("look", { serveArgs: ["--demo"] }));
  for (const [list, pattern] of [
    ["/people", /^\/people\/[^/?]+$/],
    ["/capacities", /^\/capacities\/[a-z0-9-]+$/],
    ["/organizations", /^\/organizations\/[^/?]+$/],
    ["/posts", /^\/posts\/\d+$/],
    ["/events", /^\/events\/\d+$/],
    ["/programmes", /^\/programmes\/\d+$/],
  ]) {
    publicPages.push(await firstLink(list, pattern));
  }
  const [capacity] = await (await fetch(`${base}/api/v1/capacities`)).json();
  adminPages.push(`/admin/capacities/${capacity.id}`);
  // A member's pages are seen by a newcomer who has just signed up.
  signedIn = await browser.newContext();
  const page = await signedIn.newPage();
  await signUp(page, base, "LookingAround");
  await page.close();
  // An administrator sees the pages that run the exchange.
  cxc(["user", "add", "LookingAfter", "--admin", "--password-stdin"], "a long enough password\n");
  admin = await browser.newContext();
  const login = await admin.newPage();
  await login.goto(`${base}/login`);
  await login.fill("#username", "LookingAfter");
  await login.fill("#password", "a long enough password");
  await login.locator("form[action='/login'] button[type=submit]").click();
  await login.waitForURL((url) => !url.pathname.startsWith("/login"));
  const audit = await login.goto(`${base}/admin/audit`);
  assert.equal(audit.status(), 200, "the administrator reaches the administration pages");
  await login.close();
});

after(async () => {
  await signedIn?.close();
  await admin?.close();
  await stop?.();
});

/// A fresh context (empty cache) with the cookies of `who`: nobody (false), the member (true),
/// or "admin".
async function context(who, options = {}) {
  const from = who === "admin" ? admin : who ? signedIn : null;
  const state = from ? await from.storageState() : undefined;
  return browser.newContext({ storageState: state, bypassCSP: true, ...options });
}

test("every page is light on a cold load", async () => {
  const weights = [];
  for (const [member, paths] of [[false, publicPages], [true, memberPages], ["admin", adminPages]]) {
    for (const path of paths) {
      const ctx = await context(member);
      const page = await ctx.newPage();
      const responses = [];
      page.on("response", (response) => responses.push(response));
      await page.goto(`${base}${path}`, { waitUntil: "networkidle" });
      let bytes = 0;
      for (const response of responses) {
        const sizes = await response.request().sizes();
        bytes += sizes.responseBodySize + sizes.responseHeadersSize;
      }
      weights.push(`${member ? `${member === "admin" ? "admin" : "member"} ` : ""}${path} ${bytes} B in ${responses.length} responses`);
      const budget = path.startsWith("/map") ? MAP_BUDGET : PAGE_BUDGET;
      assert.ok(bytes <= budget, `${path}${member ? " (signed in)" : ""} weighs ${bytes} B on a cold load, over ${budget}`);
      await ctx.close();
    }
  }
  console.log(weights.join("\n"));
});

test("no page has a serious or critical accessibility violation, in English and Arabic, light and dark", async () => {
  const problems = [];
  for (const lang of ["en", "ar"]) {
    for (const colorScheme of ["light", "dark"]) {
      for (const [member, paths] of [[false, publicPages], [true, memberPages], ["admin", adminPages]]) {
        const ctx = await context(member, { locale: lang, colorScheme });
        const page = await ctx.newPage();
        for (const path of paths) {
          await page.goto(`${base}${path}`);
          await page.evaluate(axeSource);
          const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations);
          for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical")) {
            const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ");
            problems.push(`${lang} ${colorScheme} ${member ? `${member === "admin" ? "admin" : "member"} ` : ""}${path}: ${v.id} (${v.impact}) at ${where}`);
          }
        }
        await ctx.close();
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("every page fits a 320 px wide screen, in English and Arabic", async () => {
  const wide = [];
  for (const lang of ["en", "ar"]) {
    for (const [member, paths] of [[false, publicPages], [true, memberPages], ["admin", adminPages]]) {
      const ctx = await context(member, { locale: lang, viewport: { width: 320, height: 640 } });
      const page = await ctx.newPage();
      for (const path of paths) {
        await page.goto(`${base}${path}`);
        const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
        if (overflow > 1) wide.push(`${lang} ${member ? `${member === "admin" ? "admin" : "member"} ` : ""}${path} is ${overflow} px too wide`);
      }
      await ctx.close();
    }
  }
  assert.deepEqual(wide, []);
});

test("checkboxes and radio buttons sit on the line of their labels", async () => {
  const ctx = await context(true, { locale: "en", viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const off = [];
  for (const path of ["/profile/edit", "/people", "/events"]) {
    await page.goto(`${base}${path}`);
    const found = await page.evaluate(() =>
      [...document.querySelectorAll("label")]
        .map((label) => [label, label.querySelector("input[type=checkbox], input[type=radio]")])
        .filter(([label, box]) => box && label.getClientRects().length === 1)
        .map(([label, box]) => {
          // The label's first line of text, without the box.
          const range = document.createRange();
          range.selectNodeContents(label);
          const line = [...range.getClientRects()].find((r) => r.width > 4 && r.left >= box.getBoundingClientRect().right - 1);
          const b = box.getBoundingClientRect();
          return line ? { text: label.textContent.trim().slice(0, 30), apart: Math.abs(b.top + b.height / 2 - (line.top + line.height / 2)) } : null;
        })
        .filter(Boolean));
    for (const f of found) if (f.apart > 3) off.push(`${path} “${f.text}”: ${f.apart.toFixed(1)} px off its line`);
    assert.ok(found.length > 0, `${path} has labelled boxes`);
  }
  await ctx.close();
  assert.deepEqual(off, []);
});

test("the header is one line at desktop width, signed out and signed in, in English and Arabic", async () => {
  for (const lang of ["en", "ar"]) {
    for (const member of [false, true]) {
      const ctx = await context(member, { locale: lang, viewport: { width: 1280, height: 800 } });
      const page = await ctx.newPage();
      await page.goto(`${base}/people`);
      const rows = await page.evaluate(() => {
        const shown = [...document.querySelectorAll(".site-header .bar > :not(template), .main-nav > a")].map((e) => e.getBoundingClientRect()).filter((r) => r.height > 0);
        const tops = shown.map((r) => Math.round(r.top + r.height / 2));
        return Math.max(...tops) - Math.min(...tops);
      });
      assert.ok(rows <= 4, `${lang}${member ? " signed in" : ""}: the header's parts are ${rows} px apart vertically`);
      await ctx.close();
    }
  }
});

test("screenshots of the main pages in English and Arabic at 1280 and 320 px", async () => {
  mkdirSync(screenshots, { recursive: true });
  const profile = publicPages.find((p) => /^\/people\/[^/?]+$/.test(p));
  const main = [["home", "/"], ["people", "/people"], ["profile", profile], ["map", "/map"], ["dashboard", "/dashboard"], ["capacities", "/capacities"]];
  let written = 0;
  for (const lang of ["en", "ar"]) {
    for (const width of [1280, 320]) {
      const ctx = await context(false, { locale: lang, viewport: { width, height: width === 320 ? 640 : 800 } });
      const page = await ctx.newPage();
      for (const [name, path] of main) {
        await page.goto(`${base}${path}`, { waitUntil: "networkidle" });
        assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
        const file = `${screenshots}/${name}-${lang}-${width}.png`;
        const png = await page.screenshot({ path: file, fullPage: true });
        assert.ok(png.length > 1000, `${file} holds a picture`);
        written++;
      }
      await ctx.close();
    }
  }
  console.log(`${written} screenshots in ${screenshots}`);
});
