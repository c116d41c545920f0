//! Curating the taxonomy and organizations: who may, and what happens to old links.

use serde_json::{Value, json};

use crate::common::TestApp;

async fn capacity(app: &TestApp, id: &str) -> Option<Value> {
    let caps: Vec<Value> = app.get("/api/v1/capacities").await.json().await.unwrap();
    caps.into_iter().find(|c| c["id"] == id)
}

#[tokio::test]
async fn members_cannot_curate() {
    let app = TestApp::spawn().await;
    let member = app.signed_in("Member", false).await;
    for path in [
        "/admin/capacities",
        "/admin/capacities/wikidata",
        "/organizations/new",
    ] {
        assert_eq!(
            member.get(app.url(path)).send().await.unwrap().status(),
            403,
            "{path}"
        );
    }
    for path in [
        "/admin/capacities",
        "/admin/capacities/wikidata/retire",
        "/admin/capacities/wikidata/merge",
        "/organizations/new",
    ] {
        let status = app
            .post_as(
                &member,
                path,
                &[("key", "x"), ("label_en", "X"), ("into", "commons")],
            )
            .await
            .status();
        assert_eq!(status, 403, "{path}");
    }
    assert!(capacity(&app, "wikidata").await.is_some());
}

#[tokio::test]
async fn admins_add_rename_translate_and_move_capacities() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("Curator", true).await;
    let response = app
        .post_as(
            &admin,
            "/admin/capacities",
            &[
                ("key", "oral-citations"),
                ("parent", "research"),
                ("label_en", "Oral citations"),
                ("description_en", "Citing spoken sources."),
                ("label_fr", "Citations orales"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let c = capacity(&app, "oral-citations").await.unwrap();
    assert_eq!(c["parent"], "research");
    assert_eq!(c["label"], "Oral citations");
    let fr: Vec<Value> = app
        .get("/api/v1/capacities?lang=fr")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        fr.iter().find(|c| c["id"] == "oral-citations").unwrap()["label"],
        "Citations orales"
    );

    let deep = app
        .post_as(
            &admin,
            "/admin/capacities",
            &[
                ("key", "too-deep"),
                ("parent", "wikidata-sparql"),
                ("label_en", "Too deep"),
            ],
        )
        .await;
    assert_eq!(deep.status(), 422, "a fourth level is refused");
    let taken = app
        .post_as(
            &admin,
            "/admin/capacities",
            &[("key", "wikidata"), ("label_en", "Again")],
        )
        .await;
    assert_eq!(taken.status(), 422);

    let renamed = app
        .post_as(
            &admin,
            "/admin/capacities/oral-citations",
            &[
                ("parent", "documentation"),
                ("label_en", "Oral sources"),
                ("label_ar", "المصادر الشفهية"),
            ],
        )
        .await;
    assert_eq!(renamed.status(), 303);
    let c = capacity(&app, "oral-citations").await.unwrap();
    assert_eq!(
        (c["label"].as_str(), c["parent"].as_str()),
        (Some("Oral sources"), Some("documentation"))
    );
    let ar: Vec<Value> = app
        .get("/api/v1/capacities?lang=ar")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        ar.iter().find(|c| c["id"] == "oral-citations").unwrap()["label"],
        "المصادر الشفهية"
    );
}

