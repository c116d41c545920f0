//! Asks and offers through the API and the pages: posting, finding, editing, expiry, privacy
//! and the people suggested to help.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestApp, hidden_value};

fn profile(offered: &[&str], wanted: &[&str], visibility: &str) -> Value {
    json!({
        "display_name": "Someone",
        "languages": [{"code": "sw", "level": 4}, {"code": "en", "level": 3}],
        "known": offered,
        "offered": offered,
        "wanted": wanted,
        "country": "KE",
        "visibility": visibility,
    })
}

async fn put_profile(app: &TestApp, client: &reqwest::Client, body: Value) {
    let response = client
        .put(app.url("/api/v1/me/profile"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert_eq!(status, 200, "{}", response.text().await.unwrap());
}

fn ask() -> Value {
    json!({
        "kind": "ask",
        "title": "Help me write my first SPARQL query",
        "body": "I want to list the women scientists of Kenya on Wikidata.",
        "capacities": ["wikidata-sparql"],
        "languages": ["sw"],
        "country": "KE",
        "online": true,
        "methods": ["mentoring"],
        "organization": null,
    })
}

async fn create(app: &TestApp, client: &reqwest::Client, body: &Value) -> reqwest::Response {
    client
        .post(app.url("/api/v1/posts"))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn get_json(client: &reqwest::Client, url: String) -> Value {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn patch(app: &TestApp, client: &reqwest::Client, id: i64, body: Value) -> reqwest::Response {
    client
        .patch(app.url(&format!("/api/v1/posts/{id}")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_ask_is_posted_and_found_by_its_filters_words_and_facets() {
    let app = TestApp::spawn().await;
    let amina = app.signed_in("Amina", false).await;
    put_profile(&app, &amina, profile(&[], &["wikidata-sparql"], "public")).await;
    let response = create(&app, &amina, &ask()).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let post: Value = response.json().await.unwrap();
    let id = post["id"].as_i64().unwrap();
    assert_eq!(location, format!("/api/v1/posts/{id}"));
    assert_eq!(post["status"], "open");
    assert_eq!(post["author"], "Amina");
    assert_eq!(post["author_name"], "Someone");
    assert_eq!(post["capacities"][0]["value"], "wikidata-sparql");
    assert_eq!(post["region"], "SSA");
    let expected_expiry = app.state.clock.today() + time::Duration::days(30);
    assert_eq!(
        post["expires_at"],
        cxc_core::profile::format_date(expected_expiry)
    );
    let offer = json!({"kind": "offer", "title": "Photo walks in Nairobi", "capacities": ["event-organizing"], "country": "KE"});
    assert_eq!(create(&app, &amina, &offer).await.status(), 201);

    let anyone = reqwest::Client::new();
    let all = get_json(&anyone, app.url("/api/v1/posts")).await;
    assert_eq!(all["total"], 2);
    assert_eq!(all["items"][1]["id"], id, "newest first");
    let kinds: Vec<(&str, i64)> = all["facets"]["kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["value"].as_str().unwrap(), v["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(kinds, [("ask", 1), ("offer", 1)]);
    let under_wikidata = get_json(&anyone, app.url("/api/v1/posts?capacity=wikidata")).await;
    assert_eq!(
        under_wikidata["total"], 1,
        "a capacity includes those under it"
    );
    assert_eq!(under_wikidata["items"][0]["id"], id);
    let words = get_json(&anyone, app.url("/api/v1/posts?q=SCIENTISTS%20kenya")).await;
    assert_eq!(words["total"], 1);
    assert_eq!(words["items"][0]["id"], id);
    let offers_in_kenya = get_json(
        &anyone,
        app.url("/api/v1/posts?kind=offer&country=ke&region=SSA"),
    )
    .await;
    assert_eq!(offers_in_kenya["total"], 1);
    assert_eq!(offers_in_kenya["items"][0]["kind"], "offer");
    let first = get_json(&anyone, app.url("/api/v1/posts?limit=1")).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = get_json(
        &anyone,
        app.url(&format!("/api/v1/posts?limit=1&cursor={cursor}")),
    )
    .await;
    assert_eq!(second["items"][0]["id"], id);
    assert!(second["next_cursor"].is_null());

    let bad = anyone
        .get(app.url("/api/v1/posts?kind=question&capacity=knitting&cursor=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["kind", "capacity", "cursor"]);
}

#[tokio::test]
async fn posting_takes_a_signed_in_person_with_a_profile_and_valid_fields() {
    let app = TestApp::spawn().await;
    let anonymous = reqwest::Client::new();
    assert_eq!(create(&app, &anonymous, &ask()).await.status(), 401);
    let newcomer = app.signed_in("Newcomer", false).await;
    let response = create(&app, &newcomer, &ask()).await;
    assert_eq!(response.status(), 409);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "conflict");
    put_profile(&app, &newcomer, profile(&[], &[], "public")).await;
    let mut wrong = ask();
    wrong["kind"] = json!("question");
    wrong["title"] = json!("  ");
    wrong["expires_at"] = json!("2020-01-01");
    wrong["capacities"] = json!(["knitting"]);
    let response = create(&app, &newcomer, &wrong).await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["kind", "title", "capacities[0]", "expires_at"]);
    let listed = get_json(
        &anonymous,
        app.url("/api/v1/posts?status=open&status=closed"),
    )
    .await;
    assert_eq!(listed["total"], 0, "nothing half-written");
    let not_json = newcomer
        .post(app.url("/api/v1/posts"))
        .header("content-type", "application/json")
        .body("{\"kind\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
}

#[tokio::test]
async fn only_the_author_a_manager_or_an_admin_change_a_post() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("Curator", true).await;
    let author = app.signed_in("Author", false).await;
    let manager = app.signed_in("Manager", false).await;
    let stranger = app.signed_in("Stranger", false).await;
    for client in [&author, &manager, &stranger] {
        put_profile(&app, client, profile(&[], &[], "public")).await;
    }
    let created = app
        .post_as(
            &admin,
            "/organizations/new",
            &[
                ("key", "wm-ke"),
                ("name", "Wikimedia Kenya"),
                ("kind", "chapter"),
                ("managers", "Manager"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let mut for_org = ask();
    for_org["organization"] = json!("wm-ke");
    let refused = create(&app, &author, &for_org).await;
    assert_eq!(
        refused.status(),
        403,
        "posting for an organization takes managing it"
    );
    let post: Value = create(&app, &manager, &for_org).await.json().await.unwrap();
    let id = post["id"].as_i64().unwrap();
    assert_eq!(post["organization"], "wm-ke");
    assert_eq!(post["organization_name"], "Wikimedia Kenya");

    let anonymous = reqwest::Client::new();
    assert_eq!(
        patch(&app, &anonymous, id, json!({"title": "Mine now"}))
            .await
            .status(),
        401
    );
    let response = patch(&app, &stranger, id, json!({"title": "Mine now"})).await;
    assert_eq!(response.status(), 403);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "forbidden");
    let unchanged: Value = get_json(&anonymous, app.url(&format!("/api/v1/posts/{id}"))).await;
    assert_eq!(unchanged["title"], post["title"]);

    let closed = patch(
        &app,
        &manager,
        id,
        json!({"status": "closed", "country": null}),
    )
    .await;
    assert_eq!(closed.status(), 200);
    let closed: Value = closed.json().await.unwrap();
    assert_eq!(closed["status"], "closed");
    assert!(closed["country"].is_null(), "null clears a field");
    assert_eq!(closed["title"], post["title"], "what is not given stays");
    let open = get_json(&anonymous, app.url("/api/v1/posts")).await;
    assert_eq!(open["total"], 0, "closed posts leave the default list");
    let closed_list = get_json(&anonymous, app.url("/api/v1/posts?status=closed")).await;
    assert_eq!(closed_list["total"], 1);
    let reopened = patch(&app, &admin, id, json!({"status": "open"})).await;
    assert_eq!(reopened.status(), 200, "administrators may change any post");
    let bad = patch(&app, &manager, id, json!({"status": "expired"})).await;
    assert_eq!(bad.status(), 422, "expiry is not set by hand");
    assert_eq!(
        patch(&app, &manager, 999_999, json!({})).await.status(),
        404
    );
}

#[tokio::test]
async fn posts_expire_with_the_clock_and_their_owner_renews_them() {
    let app = TestApp::spawn().await;
    let amina = app.signed_in("Amina", false).await;
    put_profile(&app, &amina, profile(&[], &[], "public")).await;
    let post: Value = create(&app, &amina, &ask()).await.json().await.unwrap();
    let id = post["id"].as_i64().unwrap();
    app.state.clock.advance(Duration::from_secs(31 * 86_400));
    let anyone = reqwest::Client::new();
    let seen = get_json(&anyone, app.url(&format!("/api/v1/posts/{id}"))).await;
    assert_eq!(seen["status"], "expired");
    assert_eq!(
        get_json(&anyone, app.url("/api/v1/posts")).await["total"],
        0
    );
    let expired = get_json(&anyone, app.url("/api/v1/posts?status=expired")).await;
    assert_eq!(expired["total"], 1);
    let edited = patch(&app, &amina, id, json!({"body": "Still looking."})).await;
    assert_eq!(
        edited.status(),
        200,
        "an expired post can be edited as it is"
    );
    assert_eq!(edited.json::<Value>().await.unwrap()["status"], "expired");
    let renewed: Value = patch(&app, &amina, id, json!({"renew": true}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(renewed["status"], "open");
    let expected = app.state.clock.today() + time::Duration::days(30);
    assert_eq!(
        renewed["expires_at"],
        cxc_core::profile::format_date(expected)
    );
    assert_eq!(
        get_json(&anyone, app.url("/api/v1/posts")).await["total"],
        1
    );
}

#[tokio::test]
async fn posts_are_seen_where_their_authors_profiles_are() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("Author", false).await;
    let member = app.signed_in("Member", false).await;
    put_profile(&app, &author, profile(&[], &[], "members")).await;
    let post: Value = create(&app, &author, &ask()).await.json().await.unwrap();
    let id = post["id"].as_i64().unwrap();
    let anonymous = reqwest::Client::new();
    assert_eq!(
        get_json(&anonymous, app.url("/api/v1/posts")).await["total"],
        0
    );
    let one = anonymous
        .get(app.url(&format!("/api/v1/posts/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 404);
    assert_eq!(
        get_json(&member, app.url("/api/v1/posts")).await["total"],
        1
    );
    put_profile(&app, &author, profile(&[], &[], "hidden")).await;
    assert_eq!(
        get_json(&member, app.url("/api/v1/posts")).await["total"],
        0
    );
    assert_eq!(
        app.get(&format!("/posts/{id}")).await.status(),
        404,
        "a hidden author's post appears nowhere"
    );
    assert_eq!(
        get_json(&author, app.url("/api/v1/posts")).await["total"],
        1,
        "authors still see their own"
    );
    let export = get_json(&author, app.url("/api/v1/me/export")).await;
    assert_eq!(
        export["posts"][0]["id"], id,
        "one's export holds one's posts"
    );
    let deleted = author
        .delete(app.url("/api/v1/me"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let admin = app.signed_in("Curator", true).await;
    let all = get_json(
        &admin,
        app.url("/api/v1/posts?status=open&status=closed&status=expired&status=in_progress"),
    )
    .await;
    assert_eq!(all["total"], 0, "a deleted account's posts go with it");
}

#[tokio::test]
async fn an_ask_suggests_people_who_offer_what_it_asks_for() {
    let app = TestApp::spawn().await;
    let asker = app.signed_in("Asker", false).await;
    let teacher = app.signed_in("Teacher", false).await;
    let learner = app.signed_in("Learner", false).await;
    put_profile(&app, &asker, profile(&[], &[], "public")).await;
    put_profile(&app, &teacher, profile(&["wikidata-sparql"], &[], "public")).await;
    put_profile(&app, &learner, profile(&[], &["wikidata-sparql"], "public")).await;
    let ask: Value = create(&app, &asker, &ask()).await.json().await.unwrap();
    let id = ask["id"].as_i64().unwrap();
    let anyone = reqwest::Client::new();
    let helpers = get_json(&anyone, app.url(&format!("/api/v1/posts/{id}/helpers"))).await;
    let names: Vec<&str> = helpers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Teacher"]);
    let reasons = helpers["items"][0]["reasons"].to_string();
    assert!(
        reasons.contains("\"capacity\"") && reasons.contains("\"language\""),
        "{reasons}"
    );
    let offer: Value = create(
        &app,
        &teacher,
        &json!({"kind": "offer", "title": "SPARQL clinic", "capacities": ["wikidata-sparql"], "online": true}),
    )
    .await
    .json()
    .await
    .unwrap();
    let takers = get_json(
        &anyone,
        app.url(&format!("/api/v1/posts/{}/helpers", offer["id"])),
    )
    .await;
    let names: Vec<&str> = takers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Learner"], "an offer suggests those who want it");
    let page = app.get(&format!("/posts/{id}")).await.text().await.unwrap();
    assert!(
        page.contains("/people/Teacher"),
        "the ask's page shows its helpers"
    );
    let home = teacher
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains(&format!("/posts/{id}")),
        "the home page shows open asks the teacher could help with"
    );
    let own = asker
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!own.contains(&format!("/posts/{id}\"")), "never one's own");
}

#[tokio::test]
async fn the_board_and_its_forms_work_without_javascript() {
    let app = TestApp::spawn().await;
    let amina = app.signed_in("Amina", false).await;
    let stranger = app.signed_in("Stranger", false).await;
    let nudge = amina
        .get(app.url("/posts/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        nudge.contains("href=\"/profile/edit\""),
        "a profile comes first"
    );
    put_profile(&app, &amina, profile(&[], &[], "public")).await;
    let refused = app
        .post_as(
            &amina,
            "/posts/new",
            &[
                ("kind", "ask"),
                ("title", ""),
                ("body", "kept text"),
                ("capacity", "wikidata-sparql"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("kept text"), "the form keeps what was typed");
    assert!(html.contains("field-error"));
    let created = app
        .post_as(
            &amina,
            "/posts/new",
            &[
                ("kind", "ask"),
                ("title", "Lights for a photo walk"),
                ("capacity", "wikidata-sparql"),
                ("language", "sw"),
                ("online", "1"),
                ("method", "mentoring"),
                ("expires_at", ""),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/posts/").parse().unwrap();
    let page = app.get(&location).await.text().await.unwrap();
    assert!(page.contains("Lights for a photo walk"));
    let board = app.get("/posts?kind=ask").await.text().await.unwrap();
    assert!(board.contains(&location));
    assert!(
        board.contains("aria-current=\"true\""),
        "the chosen facet value is marked"
    );

    let edit = stranger
        .get(app.url(&format!("/posts/{id}/edit")))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), 403);
    let forged = app
        .post_as(
            &stranger,
            &format!("/posts/{id}/status"),
            &[("action", "close")],
        )
        .await;
    assert_eq!(forged.status(), 403);
    let form = amina
        .get(app.url(&format!("/posts/{id}/edit")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        hidden_value(&form, "title").as_deref(),
        Some("Lights for a photo walk"),
        "the edit form holds the post"
    );
    let closed = app
        .post_as(
            &amina,
            &format!("/posts/{id}/status"),
            &[("action", "close")],
        )
        .await;
    assert_eq!(closed.status(), 303);
    let post: Value = app
        .get(&format!("/api/v1/posts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(post["status"], "closed");
    let edited = app
        .post_as(
            &amina,
            &format!("/posts/{id}/edit"),
            &[
                ("kind", "ask"),
                ("title", "Lights, camera"),
                ("online", "1"),
            ],
        )
        .await;
    assert_eq!(edited.status(), 303);
    let post: Value = app
        .get(&format!("/api/v1/posts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(post["title"], "Lights, camera");
    assert_eq!(post["status"], "closed", "an edit keeps the status");
    assert_eq!(
        app.get("/posts/new").await.status(),
        303,
        "signing in comes first"
    );
}

#[tokio::test]
async fn a_post_made_on_one_instance_reaches_another() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn_on(first.db.shared(), |_| {}).await;
    let amina = first.signed_in("Amina", false).await;
    put_profile(&first, &amina, profile(&[], &[], "public")).await;
    let post: Value = create(&first, &amina, &ask()).await.json().await.unwrap();
    cxc::read_model::sync(&second.state).await.unwrap();
    let seen = get_json(
        &reqwest::Client::new(),
        second.url(&format!("/api/v1/posts/{}", post["id"])),
    )
    .await;
    assert_eq!(seen["title"], post["title"]);
}

#[tokio::test]
async fn people_organizations_and_posts_are_saved_and_listed_while_visible() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("Curator", true).await;
    let author = app.signed_in("Author", false).await;
    let saver = app.signed_in("Saver", false).await;
    put_profile(&app, &author, profile(&[], &[], "public")).await;
    let created = app
        .post_as(
            &admin,
            "/organizations/new",
            &[
                ("key", "wm-ke"),
                ("name", "Wikimedia Kenya"),
                ("kind", "chapter"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let post: Value = create(&app, &author, &ask()).await.json().await.unwrap();
    let id = post["id"].as_i64().unwrap();
    let put = |path: String| {
        let saver = saver.clone();
        async move {
            saver
                .put(path)
                .header("content-type", "application/json")
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(put(app.url("/api/v1/me/saved/person/Author")).await, 204);
    assert_eq!(
        put(app.url("/api/v1/me/saved/organization/wm-ke")).await,
        204
    );
    assert_eq!(
        put(app.url(&format!("/api/v1/me/saved/post/{id}"))).await,
        204
    );
    assert_eq!(
        put(app.url(&format!("/api/v1/me/saved/post/{id}"))).await,
        204,
        "twice is once"
    );
    assert_eq!(put(app.url("/api/v1/me/saved/post/999999")).await, 404);
    assert_eq!(put(app.url("/api/v1/me/saved/planet/Mars")).await, 404);
    let anonymous = reqwest::Client::new()
        .put(app.url("/api/v1/me/saved/person/Author"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let list = get_json(&saver, app.url("/api/v1/me/saved")).await;
    let kinds: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 3);
    assert!(
        kinds.contains(&"person") && kinds.contains(&"organization") && kinds.contains(&"post")
    );
    let page = saver
        .get(app.url("/saved"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Wikimedia Kenya") && page.contains(&format!("/posts/{id}")));
    put_profile(&app, &author, profile(&[], &[], "hidden")).await;
    let list = get_json(&saver, app.url("/api/v1/me/saved")).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "a hidden person and their post leave the list: {list}"
    );
    let removed = app
        .post_as(&saver, "/saved/organization/wm-ke", &[("action", "remove")])
        .await;
    assert_eq!(removed.status(), 303);
    let list = get_json(&saver, app.url("/api/v1/me/saved")).await;
    assert_eq!(list["items"], json!([]));
    put_profile(&app, &author, profile(&[], &[], "public")).await;
    assert_eq!(put(app.url("/api/v1/me/saved/person/Author")).await, 204);
    let deleted = author
        .delete(app.url("/api/v1/me"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let again = app.signed_in("Author", false).await;
    put_profile(&app, &again, profile(&[], &[], "public")).await;
    let list = get_json(&saver, app.url("/api/v1/me/saved")).await;
    assert_eq!(
        list["items"],
        json!([]),
        "a bookmark of someone who left does not point at whoever takes the name next"
    );
    let forgotten = saver
        .delete(app.url("/api/v1/me/saved/person/Author"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(forgotten.status(), 204);
}

/// The capacity pages a page links to, in order, within the part of it from `from` to `to`.
fn capacity_links<'a>(html: &'a str, from: &str, to: &str) -> Vec<&'a str> {
    let part = &html[html.find(from).unwrap()..];
    let part = &part[..part.find(to).unwrap()];
    part.split("href=\"/capacities/")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect()
}

#[tokio::test]
async fn the_home_page_shows_life_on_the_exchange_and_one_next_step() {
    let app = TestApp::spawn_on(crate::common::with_dataset().await, |_| {}).await;
    let asker = app.signed_in("Home Asker", false).await;
    // The shared community has a taxonomy of its own.
    let capacities = get_json(&asker, app.url("/api/v1/capacities")).await;
    let leaves: Vec<&str> = capacities
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["depth"] == 3)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    put_profile(&app, &asker, profile(&[], &[leaves[0]], "public")).await;
    let mut post = ask();
    post["capacities"] = json!([leaves[0]]);
    assert_eq!(create(&app, &asker, &post).await.status(), 201);

    let home = app.get("/?uselang=en").await.text().await.unwrap();
    assert!(home.contains("Right now on the exchange"));
    assert!(
        home.contains("Help me write my first SPARQL query"),
        "the newest ask shows"
    );
    // The most needed capacities are the dashboard's, in its order, with its figures.
    let dashboard = app.get("/dashboard?uselang=en").await.text().await.unwrap();
    let ranked = capacity_links(&dashboard, "id=\"needs-table-caption\"", "</table>");
    let shown = capacity_links(&home, "<ol class=\"ranked\">", "</ol>");
    assert_eq!(shown.len(), 5);
    assert_eq!(shown, ranked[..5]);
    assert!(
        home.contains("href=\"/map?mode=needs\""),
        "a glimpse of the map leads to it"
    );
    assert!(
        home.contains("href=\"/signup\" class=\"button primary\"")
            || home.contains("class=\"button primary\" href=\"/signup\""),
        "one next step for newcomers: join"
    );

    // Signed in with a thin profile, the next step is the profile; with a fuller one, the
    // suggestions.
    put_profile(&app, &asker, json!({"display_name": "Home Asker"})).await;
    let html = asker
        .get(app.url("/?uselang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("class=\"button primary\" href=\"/profile/edit\""));
    put_profile(
        &app,
        &asker,
        json!({
            "display_name": "Home Asker",
            "bio": "I edit Swahili Wikipedia and want to learn to query Wikidata.",
            "country": "KE",
            "timezone": "Africa/Nairobi",
            "languages": [{"code": "sw", "level": "native"}, {"code": "en", "level": 3}],
            "wanted": [{"capacity": leaves[0]}],
            "known": [{"capacity": leaves[1]}],
            "offered": [{"capacity": leaves[1]}],
            "projects": ["swwiki"],
        }),
    )
    .await;
    let html = asker
        .get(app.url("/?uselang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("class=\"button primary\" href=\"/matches\""));
}
