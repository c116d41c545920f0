//! Signing in with Wikimedia, end to end against a local provider that speaks the same
//! OAuth 2.0 protocol as Meta-Wiki's `rest.php/oauth2` (authorization code with PKCE).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use sha2::Digest;

use crate::common::TestApp;
use cxc::config::OAuthConfig;

const CLIENT_ID: &str = "cxc-test-client";
const CLIENT_SECRET: &str = "cxc-test-secret";

#[derive(Clone, Debug)]
pub struct Person {
    sub: u64,
    username: String,
    blocked: bool,
}

#[derive(Default)]
pub struct Provider {
    /// Who is signed in at the provider, and approves the request.
    current: Option<Person>,
    /// code → (PKCE challenge, redirect URI, person)
    codes: HashMap<String, (String, String, Person)>,
    tokens: HashMap<String, Person>,
    profile_failures: u32,
}

pub type Shared = Arc<Mutex<Provider>>;

async fn authorize(State(p): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut p = p.lock().unwrap();
    if q.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || q.get("response_type").map(String::as_str) != Some("code")
        || q.get("code_challenge_method").map(String::as_str) != Some("S256")
    {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let redirect = q["redirect_uri"].clone();
    let person = p
        .current
        .clone()
        .expect("a person is signed in at the provider");
    let code = format!("code-{}", p.codes.len());
    p.codes.insert(
        code.clone(),
        (q["code_challenge"].clone(), redirect.clone(), person),
    );
    Redirect::to(&format!("{redirect}?code={code}&state={}", q["state"])).into_response()
}

async fn access_token(State(p): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let mut p = p.lock().unwrap();
    let refuse = || {
        (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": "invalid_grant"})),
        )
            .into_response()
    };
    if f.get("grant_type").map(String::as_str) != Some("authorization_code")
        || f.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return refuse();
    }
    let Some((challenge, redirect, person)) = f.get("code").and_then(|c| p.codes.remove(c)) else {
        return refuse();
    };
    let verifier = f.get("code_verifier").cloned().unwrap_or_default();
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    if computed != challenge || f.get("redirect_uri") != Some(&redirect) {
        return refuse();
    }
    let token = format!("access-{}", p.tokens.len());
    p.tokens.insert(token.clone(), person);
    Json(serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": 14400}))
        .into_response()
}

async fn profile(State(p): State<Shared>, headers: HeaderMap) -> Response {
    let mut p = p.lock().unwrap();
    if p.profile_failures > 0 {
        p.profile_failures -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    match p.tokens.get(token) {
        Some(person) => Json(serde_json::json!({
            "sub": person.sub.to_string(),
            "username": person.username,
            "editcount": 1234,
            "confirmed_email": true,
            "blocked": person.blocked,
            "registered": "20200101000000",
            "groups": ["*", "user"],
            "rights": ["read"],
            "grants": ["mwoauth-authonly"],
        }))
        .into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn start_provider() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/w/rest.php/oauth2/authorize", get(authorize))
        .route("/w/rest.php/oauth2/access_token", post(access_token))
        .route("/w/rest.php/oauth2/resource/profile", get(profile))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!(
        "http://{}/w/rest.php/oauth2",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, shared)
}

pub async fn app_with_provider() -> (TestApp, Shared) {
    let (base, provider) = start_provider().await;
    let app = TestApp::spawn_with(|c| {
        c.oauth = Some(OAuthConfig {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            authorize_url: format!("{base}/authorize"),
            token_url: format!("{base}/access_token"),
            profile_url: format!("{base}/resource/profile"),
        });
    })
    .await;
    (app, provider)
}

/// A browser that follows redirects, as a person clicking through the provider would.
fn following_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Who is signed in at the provider, and approves the next request.
pub fn approve_as(provider: &Shared, person: Person) {
    provider.lock().unwrap().current = Some(person);
}

async fn sign_in(
    app: &TestApp,
    provider: &Shared,
    person: Person,
) -> (reqwest::Client, reqwest::Response) {
    provider.lock().unwrap().current = Some(person);
    let browser = following_browser();
    let response = browser
        .get(app.url("/login/wikimedia?return=/about"))
        .send()
        .await
        .unwrap();
    (browser, response)
}

async fn me(app: &TestApp, browser: &reqwest::Client) -> serde_json::Value {
    browser
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn person(sub: u64, username: &str) -> Person {
    Person {
        sub,
        username: username.into(),
        blocked: false,
    }
}

#[tokio::test]
async fn a_wikimedia_account_signs_in_and_is_keyed_on_sub() {
    let (app, provider) = app_with_provider().await;
    let login = app.get("/login").await.text().await.unwrap();
    assert!(login.contains("href=\"/login/wikimedia?return="));
    let signup = app.get("/signup").await.text().await.unwrap();
    assert!(
        signup.contains("href=\"/login/wikimedia\""),
        "sign-up offers Wikimedia too"
    );

    let (browser, response) = sign_in(&app, &provider, person(4242, "Ana Wiki")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.url().path(), "/about");
    let body = me(&app, &browser).await;
    assert_eq!(body["username"], "Ana Wiki");
    assert_eq!(body["wikimedia"], true);

    // Renamed on Wikimedia: the same account follows, under the new name.
    let (browser, _) = sign_in(&app, &provider, person(4242, "Ana Renamed")).await;
    assert_eq!(me(&app, &browser).await["username"], "Ana Renamed");
    assert_eq!(cxc::db::accounts::count(&app.state.db).await.unwrap(), 1);
}

#[tokio::test]
async fn blocked_accounts_are_refused() {
    let (app, provider) = app_with_provider().await;
    let blocked = Person {
        blocked: true,
        ..person(7, "Vandal")
    };
    let (browser, response) = sign_in(&app, &provider, blocked).await;
    assert_eq!(response.status(), 403);
    let html = response.text().await.unwrap();
    assert!(html.contains(&app.state.i18n.text("en", "cxc-error-oauth-blocked", &[])));
    assert_eq!(
        browser
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(cxc::db::accounts::count(&app.state.db).await.unwrap(), 0);
}

#[tokio::test]
async fn a_local_name_holder_keeps_their_account() {
    let (app, provider) = app_with_provider().await;
    app.sign_up("Same Name", "a long enough password").await;
    let (browser, _) = sign_in(&app, &provider, person(99, "Same Name")).await;
    assert_eq!(me(&app, &browser).await["username"], "Same Name (2)");
    assert_eq!(me(&app, &app.client).await["username"], "Same Name");
}

#[tokio::test]
async fn the_profile_endpoint_is_retried_after_a_server_error() {
    let (app, provider) = app_with_provider().await;
    provider.lock().unwrap().profile_failures = 2;
    let (browser, _) = sign_in(&app, &provider, person(5, "Patient")).await;
    assert_eq!(me(&app, &browser).await["username"], "Patient");
}

#[tokio::test]
async fn a_callback_state_works_once() {
    let (app, provider) = app_with_provider().await;
    provider.lock().unwrap().current = Some(person(11, "Replayer"));
    let browser = crate::common::browser();
    let to_provider = browser
        .get(app.url("/login/wikimedia"))
        .send()
        .await
        .unwrap();
    assert_eq!(to_provider.status(), 303);
    let location = to_provider.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.contains("code_challenge_method=S256"));
    assert!(location.contains("client_id=cxc-test-client"));
    let back = browser.get(&location).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(browser.get(&callback).send().await.unwrap().status(), 303);
    let replay = browser.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), 403);
    let forged = browser
        .get(app.url("/oauth/callback?code=x&state=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

#[tokio::test]
async fn without_configuration_wikimedia_sign_in_is_explained() {
    let app = TestApp::spawn().await;
    for page in ["/login", "/signup"] {
        let html = app.get(page).await.text().await.unwrap();
        assert!(
            !html.contains("/login/wikimedia"),
            "{page} offers only what works"
        );
    }
    let response = app.get("/login/wikimedia").await;
    assert_eq!(response.status(), 403);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(
            &app.state
                .i18n
                .text("en", "cxc-error-oauth-not-configured", &[])
        )
    );
}
