//! Every mutating route of the exchange, tried by someone who may not: anonymously, and as a
//! signed-in member who is neither its owner, the other party, a manager nor a moderator.
//! Nothing may change, and each answer says why.

use serde_json::{Value, json};

use crate::common::TestApp;

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> u16 {
    let request = client
        .request(method, url)
        .header("content-type", "application/json");
    let request = match body {
        Some(b) => request.json(&b),
        None => request,
    };
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn the_exchange_refuses_whoever_may_not_act() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in("Owner", false).await;
    let helper = app.signed_in("Helper", false).await;
    let stranger = app.signed_in("Stranger", false).await;
    for (client, offered) in [
        (&owner, vec![]),
        (&helper, vec!["wikidata-sparql"]),
        (&stranger, vec![]),
    ] {
        let response = client
            .put(app.url("/api/v1/me/profile"))
            .json(&json!({"display_name": "Someone", "known": offered, "offered": offered, "languages": [{"code": "en", "level": 4}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let post: Value = owner
        .post(app.url("/api/v1/posts"))
        .json(&json!({"kind": "ask", "title": "Help", "capacities": ["wikidata-sparql"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let post = post["id"].as_i64().unwrap();
    let connection: Value = helper
        .post(app.url("/api/v1/connections"))
        .json(&json!({"to": "Owner", "post": post, "message": "I can help"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = connection["id"].as_i64().unwrap();
    let report: Value = helper
        .post(app.url("/api/v1/reports"))
        .json(&json!({"target": "post", "id": post.to_string(), "reason": "spam"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let report = report["id"].as_i64().unwrap();

    use reqwest::Method as M;
    let anonymous = reqwest::Client::new();
    // (method, path, body, what a stranger gets)
    let api: Vec<(M, String, Option<Value>, u16)> = vec![
        (
            M::PATCH,
            format!("/api/v1/posts/{post}"),
            Some(json!({"status": "closed"})),
            403,
        ),
        (
            M::POST,
            format!("/api/v1/connections/{c}/answer"),
            Some(json!({"action": "accept"})),
            404,
        ),
        (
            M::POST,
            format!("/api/v1/connections/{c}/complete"),
            None,
            404,
        ),
        (
            M::POST,
            format!("/api/v1/connections/{c}/withdraw"),
            None,
            404,
        ),
        (
            M::POST,
            format!("/api/v1/connections/{c}/messages"),
            Some(json!({"body": "hi"})),
            404,
        ),
        (
            M::POST,
            format!("/api/v1/connections/{c}/thanks"),
            Some(json!({"body": "thanks"})),
            404,
        ),
        (
            M::POST,
            format!("/api/v1/connections/{c}/thanks/shown"),
            Some(json!({"shown": true})),
            404,
        ),
        (
            M::POST,
            format!("/api/v1/admin/reports/{report}"),
            Some(json!({"action": "dismiss"})),
            403,
        ),
        (
            M::PUT,
            "/api/v1/admin/accounts/Owner/suspension".into(),
            Some(json!({})),
            403,
        ),
        (
            M::DELETE,
            "/api/v1/admin/accounts/Owner/suspension".into(),
            None,
            403,
        ),
    ];
    for (method, path, body, refused) in &api {
        assert_eq!(
            send(&anonymous, method.clone(), app.url(path), body.clone()).await,
            401,
            "anonymous {method} {path}"
        );
        assert_eq!(
            send(&stranger, method.clone(), app.url(path), body.clone()).await,
            *refused,
            "stranger {method} {path}"
        );
    }
    // Routes that act on the caller's own things only need a caller.
    for (method, path, body) in [
        (
            M::POST,
            "/api/v1/posts".to_owned(),
            Some(json!({"kind": "ask", "title": "x"})),
        ),
        (
            M::POST,
            "/api/v1/connections".into(),
            Some(json!({"to": "Owner", "message": "hi"})),
        ),
        (M::POST, "/api/v1/me/notifications/read".into(), None),
        (
            M::POST,
            "/api/v1/reports".into(),
            Some(json!({"target": "post", "id": post.to_string(), "reason": "spam"})),
        ),
        (M::PUT, "/api/v1/me/saved/person/Owner".into(), None),
        (M::DELETE, "/api/v1/me/saved/person/Owner".into(), None),
        (
            M::PUT,
            "/api/v1/me/email".into(),
            Some(json!({"address": "a@example.org", "mode": "each"})),
        ),
    ] {
        assert_eq!(
            send(&anonymous, method.clone(), app.url(&path), body).await,
            401,
            "anonymous {method} {path}"
        );
    }
    // The forms, with a valid CSRF token: a stranger is refused, and nothing changed.
    for (path, fields, refused) in [
        (
            format!("/posts/{post}/edit"),
            vec![("kind", "ask"), ("title", "Mine now")],
            403,
        ),
        (
            format!("/posts/{post}/status"),
            vec![("action", "close")],
            403,
        ),
        (
            format!("/connections/{c}/answer"),
            vec![("action", "accept")],
            404,
        ),
        (format!("/connections/{c}/complete"), vec![], 404),
        (format!("/connections/{c}/withdraw"), vec![], 404),
        (
            format!("/connections/{c}/messages"),
            vec![("body", "hi")],
            404,
        ),
        (
            format!("/connections/{c}/thanks"),
            vec![("body", "thanks")],
            404,
        ),
        (
            format!("/admin/reports/{report}"),
            vec![("action", "dismiss")],
            403,
        ),
        (
            "/admin/accounts/Owner/suspension".into(),
            vec![("until", "")],
            403,
        ),
    ] {
        let response = app.post_as(&stranger, &path, &fields).await;
        assert_eq!(response.status().as_u16(), refused, "stranger POST {path}");
    }
    let now: Value = owner
        .get(app.url(&format!("/api/v1/posts/{post}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (now["title"].as_str(), now["status"].as_str()),
        (Some("Help"), Some("open"))
    );
    let now: Value = owner
        .get(app.url(&format!("/api/v1/connections/{c}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["status"], "requested");
    let thread: Value = owner
        .get(app.url(&format!("/api/v1/connections/{c}/messages")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(thread["items"].as_array().unwrap().len(), 1);
    let me: Value = owner
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "Owner", "not suspended");
}
