//! Local accounts, sessions, CSRF protection and login rate limits.

use crate::common::{TestApp, browser};

const PASSWORD: &str = "a long enough password";

#[tokio::test]
async fn sign_up_sign_out_and_sign_in() {
    let app = TestApp::spawn().await;
    app.sign_up("Ana Silva", PASSWORD).await;
    let me: serde_json::Value = app.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["username"], "Ana Silva");
    assert_eq!(me["roles"], serde_json::json!(["member"]));

    let token = app.csrf_token("/").await;
    let response = app.post_form("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.get("/api/v1/me").await.status(), 401);

    let token = app.csrf_token("/login").await;
    let response = app
        .post_form(
            "/login",
            &[
                ("csrf_token", &token),
                ("username", "ana_silva"),
                ("password", PASSWORD),
                ("return_to", "/about"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/about");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("cxc_session="));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http base URL");
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("<bdi class=\"who\">Ana Silva</bdi>"));
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let app = TestApp::spawn_with(|c| c.base_url = "https://cxc.example".into()).await;
    let response = app.get("/").await;
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("cxc_csrf=") && cookie.contains("; Secure"));
}

#[tokio::test]
async fn wrong_passwords_are_refused_without_saying_why() {
    let app = TestApp::spawn().await;
    app.sign_up("Omar", PASSWORD).await;
    let token = app.csrf_token("/signup").await;
    for username in ["Omar", "Nobody"] {
        let response = app
            .post_form(
                "/login",
                &[
                    ("csrf_token", &token),
                    ("username", username),
                    ("password", "wrong password!"),
                ],
            )
            .await;
        assert_eq!(response.status(), 401);
        let html = response.text().await.unwrap();
        assert!(html.contains(&app.state.i18n.text("en", "cxc-login-failed", &[])));
        assert!(
            html.contains(&format!("value=\"{username}\"")),
            "keeps what was typed"
        );
    }
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    app.get("/login").await;
    let response = app
        .post_form("/login", &[("username", "x"), ("password", "y")])
        .await;
    assert_eq!(response.status(), 403);
    let html = response.text().await.unwrap();
    assert!(html.contains(&app.state.i18n.text("en", "cxc-error-csrf", &[])));
    let response = app
        .post_form(
            "/login",
            &[
                ("csrf_token", "forged"),
                ("username", "x"),
                ("password", "y"),
            ],
        )
        .await;
    assert_eq!(response.status(), 403);
    // A fresh client has no CSRF cookie at all.
    let response = browser()
        .post(app.url("/signup"))
        .form(&[
            ("csrf_token", "x"),
            ("username", "Mallory"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    for path in [
        "/logout",
        "/account/password",
        "/account/delete",
        "/profile/edit",
    ] {
        assert_eq!(app.post_form(path, &[]).await.status(), 403, "{path}");
    }
    assert!(
        cxc::db::accounts::by_username(&app.state.db, "Mallory")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_with_a_token() {
    let app = TestApp::spawn().await;
    let token = app.csrf_token("/login").await;
    let response = app
        .client
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "x"),
            ("password", "y"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = app
        .client
        .post(app.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "x"),
            ("password", "y"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn sign_up_validates_and_keeps_the_input() {
    let app = TestApp::spawn().await;
    app.sign_up("Taken Name", PASSWORD).await;
    let token = app.csrf_token("/signup").await;
    let cases: &[(&str, &str, &str, &str)] = &[
        ("a", PASSWORD, PASSWORD, "cxc-error-username-too-short"),
        (
            "bad/name",
            PASSWORD,
            PASSWORD,
            "cxc-error-username-characters",
        ),
        (
            "Good Name",
            "short",
            "short",
            "cxc-error-password-too-short",
        ),
        (
            "Good Name",
            PASSWORD,
            "different password",
            "cxc-error-password-mismatch",
        ),
        ("taken_name", PASSWORD, PASSWORD, "cxc-error-username-taken"),
    ];
    for (username, password, confirm, key) in cases {
        let response = app
            .post_form(
                "/signup?uselang=es",
                &[
                    ("csrf_token", &token),
                    ("username", username),
                    ("password", password),
                    ("password_confirm", confirm),
                ],
            )
            .await;
        assert_eq!(response.status(), 422, "{key}");
        let html = response.text().await.unwrap();
        let message = app.state.i18n.text("es", key, &[]);
        assert!(html.contains(&askama_escape(&message)), "{key}: {message}");
        assert!(html.contains(&format!("value=\"{}\"", askama_escape(username))));
    }
    assert_eq!(cxc::db::accounts::count(&app.state.db).await.unwrap(), 1);
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn sign_up_can_be_switched_off() {
    let app = TestApp::spawn_with(|c| c.signup = false).await;
    assert_eq!(app.get("/signup").await.status(), 403);
    let html = app.get("/").await.text().await.unwrap();
    assert!(!html.contains("href=\"/signup\""));
    let token = app.csrf_token("/login").await;
    let response = app
        .post_form(
            "/signup",
            &[
                ("csrf_token", &token),
                ("username", "Someone"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(cxc::db::accounts::count(&app.state.db).await.unwrap(), 0);
}

#[tokio::test]
async fn login_attempts_are_limited_per_account_and_address() {
    let app = TestApp::spawn().await;
    app.sign_up("Target", PASSWORD).await;
    let token = app.csrf_token("/signup").await;
    let attempt = |password: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            app.post_form(
                "/login",
                &[
                    ("csrf_token", &token),
                    ("username", "Target"),
                    ("password", password),
                ],
            )
            .await
        }
    };
    for _ in 0..cxc::state::Limits::SIGN_INS_PER_ACCOUNT_AND_ADDRESS_PER_MINUTE {
        assert_eq!(attempt("wrong guess!!").await.status(), 401);
    }
    // Even the right password is refused from here until the limit recovers.
    let refused = attempt(PASSWORD).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    let html = refused.text().await.unwrap();
    assert!(html.contains(&app.state.i18n.text("en", "cxc-error-rate-limited", &[])));
    app.state
        .clock
        .advance(std::time::Duration::from_secs(wait));
    assert_eq!(attempt(PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let app = TestApp::spawn().await;
    app.sign_up("Lina", PASSWORD).await;
    // A second device signs in too.
    let other = crate::common::browser();
    let html = other
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::common::hidden_value(&html, "csrf_token").unwrap();
    let response = other
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", "Lina"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);

    let token = app.csrf_token("/account").await;
    let wrong = app
        .post_form(
            "/account/password",
            &[
                ("csrf_token", &token),
                ("current_password", "not it at all"),
                ("password", "a brand new password"),
                ("password_confirm", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let response = app
        .post_form(
            "/account/password",
            &[
                ("csrf_token", &token),
                ("current_password", PASSWORD),
                ("password", "a brand new password"),
                ("password_confirm", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.get("/api/v1/me").await.status(),
        200,
        "this session stays"
    );
    let status = other
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401, "the other session ended");
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let app = TestApp::spawn().await;
    app.sign_up("Kwame", PASSWORD).await;
    let client = app.client.clone();
    let db = app.stop().await;
    let restarted = TestApp::spawn_on(db, |_| {}).await;
    let me: serde_json::Value = client
        .get(restarted.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "Kwame");
}

#[tokio::test]
async fn the_count_of_accounts_follows_sign_ups_and_deletions() {
    let app = TestApp::spawn().await;
    let counted = || async {
        let all: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        (cxc::db::accounts::count(&app.state.db).await.unwrap(), all)
    };
    assert_eq!(counted().await, (0, 0));
    let mut clients = Vec::new();
    for name in ["First", "Second", "Third"] {
        clients.push(app.signed_in(name, false).await);
    }
    assert_eq!(counted().await, (3, 3));
    let response = clients[1]
        .delete(app.url("/api/v1/me"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(counted().await, (2, 2));
    let home = app.get("/").await.text().await.unwrap();
    let joined = app.state.i18n.text("en", "cxc-home-members", &["2"]);
    assert!(home.contains(&joined), "the home page says {joined}");
}
