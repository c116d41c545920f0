//! Probes for holes a hostile or unlucky client could find: where redirects lead, what odd
//! input does, how limits and timeouts hold.

use reqwest::Url;

use crate::common::{TestApp, browser, hidden_value};
use crate::oauth::{app_with_provider, approve_as, person};

const PASSWORD: &str = "a long enough password";

/// Return targets a browser would read as another site, or that once broke the redirect.
const HOSTILE_RETURNS: &[&str] = &[
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "/\0",
    "/a\u{7f}",
    "/a\u{85}b",
];

/// Fails unless `response` is not a server error and, when it redirects, stays on `app`'s
/// site once a browser has resolved the `Location` the WHATWG way.
fn assert_stays_on_site(app: &TestApp, response: &reqwest::Response, what: &str) {
    let status = response.status();
    assert!(!status.is_server_error(), "{what}: {status}");
    if let Some(location) = response.headers().get("location") {
        let location = location.to_str().expect("an ASCII Location");
        let base = Url::parse(&app.url("/")).unwrap();
        let resolved = base.join(location).expect("a resolvable Location");
        assert_eq!(
            resolved.origin(),
            base.origin(),
            "{what}: {location:?} leaves the site"
        );
    }
}

#[tokio::test]
async fn return_targets_stay_on_the_site() {
    let (app, provider) = app_with_provider().await;
    app.sign_up("Returner", PASSWORD).await;
    let signed_in = app.client.clone();
    for evil in HOSTILE_RETURNS {
        let response = browser()
            .get(app.url("/language"))
            .query(&[("uselang", "fr"), ("return", evil)])
            .send()
            .await
            .unwrap();
        assert_stays_on_site(&app, &response, &format!("/language {evil:?}"));

        let response = signed_in
            .get(app.url("/login"))
            .query(&[("return", evil)])
            .send()
            .await
            .unwrap();
        assert_stays_on_site(&app, &response, &format!("signed-in /login {evil:?}"));

        let visitor = browser();
        let response = visitor
            .get(app.url("/login"))
            .query(&[("return", evil)])
            .send()
            .await
            .unwrap();
        assert!(!response.status().is_server_error(), "/login {evil:?}");
        if response.status() == 200 {
            let html = response.text().await.unwrap();
            assert_eq!(hidden_value(&html, "return_to").as_deref(), Some("/"));
        }
        let token = visitor
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = hidden_value(&token, "csrf_token").unwrap();
        let response = visitor
            .post(app.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", "Returner"),
                ("password", PASSWORD),
                ("return_to", evil),
            ])
            .send()
            .await
            .unwrap();
        assert_stays_on_site(&app, &response, &format!("POST /login {evil:?}"));

        approve_as(&provider, person(77, "Wiki Returner"));
        let wiki = browser();
        let response = wiki
            .get(app.url("/login/wikimedia"))
            .query(&[("return", evil)])
            .send()
            .await
            .unwrap();
        assert!(
            !response.status().is_server_error(),
            "/login/wikimedia {evil:?}"
        );
        if response.status() == 303 {
            let to_provider = response.headers()["location"].to_str().unwrap().to_owned();
            let back = wiki.get(&to_provider).send().await.unwrap();
            let callback = back.headers()["location"].to_str().unwrap().to_owned();
            let response = wiki.get(&callback).send().await.unwrap();
            assert_eq!(response.status(), 303, "OAuth sign-in with {evil:?}");
            assert_stays_on_site(&app, &response, &format!("OAuth {evil:?}"));
        }
    }
}

/// Starts a Wikimedia sign-in in `browser` and follows it through the provider, stopping at the
/// callback address the provider sends the browser back to.
async fn callback_link(app: &TestApp, browser: &reqwest::Client) -> (reqwest::Response, String) {
    let start = browser
        .get(app.url("/login/wikimedia?return=/about"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 303);
    let to_provider = start.headers()["location"].to_str().unwrap().to_owned();
    let back = browser.get(&to_provider).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    (start, callback)
}

async fn me_status(app: &TestApp, browser: &reqwest::Client) -> u16 {
    let response = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn a_wikimedia_callback_only_finishes_in_the_browser_that_started_it() {
    let (app, provider) = app_with_provider().await;
    approve_as(&provider, person(666, "Attacker"));
    let attacker = browser();
    let (start, callback) = callback_link(&app, &attacker).await;
    let cookie = start.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("cxc_oauth="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("Max-Age=600"));

    // The attacker sends the callback link to a victim, who never started a sign-in…
    let victim = browser();
    let response = victim.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        me_status(&app, &victim).await,
        401,
        "not signed in as the attacker"
    );
    // …or who started one of their own.
    approve_as(&provider, person(1, "Victim"));
    let (_, _victims_own) = callback_link(&app, &victim).await;
    let response = victim.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(me_status(&app, &victim).await, 401);

    // The browser that started it finishes it.
    let response = attacker.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/about");
    assert_eq!(me_status(&app, &attacker).await, 200);
}

#[tokio::test]
async fn a_wikimedia_sign_in_expires_after_ten_minutes() {
    let (app, provider) = app_with_provider().await;
    approve_as(&provider, person(3, "Slow Clicker"));
    let slow = browser();
    let (_, callback) = callback_link(&app, &slow).await;
    app.state
        .clock
        .advance(std::time::Duration::from_secs(10 * 60 + 1));
    let response = slow.get(&callback).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(me_status(&app, &slow).await, 401);

    let quick = browser();
    let (_, callback) = callback_link(&app, &quick).await;
    app.state
        .clock
        .advance(std::time::Duration::from_secs(9 * 60));
    assert_eq!(quick.get(&callback).send().await.unwrap().status(), 303);
}

#[tokio::test]
async fn starting_a_wikimedia_sign_in_writes_nothing() {
    let (app, _provider) = app_with_provider().await;
    for _ in 0..3 {
        let response = browser()
            .get(app.url("/login/wikimedia"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303);
    }
    let table = sqlx::query("SELECT COUNT(*) FROM oauth_logins")
        .fetch_one(app.state.db.pool())
        .await;
    assert!(table.is_err(), "the sign-ins-in-progress table is gone");
}
