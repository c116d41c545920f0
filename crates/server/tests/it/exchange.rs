//! The taxonomy, profiles and organizations through the API and the pages.

use serde_json::{Value, json};

use crate::common::TestApp;

async fn put_profile(app: &TestApp, client: &reqwest::Client, body: &Value) -> reqwest::Response {
    client
        .put(app.url("/api/v1/me/profile"))
        .json(body)
        .send()
        .await
        .unwrap()
}

fn good_profile() -> Value {
    json!({
        "display_name": "Amara Okonkwo",
        "pronouns": "she/her",
        "bio": "I organise edit-a-thons in Lagos and want to learn SPARQL.",
        "bio_language": "en",
        "country": "NG",
        "timezone": "Africa/Lagos",
        "languages": [{"code": "yo", "level": "native"}, {"code": "en", "level": 4}],
        "known": ["event-organizing", {"capacity": "wikidata", "level": 2}],
        "offered": [{"capacity": "event-organizing", "methods": ["mentoring", "peer_learning"], "formats": ["online"]}],
        "wanted": [{"capacity": "wikidata-sparql", "methods": ["tutoring"]}],
        "projects": ["wikidata", "yowiki"],
        "visibility": "public",
        "recommendable": true,
        "max_connections": 3
    })
}

#[tokio::test]
async fn the_default_taxonomy_is_loaded_and_translated() {
    let app = TestApp::spawn().await;
    let caps: Vec<Value> = app
        .get("/api/v1/capacities?lang=fr")
        .await
        .json()
        .await
        .unwrap();
    let areas: Vec<&Value> = caps.iter().filter(|c| c["parent"].is_null()).collect();
    assert_eq!(areas.len(), 7);
    assert!(caps.len() - areas.len() >= 100, "{} capacities", caps.len());
    let english: Vec<Value> = app
        .get("/api/v1/capacities?lang=en")
        .await
        .json()
        .await
        .unwrap();
    let label =
        |list: &[Value], id: &str| list.iter().find(|c| c["id"] == id).unwrap()["label"].clone();
    assert_eq!(label(&english, "communication"), "Communication");
    assert_ne!(
        label(&caps, "community-health"),
        label(&english, "community-health")
    );
    for c in &caps {
        for field in ["id", "slug", "label", "description"] {
            assert!(
                c[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field} of {c}"
            );
        }
        assert!(c["qid"].is_null() || c["qid"].as_str().unwrap().starts_with('Q'));
    }
    assert_eq!(
        english.iter().find(|c| c["id"] == "wikidata").unwrap()["qid"],
        "Q2013"
    );
}

#[tokio::test]
async fn taxonomy_pages_render_in_several_languages() {
    let app = TestApp::spawn().await;
    for lang in ["en", "ar", "es", "fr", "pt-br"] {
        let html = app
            .get(&format!("/capacities?uselang={lang}"))
            .await
            .text()
            .await
            .unwrap();
        let caps: Vec<Value> = app
            .get(&format!("/api/v1/capacities?lang={lang}"))
            .await
            .json()
            .await
            .unwrap();
        let wikidata = caps.iter().find(|c| c["id"] == "wikidata").unwrap();
        assert!(
            html.contains(&askama_text(wikidata["label"].as_str().unwrap())),
            "{lang}"
        );
        let page = app
            .get(&format!(
                "/capacities/{}?uselang={lang}",
                wikidata["slug"].as_str().unwrap()
            ))
            .await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(
            html.contains(&askama_text(wikidata["description"].as_str().unwrap())),
            "{lang}"
        );
        assert!(html.contains("https://www.wikidata.org/wiki/Q2013"));
        assert!(!html.contains('⧼'), "{lang}: missing message");
    }
    // The capacity's key also finds its page.
    let response = app.get("/capacities/wikidata-sparql").await;
    assert!(response.status() == 200 || response.status() == 308);
}

fn askama_text(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn the_taxonomy_is_published_as_skos() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/capacities/skos.ttl").await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );
    let ttl = response.text().await.unwrap();
    let concepts = ttl.matches("a skos:Concept ;").count();
    let caps: Vec<Value> = app.get("/api/v1/capacities").await.json().await.unwrap();
    assert_eq!(concepts, caps.len());
    assert!(ttl.contains("skos:exactMatch <http://www.wikidata.org/entity/Q2013>"));
    assert!(ttl.contains("@ar ;") || ttl.contains("@ar ."));
    assert_eq!(ttl.matches("skos:topConceptOf").count(), 7);
    let ld: Value = app
        .get("/api/v1/capacities/skos.jsonld")
        .await
        .json()
        .await
        .unwrap();
    let graph = ld["@graph"].as_array().unwrap();
    assert_eq!(graph.len(), caps.len() + 1);
    assert!(
        graph
            .iter()
            .filter(|n| n["skos:broader"].is_object())
            .count()
            >= 100
    );
}

