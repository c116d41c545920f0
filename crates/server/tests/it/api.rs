//! The JSON API skeleton: problem documents, credentials, the OpenAPI document.

use crate::common::TestApp;
use cxc::auth::{new_api_token, secret_hash};
use cxc::db::accounts::{self, NewAccount};
use cxc_core::Username;

async fn account_with_token(app: &TestApp, name: &str, admin: bool) -> String {
    let username = Username::parse(name).unwrap();
    let account = accounts::create(
        &app.state.db,
        NewAccount {
            username: &username,
            password_hash: None,
            is_admin: admin,
            wikimedia_sub: None,
        },
    )
    .await
    .unwrap();
    let token = new_api_token();
    accounts::create_token(&app.state.db, account.id, "test", &secret_hash(&token))
        .await
        .unwrap();
    token
}

#[tokio::test]
async fn me_without_credentials_is_a_translated_problem() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/me?uselang=ar").await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert!(response.headers().contains_key("www-authenticate"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    assert_eq!(body["status"], 401);
    assert_eq!(
        body["detail"],
        app.state.i18n.text("ar", "cxc-error-unauthorized", &[])
    );
    assert_ne!(
        body["detail"],
        app.state.i18n.text("en", "cxc-error-unauthorized", &[])
    );
}

#[tokio::test]
async fn me_with_a_bearer_token() {
    let app = TestApp::spawn().await;
    let token = account_with_token(&app, "Admin Person", true).await;
    let response = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["username"], "Admin Person");
    assert_eq!(body["roles"], serde_json::json!(["member", "admin"]));

    let response = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth("cxc_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
}

#[tokio::test]
async fn a_token_records_when_it_was_last_used() {
    let app = TestApp::spawn().await;
    let token = account_with_token(&app, "Busy Client", false).await;
    let last_used =
        || async { accounts::list_tokens(&app.state.db, None).await.unwrap()[0].last_used_at };
    let use_it = || async {
        let response = app
            .client
            .get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    };
    let pool = app.state.db.pool();
    let stored = |at: i64| async move {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1")
            .bind(at)
            .execute(pool)
            .await
            .unwrap();
    };
    assert_eq!(last_used().await, None);
    use_it().await;
    let first = last_used().await.expect("the first use is recorded");
    assert!(first > cxc::db::now() - 60 && first <= cxc::db::now());
    // Within the minute a use is not written again; after it, it is.
    let recent = cxc::db::now() - 30;
    stored(recent).await;
    use_it().await;
    assert_eq!(last_used().await, Some(recent));
    stored(cxc::db::now() - 120).await;
    use_it().await;
    assert!(last_used().await.unwrap() > cxc::db::now() - 60);
}

#[tokio::test]
async fn revoked_tokens_stop_working() {
    let app = TestApp::spawn().await;
    let token = account_with_token(&app, "Someone", false).await;
    let listed = accounts::list_tokens(&app.state.db, None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        accounts::revoke_token(&app.state.db, listed[0].id)
            .await
            .unwrap()
    );
    assert!(
        !accounts::revoke_token(&app.state.db, listed[0].id)
            .await
            .unwrap()
    );
    let response = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn unknown_api_routes_are_problems_too() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/nothing-here").await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn api_writes_with_a_session_cookie_must_be_json() {
    let app = TestApp::spawn().await;
    app.sign_up("Cookie User", "a long enough password").await;
    let response = app
        .client
        .post(app.url("/api/v1/me"))
        .form(&[("a", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "csrf_failed");
}

#[tokio::test]
async fn the_openapi_document_describes_the_routes() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let me = &doc["paths"]["/api/v1/me"]["get"];
    assert!(me["responses"]["200"].is_object());
    assert!(me["responses"]["401"]["content"]["application/problem+json"].is_object());
    assert!(doc["paths"]["/healthz"]["get"].is_object());
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

/// The OpenAPI document is a contract with every client generated from it: any change to it
/// shows in review as a change to `openapi.snapshot.json`. After an intended change, run
/// `CXC_UPDATE_SNAPSHOTS=1 scripts/test api::the_openapi_document_is_pinned` and commit the file.
#[tokio::test]
async fn the_openapi_document_is_pinned() {
    let app = TestApp::spawn().await;
    let mut doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    // Where this test server listens is not part of the contract.
    if let Some(obj) = doc.as_object_mut() {
        obj.remove("servers");
    }
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/openapi.snapshot.json");
    if std::env::var_os("CXC_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let pinned = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        pinned == text,
        "the OpenAPI document changed; if that is intended, run CXC_UPDATE_SNAPSHOTS=1 scripts/test api::the_openapi_document_is_pinned and commit {}",
        path.display()
    );
    let level = &doc["components"]["schemas"]["LanguageDoc"]["properties"]["level"];
    assert_eq!(level["oneOf"][0]["type"], "integer");
    assert_eq!(level["oneOf"][0]["maximum"], 5);
    assert_eq!(level["oneOf"][1]["enum"][0], "native");
    let score = &doc["components"]["schemas"]["MatchItem"]["properties"]["score"];
    assert_eq!(
        (score["minimum"].as_f64(), score["maximum"].as_f64()),
        (Some(0.0), Some(1.0))
    );
    let profile = &doc["components"]["schemas"]["PersonalData"]["properties"]["profile"];
    assert!(profile.to_string().contains("null"), "{profile}");
    let summary_level = &doc["components"]["schemas"]["LanguageSummary"]["properties"]["level"];
    assert_eq!(
        summary_level, level,
        "search results say levels as profiles do"
    );
    // Statuses any operation can answer are listed on every one of them.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            assert!(responses["400"].is_object(), "{method} {path} lists 400");
            if operation.get("requestBody").is_some() {
                assert!(responses["413"].is_object(), "{method} {path} lists 413");
                assert!(responses["422"].is_object(), "{method} {path} lists 422");
            }
        }
    }
}
