//! E-mail through a real SMTP server process: only to people who opted in at a confirmed
//! address, in their language, with a one-click unsubscribe; nothing lost in an outage and
//! nothing sent twice; a weekly digest.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{SmtpServer, TestApp};

async fn mail_app(smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    TestApp::spawn_with(move |c| {
        c.smtp_url = Some(url);
        c.mail_from = Some("Capacity Exchange <cxc@example.org>".into());
    })
    .await
}

async fn put(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let response = client.put(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let response = client.post(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn profile(app: &TestApp, client: &reqwest::Client, name: &str, offered: &[&str]) {
    let (status, _) = put(
        client,
        app.url("/api/v1/me/profile"),
        json!({"display_name": name, "languages": [{"code": "fr", "level": 4}], "known": offered, "offered": offered, "country": "SN"}),
    )
    .await;
    assert_eq!(status, 200);
}

/// Gives `client`'s address (in French) and waits for the confirmation; returns its link's
/// path and how many messages the server holds then.
async fn give_address(
    app: &TestApp,
    smtp: &SmtpServer,
    client: &reqwest::Client,
    address: &str,
    mode: &str,
) -> (String, usize) {
    let before = smtp.received().len();
    let (status, settings) = put(
        client,
        app.url("/api/v1/me/email?uselang=fr"),
        json!({"address": address, "mode": mode}),
    )
    .await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["verified"], false);
    cxc::mail::deliver_due(&app.state).await.unwrap();
    let received = smtp.wait_for(before + 1).await;
    let confirmation = received.last().unwrap();
    assert!(confirmation.to.contains(address));
    assert_eq!(
        confirmation.subject,
        app.state.i18n.text("fr", "cxc-mail-confirm-subject", &[])
    );
    assert!(
        confirmation.list_unsubscribe.is_none(),
        "nothing to unsubscribe from yet"
    );
    let link = confirmation
        .body
        .split_whitespace()
        .find(|w| w.contains("/account/email/confirm?token="))
        .expect("a confirmation link");
    (
        link[link.find("/account").unwrap()..].to_owned(),
        before + 1,
    )
}

async fn confirm(app: &TestApp, client: &reqwest::Client, path: &str) {
    assert_eq!(app.get(path).await.status(), 200);
    let settings: Value = client
        .get(app.url("/api/v1/me/email"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["verified"], true);
    assert_eq!(app.get(path).await.status(), 404, "a link confirms once");
}

/// Opts `client` in at a confirmed `address`; returns how many messages the server holds.
async fn opt_in(
    app: &TestApp,
    smtp: &SmtpServer,
    client: &reqwest::Client,
    address: &str,
    mode: &str,
) -> usize {
    let (path, count) = give_address(app, smtp, client, address, mode).await;
    confirm(app, client, &path).await;
    count
}

/// A request from `from` to the account called `to`, who is notified of it.
async fn exchange(app: &TestApp, from: &reqwest::Client, to: &str) -> i64 {
    let (status, c) = post(
        from,
        app.url("/api/v1/connections"),
        json!({"to": to, "message": "Bonjour !"}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    c["id"].as_i64().unwrap()
}

#[tokio::test]
async fn e_mail_goes_only_to_those_who_opted_in_at_a_confirmed_address_in_their_language() {
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let app = mail_app(&smtp).await;
    let learner = app.signed_in("Learner", false).await;
    let teacher = app.signed_in("Teacher", false).await;
    profile(&app, &learner, "Lina", &[]).await;
    profile(&app, &teacher, "Tomás", &["wikidata-sparql"]).await;

    // Unconfirmed: a notification is not sent.
    let (link, count) = give_address(&app, &smtp, &teacher, "tomas@example.org", "each").await;
    let first = exchange(&app, &learner, "Teacher").await;
    cxc::mail::deliver_due(&app.state).await.unwrap();
    assert_eq!(smtp.received().len(), count, "only the confirmation");
    post(
        &learner,
        app.url(&format!("/api/v1/connections/{first}/withdraw")),
        json!({}),
    )
    .await;
    confirm(&app, &teacher, &link).await;
    let (_, settings) = put(
        &teacher,
        app.url("/api/v1/me/email?uselang=fr"),
        json!({"address": "tomas@example.org", "mode": "each"}),
    )
    .await;
    assert_eq!(
        settings["verified"], true,
        "saving the same address keeps it confirmed"
    );
    assert_eq!(settings["available"], true);

    // A new address is confirmed anew; then each notification comes, in French, with a
    // one-click unsubscribe.
    let count = opt_in(&app, &smtp, &teacher, "tomas+cxc@example.org", "each").await;
    let id = exchange(&app, &learner, "Teacher").await;
    cxc::mail::deliver_due(&app.state).await.unwrap();
    let received = smtp.wait_for(count + 1).await;
    let notice = received.last().unwrap();
    assert!(notice.to.contains("tomas+cxc@example.org"));
    assert_eq!(
        notice.subject,
        app.state
            .i18n
            .text("fr", "cxc-notification-connection-requested", &["Lina"])
    );
    assert!(notice.body.contains(&format!("/connections/{id}")));
    let unsubscribe = notice.list_unsubscribe.clone().expect("List-Unsubscribe");
    assert_eq!(
        notice.list_unsubscribe_post.as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(notice.message_id.starts_with("<cxc-"));
    assert!(
        received.iter().all(|m| m.to.contains("tomas")),
        "nobody who did not opt in gets anything"
    );

    // One click, as a mail program does it: no cookie, no token but the link's.
    let link = unsubscribe.trim_matches(['<', '>']);
    let path = link[link
        .find("/api/v1/unsubscribe?token=")
        .expect("the one-click address")..]
        .to_owned();
    let page_path = path.replace("/api/v1/unsubscribe?", "/unsubscribe?");
    let clicked = reqwest::Client::new()
        .post(app.url(&path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(clicked.status(), 204);
    let settings: Value = teacher
        .get(app.url("/api/v1/me/email"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["mode"], "off");
    let wrong = reqwest::Client::new()
        .post(app.url("/api/v1/unsubscribe?token=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    let (status, _) = post(
        &learner,
        app.url(&format!("/api/v1/connections/{id}/withdraw")),
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    cxc::mail::deliver_due(&app.state).await.unwrap();
    assert_eq!(
        smtp.received().len(),
        count + 1,
        "nothing after unsubscribing"
    );
    let page = app.get(&page_path).await;
    assert_eq!(
        page.status(),
        200,
        "the link in the body leads to a page with a button"
    );
    assert!(notice.body.contains(&page_path));
}

#[tokio::test]
async fn an_smtp_outage_loses_nothing_and_sends_nothing_twice() {
    let Some(mut smtp) = SmtpServer::start().await else {
        return;
    };
    let app = mail_app(&smtp).await;
    let learner = app.signed_in("Learner", false).await;
    let teacher = app.signed_in("Teacher", false).await;
    profile(&app, &learner, "Lina", &[]).await;
    profile(&app, &teacher, "Tomás", &["wikidata-sparql"]).await;
    let count = opt_in(&app, &smtp, &teacher, "tomas@example.org", "each").await;
    smtp.stop();
    exchange(&app, &learner, "Teacher").await;
    assert_eq!(cxc::mail::deliver_due(&app.state).await.unwrap(), 0);
    smtp.resume().await;
    assert_eq!(
        cxc::mail::deliver_due(&app.state).await.unwrap(),
        0,
        "a failed message waits before the next try"
    );
    app.state.clock.advance(Duration::from_secs(61));
    cxc::mail::deliver_due(&app.state).await.unwrap();
    let received = smtp.wait_for(count + 1).await;
    assert_eq!(received.len(), count + 1);
    app.state.clock.advance(Duration::from_secs(3600));
    cxc::mail::deliver_due(&app.state).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), count + 1, "sent once");
}

#[tokio::test]
async fn a_weekly_digest_gathers_what_is_unread() {
    let Some(smtp) = SmtpServer::start().await else {
        return;
    };
    let app = mail_app(&smtp).await;
    let learner = app.signed_in("Learner", false).await;
    let other = app.signed_in("Other", false).await;
    let teacher = app.signed_in("Teacher", false).await;
    profile(&app, &learner, "Lina", &[]).await;
    profile(&app, &other, "Omar", &[]).await;
    profile(&app, &teacher, "Tomás", &["wikidata-sparql"]).await;
    let count = opt_in(&app, &smtp, &teacher, "tomas@example.org", "weekly").await;
    let first = exchange(&app, &learner, "Teacher").await;
    let second = exchange(&app, &other, "Teacher").await;
    cxc::mail::deliver_due(&app.state).await.unwrap();
    assert_eq!(
        cxc::mail::queue_digests(&app.state).await.unwrap(),
        0,
        "not a week yet"
    );
    app.state
        .clock
        .advance(Duration::from_secs(7 * 86_400 + 60));
    assert_eq!(cxc::mail::queue_digests(&app.state).await.unwrap(), 1);
    assert_eq!(
        cxc::mail::queue_digests(&app.state).await.unwrap(),
        0,
        "one a week"
    );
    cxc::mail::deliver_due(&app.state).await.unwrap();
    let received = smtp.wait_for(count + 1).await;
    let digest = received.last().unwrap();
    assert_eq!(
        digest.subject,
        app.state.i18n.text("fr", "cxc-mail-digest-subject", &["2"])
    );
    assert!(digest.body.contains(&format!("/connections/{first}")));
    assert!(digest.body.contains(&format!("/connections/{second}")));
    assert_eq!(
        received.len(),
        count + 1,
        "no message per notification on a digest"
    );
}