#[tokio::test]
async fn merged_and_retired_capacities_keep_old_links_and_move_their_holders() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("Curator", true).await;
    let member = app.signed_in("Holder", false).await;
    let profile = json!({"display_name": "Holder", "known": ["blogging", "storytelling", "graphic-design"], "wanted": ["video-production"]});
    let saved = member
        .put(app.url("/api/v1/me/profile"))
        .json(&profile)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    let blogging = capacity(&app, "blogging").await.unwrap();
    let storytelling = capacity(&app, "storytelling").await.unwrap();

    let merged = app
        .post_as(
            &admin,
            "/admin/capacities/blogging/merge",
            &[("into", "storytelling")],
        )
        .await;
    assert_eq!(merged.status(), 303);
    assert!(capacity(&app, "blogging").await.is_none());
    let old = app
        .get(&format!(
            "/capacities/{}",
            blogging["slug"].as_str().unwrap()
        ))
        .await;
    assert_eq!(old.status(), 308);
    assert_eq!(
        old.headers()["location"].to_str().unwrap(),
        format!("/capacities/{}", storytelling["slug"].as_str().unwrap())
    );

    let video = capacity(&app, "video-production").await.unwrap();
    let retired = app
        .post_as(&admin, "/admin/capacities/video-production/retire", &[])
        .await;
    assert_eq!(retired.status(), 303);
    let old = app
        .get(&format!("/capacities/{}", video["slug"].as_str().unwrap()))
        .await;
    assert_eq!(old.status(), 308);
    let parent = capacity(&app, video["parent"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        old.headers()["location"].to_str().unwrap(),
        format!("/capacities/{}", parent["slug"].as_str().unwrap())
    );

    let me: Value = member
        .get(app.url("/api/v1/me/profile"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let known: Vec<&str> = me["known"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["capacity"].as_str().unwrap())
        .collect();
    assert_eq!(
        known,
        ["storytelling", "graphic-design"],
        "the merged capacity's holder moved, without a duplicate"
    );
    assert_eq!(me["wanted"][0]["capacity"], parent["id"]);

    let refused = app
        .post_as(&admin, "/admin/capacities/communication/retire", &[])
        .await;
    assert_eq!(
        refused.status(),
        409,
        "an area with capacities under it stays"
    );
}

#[tokio::test]
async fn suggestions_wait_for_an_admin() {
    let app = TestApp::spawn().await;
    let member = app.signed_in("Suggester", false).await;
    let admin = app.signed_in("Curator", true).await;
    let sent = app
        .post_as(
            &member,
            "/capacities/suggest?uselang=fr",
            &[
                ("label", "Podcasts"),
                ("description", "Faire des podcasts"),
                ("parent", "communication"),
            ],
        )
        .await;
    assert_eq!(sent.status(), 303);
    let queue = admin
        .get(app.url("/admin/capacities"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(queue.contains("Podcasts"));
    let id: i64 = sqlx::query_scalar("SELECT id FROM capacity_suggestions")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    let accepted = app
        .post_as(
            &admin,
            &format!("/admin/suggestions/{id}/accept"),
            &[
                ("key", "podcasts"),
                ("parent", "communication"),
                ("label_en", "Podcasting"),
            ],
        )
        .await;
    assert_eq!(accepted.status(), 303);
    let fr: Vec<Value> = app
        .get("/api/v1/capacities?lang=fr")
        .await
        .json()
        .await
        .unwrap();
    let podcast = fr.iter().find(|c| c["id"] == "podcasts").unwrap();
    assert_eq!(podcast["label"], "Podcasts");
    assert_eq!(podcast["parent"], "communication");
    let told: Value = member
        .get(app.url("/api/v1/me/notifications"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        told["items"][0]["kind"], "suggestion_accepted",
        "its author hears of the decision"
    );
    let again = app
        .post_as(&admin, &format!("/admin/suggestions/{id}/reject"), &[])
        .await;
    assert_eq!(
        again.status(),
        404,
        "a decided suggestion is no longer pending"
    );
}

#[tokio::test]
async fn organizations_are_edited_by_their_managers_only() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("Curator", true).await;
    let manager = app.signed_in("Manager", false).await;
    let stranger = app.signed_in("Stranger", false).await;
    let created = app
        .post_as(
            &admin,
            "/organizations/new",
            &[
                ("key", "wm-test"),
                ("name", "Wikimedia Test"),
                ("kind", "chapter"),
                ("country", "KE"),
                ("managers", "Manager"),
                ("new_cap", "wikidata"),
                ("rel_new", "wanted"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let org: Value = app
        .get("/api/v1/organizations/wm-test")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(org["name"], "Wikimedia Test");
    assert_eq!(org["managers"], json!(["Manager"]));
    assert_eq!(org["wanted"][0]["capacity"], "wikidata");
    assert_eq!(org["countries"], json!(["KE"]));

    let denied = app
        .post_as(
            &stranger,
            "/organizations/wm-test/edit",
            &[("name", "Hijacked"), ("kind", "chapter")],
        )
        .await;
    assert_eq!(denied.status(), 403);
    let edited = app
        .post_as(
            &manager,
            "/organizations/wm-test/edit",
            &[
                ("name", "Wikimedia Test Kenya"),
                ("kind", "chapter"),
                ("country", "KE"),
                ("cap", "wikidata"),
                ("rel_wikidata", "wanted"),
                ("new_cap", "glam"),
                ("rel_new", "offered"),
            ],
        )
        .await;
    assert_eq!(edited.status(), 303);
    let org: Value = app
        .get("/api/v1/organizations/wm-test")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(org["name"], "Wikimedia Test Kenya");
    assert_eq!(org["offered"][0]["capacity"], "glam");
    assert_eq!(
        org["managers"],
        json!(["Manager"]),
        "managers cannot change managers"
    );

    let ld: Value = app
        .client
        .get(app.url("/api/v1/organizations/wm-test"))
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ld["@type"], "Organization");
    assert_eq!(
        ld["seeks"][0]["itemOffered"]["about"]["termCode"],
        "wikidata"
    );
    let member: Value = {
        let p = json!({"display_name": "Member of it", "affiliations": ["wm-test"]});
        manager
            .put(app.url("/api/v1/me/profile"))
            .json(&p)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    assert_eq!(member["affiliations"], json!(["wm-test"]));
    let page = app
        .get("/organizations/wm-test?uselang=ar")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Wikimedia Test Kenya"));
}

#[tokio::test]
async fn the_organization_form_refuses_what_the_import_refuses() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("Curator", true).await;
    for (field, value, message) in [
        (
            "website",
            "javascript:alert(1)",
            "The address must start with https:// or http://.",
        ),
        (
            "meta_page",
            "https://en.wikipedia.org/wiki/Wikimedia_Test",
            "The address must be a page on meta.wikimedia.org.",
        ),
        ("key", "wm test", "Use Latin letters, digits, hyphens"),
    ] {
        let mut fields = vec![
            ("key", "wm-test"),
            ("name", "Wikimedia Test"),
            ("kind", "chapter"),
        ];
        fields.retain(|(name, _)| *name != field);
        fields.push((field, value));
        let refused = app.post_as(&admin, "/organizations/new", &fields).await;
        assert_eq!(refused.status(), 422, "{field}");
        let html = refused.text().await.unwrap();
        assert!(html.contains(message), "{field}: {message}");
        assert!(!html.contains("href=\"javascript:"), "{field}");
    }
    let missing = app.get("/api/v1/organizations/wm-test").await;
    assert_eq!(missing.status(), 404, "nothing was saved");
    let saved = app
        .post_as(
            &admin,
            "/organizations/new",
            &[
                ("key", "WM_Test"),
                ("name", "Wikimedia Test"),
                ("kind", "chapter"),
                ("website", "https://test.wikimedia.org/"),
                (
                    "meta_page",
                    "https://meta.wikimedia.org/wiki/Wikimedia_Test",
                ),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
}
