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