#[tokio::test]
async fn a_profile_is_saved_and_read_back() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("Amara", false).await;
    let response = put_profile(&app, &client, &good_profile()).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let me: Value = client
        .get(app.url("/api/v1/me/profile?uselang=fr"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "Amara");
    assert_eq!(me["display_name"], "Amara Okonkwo");
    assert_eq!(me["country"], "NG");
    assert_eq!(me["region"], "SSA");
    assert_eq!(me["timezone"], "Africa/Lagos");
    assert_eq!(
        me["languages"],
        json!([{"code": "yo", "level": "native"}, {"code": "en", "level": 4}])
    );
    assert_eq!(
        me["known"][1],
        json!({"capacity": "wikidata", "label": me["known"][1]["label"], "level": 2})
    );
    assert_ne!(
        me["known"][1]["label"], "wikidata",
        "labels come from the taxonomy"
    );
    assert_eq!(
        me["offered"][0]["methods"],
        json!(["mentoring", "peer_learning"])
    );
    assert_eq!(me["offered"][0]["formats"], json!(["online"]));
    assert_eq!(me["wanted"][0]["capacity"], "wikidata-sparql");
    assert_eq!(me["projects"], json!(["wikidata", "yowiki"]));
    assert_eq!(me["max_connections"], 3);
    assert_eq!(me["visibility"], "public");
    let public: Value = app
        .get("/api/v1/profiles/amara")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["display_name"], "Amara Okonkwo");
    let page = app
        .get("/people/Amara?uselang=ar")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<bdi>Amara Okonkwo</bdi>"));
    assert!(page.contains("dir=\"rtl\""));
}

