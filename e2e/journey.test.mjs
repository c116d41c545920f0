// A newcomer's whole journey in real headless Chromium, through the pages alone: two people
// sign up, fill their profiles with the profile form (a capacity and a language each), one finds
// the other in search and in their suggestions, asks for help, the other accepts, they write to
// each other, both confirm the exchange, thanks are given and shown. Run three times: with
// JavaScript, without it, and in Arabic (right to left on every page).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { site } from "./harness.mjs";

let base, browser, stop;

before(async () => {
  ({ base, browser, stop } = await site("journey"));
});

after(async () => {
  await stop?.();
});

/// Goes to a page and checks it is in the language and direction the journey runs in.
async function visit(page, lang, path) {
  await page.goto(`${base}${path}`);
  await expectLanguage(page, lang);
}

async function expectLanguage(page, lang) {
  const { htmlLang, dir } = await page.evaluate(() => ({ htmlLang: document.documentElement.lang, dir: document.documentElement.dir }));
  assert.equal(htmlLang, lang, `${page.url()} is in ${lang}`);
  assert.equal(dir, lang === "ar" ? "rtl" : "ltr", `${page.url()} reads ${lang === "ar" ? "right to left" : "left to right"}`);
}

/// Picks a value of a long list: by typing its name where script turned the list into a box
/// with suggestions, else in the list itself.
async function choose(page, id, value) {
  const typed = page.locator(`#${id}-typed`);
  if (await typed.count()) {
    await typed.fill((await page.locator(`#${id} option[value="${value}"]`).textContent()).trim());
    await typed.press("Tab");
    assert.equal(await page.locator(`#${id}`).inputValue(), value, `typing its name picks ${value}`);
  } else {
    await page.selectOption(`#${id}`, value);
  }
}

/// Signs up and fills the profile form: a name, a country, one language, one capacity.
async function newcomer(options, lang, username, name, relations) {
  const context = await browser.newContext({ ...options, locale: lang });
  const page = await context.newPage();
  await visit(page, lang, "/signup");
  await page.fill("#username", username);
  await page.fill("#password", "a long enough password");
  await page.fill("#password_confirm", "a long enough password");
  await page.locator("form[action='/signup'] button[type=submit]").click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signup"));

  await visit(page, lang, "/profile/edit");
  await page.fill("#display_name", name);
  await choose(page, "country", "KE");
  await page.locator("input[name=lang]").first().fill("sw");
  await page.locator("select[name=lang_level]").first().selectOption("4");
  await page.selectOption("#new_cap", "wikidata-sparql");
  for (const relation of ["known", "offered", "wanted"]) {
    await page.locator(`input[name=rel_new][value=${relation}]`).setChecked(relations.includes(relation));
  }
  await page.locator("form[action='/profile/edit'] button.primary").click();
  await page.waitForURL((url) => url.pathname === "/profile/edit" && url.searchParams.has("saved"));
  await expectLanguage(page, lang);
  await visit(page, lang, `/people/${username}`);
  assert.match(await page.locator("h1").textContent(), new RegExp(name), "the profile shows the name given");
  return page;
}

async function journey(options, lang, suffix) {
  const asker = await newcomer(options, lang, `Amani${suffix}`, `Amani Njeri ${suffix}`, ["wanted"]);
  const helper = await newcomer(options, lang, `Juma${suffix}`, `Juma Mwangi ${suffix}`, ["known", "offered"]);

  // The asker finds the helper by what they offer, and among their suggestions.
  await visit(asker, lang, "/people?offers=wikidata-sparql");
  assert.ok(await asker.locator(`section.results a[href='/people/Juma${suffix}']`).count(), "search finds the helper");
  await visit(asker, lang, "/matches");
  const ask = asker.locator(`a.button[href^='/connections/new?to=Juma${suffix}']`);
  assert.ok(await ask.count(), "the helper is suggested");
  await ask.first().click();
  await expectLanguage(asker, lang);
  await asker.fill("#message", "Ningependa kujifunza SPARQL. Could you show me?");
  await asker.locator("form[action='/connections/new'] button.primary").click();
  await asker.waitForURL(/\/connections\/\d+$/);
  const connection = new URL(asker.url()).pathname;

  // The helper is told, reads the request and accepts it; they write to each other.
  await visit(helper, lang, "/notifications");
  await helper.locator(`a[href='${connection}']`).first().click();
  await expectLanguage(helper, lang);
  assert.match(await helper.locator("main").textContent(), /Ningependa kujifunza SPARQL/);
  await helper.locator("button[name=action][value=accept]").click();
  await helper.fill("#body", "Karibu! Thursday at six, online.");
  await helper.locator("form:has(#body) button").click();
  await visit(asker, lang, connection);
  assert.match(await asker.locator("ol.messages").textContent(), /Thursday at six/);
  await asker.fill("#body", "Asante, see you then.");
  await asker.locator("form:has(#body) button").click();
  assert.match(await asker.locator("ol.messages").textContent(), /see you then/);

  // Both confirm it happened; thanks are given and shown on the helper's profile.
  await visit(helper, lang, connection);
  await helper.locator(`form[action='${connection}/complete'] button`).click();
  await visit(asker, lang, connection);
  await asker.locator(`form[action='${connection}/complete'] button`).click();
  await asker.fill("#thanks", `Asante sana, Juma ${suffix}!`);
  await asker.locator("form:has(#thanks) button").click();
  await visit(helper, lang, connection);
  await helper.locator("button[name=shown][value='1']").click();
  await visit(helper, lang, `/people/Juma${suffix}`);
  assert.match(await helper.locator("section.thanks").textContent(), new RegExp(`Asante sana, Juma ${suffix}!`));
  await asker.context().close();
  await helper.context().close();
}

test("a newcomer's journey from sign-up to thanks, with JavaScript", async () => {
  await journey({}, "en", "Js");
});

test("the same journey without JavaScript", async () => {
  await journey({ javaScriptEnabled: false }, "en", "Plain");
});

test("the same journey in Arabic, right to left", async () => {
  await journey({}, "ar", "Ar");
});
