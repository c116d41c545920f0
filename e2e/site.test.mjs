// Browser behaviour in real headless Chromium (Debian's package; never a downloaded browser):
// the map's SVG and table in English and Arabic, right-to-left mirroring, the progressive
// enhancements (language selector, type-ahead, map refresh), and a 320 px wide screen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { site } from "./harness.mjs";

let base, browser, stop;

before(async () => {
  ({ base, browser, stop } = await site("site", { serveArgs: ["--demo"] }));
});

after(async () => {
  await stop?.();
});

test("the map draws every country, with titles, links and the same figures in a table", async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/map?mode=needs&min=1`);
  const shapes = await page.locator("figure.map svg path").count();
  assert.ok(shapes > 150, `${shapes} shapes`);
  const title = await page.locator("figure.map svg path title").first().textContent();
  assert.match(title, /: /);
  const href = await page.locator("figure.map svg a").first().getAttribute("href");
  assert.match(href, /^\/people\?country=/);
  const rows = await page.locator("table.rows tbody tr").count();
  assert.ok(rows >= 1, `${rows} rows`);
  const box = await page.locator("figure.map svg").boundingBox();
  assert.ok(box.width > 300 && box.height > 100, "the map is drawn at a readable size");
  await page.close();
});

test("Arabic pages lay out right to left", async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  await page.goto(`${base}/map?uselang=ar`);
  assert.equal(await page.evaluate(() => document.documentElement.dir), "rtl");
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector("table.rows")).direction), "rtl");
  const brand = await page.locator(".brand").boundingBox();
  assert.ok(brand.x > 500, `the brand sits on the right (x = ${brand.x})`);
  const shapes = await page.locator("figure.map svg path").count();
  assert.ok(shapes > 150);
  await page.close();
});

test("the language selector switches language by itself", async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/about`);
  assert.equal(await page.locator("[data-autosubmit-button]").isVisible(), false, "the button is hidden when script runs");
  await page.selectOption("#language-select", "fr");
  await page.waitForFunction(() => document.documentElement.lang === "fr");
  assert.equal(new URL(page.url()).pathname, "/about", "it comes back to the same page");
  await page.close();
});

test("type-ahead narrows a long picker", async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/people?uselang=en`);
  const before = await page.locator("#offers option:not([hidden])").count();
  await page.locator("#offers").locator("xpath=preceding-sibling::input[1]").fill("wikidata");
  const afterCount = await page.locator("#offers option:not([hidden])").count();
  assert.ok(afterCount < before && afterCount > 1, `${before} → ${afterCount} options`);
  await page.close();
});

test("pages fit a 320 px wide screen", async () => {
  const page = await browser.newPage({ viewport: { width: 320, height: 640 } });
  for (const path of ["/", "/people", "/map", "/capacities"]) {
    await page.goto(`${base}${path}`);
    const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${path} overflows by ${overflow} px`);
  }
  await page.close();
});
