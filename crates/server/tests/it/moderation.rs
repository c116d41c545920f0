//! Moderation: reports, the queue, hiding content, suspensions (and their end), the audit log,
//! and the command line that moderators' first administrator uses.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestApp, browser, hidden_value};

async fn put_profile(app: &TestApp, client: &reqwest::Client, offered: &[&str], wanted: &[&str]) {
    let response = client
        .put(app.url("/api/v1/me/profile"))
        .json(&json!({
            "display_name": "Someone",
            "languages": [{"code": "sw", "level": 4}],
            "known": offered,
            "offered": offered,
            "wanted": wanted,
            "country": "KE",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Value) {
    let request = client
        .request(method, url)
        .header("content-type", "application/json");
    let request = match body {
        Some(b) => request.json(&b),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    call(client, reqwest::Method::POST, url, Some(body)).await
}

async fn get(client: &reqwest::Client, url: String) -> (u16, Value) {
    call(client, reqwest::Method::GET, url, None).await
}

/// A moderator made the way an operator would: by the command line.
async fn moderator(app: &TestApp) -> reqwest::Client {
    let client = app.signed_in("Mod", false).await;
    let out = Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args(["user", "role", "Mod", "moderator"])
        .env("CXC_DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Mod is now moderator"));
    client
}

#[tokio::test]
async fn a_moderation_round_hides_a_post_and_suspends_its_author_until_a_day() {
    let app = TestApp::spawn().await;
    let reporter = app.signed_in("Reporter", false).await;
    let offender = app.signed_in("Offender", false).await;
    let learner = app.signed_in("Learner", false).await;
    put_profile(&app, &reporter, &[], &[]).await;
    put_profile(&app, &offender, &["wikidata-sparql"], &[]).await;
    put_profile(&app, &learner, &[], &["wikidata-sparql"]).await;
    let (_, spam) = post(
        &offender,
        app.url("/api/v1/posts"),
        json!({"kind": "offer", "title": "Cheap followers, click here", "capacities": ["wikidata-sparql"]}),
    )
    .await;
    let spam_id = spam["id"].as_i64().unwrap();
    let report = json!({"target": "post", "id": spam_id.to_string(), "reason": "spam", "details": "Advertising"});
    let (status, filed) = post(&reporter, app.url("/api/v1/reports"), report.clone()).await;
    assert_eq!(status, 201);
    assert_eq!(filed["status"], "open");
    assert_eq!(
        post(&reporter, app.url("/api/v1/reports"), report).await.0,
        409
    );
    let (status, problem) = post(
        &reporter,
        app.url("/api/v1/reports"),
        json!({"target": "post", "id": "999999", "reason": "spam"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["code"], "unknown_target");

    let anonymous = reqwest::Client::new();
    assert_eq!(
        get(&anonymous, app.url("/api/v1/admin/reports")).await.0,
        401
    );
    assert_eq!(
        get(&reporter, app.url("/api/v1/admin/reports")).await.0,
        403
    );
    assert_eq!(
        post(
            &reporter,
            app.url(&format!("/api/v1/admin/reports/{}", filed["id"])),
            json!({"action": "dismiss"})
        )
        .await
        .0,
        403,
        "members do not decide reports"
    );
    let moderator = moderator(&app).await;
    let (_, me) = get(&moderator, app.url("/api/v1/me")).await;
    assert_eq!(me["roles"], json!(["member", "moderator"]));
    let (_, queue) = get(&moderator, app.url("/api/v1/admin/reports")).await;
    assert_eq!(
        queue["items"][0]["excerpt"]
            .as_str()
            .unwrap()
            .lines()
            .next(),
        Some("Cheap followers, click here")
    );
    assert_eq!(queue["items"][0]["account"], "Offender");
    assert_eq!(queue["items"][0]["reporter"], "Reporter");
    let decide = app.url(&format!("/api/v1/admin/reports/{}", filed["id"]));
    let (status, _) = post(
        &moderator,
        decide.clone(),
        json!({"action": "hide", "note": "spam"}),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        post(&moderator, decide, json!({"action": "dismiss"}))
            .await
            .0,
        409
    );
    assert_eq!(
        get(&anonymous, app.url(&format!("/api/v1/posts/{spam_id}")))
            .await
            .0,
        404,
        "a hidden post is gone for everyone else"
    );
    let (_, own) = get(&offender, app.url(&format!("/api/v1/posts/{spam_id}"))).await;
    assert_eq!(own["hidden"], true, "its author still sees it, marked");

    let (_, filed) = post(
        &reporter,
        app.url("/api/v1/reports"),
        json!({"target": "profile", "id": "Offender", "reason": "spam"}),
    )
    .await;
    let decide = app.url(&format!("/api/v1/admin/reports/{}", filed["id"]));
    let (status, problem) = post(&moderator, decide.clone(), json!({"action": "hide"})).await;
    assert_eq!(status, 422, "a person is suspended, not hidden: {problem}");
    let until = cxc_core::profile::format_date(app.state.clock.today() + time::Duration::days(7));
    let (status, _) = post(
        &moderator,
        decide,
        json!({"action": "suspend", "until": until, "note": "repeated spam"}),
    )
    .await;
    assert_eq!(status, 204);

    // Suspended: signed out, cannot sign in, out of search, profiles and matching.
    assert_eq!(get(&offender, app.url("/api/v1/me")).await.0, 401);
    let login = browser();
    let html = login
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden_value(&html, "csrf_token").unwrap();
    let refused = login
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "Offender"),
            ("password", "a long enough password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains(&app.state.i18n.text(
        "en",
        "cxc-error-suspended",
        &[]
    )));
    assert_eq!(
        get(&anonymous, app.url("/api/v1/profiles/Offender"))
            .await
            .0,
        404
    );
    let (_, found) = get(
        &anonymous,
        app.url("/api/v1/profiles?offers=wikidata-sparql"),
    )
    .await;
    assert_eq!(found["total"], 0);
    let (_, matches) = get(&learner, app.url("/api/v1/me/matches")).await;
    assert_eq!(matches["items"], json!([]));
    let (status, _) = post(
        &learner,
        app.url("/api/v1/connections"),
        json!({"to": "Offender", "message": "hello"}),
    )
    .await;
    assert_eq!(status, 422, "nobody can ask a suspended person");

    let (_, audit) = get(&moderator, app.url("/api/v1/admin/audit")).await;
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["moderator"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(actions, [("Mod", "suspend"), ("Mod", "hide")]);
    assert_eq!(audit["items"][0]["id_acted_on"], "Offender");
    assert_eq!(get(&reporter, app.url("/api/v1/admin/audit")).await.0, 403);

    // The suspension runs out by itself.
    app.state.clock.advance(Duration::from_secs(8 * 86_400));
    let lifted = cxc::db::moderation::lift_expired(&app.state.db, app.state.clock.unix())
        .await
        .unwrap();
    assert_eq!(lifted, 1);
    cxc::read_model::sync(&app.state).await.unwrap();
    let (_, found) = get(
        &anonymous,
        app.url("/api/v1/profiles?offers=wikidata-sparql"),
    )
    .await;
    assert_eq!(found["total"], 1, "back in search");
    let (_, audit) = get(&moderator, app.url("/api/v1/admin/audit")).await;
    assert_eq!(audit["items"][0]["action"], "suspension_ended");
    assert_eq!(audit["items"][0]["moderator"], "cxc");
    let (_, export) = get(&reporter, app.url("/api/v1/me/export")).await;
    assert_eq!(
        export["reports"].as_array().unwrap().len(),
        2,
        "one's export holds one's reports"
    );
}

#[tokio::test]
async fn suspensions_by_api_and_command_line_are_lifted_the_same_way() {
    let app = TestApp::spawn().await;
    let member = app.signed_in("Member", false).await;
    put_profile(&app, &member, &["wikidata-sparql"], &[]).await;
    let moderator = moderator(&app).await;
    let url = app.url("/api/v1/admin/accounts/Member/suspension");
    assert_eq!(
        call(&member, reqwest::Method::PUT, url.clone(), Some(json!({})))
            .await
            .0,
        403
    );
    assert_eq!(
        call(
            &moderator,
            reqwest::Method::PUT,
            app.url("/api/v1/admin/accounts/Mod/suspension"),
            Some(json!({}))
        )
        .await
        .0,
        409,
        "not oneself"
    );
    let (status, problem) = call(
        &moderator,
        reqwest::Method::PUT,
        url.clone(),
        Some(json!({"until": "2001-01-01"})),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    // Profiles are kept between requests: a suspension still takes one out at once.
    let anyone = reqwest::Client::new();
    let profile_status = |path: &'static str| {
        let request = anyone.get(app.url(path));
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(profile_status("/api/v1/profiles/Member").await, 200);
    assert_eq!(profile_status("/people/Member").await, 200);
    assert_eq!(
        call(
            &moderator,
            reqwest::Method::PUT,
            url.clone(),
            Some(json!({"note": "cooling off"}))
        )
        .await
        .0,
        204
    );
    assert_eq!(profile_status("/api/v1/profiles/Member").await, 404);
    assert_eq!(profile_status("/people/Member").await, 404);
    assert_eq!(get(&member, app.url("/api/v1/me")).await.0, 401);
    assert_eq!(
        call(&member, reqwest::Method::DELETE, url.clone(), None)
            .await
            .0,
        401
    );
    assert_eq!(
        call(&moderator, reqwest::Method::DELETE, url.clone(), None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&moderator, reqwest::Method::DELETE, url, None).await.0,
        404,
        "not suspended now"
    );
    assert_eq!(profile_status("/api/v1/profiles/Member").await, 200);

    // An API token stops working while its account is suspended.
    let out = Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args(["token", "create", "Member"])
        .env("CXC_DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    let token = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    let with_token = |path: &str| {
        reqwest::Client::new()
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(with_token("/api/v1/me").await.unwrap().status(), 200);
    let out = Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args(["user", "suspend", "Member", "--note", "by hand"])
        .env("CXC_DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("until further notice"));
    assert_eq!(with_token("/api/v1/me").await.unwrap().status(), 403);
    cxc::read_model::sync(&app.state).await.unwrap();
    let (_, found) = get(
        &reqwest::Client::new(),
        app.url("/api/v1/profiles?offers=wikidata-sparql"),
    )
    .await;
    assert_eq!(
        found["total"], 0,
        "a suspension from the command line reaches the running server"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args(["user", "unsuspend", "Member"])
        .env("CXC_DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(with_token("/api/v1/me").await.unwrap().status(), 200);
    let (_, audit) = get(&moderator, app.url("/api/v1/admin/audit")).await;
    let who: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["moderator"].as_str().unwrap())
        .collect();
    assert_eq!(
        who,
        ["cxc", "cxc", "Mod", "Mod"],
        "the command line is recorded too"
    );
}

#[tokio::test]
async fn only_the_people_of_a_thread_report_its_messages_and_hiding_one_blanks_it() {
    let app = TestApp::spawn().await;
    let learner = app.signed_in("Learner", false).await;
    let teacher = app.signed_in("Teacher", false).await;
    let stranger = app.signed_in("Stranger", false).await;
    put_profile(&app, &learner, &[], &["wikidata-sparql"]).await;
    put_profile(&app, &teacher, &["wikidata-sparql"], &[]).await;
    let (_, c) = post(
        &learner,
        app.url("/api/v1/connections"),
        json!({"to": "Teacher", "message": "Something rude"}),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let (_, thread) = get(
        &teacher,
        app.url(&format!("/api/v1/connections/{id}/messages")),
    )
    .await;
    let message = thread["items"][0]["id"].as_i64().unwrap().to_string();
    let report = json!({"target": "message", "id": message, "reason": "harassment"});
    assert_eq!(
        post(&stranger, app.url("/api/v1/reports"), report.clone())
            .await
            .0,
        422
    );
    let (status, filed) = post(&teacher, app.url("/api/v1/reports"), report).await;
    assert_eq!(status, 201);
    let moderator = moderator(&app).await;
    put_profile(&app, &moderator, &[], &[]).await;
    let (_, own) = post(
        &moderator,
        app.url("/api/v1/posts"),
        json!({"kind": "ask", "title": "My own post", "capacities": ["wikidata-sparql"]}),
    )
    .await;
    let (_, self_report) = post(
        &teacher,
        app.url("/api/v1/reports"),
        json!({"target": "post", "id": own["id"].as_i64().unwrap().to_string(), "reason": "other"}),
    )
    .await;
    let (status, _) = post(
        &moderator,
        app.url(&format!("/api/v1/admin/reports/{}", self_report["id"])),
        json!({"action": "suspend"}),
    )
    .await;
    assert_eq!(status, 409, "a moderator does not suspend themselves");
    let (status, _) = post(
        &moderator,
        app.url(&format!("/api/v1/admin/reports/{}", filed["id"])),
        json!({"action": "hide"}),
    )
    .await;
    assert_eq!(status, 204);
    let (_, thread) = get(
        &teacher,
        app.url(&format!("/api/v1/connections/{id}/messages")),
    )
    .await;
    assert_eq!(thread["items"][0]["hidden"], true);
    assert_eq!(thread["items"][0]["body"], "");
    let page = teacher
        .get(app.url(&format!("/connections/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Something rude"));

    // The pages: a report form with the Code of Conduct, and the queue for moderators.
    let form = teacher
        .get(app.url("/report?target=profile&id=Learner"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("Universal_Code_of_Conduct"));
    let sent = app
        .post_as(
            &teacher,
            "/report",
            &[
                ("target", "profile"),
                ("id", "Learner"),
                ("reason", "harassment"),
            ],
        )
        .await;
    assert_eq!(sent.status(), 200);
    assert!(sent.text().await.unwrap().contains("message success"));
    let queue = moderator
        .get(app.url("/admin/reports"))
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), 200);
    let queue = queue.text().await.unwrap();
    assert!(queue.contains("value=\"suspend\""));
    assert_eq!(
        stranger
            .get(app.url("/admin/reports"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let dismissed = app
        .post_as(
            &moderator,
            &format!("/admin/reports/{}", filed["id"].as_i64().unwrap() + 1),
            &[("action", "dismiss"), ("note", "talked to them")],
        )
        .await;
    assert_eq!(dismissed.status(), 303);
    let forged = app
        .post_as(
            &stranger,
            "/admin/accounts/Learner/suspension",
            &[("until", "")],
        )
        .await;
    assert_eq!(forged.status(), 403);
    let audit = moderator
        .get(app.url("/admin/audit"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(audit.contains("talked to them"));
}