#[tokio::test]
async fn invalid_profiles_get_a_code_per_field_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("Careful", false).await;
    assert_eq!(
        put_profile(&app, &client, &good_profile()).await.status(),
        200
    );
    let before: Value = client
        .get(app.url("/api/v1/me/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut bad = good_profile();
    bad["display_name"] = json!("x".repeat(101));
    bad["country"] = json!("XX");
    bad["offered"] = json!(["wikidata-sparql"]);
    bad["wanted"] = json!(["no-such-capacity"]);
    bad["languages"] = json!([{"code": "zz-nope", "level": 3}]);
    bad["bio"] = json!("b".repeat(2001));
    let response = put_profile(&app, &client, &bad).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_input");
    let codes: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("display_name", "too_long"),
        ("bio", "too_long"),
        ("country", "unknown_country"),
        ("languages[0]", "unknown_language"),
        ("offered[0]", "offered_not_known"),
        ("wanted[0]", "unknown_capacity"),
    ] {
        assert!(
            codes
                .iter()
                .any(|(f, c)| f == expected.0 && c == expected.1),
            "{expected:?} in {codes:?}"
        );
    }
    let after: Value = client
        .get(app.url("/api/v1/me/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(before, after, "nothing was saved");
    let garbage = client
        .put(app.url("/api/v1/me/profile"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    let anonymous = reqwest::Client::new()
        .put(app.url("/api/v1/me/profile"))
        .json(&good_profile())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn profiles_as_schema_org_json_ld() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("Linked", false).await;
    assert_eq!(
        put_profile(&app, &client, &good_profile()).await.status(),
        200
    );
    let ld: Value = app
        .client
        .get(app.url("/api/v1/profiles/Linked"))
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "Person");
    assert_eq!(ld["name"], "Amara Okonkwo");
    assert_eq!(ld["knowsLanguage"], json!(["yo", "en"]));
    assert_eq!(
        ld["knowsAbout"][1]["sameAs"],
        "http://www.wikidata.org/entity/Q2013"
    );
    assert_eq!(ld["makesOffer"][0]["@type"], "Offer");
    assert_eq!(
        ld["makesOffer"][0]["itemOffered"]["about"]["termCode"],
        "event-organizing"
    );
    assert_eq!(ld["seeks"][0]["@type"], "Demand");
}

#[tokio::test]
async fn visibility_decides_who_sees_a_profile() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in("Shy", false).await;
    let other = app.signed_in("Curious", false).await;
    let anonymous = reqwest::Client::new();
    for (visibility, anonymous_sees, member_sees) in [
        ("public", true, true),
        ("members", false, true),
        ("hidden", false, false),
    ] {
        let mut p = good_profile();
        p["visibility"] = json!(visibility);
        assert_eq!(put_profile(&app, &owner, &p).await.status(), 200);
        for (client, sees) in [
            (&anonymous, anonymous_sees),
            (&other, member_sees),
            (&owner, true),
        ] {
            for path in ["/api/v1/profiles/Shy", "/people/Shy"] {
                let status = client.get(app.url(path)).send().await.unwrap().status();
                assert_eq!(status == 200, sees, "{visibility} {path}: {status}");
            }
        }
    }
}

#[tokio::test]
async fn the_edit_form_works_without_javascript() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("Formal", false).await;
    let html = client
        .get(app.url("/profile/edit"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("name=\"display_name\" value=\"Formal\""));
    let fields = [
        ("display_name", "Fátima Zahra"),
        ("bio", "Bibliothécaire à Rabat."),
        ("bio_language", "fr"),
        ("country", "MA"),
        ("timezone", "Africa/Casablanca"),
        ("lang", "ar"),
        ("lang_level", "native"),
        ("lang", "fr"),
        ("lang_level", "4"),
        ("lang", ""),
        ("lang_level", "3"),
        ("new_cap", "glam"),
        ("rel_new", "known"),
        ("rel_new", "offered"),
        ("visibility", "public"),
        ("recommendable", "1"),
    ];
    let response = app.post_as(&client, "/profile/edit", &fields).await;
    assert_eq!(response.status(), 303);
    let me: Value = client
        .get(app.url("/api/v1/me/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["display_name"], "Fátima Zahra");
    assert_eq!(me["region"], "MENA");
    assert_eq!(me["known"][0]["capacity"], "glam");
    assert_eq!(me["offered"][0]["capacity"], "glam");
    assert_eq!(me["languages"].as_array().unwrap().len(), 2);

    // Methods for an existing row, and a bad country: the form comes back with the input.
    let fields = [
        ("display_name", "Fátima Zahra"),
        ("country", "QQ"),
        ("cap", "glam"),
        ("rel_glam", "known"),
        ("rel_glam", "offered"),
        ("method_glam", "coaching"),
        ("visibility", "public"),
    ];
    let response = app
        .post_as(&client, "/profile/edit?uselang=fr", &fields)
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("value=\"Fátima Zahra\""));
    assert!(html.contains(&app.state.i18n.text("fr", "cxc-error-unknown-country", &[])));
    let me: Value = client
        .get(app.url("/api/v1/me/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["country"], "MA", "nothing saved");

    // Languages by their own names, several capacities at once; one already listed keeps its
    // own relations.
    let fields = [
        ("display_name", "Fátima Zahra"),
        ("bio_language", "Français"),
        ("lang", "العربية"),
        ("lang_level", "native"),
        ("lang", "kiswahili"),
        ("lang_level", "2"),
        ("lang", "Español (es)"),
        ("lang_level", "4"),
        ("cap", "glam"),
        ("rel_glam", "known"),
        ("new_cap", "wikidata-sparql"),
        ("new_cap", "wikisource"),
        ("new_cap", "glam"),
        ("rel_new", "wanted"),
        ("visibility", "public"),
    ];
    let response = app.post_as(&client, "/profile/edit", &fields).await;
    assert_eq!(response.status(), 303);
    let me: Value = client
        .get(app.url("/api/v1/me/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["bio_language"], "fr");
    let codes: Vec<&str> = me["languages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["ar", "sw", "es"]);
    let wanted: Vec<&str> = me["wanted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["capacity"].as_str().unwrap())
        .collect();
    assert_eq!(wanted, ["wikidata-sparql", "wikisource"]);
    assert_eq!(me["known"][0]["capacity"], "glam");
    let html = client
        .get(app.url("/profile/edit"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("value=\"Kiswahili (sw)\""),
        "languages show by name and code"
    );
    assert!(html.contains("value=\"français (fr)\""));

    // A name that is no language is refused, as a wrong code is.
    let fields = [
        ("display_name", "Fátima Zahra"),
        ("lang", "Klingonish"),
        ("lang_level", "2"),
        ("visibility", "public"),
    ];
    let response = app.post_as(&client, "/profile/edit", &fields).await;
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn deleting_an_account_leaves_no_personal_data() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("Leaving", false).await;
    assert_eq!(
        put_profile(&app, &client, &good_profile()).await.status(),
        200
    );
    let export: Value = client
        .get(app.url("/api/v1/me/export"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(export["username"], "Leaving");
    assert_eq!(export["profile"]["display_name"], "Amara Okonkwo");
    let download = client
        .get(app.url("/account/export.json"))
        .send()
        .await
        .unwrap();
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let id = cxc::db::accounts::by_username(&app.state.db, "Leaving")
        .await
        .unwrap()
        .unwrap()
        .id;

    let wrong = app
        .post_as(&client, "/account/delete", &[("confirm", "someone else")])
        .await;
    assert_eq!(wrong.status(), 422);
    let response = app
        .post_as(&client, "/account/delete", &[("confirm", "leaving")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        client
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(app.get("/api/v1/profiles/Leaving").await.status(), 404);
    for (table, column) in [
        ("accounts", "id"),
        ("profiles", "account_id"),
        ("profile_languages", "account_id"),
        ("profile_capacities", "account_id"),
        ("profile_affiliations", "account_id"),
        ("profile_projects", "account_id"),
        ("sessions", "account_id"),
        ("api_tokens", "account_id"),
        ("capacity_suggestions", "account_id"),
        ("organization_managers", "account_id"),
    ] {
        let n: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
                .bind(id)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    let names: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE username_key = 'leaving'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(names, 0);
}

#[tokio::test]
async fn the_api_deletes_the_signed_in_account() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("Gone", false).await;
    let response = client
        .delete(app.url("/api/v1/me"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(
        cxc::db::accounts::by_username(&app.state.db, "Gone")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_nearly_empty_profile_is_nudged_on_the_home_page() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("Newcomer", false).await;
    let html = client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("href=\"/profile/edit\""));
    assert!(html.contains("class=\"message nudge\""));
    assert_eq!(
        put_profile(&app, &client, &good_profile()).await.status(),
        200
    );
    let html = client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("class=\"message nudge\""));
}

/// The people counts of a capacity page's cards, in their order: offered, wanted, known.
fn capacity_page_counts(html: &str) -> Vec<u64> {
    html.split("<p class=\"stat\">")
        .skip(1)
        .map(|card| {
            let people = &card[..card.find(" · ").unwrap()];
            if people == "one person" {
                1
            } else {
                people.split(' ').next().unwrap().parse().unwrap()
            }
        })
        .collect()
}

#[tokio::test]
async fn a_capacity_page_counts_what_search_and_its_facets_count_for_the_same_viewer() {
    let app = TestApp::spawn_on(crate::common::with_dataset().await, |_| {}).await;
    let member = app.signed_in("Counting Member", false).await;
    let anonymous = reqwest::Client::new();
    let json = |client: &reqwest::Client, path: String| {
        let request = client.get(app.url(&path));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let taxonomy = json(&anonymous, "/api/v1/capacities".into()).await;
    let capacities = taxonomy.as_array().unwrap();
    // An area (everything under it counts), a capacity with specialisations, and a leaf.
    let area = capacities.iter().find(|c| c["depth"] == 1).unwrap();
    let leaf = capacities.iter().find(|c| c["depth"] == 3).unwrap();
    let middle = capacities
        .iter()
        .find(|c| c["id"] == leaf["parent"])
        .unwrap();
    for (viewer, client) in [("signed out", &anonymous), ("member", &member)] {
        let facets = json(
            client,
            "/api/v1/profiles?facets=offers,wants,knows&limit=1".into(),
        )
        .await;
        for capacity in [area, middle, leaf] {
            let (id, slug) = (
                capacity["id"].as_str().unwrap(),
                capacity["slug"].as_str().unwrap(),
            );
            let html = client
                .get(app.url(&format!("/capacities/{slug}?uselang=en")))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let on_page = capacity_page_counts(&html);
            assert_eq!(
                html.contains("These counts include the capacities under this one."),
                capacity["depth"] != 3,
                "{id}: the page says whether capacities under it count"
            );
            for (i, filter) in ["offers", "wants", "knows"].into_iter().enumerate() {
                let found = json(
                    client,
                    format!("/api/v1/profiles?{filter}={id}&facets=none&limit=1"),
                )
                .await;
                assert_eq!(
                    on_page[i], found["total"],
                    "{viewer}, {id}: page and search on {filter}"
                );
                let facet = facets["facets"][filter]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|v| v["value"] == id)
                    .map_or(0, |v| v["count"].as_u64().unwrap());
                assert_eq!(
                    on_page[i], facet,
                    "{viewer}, {id}: page and facet on {filter}"
                );
            }
        }
    }
    // The dashboard counts public profiles, as a signed-out visitor sees them: each of its most
    // needed capacities shows the number its page shows.
    let dashboard = anonymous
        .get(app.url("/dashboard?uselang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let table = &dashboard[dashboard.find("id=\"needs-table-caption\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let mut checked = 0;
    for row in table.split("<tr><th scope=\"row\"><a href=\"").skip(1) {
        let href = &row[..row.find('"').unwrap()];
        let cells: Vec<&str> = row
            .split("<td>")
            .skip(1)
            .map(|c| &c[..c.find("</td>").unwrap()])
            .collect();
        let Ok(needs) = cells[0].parse::<u64>() else {
            continue;
        };
        let html = anonymous
            .get(app.url(&format!("{href}?uselang=en")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let on_page = capacity_page_counts(&html);
        assert_eq!(on_page[1], needs, "{href}: dashboard and page on needs");
        if let Ok(offers) = cells[1].parse::<u64>() {
            assert_eq!(on_page[0], offers, "{href}: dashboard and page on offers");
        }
        checked += 1;
    }
    assert!(checked >= 3, "{checked} dashboard rows compared");
}
