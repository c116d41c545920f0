// The exchange in real headless Chromium: two people carried from an ask, through a suggested
// helper's request, a question and its answer, acceptance and messages, to an exchange both
// confirm and a thank-you shown on a profile. The helper's browser runs without JavaScript,
// so every step is proven to work with forms and links alone.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { site } from "./harness.mjs";

let base, browser, stop;

before(async () => {
  ({ base, browser, stop } = await site("exchange"));
});

after(async () => {
  await stop?.();
});

/// A new person: signs up through the form, then fills a profile (through the API from the
/// signed-in page, as the profile form has its own browser tests).
async function newcomer(options, username, profile) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(`${base}/signup`);
  await page.fill("#username", username);
  await page.fill("#password", "a long enough password");
  await page.fill("#password_confirm", "a long enough password");
  await page.locator("form[action='/signup'] button[type=submit]").click();
  await page.waitForURL((url) => !url.pathname.startsWith("/signup"));
  const status = await page.request
    .put(`${base}/api/v1/me/profile`, { data: profile, headers: { "content-type": "application/json" } })
    .then((r) => r.status());
  assert.equal(status, 200, `${username}'s profile is saved`);
  return page;
}

const profile = (name, offered, wanted) => ({
  display_name: name,
  languages: [{ code: "sw", level: 4 }, { code: "en", level: 3 }],
  known: offered,
  offered,
  wanted,
  country: "KE",
});

test("an ask becomes a completed exchange with thanks, the helper without JavaScript", async () => {
  const asker = await newcomer({}, "Asha", profile("Asha Wanjiku", [], ["wikidata-sparql"]));
  const helper = await newcomer({ javaScriptEnabled: false }, "Baraka", profile("Baraka Otieno", ["wikidata-sparql"], []));

  // The ask, through its form.
  await asker.goto(`${base}/posts/new`);
  await asker.fill("#title", "Help me write my first SPARQL query");
  await asker.fill("#body", "I want to list the women scientists of Kenya.");
  await asker.selectOption("#capacity", ["wikidata-sparql"]);
  await asker.locator("form[action='/posts/new'] button.primary").click();
  await asker.waitForURL(/\/posts\/\d+$/);
  const askUrl = asker.url();
  assert.match(await asker.locator("section.helpers").textContent(), /Baraka Otieno/, "the helper is suggested, with reasons");

  // The helper finds it on the home page and offers help.
  await helper.goto(`${base}/`);
  await helper.locator(`section.open-asks a[href='${new URL(askUrl).pathname}']`).click();
  await helper.locator("a.button.primary", { hasText: "I can help" }).click();
  await helper.fill("#message", "I teach SPARQL on Wednesdays; happy to help.");
  await helper.locator("form[action='/connections/new'] button.primary").click();
  await helper.waitForURL(/\/connections\/\d+$/);
  const connection = new URL(helper.url()).pathname;

  // The asker is told, asks a question first.
  await asker.goto(`${base}/`);
  assert.equal((await asker.locator(".count-badge").textContent()).trim(), "1");
  await asker.goto(`${base}/notifications`);
  await asker.locator(`a[href='${connection}']`).first().click();
  await asker.fill("#ask", "Which evening suits you?");
  await asker.locator("form:has(#ask) button").click();
  assert.match(await asker.locator(".badge").first().textContent(), /More information asked/);

  // The helper answers in the thread; the request comes back; the asker accepts.
  await helper.goto(`${base}${connection}`);
  assert.match(await helper.locator("ol.messages").textContent(), /Which evening suits you\?/);
  await helper.fill("#body", "Wednesday at 18:00 East Africa Time.");
  await helper.locator("form:has(#body) button").click();
  await asker.goto(`${base}${connection}`);
  await asker.locator("button[name=action][value=accept]").click();
  await asker.fill("#body", "Wednesday it is. See you!");
  await asker.locator("form:has(#body) button").click();
  assert.match(await asker.locator("ol.messages").textContent(), /See you!/);

  // Both confirm; the asker thanks; the helper shows it on their profile.
  await helper.goto(`${base}${connection}`);
  await helper.locator(`form[action='${connection}/complete'] button`).click();
  await asker.goto(`${base}${connection}`);
  await asker.locator(`form[action='${connection}/complete'] button`).click();
  assert.match(await asker.locator(".badge").first().textContent(), /Completed/);
  await asker.fill("#thanks", "Asante sana, Baraka!");
  await asker.locator("form:has(#thanks) button").click();
  await helper.goto(`${base}${connection}`);
  await helper.locator("button[name=shown][value='1']").click();
  await helper.goto(`${base}/people/Baraka`);
  assert.match(await helper.locator("section.thanks").textContent(), /Asante sana, Baraka!/);

  // The ask can be closed now.
  await asker.goto(askUrl);
  await asker.locator("button[name=action][value=close]").click();
  assert.match(await asker.locator(".badge").nth(1).textContent(), /Closed/);
});

test("the board reads right to left in Arabic", async () => {
  const page = await browser.newPage();
  await page.goto(`${base}/posts?uselang=ar`);
  assert.equal(await page.evaluate(() => document.documentElement.dir), "rtl");
  assert.ok((await page.locator("h1").textContent()).length > 0);
  await page.close();
});
