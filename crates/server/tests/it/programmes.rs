//! Mentorship programmes: opened by an organization's manager, applied to while registration
//! is open, a whole round computed in each mode with the organiser's pinned and ruled-out
//! pairs, and published once registration closes, each pair an accepted connection.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestApp, call};

async fn person(
    app: &TestApp,
    name: &str,
    offered: &[&str],
    wanted: &[&str],
    languages: Value,
) -> reqwest::Client {
    let client = app.signed_in(name, false).await;
    let (status, body) = call(
        &client,
        reqwest::Method::PUT,
        app.url("/api/v1/me/profile"),
        Some(json!({
            "display_name": name,
            "known": offered,
            "offered": offered,
            "wanted": wanted,
            "languages": languages,
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    client
}

/// An organization with `Manager` (who must exist) as its manager, made by an administrator.
async fn organization(app: &TestApp) -> reqwest::Client {
    let admin = app.signed_in("Curator", true).await;
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
    admin
}

fn programme(app: &TestApp) -> Value {
    let today = app.state.clock.today();
    json!({
        "name": "Wikidata mentors 2027",
        "description": "Three months with someone who queries Wikidata every day.",
        "capacities": ["wikidata-sparql"],
        "languages": ["sw", "en"],
        "region": "SSA",
        "registration_opens": (today + time::Duration::days(1)).to_string(),
        "registration_closes": (today + time::Duration::days(10)).to_string(),
        "mentor_questions": ["How many hours a month can you give?"],
        "mentee_questions": ["What do you want to build?"],
        "mentor_limit": 2,
        "organization": "wm-ke",
    })
}

/// What a problem document says in English for a message key.
fn said(app: &TestApp, key: &str) -> String {
    app.state.i18n.text("en", key, &[])
}

fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86_400)
}

fn pairs(proposal: &Value) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = proposal["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["mentor"].as_str().unwrap().to_owned(),
                p["mentee"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    list.sort();
    list
}

fn pair(mentor: &str, mentee: &str) -> (String, String) {
    (mentor.to_owned(), mentee.to_owned())
}

#[tokio::test]
async fn a_programme_round_is_computed_reviewed_and_published_as_connections() {
    use reqwest::Method as M;
    let app = TestApp::spawn().await;
    let swahili = json!([{"code": "sw", "level": 5}]);
    let manager = person(&app, "Manager", &[], &[], swahili.clone()).await;
    let _admin = organization(&app).await;
    let stranger = person(&app, "Stranger", &[], &[], swahili.clone()).await;
    let anonymous = reqwest::Client::new();

    let url = app.url("/api/v1/programmes");
    let (status, _) = call(&anonymous, M::POST, url.clone(), Some(programme(&app))).await;
    assert_eq!(status, 401);
    let (status, problem) = call(&stranger, M::POST, url.clone(), Some(programme(&app))).await;
    assert_eq!(status, 403, "only a manager opens one for the organization");
    assert_eq!(problem["detail"], said(&app, "cxc-error-not-manager"));
    let mut personal = programme(&app);
    personal["organization"] = Value::Null;
    let (status, problem) = call(&manager, M::POST, url.clone(), Some(personal)).await;
    assert_eq!(status, 422, "a member's programme needs an organization");
    assert_eq!(problem["errors"][0]["field"], "organization", "{problem}");
    let mut wrong = programme(&app);
    wrong["registration_closes"] = json!("2020-01-01");
    wrong["capacities"] = json!([]);
    let (status, problem) = call(&manager, M::POST, url.clone(), Some(wrong)).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["capacities", "registration_closes"]);

    let (status, created) = call(&manager, M::POST, url.clone(), Some(programme(&app))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["phase"], "upcoming");
    assert_eq!(created["organiser"], true);
    assert_eq!(created["organization"], "wm-ke");
    let (_, listed) = call(&anonymous, M::GET, url.clone(), None).await;
    assert_eq!(listed["items"][0]["id"], id);

    // Three mentors, four mentees, all speaking Swahili; Far only speaks French.
    let mentors = [("Amina", 2), ("Baraka", 1), ("Far", 1)];
    let mut clients = std::collections::HashMap::new();
    for (name, _) in mentors {
        let languages = if name == "Far" {
            json!([{"code": "fr", "level": 5}])
        } else {
            swahili.clone()
        };
        clients.insert(
            name,
            person(&app, name, &["wikidata-sparql"], &[], languages).await,
        );
    }
    for name in ["Chausiku", "Dalila", "Eshe", "Fumo"] {
        clients.insert(
            name,
            person(&app, name, &[], &["wikidata-sparql"], swahili.clone()).await,
        );
    }
    let applications = app.url(&format!("/api/v1/programmes/{id}/applications"));
    let mentee_answer =
        |name: &str| json!({"role": "mentee", "answers": [format!("{name} builds a query")]});
    let (status, problem) = call(
        &clients["Chausiku"],
        M::POST,
        applications.clone(),
        Some(mentee_answer("Chausiku")),
    )
    .await;
    assert_eq!(status, 409, "registration opens tomorrow");
    assert_eq!(
        problem["detail"],
        said(&app, "cxc-error-programme-not-open-yet"),
        "{problem}"
    );

    app.state.clock.advance(days(1));
    for (name, slots) in mentors {
        let (status, body) = call(
            &clients[name],
            M::POST,
            applications.clone(),
            Some(json!({"role": "mentor", "answers": ["Four"], "slots": slots})),
        )
        .await;
        assert_eq!(status, 201, "{name}: {body}");
    }
    for name in ["Chausiku", "Dalila", "Eshe", "Fumo"] {
        let (status, body) = call(
            &clients[name],
            M::POST,
            applications.clone(),
            Some(mentee_answer(name)),
        )
        .await;
        assert_eq!(status, 201, "{name}: {body}");
        assert_eq!(
            body["my_application"]["answers"][0],
            format!("{name} builds a query")
        );
    }
    let (status, again) = call(
        &clients["Fumo"],
        M::POST,
        applications.clone(),
        Some(json!({"role": "mentee", "answers": ["Lexemes, in the end"]})),
    )
    .await;
    assert_eq!(status, 200, "applying again replaces: {again}");
    let (status, problem) = call(
        &clients["Eshe"],
        M::POST,
        applications.clone(),
        Some(json!({"role": "mentor", "answers": [], "slots": 9})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2, "{problem}");
    let (status, problem) = call(
        &app.signed_in("Nobody", false).await,
        M::POST,
        applications.clone(),
        Some(mentee_answer("Nobody")),
    )
    .await;
    assert_eq!(
        (status, problem["detail"].as_str()),
        (409, Some(said(&app, "cxc-error-profile-required").as_str()))
    );

    // Answers: the organiser sees everyone's, an applicant their own, others nobody's.
    let one = app.url(&format!("/api/v1/programmes/{id}"));
    let (_, seen) = call(&manager, M::GET, one.clone(), None).await;
    assert_eq!(seen["applications"].as_array().unwrap().len(), 7);
    assert_eq!(
        (seen["mentors"].as_i64(), seen["mentees"].as_i64()),
        (Some(3), Some(4))
    );
    assert!(seen.to_string().contains("Lexemes, in the end"));
    for viewer in [&stranger, &anonymous, &clients["Dalila"]] {
        let (_, seen) = call(viewer, M::GET, one.clone(), None).await;
        assert_eq!(seen["applications"], Value::Null);
        assert_eq!(seen["proposal"], Value::Null);
        assert!(!seen.to_string().contains("Lexemes"), "{seen}");
    }
    let page = stranger
        .get(app.url(&format!("/programmes/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Wikidata mentors 2027") && !page.contains("Lexemes"));
    let (_, export) = call(&clients["Fumo"], M::GET, app.url("/api/v1/me/export"), None).await;
    assert_eq!(
        export["programme_applications"][0]["answers"][0], "Lexemes, in the end",
        "answers are part of the applicant's export"
    );

    // The round: three Swahili places for four mentees; Far shares no language.
    let rounds = app.url(&format!("/api/v1/programmes/{id}/rounds"));
    for (client, status) in [
        (&anonymous, 401),
        (&stranger, 403),
        (&clients["Amina"], 403),
    ] {
        let (got, _) = call(client, M::POST, rounds.clone(), Some(json!({}))).await;
        assert_eq!(got, status);
    }
    for mode in ["best_total", "max_matched", "stable"] {
        let (status, proposal) = call(
            &manager,
            M::POST,
            rounds.clone(),
            Some(json!({"mode": mode})),
        )
        .await;
        assert_eq!(status, 200, "{proposal}");
        assert_eq!(proposal["mode"], mode);
        let made = pairs(&proposal);
        assert_eq!(made.len(), 3, "{mode}: {proposal}");
        let of = |mentor: &str| made.iter().filter(|(r, _)| r == mentor).count();
        assert_eq!((of("Amina"), of("Baraka"), of("Far")), (2, 1, 0), "{mode}");
        for p in proposal["pairs"].as_array().unwrap() {
            assert!(p["score"].as_f64().unwrap() > 0.0);
            assert!(
                !p["reasons"].as_array().unwrap().is_empty(),
                "each pair says why: {p}"
            );
        }
        let unmatched = proposal["unmatched"].as_array().unwrap();
        let why = |name: &str| {
            unmatched
                .iter()
                .find(|u| u["username"] == name)
                .map(|u| u["reason"].as_str().unwrap().to_owned())
        };
        assert_eq!(why("Far").as_deref(), Some("no_fit"), "{proposal}");
        let waiting: Vec<&Value> = unmatched.iter().filter(|u| u["role"] == "mentee").collect();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0]["reason"], "full");
        assert!(!waiting[0]["text"].as_str().unwrap().is_empty());
    }

    let (status, proposal) = call(
        &manager,
        M::POST,
        rounds.clone(),
        Some(json!({
            "mode": "best_total",
            "pinned": [["Far", "Eshe"]],
            "forbidden": [["Amina", "Chausiku"], ["Baraka", "Chausiku"]],
        })),
    )
    .await;
    assert_eq!(status, 200, "{proposal}");
    let made = pairs(&proposal);
    assert!(
        made.contains(&pair("Far", "Eshe")),
        "pinned is kept: {made:?}"
    );
    assert!(
        made.iter().all(|(_, e)| e != "Chausiku"),
        "ruled out: {made:?}"
    );
    assert_eq!(made.len(), 3, "Dalila and Fumo are the others left to pair");
    assert_eq!(proposal["pinned"], json!([["Far", "Eshe"]]));
    let chausiku = proposal["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "Chausiku")
        .unwrap();
    assert_eq!(chausiku["reason"], "no_fit");
    for (body, field) in [
        (json!({"pinned": [["Stranger", "Eshe"]]}), "pinned"),
        (json!({"forbidden": [["Amina", "Baraka"]]}), "forbidden"),
        (json!({"mode": "random"}), "mode"),
        (
            json!({"pinned": [["Amina", "Eshe"]], "forbidden": [["Amina", "Eshe"]]}),
            "pinned",
        ),
    ] {
        let (status, problem) = call(&manager, M::POST, rounds.clone(), Some(body)).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let (_, seen) = call(&manager, M::GET, one.clone(), None).await;
    assert_eq!(
        pairs(&seen["proposal"]),
        made,
        "the kept proposal is the last computed, not a refused one"
    );
    assert_eq!(seen["stats"]["matched"], 3);
    assert_eq!(seen["stats"]["unmatched"]["no_fit"], 1);

    let publish = app.url(&format!("/api/v1/programmes/{id}/publish"));
    let (status, _) = call(&stranger, M::POST, publish.clone(), None).await;
    assert_eq!(status, 403);
    let (status, problem) = call(&manager, M::POST, publish.clone(), None).await;
    assert_eq!(status, 409, "registration is still open");
    assert_eq!(
        problem["detail"],
        said(&app, "cxc-error-programme-still-open")
    );

    // Someone changes their application after the preview: that round is stale.
    let (status, _) = call(
        &clients["Dalila"],
        M::POST,
        applications.clone(),
        Some(json!({"role": "mentee", "answers": ["Dalila builds a better query"]})),
    )
    .await;
    assert_eq!(status, 200);
    // A pinned pair that a block separates is refused like a name that did not apply.
    let (status, _) = call(
        &clients["Fumo"],
        M::PUT,
        app.url("/api/v1/me/blocks/Baraka"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, problem) = call(
        &manager,
        M::POST,
        rounds.clone(),
        Some(json!({"pinned": [["Baraka", "Fumo"]]})),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(
        problem["errors"][0]["detail"],
        said(&app, "cxc-error-not-an-applicant")
    );

    app.state.clock.advance(days(10));
    let (status, problem) = call(&manager, M::POST, publish.clone(), None).await;
    assert_eq!(
        (status, problem["detail"].as_str()),
        (409, Some(said(&app, "cxc-error-round-stale").as_str())),
        "applications changed since the round was computed"
    );
    let (status, proposal) = call(
        &manager,
        M::POST,
        rounds.clone(),
        Some(json!({
            "mode": "best_total",
            "pinned": [["Far", "Eshe"]],
            "forbidden": [["Amina", "Chausiku"], ["Baraka", "Chausiku"]],
        })),
    )
    .await;
    assert_eq!(status, 200, "{proposal}");
    assert!(
        !pairs(&proposal).contains(&pair("Baraka", "Fumo")),
        "blocked apart"
    );
    let (status, problem) = call(&clients["Chausiku"], M::DELETE, applications.clone(), None).await;
    assert_eq!(
        (status, problem["detail"].as_str()),
        (409, Some(said(&app, "cxc-error-programme-closed").as_str()))
    );
    let (status, published) = call(&manager, M::POST, publish.clone(), None).await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["connections"], 3);
    let (status, _) = call(&manager, M::POST, publish.clone(), None).await;
    assert_eq!(status, 409, "a round is published once");
    let (status, _) = call(&manager, M::POST, rounds.clone(), Some(json!({}))).await;
    assert_eq!(status, 409, "and not computed again");

    let (_, told) = call(
        &clients["Eshe"],
        M::GET,
        app.url("/api/v1/me/notifications"),
        None,
    )
    .await;
    assert_eq!(told["items"][0]["kind"], "mentor_assigned", "{told}");
    let (_, told) = call(
        &clients["Far"],
        M::GET,
        app.url("/api/v1/me/notifications"),
        None,
    )
    .await;
    assert_eq!(told["items"][0]["kind"], "mentee_assigned", "{told}");
    let (_, connections) = call(
        &clients["Amina"],
        M::GET,
        app.url("/api/v1/connections"),
        None,
    )
    .await;
    let items = connections["items"].as_array().unwrap();
    let amina = made.iter().filter(|(r, _)| r == "Amina").count();
    assert_eq!(items.len(), amina, "{connections}");
    assert!(items.iter().all(|c| c["status"] == "accepted"));
    let (_, connections) = call(
        &clients["Eshe"],
        M::GET,
        app.url("/api/v1/connections"),
        None,
    )
    .await;
    assert_eq!(
        connections["items"][0]["status"], "accepted",
        "{connections}"
    );
    let (_, connections) = call(
        &clients["Chausiku"],
        M::GET,
        app.url("/api/v1/connections"),
        None,
    )
    .await;
    assert_eq!(connections["items"], json!([]));
    let (_, seen) = call(&manager, M::GET, one, None).await;
    assert_eq!(seen["phase"], "published");
    assert_eq!(seen["stats"]["open"], 3);
}

#[tokio::test]
async fn programme_forms_open_apply_and_publish_without_javascript_and_refuse_strangers() {
    let app = TestApp::spawn().await;
    let swahili = json!([{"code": "sw", "level": 5}]);
    let manager = person(&app, "Manager", &[], &[], swahili.clone()).await;
    let _admin = organization(&app).await;
    let mentor = person(&app, "Amina", &["wikidata-sparql"], &[], swahili.clone()).await;
    let mentee = person(&app, "Chausiku", &[], &["wikidata-sparql"], swahili.clone()).await;
    let stranger = person(&app, "Stranger", &[], &[], swahili).await;
    let today = app.state.clock.today();

    let form = manager
        .get(app.url("/programmes/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("name=\"registration_closes\""));
    let opens = today.to_string();
    let closes = (today + time::Duration::days(5)).to_string();
    let fields = [
        ("name", "Wiki Loves Mentors"),
        ("capacity", "wikidata-sparql"),
        ("language", "sw"),
        ("registration_opens", opens.as_str()),
        ("registration_closes", closes.as_str()),
        ("mentee_questions", "Why now?\n"),
        ("mentor_limit", "2"),
        ("organization", "wm-ke"),
    ];
    let refused = app.post_as(&stranger, "/programmes/new", &fields).await;
    assert_eq!(refused.status(), 403, "{}", refused.text().await.unwrap());
    let mut empty = fields.to_vec();
    empty[0] = ("name", " ");
    let invalid = app.post_as(&manager, "/programmes/new", &empty).await;
    assert_eq!(
        invalid.status(),
        422,
        "the form comes back with what is wrong"
    );
    assert!(
        invalid
            .text()
            .await
            .unwrap()
            .contains(&said(&app, "cxc-error-name-required")),
        "the form says what is wrong"
    );
    let created = app.post_as(&manager, "/programmes/new", &fields).await;
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/programmes/").parse().unwrap();

    let applied = app
        .post_as(
            &mentor,
            &format!("/programmes/{id}/apply"),
            &[("role", "mentor"), ("slots", "1")],
        )
        .await;
    assert_eq!(applied.status(), 303);
    let missing = app
        .post_as(
            &mentee,
            &format!("/programmes/{id}/apply"),
            &[("role", "mentee")],
        )
        .await;
    assert_eq!(missing.status(), 422, "the question needs an answer");
    let applied = app
        .post_as(
            &mentee,
            &format!("/programmes/{id}/apply"),
            &[("role", "mentee"), ("answer", "My chapter needs it")],
        )
        .await;
    assert_eq!(applied.status(), 303);
    let own = mentee
        .get(app.url(&format!("/programmes/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        own.contains("My chapter needs it"),
        "the applicant sees their answer"
    );

    for path in [
        format!("/programmes/{id}/round"),
        format!("/programmes/{id}/publish"),
    ] {
        let response = app
            .post_as(&stranger, &path, &[("mode", "best_total")])
            .await;
        assert_eq!(response.status(), 403, "stranger POST {path}");
        let response = reqwest::Client::new()
            .post(app.url(&path))
            .form(&[("mode", "best_total")])
            .send()
            .await
            .unwrap();
        assert!(
            [401, 403].contains(&response.status().as_u16()),
            "anonymous POST {path}: {}",
            response.status()
        );
    }
    let round = app
        .post_as(
            &manager,
            &format!("/programmes/{id}/round"),
            &[("mode", "stable"), ("pinned", ""), ("forbidden", "")],
        )
        .await;
    assert_eq!(round.status(), 303);
    let review = manager
        .get(app.url(&format!("/programmes/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        review.contains("My chapter needs it"),
        "the organiser reads the answers"
    );
    assert!(
        review.contains("name=\"forbid\" value=\"Amina | Chausiku\""),
        "{review}"
    );
    let forbid = app
        .post_as(
            &manager,
            &format!("/programmes/{id}/round"),
            &[("mode", "stable"), ("forbid", "Amina | Chausiku")],
        )
        .await;
    assert_eq!(forbid.status(), 303);
    let (_, seen) = call(
        &manager,
        reqwest::Method::GET,
        app.url(&format!("/api/v1/programmes/{id}")),
        None,
    )
    .await;
    assert_eq!(seen["proposal"]["pairs"], json!([]));
    assert_eq!(
        seen["proposal"]["forbidden"],
        json!([["Amina", "Chausiku"]])
    );

    let withdrawn = app
        .post_as(&mentee, &format!("/programmes/{id}/withdraw"), &[])
        .await;
    assert_eq!(withdrawn.status(), 303);
    let again = app
        .post_as(&stranger, &format!("/programmes/{id}/withdraw"), &[])
        .await;
    assert_eq!(again.status(), 404, "nothing to withdraw");

    app.state.clock.advance(Duration::from_secs(6 * 86_400));
    let stale = app
        .post_as(&manager, &format!("/programmes/{id}/publish"), &[])
        .await;
    assert_eq!(stale.status(), 409, "Chausiku withdrew after the round");
    let round = app
        .post_as(
            &manager,
            &format!("/programmes/{id}/round"),
            &[("mode", "stable"), ("pinned", ""), ("forbidden", "")],
        )
        .await;
    assert_eq!(round.status(), 303);
    let published = app
        .post_as(&manager, &format!("/programmes/{id}/publish"), &[])
        .await;
    assert_eq!(published.status(), 303);
    let list = app.get("/programmes").await.text().await.unwrap();
    assert!(list.contains("Wiki Loves Mentors"));
}

#[tokio::test]
async fn organisers_close_registration_early_and_publish_the_same_day() {
    use reqwest::Method as M;
    let app = TestApp::spawn().await;
    let swahili = json!([{"code": "sw", "level": 5}]);
    let manager = person(&app, "Manager", &[], &[], swahili.clone()).await;
    let _admin = organization(&app).await;
    let mentor = person(&app, "Amina", &["wikidata-sparql"], &[], swahili.clone()).await;
    let mentee = person(&app, "Chausiku", &[], &["wikidata-sparql"], swahili).await;
    let today = app.state.clock.today();
    let mut body = programme(&app);
    body["registration_opens"] = json!(today.to_string());
    body["mentor_questions"] = json!([]);
    body["mentee_questions"] = json!([]);
    let (_, created) = call(&manager, M::POST, app.url("/api/v1/programmes"), Some(body)).await;
    let id = created["id"].as_i64().unwrap();
    let applications = app.url(&format!("/api/v1/programmes/{id}/applications"));
    for (client, role) in [(&mentor, "mentor"), (&mentee, "mentee")] {
        let (status, _) = call(
            client,
            M::POST,
            applications.clone(),
            Some(json!({"role": role})),
        )
        .await;
        assert_eq!(status, 201);
    }
    let close = app.url(&format!("/api/v1/programmes/{id}/close"));
    for (client, refused) in [(&reqwest::Client::new(), 401), (&mentor, 403)] {
        let (status, _) = call(client, M::POST, close.clone(), None).await;
        assert_eq!(status, refused);
    }
    let (status, closed) = call(&manager, M::POST, close.clone(), None).await;
    assert_eq!((status, closed["phase"].as_str()), (200, Some("closed")));
    let (status, _) = call(&manager, M::POST, close, None).await;
    assert_eq!(status, 409, "closed once");
    let (status, _) = call(
        &mentee,
        M::POST,
        applications,
        Some(json!({"role": "mentee"})),
    )
    .await;
    assert_eq!(status, 409, "no application after closing");
    let (status, _) = call(
        &manager,
        M::POST,
        app.url(&format!("/api/v1/programmes/{id}/rounds")),
        Some(json!({"mode": "stable"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, published) = call(
        &manager,
        M::POST,
        app.url(&format!("/api/v1/programmes/{id}/publish")),
        None,
    )
    .await;
    assert_eq!((status, published["connections"].as_i64()), (200, Some(1)));
}
