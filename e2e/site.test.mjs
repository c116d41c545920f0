// Browser behaviour in real headless Chromium (Debian's package; never a downloaded browser):
// the map's SVG and table in English and Arabic, right-to-left mirroring, the language chooser
// (with and without JavaScript), the theme toggle, type-ahead, and a 320 px wide screen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { site, signUp } from "./harness.mjs";

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

test("the language chooser opens a searchable list and comes back to the same page", async () => {
  const page = await browser.newPage();
  const blocked = [];
  page.on("console", (m) => { if (/Content Security Policy/.test(m.text())) blocked.push(m.text()); });
  await page.goto(`${base}/about?uselang=en`);
  await page.locator(".language-button").click();
  const menu = page.locator(".site-header .language-menu");
  assert.ok(await menu.isVisible(), "the button opens the list in place");
  assert.ok(await menu.locator(".language-group h2").count() > 2, "languages are grouped by region");
  await menu.locator(".language-search").fill("franç");
  assert.equal(await menu.locator("li:not([hidden]) a").count() >= 1, true);
  assert.equal(await menu.locator("li:not([hidden]) a[lang=fr]").count() >= 1, true, "French is found by its name");
  assert.equal(await menu.locator("li:not([hidden]) a[lang=ar]").count(), 0, "Arabic is filtered out");
  await menu.locator("li:not([hidden]) a[lang=fr]").first().click();
  await page.waitForFunction(() => document.documentElement.lang === "fr");
  assert.equal(new URL(page.url()).pathname, "/about", "it comes back to the same page");
  assert.equal((await page.locator(".language-button").textContent()).trim(), "français");
  await page.locator(".language-button").click();
  await page.keyboard.press("Escape");
  assert.equal(await page.locator(".site-header .language-menu").count(), 0, "Escape closes the list");
  assert.deepEqual(blocked, [], "the icon sprite and scripts load under the content security policy");
  await page.close();
});

test("without JavaScript the language button leads to a page listing every language", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/people?uselang=en`);
  await page.locator(".language-button").click();
  assert.equal(new URL(page.url()).pathname, "/language");
  const listed = await page.locator("main .language-group a").evaluateAll((links) => [...new Set(links.map((a) => a.lang))]);
  assert.ok(listed.length >= 15 && listed.includes("sw") && listed.includes("ar"), `every language is listed: ${listed}`);
  await page.locator("main .language-group a[lang=es]").first().click();
  assert.equal(new URL(page.url()).pathname, "/people");
  assert.equal(await page.evaluate(() => document.documentElement.lang), "es");
  await context.close();
});

test("the theme toggle overrides the system's preference and is remembered", async () => {
  const context = await browser.newContext({ colorScheme: "light" });
  const page = await context.newPage();
  const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  await page.goto(`${base}/people?uselang=en`);
  const light = await background();
  assert.equal(await page.locator(".theme-switch.to-light").isVisible(), false, "only the switch to the other theme shows");
  await page.locator(".theme-switch.to-dark").click();
  assert.equal(new URL(page.url()).pathname, "/people");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  const dark = await background();
  assert.notEqual(dark, light, `the page turns dark (${light} → ${dark})`);
  await page.goto(`${base}/map`);
  assert.equal(await background(), dark, "the choice is remembered on the next page");
  await page.locator(".theme-switch.to-light").click();
  assert.equal(await background(), light);
  await context.close();
  const darkSystem = await browser.newContext({ colorScheme: "dark" });
  const other = await darkSystem.newPage();
  await other.goto(`${base}/about`);
  assert.equal(await other.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), dark, "with no choice, the system's preference decides");
  await darkSystem.close();
});

test("a long single choice becomes a labelled box with suggestions that finds by name, ignoring accents", async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/people?uselang=en`);
  const typed = page.locator("#offers-typed");
  assert.equal(await page.locator("#offers").isVisible(), false, "the list itself is hidden");
  assert.equal(await page.locator("label[for=offers-typed]").count(), 1, "the list's label names the box");
  assert.ok(await page.locator("#offers-choices option").count() > 100, "every capacity is suggested");
  await typed.fill("wikidata");
  assert.equal(await page.locator("#offers").inputValue(), "wikidata", "an exact name is taken while typing");
  await typed.fill("sparq");
  await typed.press("Tab");
  const picked = await page.locator("#offers").inputValue();
  assert.ok(picked !== "" && picked !== "wikidata", `a part of a name picks the first that has it (${picked})`);
  assert.equal((await typed.inputValue()).toLowerCase().includes("sparql"), true, "the box shows the full name");
  await page.locator("form.search-form button[type=submit]").click();
  await page.waitForURL((url) => url.searchParams.get("offers") === picked);
  assert.equal((await page.locator("#offers-typed").inputValue()).toLowerCase().includes("sparql"), true, "the search keeps the choice");
  await page.close();
});

test("several capacities are added at once, and offering one shows that it counts as known", async () => {
  const context = await browser.newContext({ locale: "en" });
  const page = await context.newPage();
  await signUp(page, base, "Several At Once");
  await page.goto(`${base}/profile/edit`);
  await page.fill("#display_name", "Several At Once");
  const shown = () => page.locator("#new_cap option:not([hidden])").count();
  const all = await shown();
  await page.locator("#new_cap").locator("xpath=preceding-sibling::input[1]").fill("wiki");
  const narrowed = await shown();
  assert.ok(narrowed < all && narrowed > 1, `typing narrows the list (${all} → ${narrowed})`);
  await page.selectOption("#new_cap", ["wikidata-sparql", "wikisource"]);
  const hint = page.locator("[data-implied-known]").last();
  assert.equal(await hint.isVisible(), false);
  await page.locator("input[name=rel_new][value=wanted]").setChecked(false);
  await page.locator("input[name=rel_new][value=offered]").check();
  assert.equal(await page.locator("input[name=rel_new][value=known]").isChecked(), true, "offering ticks knowing");
  assert.equal(await hint.isVisible(), true, "and says why");
  await page.locator("input[name=lang]").first().fill("Kiswahili");
  await page.locator("form[action='/profile/edit'] button.primary").click();
  await page.waitForURL((url) => url.searchParams.has("saved"));
  for (const key of ["wikidata-sparql", "wikisource"]) {
    assert.equal(await page.locator(`input[name=rel_${key}][value=offered]`).isChecked(), true, `${key} is offered`);
    assert.equal(await page.locator(`input[name=rel_${key}][value=known]`).isChecked(), true, `${key} shows as known`);
  }
  assert.equal(await page.locator("input[name=lang]").first().inputValue(), "Kiswahili (sw)", "a language typed by its name is kept by name and code");
  await context.close();
});

test("the illustration and icon sprites load and draw, under the content security policy", async () => {
  const page = await browser.newPage();
  const blocked = [];
  page.on("console", (m) => { if (m.type() === "error") blocked.push(m.text()); });
  await page.goto(`${base}/?uselang=en`, { waitUntil: "networkidle" });
  for (const selector of [".hero-art use", ".language-button use", ".card-icon use"]) {
    const width = await page.locator(selector).first().evaluate((use) => use.getBBox().width);
    assert.ok(width > 0, `${selector} draws (${width} wide)`);
  }
  await page.goto(`${base}/people?q=nobody-at-all-here`, { waitUntil: "networkidle" });
  assert.ok(await page.locator(".empty-art use").evaluate((use) => use.getBBox().width) > 0, "the empty state's illustration draws");
  assert.deepEqual(blocked, []);
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
