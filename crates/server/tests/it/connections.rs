//! Connections from request to completed exchange: answers, threads, completion by both,
//! thanks, notifications, limits, away mode, blocks, reminders and expiry.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::TestApp;

async fn put_profile(app: &TestApp, client: &reqwest::Client, name: &str, body: Value) {
    let mut body = body;
    body["display_name"] = json!(name);
    let response = client
        .put(app.url("/api/v1/me/profile"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

fn profile(offered: &[&str], wanted: &[&str]) -> Value {
    json!({
        "languages": [{"code": "sw", "level": 4}],
        "known": offered,
        "offered": offered,
        "wanted": wanted,
        "country": "KE",
    })
}

async fn send(client: &reqwest::Client, url: String, body: Option<Value>) -> (u16, Value) {
    let request = client.post(url).header("content-type", "application/json");
    let request = match body {
        Some(b) => request.json(&b),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(client: &reqwest::Client, url: String) -> (u16, Value) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Two people with profiles: a learner who wants SPARQL and a teacher who offers it.
async fn pair(app: &TestApp) -> (reqwest::Client, reqwest::Client) {
    let learner = app.signed_in("Learner", false).await;
    let teacher = app.signed_in("Teacher", false).await;
    put_profile(app, &learner, "Lina", profile(&[], &["wikidata-sparql"])).await;
    put_profile(app, &teacher, "Tomás", profile(&["wikidata-sparql"], &[])).await;
    (learner, teacher)
}

async fn request(app: &TestApp, from: &reqwest::Client, to: &str) -> (u16, Value) {
    send(
        from,
        app.url("/api/v1/connections"),
        Some(json!({"to": to, "capacity": "wikidata-sparql", "post": null, "message": "Could you show me SPARQL?"})),
    )
    .await
}

async fn notifications(app: &TestApp, client: &reqwest::Client) -> Value {
    get(client, app.url("/api/v1/me/notifications?unread=true"))
        .await
        .1
}

#[tokio::test]
async fn an_ask_goes_from_request_through_more_information_to_completion_and_thanks() {
    let app = TestApp::spawn().await;
    let (learner, teacher) = pair(&app).await;
    let (status, ask) = send(
        &learner,
        app.url("/api/v1/posts"),
        Some(json!({"kind": "ask", "title": "SPARQL for women scientists", "capacities": ["wikidata-sparql"], "online": true})),
    )
    .await;
    assert_eq!(status, 201);
    let ask_id = ask["id"].as_i64().unwrap();
    let (_, helpers) = get(
        &learner,
        app.url(&format!("/api/v1/posts/{ask_id}/helpers")),
    )
    .await;
    assert_eq!(helpers["items"][0]["username"], "Teacher");

    let (status, c) = send(
        &teacher,
        app.url("/api/v1/connections"),
        Some(json!({"to": "Learner", "capacity": "wikidata-sparql", "post": ask_id, "message": "I can help with that."})),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["status"], "requested");
    assert_eq!(c["from"], "Teacher");
    assert_eq!(c["to"], "Learner");
    assert_eq!(c["post"], ask_id);
    assert_eq!(c["capacity"], "wikidata-sparql");
    let told = notifications(&app, &learner).await;
    assert_eq!(told["unread"], 1);
    assert_eq!(told["items"][0]["kind"], "connection_requested");
    assert_eq!(told["items"][0]["link"], format!("/connections/{id}"));
    assert!(told["items"][0]["text"].as_str().unwrap().contains("Tomás"));

    let base = app.url(&format!("/api/v1/connections/{id}"));
    let (status, problem) = send(
        &learner,
        format!("{base}/answer"),
        Some(json!({"action": "ask_info"})),
    )
    .await;
    assert_eq!(status, 422, "asking for more takes a question");
    assert_eq!(problem["errors"][0]["field"], "message");
    let (status, c) = send(
        &learner,
        format!("{base}/answer"),
        Some(json!({"action": "ask_info", "message": "Which data do you work with?"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(c["status"], "info_requested");
    assert_eq!(
        notifications(&app, &teacher).await["items"][0]["kind"],
        "info_requested"
    );
    let (status, _) = send(
        &teacher,
        format!("{base}/answer"),
        Some(json!({"action": "accept"})),
    )
    .await;
    assert_eq!(status, 409, "only the person asked answers");
    let (status, _) = send(
        &learner,
        format!("{base}/messages"),
        Some(json!({"body": "And another thing…"})),
    )
    .await;
    assert_eq!(status, 409, "who asked for more waits for the answer");
    let (status, m) = send(
        &teacher,
        format!("{base}/messages"),
        Some(json!({"body": "Mostly Wikidata items about universities."})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(m["author"], "Teacher");
    let (_, c) = get(&teacher, base.clone()).await;
    assert_eq!(
        c["status"], "requested",
        "the answer brings the request back"
    );
    let (status, c) = send(
        &learner,
        format!("{base}/answer"),
        Some(json!({"action": "accept", "message": "Great, let us meet on Thursday."})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(c["status"], "accepted");
    let (status, _) = send(
        &learner,
        format!("{base}/messages"),
        Some(json!({"body": "Here is the link to the call."})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, thread) = get(&teacher, format!("{base}/messages")).await;
    let bodies: Vec<&str> = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "I can help with that.",
            "Which data do you work with?",
            "Mostly Wikidata items about universities.",
            "Great, let us meet on Thursday.",
            "Here is the link to the call."
        ]
    );

    let (status, _) = send(
        &teacher,
        format!("{base}/thanks"),
        Some(json!({"body": "Thanks!", "public": true})),
    )
    .await;
    assert_eq!(status, 409, "thanks come after completion");
    let (_, c) = send(&teacher, format!("{base}/complete"), None).await;
    assert_eq!(c["status"], "accepted");
    assert_eq!(c["confirmed_by"], json!(["Teacher"]));
    let (status, _) = send(&teacher, format!("{base}/complete"), None).await;
    assert_eq!(status, 409, "once is enough");
    let (_, c) = send(&learner, format!("{base}/complete"), None).await;
    assert_eq!(c["status"], "completed");
    let (status, _) = send(
        &learner,
        format!("{base}/thanks"),
        Some(json!({"body": "You made SPARQL friendly.", "public": true})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = send(
        &learner,
        format!("{base}/thanks"),
        Some(json!({"body": "Again!", "public": true})),
    )
    .await;
    assert_eq!(status, 409);
    let profile_page = app.get("/people/Teacher").await.text().await.unwrap();
    assert!(
        !profile_page.contains("You made SPARQL friendly."),
        "not shown until its recipient allows it"
    );
    let (status, _) = send(
        &teacher,
        format!("{base}/thanks/shown"),
        Some(json!({"shown": true})),
    )
    .await;
    assert_eq!(status, 204);
    let profile_page = app.get("/people/Teacher").await.text().await.unwrap();
    assert!(profile_page.contains("You made SPARQL friendly."));
    let kinds: Vec<String> = notifications(&app, &teacher).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "thanks",
            "connection_completed",
            "message",
            "connection_accepted",
            "info_requested"
        ]
    );
    let (_, sent) = get(
        &teacher,
        app.url("/api/v1/connections?role=sent&status=completed"),
    )
    .await;
    assert_eq!(sent["items"][0]["id"], id);
    let (_, received) = get(&teacher, app.url("/api/v1/connections?role=received")).await;
    assert_eq!(received["items"], json!([]));
}

#[tokio::test]
async fn nobody_else_sees_or_moves_a_connection() {
    let app = TestApp::spawn().await;
    let (learner, teacher) = pair(&app).await;
    let stranger = app.signed_in("Stranger", false).await;
    put_profile(&app, &stranger, "Sam", profile(&[], &[])).await;
    let (_, c) = request(&app, &learner, "Teacher").await;
    let id = c["id"].as_i64().unwrap();
    let base = app.url(&format!("/api/v1/connections/{id}"));
    let anonymous = reqwest::Client::new();
    let (status, _) = send(
        &learner,
        format!("{base}/messages"),
        Some(json!({"body": "Hello again?"})),
    )
    .await;
    assert_eq!(status, 409, "no second message before an answer");
    let (_, strangers_post) = send(
        &stranger,
        app.url("/api/v1/posts"),
        Some(json!({"kind": "ask", "title": "Mine", "capacities": ["wikidata-sparql"]})),
    )
    .await;
    let (status, problem) = send(
        &learner,
        app.url("/api/v1/connections"),
        Some(json!({"to": "Teacher", "post": strangers_post["id"], "message": "About someone else's post"})),
    )
    .await;
    assert_eq!(
        (status, problem["errors"][0]["field"].as_str()),
        (422, Some("post")),
        "{problem}"
    );
    assert_eq!(get(&anonymous, base.clone()).await.0, 401);
    assert_eq!(get(&stranger, base.clone()).await.0, 404);
    assert_eq!(get(&stranger, format!("{base}/messages")).await.0, 404);
    for (path, body) in [
        ("answer", Some(json!({"action": "accept"}))),
        ("complete", None),
        ("withdraw", None),
        ("messages", Some(json!({"body": "hello"}))),
        ("thanks", Some(json!({"body": "thanks"}))),
    ] {
        assert_eq!(
            send(&stranger, format!("{base}/{path}"), body.clone())
                .await
                .0,
            404,
            "{path}"
        );
        assert_eq!(
            send(&anonymous, format!("{base}/{path}"), body).await.0,
            401,
            "{path}"
        );
    }
    assert_eq!(
        app.get(&format!("/connections/{id}")).await.status(),
        303,
        "the page asks to sign in"
    );
    let page = stranger
        .get(app.url(&format!("/connections/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    let (status, _) = send(&teacher, format!("{base}/withdraw"), None).await;
    assert_eq!(status, 409, "only the requester withdraws");
    let (_, c) = get(&teacher, base.clone()).await;
    assert_eq!(c["status"], "requested", "nothing moved");
    let (_, c) = send(&learner, format!("{base}/withdraw"), None).await;
    assert_eq!(c["status"], "withdrawn");
    assert_eq!(
        notifications(&app, &teacher).await["items"][0]["kind"],
        "connection_withdrawn"
    );
}

#[tokio::test]
async fn two_answers_at_once_give_one_outcome() {
    let app = TestApp::spawn().await;
    let (learner, teacher) = pair(&app).await;
    for round in 0..4 {
        let (_, c) = request(&app, &learner, "Teacher").await;
        let id = c["id"].as_i64().unwrap();
        let url = app.url(&format!("/api/v1/connections/{id}/answer"));
        let accept = send(&teacher, url.clone(), Some(json!({"action": "accept"})));
        let decline = send(
            &teacher,
            url.clone(),
            Some(json!({"action": "decline", "reason": "no_time"})),
        );
        let ((a, after_accept), (d, after_decline)) = tokio::join!(accept, decline);
        let mut statuses = [a, d];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}");
        let winner = if a == 200 {
            after_accept
        } else {
            after_decline
        };
        let (_, now) = get(&teacher, app.url(&format!("/api/v1/connections/{id}"))).await;
        assert_eq!(now["status"], winner["status"], "round {round}");
        if now["status"] == "accepted" {
            send(
                &learner,
                app.url(&format!("/api/v1/connections/{id}/complete")),
                None,
            )
            .await;
            send(
                &teacher,
                app.url(&format!("/api/v1/connections/{id}/complete")),
                None,
            )
            .await;
        }
    }
}

#[tokio::test]
async fn limits_away_mode_and_blocks_stop_requests() {
    let app = TestApp::spawn_with(|c| c.max_pending_requests = 2).await;
    let (learner, teacher) = pair(&app).await;
    let (status, problem) = request(&app, &learner, "Learner").await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["code"], "self_connection");
    let (status, problem) = request(&app, &learner, "Nobody").await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "to");

    // A mentor at their own limit takes no new request and drops out of suggestions.
    let mut busy = profile(&["wikidata-sparql"], &[]);
    busy["max_connections"] = json!(1);
    put_profile(&app, &teacher, "Tomás", busy).await;
    let (_, matches) = get(&learner, app.url("/api/v1/me/matches")).await;
    assert_eq!(matches["items"][0]["username"], "Teacher");
    let other = app.signed_in("Other", false).await;
    put_profile(&app, &other, "Olu", profile(&[], &["wikidata-sparql"])).await;
    assert_eq!(request(&app, &other, "Teacher").await.0, 201);
    let (status, problem) = request(&app, &learner, "Teacher").await;
    assert_eq!(status, 409);
    assert_eq!(
        problem["detail"],
        app.state.i18n.text("en", "cxc-error-at-capacity", &[])
    );
    let (_, matches) = get(&learner, app.url("/api/v1/me/matches")).await;
    assert!(
        matches["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["username"] != "Teacher"),
        "a mentor at their limit is not suggested: {matches}"
    );

    // Away: refused with the date they return.
    let away = app.signed_in("Away", false).await;
    let mut gone = profile(&["wikidata-sparql"], &[]);
    let back = app.state.clock.today() + time::Duration::days(10);
    gone["away_until"] = json!(cxc_core::profile::format_date(back));
    put_profile(&app, &away, "Ayo", gone).await;
    let (status, problem) = request(&app, &learner, "Away").await;
    assert_eq!(status, 409);
    assert_eq!(problem["code"], "away");
    assert_eq!(problem["returns"], cxc_core::profile::format_date(back));
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&cxc_core::profile::format_date(back))
    );

    // At most two requests waiting, then one with the same person is not made twice.
    let third = app.signed_in("Third", false).await;
    let fourth = app.signed_in("Fourth", false).await;
    put_profile(&app, &third, "Tri", profile(&["wikidata-sparql"], &[])).await;
    put_profile(&app, &fourth, "Four", profile(&["wikidata-sparql"], &[])).await;
    assert_eq!(request(&app, &learner, "Third").await.0, 201);
    assert_eq!(request(&app, &learner, "Third").await.1["code"], "conflict");
    let blocker = app.signed_in("Blocker", false).await;
    put_profile(&app, &blocker, "Bea", profile(&["wikidata-sparql"], &[])).await;
    assert_eq!(request(&app, &learner, "Fourth").await.0, 201);
    let (status, problem) = request(&app, &learner, "Blocker").await;
    assert_eq!(status, 409);
    assert_eq!(
        problem["detail"],
        app.state.i18n.text("en", "cxc-error-too-many-pending", &[])
    );

    // A block stops requests and messages both ways.
    let response = blocker
        .put(app.url("/api/v1/me/blocks/Other"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert_eq!(request(&app, &other, "Blocker").await.0, 403);
    assert_eq!(request(&app, &blocker, "Other").await.0, 403);
    let (_, c) = request(&app, &other, "Fourth").await;
    let id = c["id"].as_i64().unwrap();
    let response = fourth
        .put(app.url("/api/v1/me/blocks/Other"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let (status, _) = send(
        &other,
        app.url(&format!("/api/v1/connections/{id}/messages")),
        Some(json!({"body": "Still there?"})),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn messages_are_rate_limited_until_time_passes() {
    let app = TestApp::spawn().await;
    let (learner, teacher) = pair(&app).await;
    let (_, c) = request(&app, &learner, "Teacher").await;
    let id = c["id"].as_i64().unwrap();
    send(
        &teacher,
        app.url(&format!("/api/v1/connections/{id}/answer")),
        Some(json!({"action": "accept"})),
    )
    .await;
    let url = app.url(&format!("/api/v1/connections/{id}/messages"));
    let limit = cxc::state::Limits::MESSAGES_PER_ACCOUNT_PER_HOUR;
    for i in 0..limit {
        let (status, _) = send(
            &learner,
            url.clone(),
            Some(json!({"body": format!("note {i}")})),
        )
        .await;
        assert_eq!(status, 201, "message {i}");
    }
    let response = learner
        .post(url.clone())
        .json(&json!({"body": "one too many"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let (_, thread) = get(&learner, url.clone()).await;
    assert_eq!(
        thread["items"].as_array().unwrap().len() as u32,
        limit + 1,
        "the refused message was not stored"
    );
    app.state.clock.advance(Duration::from_secs(3600));
    assert_eq!(
        send(&learner, url, Some(json!({"body": "later"}))).await.0,
        201
    );
}

#[tokio::test]
async fn connection_requests_are_rate_limited_until_time_passes() {
    let app = TestApp::spawn().await;
    let (learner, _teacher) = pair(&app).await;
    let other = app.signed_in("Other", false).await;
    put_profile(&app, &other, "Oti", profile(&[], &["wikidata-sparql"])).await;
    // Asking and withdrawing again and again stays under the cap on open requests, so that
    // only the rate limit can stop it.
    let limit = cxc::state::Limits::REQUESTS_PER_ACCOUNT_PER_HOUR;
    for i in 0..limit {
        let (status, c) = request(&app, &learner, "Teacher").await;
        assert_eq!(status, 201, "request {i}: {c}");
        let withdraw = app.url(&format!("/api/v1/connections/{}/withdraw", c["id"]));
        assert_eq!(send(&learner, withdraw, None).await.0, 200);
    }
    let refused = learner
        .post(app.url("/api/v1/connections"))
        .json(&json!({"to": "Teacher", "capacity": "wikidata-sparql", "message": "Once more?"}))
        .send()
        .await
        .unwrap();
    let wait = crate::common::retry_after(&refused);
    assert!(wait > 0 && wait <= 3600, "{wait}");
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "rate_limited");
    assert_eq!(
        problem["detail"],
        app.state.i18n.text("en", "cxc-error-rate-limited", &[])
    );
    let (_, sent) = get(&learner, app.url("/api/v1/connections?role=sent")).await;
    assert!(
        sent["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "withdrawn"),
        "the refused request was not stored: {sent}"
    );
    assert_eq!(
        request(&app, &other, "Teacher").await.0,
        201,
        "someone else is not held back"
    );
    app.state.clock.advance(Duration::from_secs(wait - 1));
    assert_eq!(request(&app, &learner, "Teacher").await.0, 429, "not yet");
    app.state.clock.advance(Duration::from_secs(1));
    assert_eq!(request(&app, &learner, "Teacher").await.0, 201);
}

#[tokio::test]
async fn unanswered_requests_are_reminded_after_a_week_and_expire_after_a_month() {
    let app = TestApp::spawn().await;
    let (learner, teacher) = pair(&app).await;
    let (_, c) = request(&app, &learner, "Teacher").await;
    let id = c["id"].as_i64().unwrap();
    let swept = cxc::exchange::sweep(&app.state).await.unwrap();
    assert_eq!(swept, cxc::exchange::Swept::default());
    app.state.clock.advance(Duration::from_secs(8 * 86_400));
    let swept = cxc::exchange::sweep(&app.state).await.unwrap();
    assert_eq!((swept.reminded, swept.expired), (1, 0));
    assert_eq!(
        notifications(&app, &teacher).await["items"][0]["kind"],
        "reminder"
    );
    let swept = cxc::exchange::sweep(&app.state).await.unwrap();
    assert_eq!(swept.reminded, 0, "reminded once");
    app.state.clock.advance(Duration::from_secs(23 * 86_400));
    let swept = cxc::exchange::sweep(&app.state).await.unwrap();
    assert_eq!(swept.expired, 1);
    let (_, c) = get(&learner, app.url(&format!("/api/v1/connections/{id}"))).await;
    assert_eq!(c["status"], "expired");
    let told = notifications(&app, &learner).await;
    assert_eq!(told["items"][0]["kind"], "connection_expired");
    assert!(told["items"][0]["text"].as_str().unwrap().contains("Tomás"));

    // A request that comes back with an answer waits afresh.
    let third = app.signed_in("Third", false).await;
    put_profile(&app, &third, "Tri", profile(&["wikidata-sparql"], &[])).await;
    let (_, c) = request(&app, &learner, "Third").await;
    let base = app.url(&format!("/api/v1/connections/{}", c["id"]));
    app.state.clock.advance(Duration::from_secs(25 * 86_400));
    cxc::exchange::sweep(&app.state).await.unwrap();
    send(
        &third,
        format!("{base}/answer"),
        Some(json!({"action": "ask_info", "message": "Why?"})),
    )
    .await;
    send(
        &learner,
        format!("{base}/messages"),
        Some(json!({"body": "Because."})),
    )
    .await;
    app.state.clock.advance(Duration::from_secs(10 * 86_400));
    let swept = cxc::exchange::sweep(&app.state).await.unwrap();
    let (_, now) = get(&learner, base.clone()).await;
    assert_eq!(
        now["status"], "requested",
        "35 days old, 10 days waiting: not expired"
    );
    assert_eq!(swept.expired, 0);
    send(
        &third,
        format!("{base}/answer"),
        Some(json!({"action": "decline", "reason": "no_time"})),
    )
    .await;

    // Someone away is not reminded.
    let away = app.signed_in("Away", false).await;
    put_profile(&app, &away, "Ayo", profile(&["wikidata-sparql"], &[])).await;
    request(&app, &learner, "Away").await;
    let mut gone = profile(&["wikidata-sparql"], &[]);
    let back = app.state.clock.today() + time::Duration::days(20);
    gone["away_until"] = json!(cxc_core::profile::format_date(back));
    put_profile(&app, &away, "Ayo", gone).await;
    app.state.clock.advance(Duration::from_secs(8 * 86_400));
    let swept = cxc::exchange::sweep(&app.state).await.unwrap();
    assert_eq!(swept.reminded, 0);
    assert_eq!(
        notifications(&app, &away).await["unread"],
        1,
        "only the request"
    );
}

#[tokio::test]
async fn the_exchange_works_through_forms_without_javascript() {
    let app = TestApp::spawn().await;
    let (learner, teacher) = pair(&app).await;
    let hidden = app.signed_in("Hidden", false).await;
    let mut secret = profile(&[], &[]);
    secret["visibility"] = json!("hidden");
    put_profile(&app, &hidden, "Secret Name", secret).await;
    let probe = learner
        .get(app.url("/connections/new?to=Hidden"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !probe.contains("Secret Name"),
        "a hidden person's name does not show"
    );
    let form = learner
        .get(app.url("/connections/new?to=Teacher&capacity=wikidata-sparql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("Tomás"), "the form names who is asked");
    let refused = app
        .post_as(
            &learner,
            "/connections/new",
            &[("to", "Teacher"), ("message", " ")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("message error"));
    let created = app
        .post_as(
            &learner,
            "/connections/new",
            &[
                ("to", "Teacher"),
                ("capacity", "wikidata-sparql"),
                ("message", "Hello from the form"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let home = teacher
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("count-badge"),
        "the header shows unread notifications"
    );
    let list = teacher
        .get(app.url("/connections"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&location));
    let page = teacher
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Hello from the form"));
    assert!(page.contains("value=\"accept\""));
    let home = teacher
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !home.contains("count-badge"),
        "seeing the connection reads its notifications"
    );
    let accepted = app
        .post_as(
            &teacher,
            &format!("{location}/answer"),
            &[("action", "accept")],
        )
        .await;
    assert_eq!(accepted.status(), 303);
    let again = app
        .post_as(
            &teacher,
            &format!("{location}/answer"),
            &[("action", "decline"), ("reason", "no_time")],
        )
        .await;
    assert_eq!(again.status(), 409, "answered already: the page says so");
    assert!(again.text().await.unwrap().contains("message error"));
    let sent = app
        .post_as(
            &teacher,
            &format!("{location}/messages"),
            &[("body", "Welcome!")],
        )
        .await;
    assert_eq!(sent.status(), 303);
    for who in [&teacher, &learner] {
        let done = app.post_as(who, &format!("{location}/complete"), &[]).await;
        assert_eq!(done.status(), 303);
    }
    let thanked = app
        .post_as(
            &learner,
            &format!("{location}/thanks"),
            &[("body", "Asante sana"), ("public", "1")],
        )
        .await;
    assert_eq!(thanked.status(), 303);
    let shown = app
        .post_as(
            &teacher,
            &format!("{location}/thanks/shown"),
            &[("shown", "1")],
        )
        .await;
    assert_eq!(shown.status(), 303);
    let profile_page = app.get("/people/Teacher").await.text().await.unwrap();
    assert!(profile_page.contains("Asante sana"));
    assert!(
        notifications(&app, &learner).await["unread"]
            .as_i64()
            .unwrap()
            > 0
    );
    let notifications_page = learner
        .get(app.url("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(notifications_page.contains(&location));
    assert_eq!(
        notifications(&app, &learner).await["unread"],
        0,
        "seeing the list reads it"
    );
    let read = app.post_as(&learner, "/notifications/read", &[]).await;
    assert_eq!(read.status(), 303);
    assert_eq!(notifications(&app, &learner).await["unread"], 0);
}

#[tokio::test]
async fn notifications_are_marked_read_by_id_or_all_at_once() {
    let app = TestApp::spawn().await;
    let (learner, teacher) = pair(&app).await;
    let third = app.signed_in("Third", false).await;
    put_profile(&app, &third, "Tri", profile(&[], &["wikidata-sparql"])).await;
    request(&app, &learner, "Teacher").await;
    request(&app, &third, "Teacher").await;
    let told = notifications(&app, &teacher).await;
    assert_eq!(told["unread"], 2);
    let first = told["items"][0]["id"].as_i64().unwrap();
    let (status, left) = send(
        &teacher,
        app.url("/api/v1/me/notifications/read"),
        Some(json!({"ids": [first]})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(left["unread"], 1);
    let (_, left) = send(
        &learner,
        app.url("/api/v1/me/notifications/read"),
        Some(json!({"ids": [first]})),
    )
    .await;
    assert_eq!(
        left["unread"], 0,
        "someone else's notification is not theirs to mark"
    );
    assert_eq!(notifications(&app, &teacher).await["unread"], 1);
    let many: Vec<i64> = (1..=201).collect();
    let (status, _) = send(
        &teacher,
        app.url("/api/v1/me/notifications/read"),
        Some(json!({ "ids": many })),
    )
    .await;
    assert_eq!(status, 422, "at most 200 at once");
    let (_, all) = get(&teacher, app.url("/api/v1/me/notifications")).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let (_, left) = send(&teacher, app.url("/api/v1/me/notifications/read"), None).await;
    assert_eq!(left["unread"], 0);
    assert_eq!(
        get(&reqwest::Client::new(), app.url("/api/v1/me/notifications"))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn a_deleted_account_leaves_the_other_side_of_the_thread_readable() {
    let app = TestApp::spawn().await;
    let (learner, teacher) = pair(&app).await;
    let (_, c) = request(&app, &learner, "Teacher").await;
    let id = c["id"].as_i64().unwrap();
    let base = app.url(&format!("/api/v1/connections/{id}"));
    send(
        &teacher,
        format!("{base}/answer"),
        Some(json!({"action": "accept", "message": "Yes, gladly"})),
    )
    .await;
    let (_, export) = get(&learner, app.url("/api/v1/me/export")).await;
    assert_eq!(
        export["connections"][0]["id"], id,
        "one's export holds one's connections"
    );
    assert_eq!(export["messages"][0]["body"], "Could you show me SPARQL?");
    let deleted = learner
        .delete(app.url("/api/v1/me"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let (status, c) = get(&teacher, base.clone()).await;
    assert_eq!(status, 200);
    assert!(c["from"].is_null());
    assert_eq!(c["status"], "withdrawn");
    let (_, thread) = get(&teacher, format!("{base}/messages")).await;
    let bodies: Vec<&str> = thread["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["Yes, gladly"],
        "the deleted person's words went with them"
    );
    let page = teacher
        .get(app.url(&format!("/connections/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn the_dashboard_charts_connections_per_month_with_the_small_cell_rule() {
    let app = TestApp::spawn_with(|c| c.min_cell = 2).await;
    let (learner, teacher) = pair(&app).await;
    let third = app.signed_in("Third", false).await;
    put_profile(&app, &third, "Tri", profile(&[], &["wikidata-sparql"])).await;
    let (_, c) = request(&app, &learner, "Teacher").await;
    request(&app, &third, "Teacher").await;
    let base = app.url(&format!("/api/v1/connections/{}", c["id"]));
    send(
        &teacher,
        format!("{base}/answer"),
        Some(json!({"action": "accept"})),
    )
    .await;
    send(&teacher, format!("{base}/complete"), None).await;
    send(&learner, format!("{base}/complete"), None).await;
    let month = cxc_core::profile::format_date(app.state.clock.today())[..7].to_owned();
    let html = app.get("/dashboard").await.text().await.unwrap();
    let row =
        format!("<time datetime=\"{month}\">{month}</time></th><td>2</td><td>fewer than 2</td>");
    assert!(
        html.contains(&row),
        "two opened, one completed is too few to show"
    );
    assert!(html.contains("<svg class=\"columns\""));
}
