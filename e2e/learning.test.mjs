import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { site } from "./harness.mjs";

let base, browser, stop;

before(async () => {
  ({ base, browser, stop } = await site("learning", {
    // An administrator, made as an operator would before starting the site.
    prepare: (cxc) => cxc(["user", "add", "Admin", "--admin", "--password-stdin"], "a long enough password\n"),
  }));
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
  timezone: "Africa/Nairobi",
});

test("a proposed learning group is formed, joined and talked in, a learner without JavaScript", async () => {
  const organiser = await newcomer({}, "Orga", profile("Orga Njeri", [], []));
  const learners = [];
  for (const [name, js] of [["Asha", false], ["Bahati", true], ["Chiku", true]]) {
    learners.push(await newcomer({ javaScriptEnabled: js }, name, profile(`${name} K.`, [], ["wikidata-sparql"])));
  }
  await newcomer({}, "Teacher", profile("Teacher M.", ["wikidata-sparql"], []));

  // The organiser finds the group cxc proposes for SPARQL and forms it with one button.
  await organiser.goto(`${base}/cohorts`);
  await organiser.selectOption("#capacity", "wikidata-sparql");
  await organiser.locator("form[action='/cohorts/proposals'] button").click();
  await organiser.waitForURL(/\/cohorts\/proposals\?capacity=wikidata-sparql/);
  const proposal = organiser.locator("ul.result-list li.card").first();
  const text = await proposal.textContent();
  for (const name of ["Asha K.", "Bahati K.", "Chiku K."]) assert.match(text, new RegExp(name), `${name} is proposed`);
  assert.match(text, /Teacher M\./, "who offers SPARQL in Swahili could facilitate");
  await proposal.locator("form[action='/cohorts/new'] button").click();
  await organiser.waitForURL(/\/cohorts\/\d+$/);
  const cohort = new URL(organiser.url()).pathname;
  assert.match(await organiser.locator("#members").textContent(), /Asha K\..*invited/s);

  // Asha, without JavaScript, is told, joins and writes over two lines.
  const asha = learners[0];
  await asha.goto(`${base}/notifications`);
  await asha.locator(`a[href='${cohort}']`).first().click();
  await asha.waitForURL((url) => url.pathname === cohort);
  await asha.locator("button[name=action][value=accept]").click();
  await asha.fill("#body", "Habari!\nTukutane Jumatatu saa kumi na mbili?");
  await asha.locator(`form[action='${cohort}/messages'] button`).click();
  assert.match(await asha.locator("ol.thread").textContent(), /Tukutane Jumatatu/);

  // Bahati declines; Chiku, not yet answered, reads nothing of the thread.
  await learners[1].goto(`${base}${cohort}`);
  await learners[1].locator("button[name=action][value=decline]").click();
  await learners[2].goto(`${base}${cohort}`);
  assert.equal(await learners[2].locator("ol.thread").count(), 0);

  // The organiser sees the answers, starts the group and answers in its thread.
  await organiser.goto(`${base}${cohort}`);
  const members = await organiser.locator("#members").textContent();
  assert.match(members, /Asha K\..*joined/s);
  assert.match(members, /Bahati K\..*declined/s);
  await organiser.selectOption("#status-choice", "active");
  await organiser.locator(`form[action='${cohort}/status'] button`).click();
  assert.match(await organiser.locator(".badge").first().textContent(), /Active/);
  assert.match(await organiser.locator("ol.thread").textContent(), /Tukutane Jumatatu/);
});

test("a learning group's page reads right to left in Arabic and fits a small screen", async () => {
  const page = await newcomer({ viewport: { width: 320, height: 640 } }, "Salma", profile("Salma", [], []));
  await page.goto(`${base}/cohorts/proposals?capacity=wikidata-sparql&uselang=ar`);
  assert.equal(await page.evaluate(() => document.documentElement.dir), "rtl");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow} px)`);
  await page.goto(`${base}/cohorts/new?uselang=ar`);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(wide <= 0, `the form fits too (${wide} px)`);
  await page.context().close();
});

test("a mentorship programme is opened, applied to, computed, closed and published, a mentor without JavaScript", async () => {
  const admin = await (await browser.newContext()).newPage();
  await admin.goto(`${base}/login`);
  await admin.fill("#username", "Admin");
  await admin.fill("#password", "a long enough password");
  await admin.locator("form[action^='/login'] button.primary").click();
  await admin.waitForURL((url) => !url.pathname.startsWith("/login"));
  await admin.request.put(`${base}/api/v1/me/profile`, { data: profile("Admin", [], []), headers: { "content-type": "application/json" } });

  const today = new Date().toISOString().slice(0, 10);
  const later = new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10);
  await admin.goto(`${base}/programmes/new`);
  await admin.fill("#name", "SPARQL mentors");
  await admin.selectOption("#capacity", ["wikidata-sparql"]);
  await admin.fill("#registration_opens", today);
  await admin.fill("#registration_closes", later);
  await admin.fill("#mentee_questions", "What will you build?");
  await admin.locator("form[action='/programmes/new'] button.primary").click();
  await admin.waitForURL(/\/programmes\/\d+$/);
  const programme = new URL(admin.url()).pathname;

  const mentor = await newcomer({ javaScriptEnabled: false }, "Mwalimu", profile("Mwalimu Juma", ["wikidata-sparql"], []));
  await mentor.goto(`${base}${programme}`);
  const asMentor = mentor.locator("details:has(input[name=role][value=mentor])");
  await asMentor.locator("summary").click();
  await asMentor.locator("#slots").fill("2");
  await asMentor.locator("button.primary").click();
  assert.match(await mentor.locator("#application").textContent(), /mentor/i);

  const mentee = await newcomer({}, "Mwanafunzi", profile("Mwanafunzi Ali", [], ["wikidata-sparql"]));
  await mentee.goto(`${base}${programme}`);
  const asMentee = mentee.locator("details:has(input[name=role][value=mentee])");
  await asMentee.locator("summary").click();
  await asMentee.locator("textarea[name=answer]").fill("A map of Swahili poets");
  await asMentee.locator("button.primary").click();
  assert.match(await mentee.locator("#application").textContent(), /A map of Swahili poets/);

  // The organiser computes the round, reads why the pair fits, closes registration, publishes.
  await admin.goto(`${base}${programme}`);
  assert.match(await admin.locator("#organise").textContent(), /A map of Swahili poets/, "the organiser reads the answers");
  await admin.selectOption("#mode", "max_matched");
  await admin.locator("#round-form button.primary").click();
  const proposal = await admin.locator("#proposal").textContent();
  assert.match(proposal, /Mwalimu/);
  assert.match(proposal, /Mwanafunzi/);
  assert.ok((await admin.locator("#proposal tbody li").count()) > 0, "the pair says why it fits");
  await admin.locator(`form[action='${programme}/close'] button`).click();
  await admin.locator(`form[action='${programme}/publish'] button`).click();
  assert.match(await admin.locator(".badge").first().textContent(), /Published/i);

  // Both are told, and the pair is an accepted connection.
  await mentee.goto(`${base}/notifications`);
  assert.match(await mentee.locator("main").textContent(), /Mwalimu Juma/);
  await mentor.goto(`${base}/connections`);
  assert.match(await mentor.locator("main").textContent(), /Mwanafunzi Ali/);
});
