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

/// A browser behind a proxy that reports its address as `address`.
struct Behind {
    client: reqwest::Client,
    address: &'static str,
}

impl Behind {
    fn new(address: &'static str) -> Behind {
        Behind {
            client: browser(),
            address,
        }
    }

    async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let html = self
            .client
            .get(app.url(path))
            .header("x-forwarded-for", self.address)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = hidden_value(&html, "csrf_token").unwrap();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.client
            .post(app.url(path))
            .header("x-forwarded-for", self.address)
            .header("accept", "application/problem+json, application/json")
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    async fn sign_in(&self, app: &TestApp, username: &str, password: &str) -> u16 {
        let fields = [("username", username), ("password", password)];
        self.post(app, "/login", &fields).await.status().as_u16()
    }
}

async fn create_account(app: &TestApp, name: &str) {
    let hash = cxc::auth::hash_password(PASSWORD.to_owned()).await.unwrap();
    let username = cxc_core::Username::parse(name).unwrap();
    let new = cxc::db::accounts::NewAccount {
        username: &username,
        password_hash: Some(&hash),
        is_admin: false,
        wikimedia_sub: None,
    };
    cxc::db::accounts::create(&app.state.db, new).await.unwrap();
}

#[tokio::test]
async fn guessing_passwords_locks_out_neither_the_owner_nor_the_neighbours() {
    let app =
        TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    for name in ["Owner", "Colleague", "Second", "Third", "Fourth"] {
        create_account(&app, name).await;
    }
    let attacker = Behind::new("203.0.113.66");
    for name in ["Owner", "Second", "Third", "Fourth"] {
        for _ in 0..cxc::state::Limits::SIGN_INS_PER_ACCOUNT_AND_ADDRESS_PER_MINUTE {
            assert_eq!(attacker.sign_in(&app, name, "wrong guess!!").await, 401);
        }
    }
    let refused = attacker
        .post(
            &app,
            "/login",
            &[("username", "Owner"), ("password", PASSWORD)],
        )
        .await;
    let wait = crate::common::retry_after(&refused);

    // The owner, elsewhere, and a colleague behind the attacker's address still sign in.
    assert_eq!(
        Behind::new("198.51.100.7")
            .sign_in(&app, "Owner", PASSWORD)
            .await,
        303
    );
    assert_eq!(
        Behind::new("203.0.113.66")
            .sign_in(&app, "Colleague", PASSWORD)
            .await,
        303
    );

    // The attacker may try again once the wait is over, not before.
    assert_eq!(attacker.sign_in(&app, "Owner", "wrong guess!!").await, 429);
    app.state
        .clock
        .advance(std::time::Duration::from_secs(wait));
    assert_eq!(attacker.sign_in(&app, "Owner", "wrong guess!!").await, 401);
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let app = TestApp::spawn().await;
    create_account(&app, "Owner").await;
    for _ in 0..cxc::state::Limits::SIGN_INS_PER_ACCOUNT_AND_ADDRESS_PER_MINUTE {
        assert_eq!(
            Behind::new("203.0.113.66")
                .sign_in(&app, "Owner", "nope nope")
                .await,
            401
        );
    }
    // Without a trusted proxy, anyone could claim any address: the header is not believed.
    let status = Behind::new("198.51.100.7")
        .sign_in(&app, "Owner", PASSWORD)
        .await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let app =
        TestApp::spawn_with(|c| c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()]).await;
    let sign_up = |from: &'static str, name: String| {
        let app = &app;
        async move {
            let fields = [
                ("username", name.as_str()),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ];
            Behind::new(from).post(app, "/signup", &fields).await
        }
    };
    for i in 0..cxc::state::Limits::SIGN_UPS_PER_ADDRESS_PER_HOUR {
        let response = sign_up("192.0.2.10", format!("Newcomer {i}")).await;
        assert_eq!(response.status(), 303, "sign-up {i}");
    }
    let refused = sign_up("192.0.2.10", "One Too Many".into()).await;
    let wait = crate::common::retry_after(&refused);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "rate_limited");
    assert_eq!(
        sign_up("192.0.2.11", "Elsewhere".into()).await.status(),
        303
    );
    app.state
        .clock
        .advance(std::time::Duration::from_secs(wait));
    assert_eq!(
        sign_up("192.0.2.10", "One Too Many".into()).await.status(),
        303
    );
}

/// Reads until the server closes the connection; fails if it is still open after `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: std::time::Duration) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection is still open after {within:?}"
    );
    received
}

#[tokio::test]
async fn slow_and_idle_connections_are_let_go() {
    use tokio::io::AsyncWriteExt;
    let timeout = std::time::Duration::from_millis(300);
    let app = TestApp::spawn_with(|c| c.header_read_timeout = timeout).await;
    let bound = std::time::Duration::from_secs(10);

    // Headers that never end.
    let mut slow = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: cxc\r\nX-Slow: ")
        .await
        .unwrap();
    closed_within(&mut slow, bound).await;

    // A connection that says nothing at all.
    let mut silent = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    closed_within(&mut silent, bound).await;

    // A finished request is answered; the idle connection kept alive after it is then closed.
    let mut idle = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: cxc\r\n\r\n")
        .await
        .unwrap();
    let received = closed_within(&mut idle, bound).await;
    assert!(
        received.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&received)
    );
}

async fn assert_control_characters_refused(app: &TestApp, response: reqwest::Response, what: &str) {
    let status = response.status().as_u16();
    assert!(status == 400 || status == 422, "{what}: {status}");
    let body = response.text().await.unwrap();
    let message = app
        .state
        .i18n
        .text("en", "cxc-error-control-characters", &[]);
    assert!(body.contains(&message), "{what}: {body}");
}

#[tokio::test]
async fn control_characters_are_refused_the_same_way_on_both_engines() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/profiles/a%00b",
        "/people/a%00b",
        "/people?q=%00",
        "/api/v1/profiles?q=a%01b",
        "/people?q=a%C2%85b",
        "/api/v1/capacities?lang=%7F",
    ] {
        let response = app.get(path).await;
        assert_control_characters_refused(&app, response, path).await;
    }
    let token = app.csrf_token("/login").await;
    for (username, password) in [("ro\0ot", "whatever it is"), ("root", "pass\0word!!")] {
        let response = app
            .post_form(
                "/login",
                &[
                    ("csrf_token", &token),
                    ("username", username),
                    ("password", password),
                ],
            )
            .await;
        assert_control_characters_refused(&app, response, "the sign-in form").await;
    }

    let client = app.signed_in("Writer", false).await;
    let put = |body: serde_json::Value| {
        let client = client.clone();
        let url = app.url("/api/v1/me/profile");
        async move { client.put(url).json(&body).send().await.unwrap() }
    };
    let profile = |name: &str, bio: &str| serde_json::json!({"display_name": name, "bio": bio, "visibility": "public"});
    for (name, bio) in [
        ("Wri\0ter", "fine"),
        ("Wri\nter", "fine"),
        ("Writer", "a\0b"),
    ] {
        let response = put(profile(name, bio)).await;
        assert_eq!(response.status(), 422, "{name:?} / {bio:?}");
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            problem["errors"][0]["code"], "control_characters",
            "{problem}"
        );
    }
    let response = put(profile("Writer", "Two lines,\r\nand a\ttab.")).await;
    assert_eq!(response.status(), 200, "a multi-line bio keeps its lines");
    let response = app
        .post_as(
            &client,
            "/profile/edit",
            &[
                ("display_name", "Writer"),
                ("bio", "One\r\nTwo"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let response = app
        .post_as(
            &client,
            "/profile/edit",
            &[
                ("display_name", "Wri\tter"),
                ("bio", ""),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_control_characters_refused(&app, response, "a single-line form field").await;
    let asker = app.signed_in("Asker", false).await;
    asker
        .put(app.url("/api/v1/me/profile"))
        .json(&serde_json::json!({"display_name": "Asker"}))
        .send()
        .await
        .unwrap();
    let response = app
        .post_as(
            &asker,
            "/connections/new",
            &[("to", "Writer"), ("message", "Hello,\r\nwould you help?")],
        )
        .await;
    assert_eq!(response.status(), 303, "a message keeps its lines");
}

/// Every `<textarea>` keeps the lines a person typed: its field is one where line breaks
/// pass the control-character check (a message written over two lines was once refused).
#[test]
fn every_textarea_is_a_multi_line_field() {
    let mut seen = 0;
    for path in crate::common::template_files() {
        let html = std::fs::read_to_string(&path).unwrap();
        for textarea in html.split("<textarea").skip(1) {
            let tag = &textarea[..textarea.find('>').unwrap()];
            let name = tag
                .split("name=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("a textarea without a name in {}", path.display()));
            assert!(
                cxc::http::context::is_multi_line(name),
                "{name} in {} is a textarea",
                path.display()
            );
            seen += 1;
        }
    }
    assert!(seen >= 10, "the templates were read: {seen}");
}

#[tokio::test]
async fn look_alike_usernames_are_refused() {
    let app = TestApp::spawn().await;
    app.sign_up("root", PASSWORD).await;
    let token = app.csrf_token("/signup").await;
    for look_alike in ["r\u{43e}ot", "R\u{41e}\u{41e}T"] {
        let response = app
            .post_form(
                "/signup",
                &[
                    ("csrf_token", &token),
                    ("username", look_alike),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(response.status(), 422, "{look_alike}");
        let html = response.text().await.unwrap();
        let message = app
            .state
            .i18n
            .text("en", "cxc-error-username-confusable", &[]);
        assert!(html.contains(&message), "{look_alike}");
    }
    assert_eq!(cxc::db::accounts::count(&app.state.db).await.unwrap(), 1);

    // The command line refuses them too.
    let db = app.db.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cxc"))
            .args(["user", "add", "r\u{43e}ot"])
            .env("CXC_DATABASE_URL", db)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("looks too much like"), "{stderr}");
}

/// Look-alike names signing up at the same moment: one gets the name, every other is refused.
#[tokio::test]
async fn simultaneous_look_alike_sign_ups_let_only_one_through() {
    let app = TestApp::spawn().await;
    // `root` with Latin, Cyrillic (о U+043E) and Greek (ο U+03BF) o's: one skeleton, nine keys.
    let mut names = Vec::new();
    for first in ['o', '\u{43e}', '\u{3bf}'] {
        for second in ['o', '\u{43e}', '\u{3bf}'] {
            names.push(cxc_core::Username::parse(&format!("r{first}{second}t")).unwrap());
        }
    }
    let skeletons: std::collections::HashSet<String> = names.iter().map(|n| n.skeleton()).collect();
    assert_eq!(skeletons.len(), 1);
    let mut attempts = tokio::task::JoinSet::new();
    for name in names {
        let db = app.state.db.clone();
        attempts.spawn(async move {
            let new = cxc::db::accounts::NewAccount {
                username: &name,
                password_hash: None,
                is_admin: false,
                wikimedia_sub: None,
            };
            cxc::db::accounts::create(&db, new).await.is_ok()
        });
    }
    let created = attempts
        .join_all()
        .await
        .into_iter()
        .filter(|ok| *ok)
        .count();
    assert_eq!(created, 1);
    assert_eq!(cxc::db::accounts::count(&app.state.db).await.unwrap(), 1);
}

#[tokio::test]
async fn accounts_from_before_skeletons_get_theirs() {
    let db = crate::common::TestDb::new().await;
    let opened = cxc::db::Db::open(&db.url).await.unwrap();
    let username = cxc_core::Username::parse("Old Timer").unwrap();
    let new = cxc::db::accounts::NewAccount {
        username: &username,
        password_hash: None,
        is_admin: false,
        wikimedia_sub: None,
    };
    cxc::db::accounts::create(&opened, new).await.unwrap();
    sqlx::query("UPDATE accounts SET username_skeleton = NULL")
        .execute(opened.pool())
        .await
        .unwrap();
    opened.close().await;

    let reopened = cxc::db::Db::open(&db.url).await.unwrap();
    let skeleton: Option<String> = sqlx::query_scalar("SELECT username_skeleton FROM accounts")
        .fetch_one(reopened.pool())
        .await
        .unwrap();
    assert_eq!(skeleton, Some(username.skeleton()));
    reopened.close().await;
}

#[tokio::test]
async fn the_command_line_stops_quietly_when_its_reader_goes_away() {
    let app = TestApp::spawn().await;
    for i in 0..30 {
        // Without a password: hashing thirty would only slow the suite down.
        let username = cxc_core::Username::parse(&format!("Listed {i}")).unwrap();
        let new = cxc::db::accounts::NewAccount {
            username: &username,
            password_hash: None,
            is_admin: false,
            wikimedia_sub: None,
        };
        cxc::db::accounts::create(&app.state.db, new).await.unwrap();
    }
    let db = app.db.url.clone();
    for args in [
        &["user", "list"][..],
        &["export"][..],
        &["token", "list"][..],
    ] {
        let db = db.clone();
        let out = tokio::task::spawn_blocking(move || {
            // What `| head` leaves behind once it has read enough: a pipe nobody reads.
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            std::process::Command::new(env!("CARGO_BIN_EXE_cxc"))
                .args(args)
                .env("CXC_DATABASE_URL", db)
                .stdout(writer)
                .stderr(std::process::Stdio::piped())
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn a_panic_is_a_500_problem_and_poisons_nothing() {
    use tower::ServiceExt;
    let app = TestApp::spawn().await;
    let state = app.state.clone();
    let routes = cxc::http::router(app.state.clone()).merge(cxc::http::with_layers(
        axum::Router::new().route(
            "/api/v1/boom",
            axum::routing::get(move || {
                let state = state.clone();
                async move {
                    let _held = state.read_model_mut();
                    panic!("a bug while the read model is held");
                    #[allow(unreachable_code)]
                    ()
                }
            }),
        ),
        app.state.clone(),
    ));
    let problem = problem_in_process(routes.clone(), "/api/v1/boom", 500).await;
    assert_eq!(problem["code"], "internal");
    assert_eq!(
        problem["detail"],
        app.state.i18n.text("fr", "cxc-error-internal", &[])
    );

    // What the panicking request held is whole again for the next ones.
    let response = routes
        .oneshot(french_get("/api/v1/profiles?limit=1"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.get("/people").await.status(), 200);
}

/// A GET from a French-speaking client, for routes answered in process.
fn french_get(path: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::get(path)
        .header("accept-language", "fr")
        .body(axum::body::Body::empty())
        .unwrap()
}

/// Answers a French GET in process and returns its problem document, failing unless the
/// answer is one with this status.
async fn problem_in_process(routes: axum::Router, path: &str, status: u16) -> serde_json::Value {
    use tower::ServiceExt;
    let response = routes.oneshot(french_get(path)).await.unwrap();
    assert_eq!(response.status().as_u16(), status, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{path}"
    );
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// Fails unless `response` is a problem document with this status and code, in French.
async fn assert_problem(app: &TestApp, response: reqwest::Response, status: u16, code: &str) {
    let what = response.url().to_string();
    assert_eq!(response.status().as_u16(), status, "{what}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["code"], code, "{what}: {problem}");
    assert_eq!(problem["status"], status, "{what}");
    let title = app.state.i18n.text(
        "fr",
        &format!("cxc-problem-{}", code.replace('_', "-")),
        &[],
    );
    assert_eq!(problem["title"], title, "{what}: a translated title");
    assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

#[tokio::test]
async fn every_error_is_a_translated_problem_document() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("Asker", false).await;
    let get = |path: &str| {
        let request = client.get(app.url(path)).header("accept-language", "fr");
        async move { request.send().await.unwrap() }
    };
    for path in [
        "/api/v1/me/matches?limit=abc",
        "/api/v1/me/matches?limit=-1",
        "/api/v1/profiles/%FF%FE",
        "/api/v1/me/matches?limit=1&limit=2",
    ] {
        assert_problem(&app, get(path).await, 400, "bad_request").await;
    }
    let long = format!("/api/v1/profiles?q={}", "a".repeat(10_000));
    assert_problem(&app, get(&long).await, 414, "uri_too_long").await;

    let response = client
        .delete(app.url("/api/v1/capacities"))
        .header("accept-language", "fr")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("allow"));
    assert_problem(&app, response, 405, "method_not_allowed").await;

    let huge = serde_json::json!({"display_name": "Asker", "bio": "x".repeat(3 << 20)});
    let response = client
        .put(app.url("/api/v1/me/profile"))
        .header("accept-language", "fr")
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_problem(&app, response, 413, "payload_too_large").await;

    // Pages outside the API answer browsers with a page, and JSON clients with a problem.
    let response = app
        .client
        .get(app.url("/people/%FF"))
        .header("accept", "application/json")
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert_problem(&app, response, 400, "bad_request").await;
    let response = app.get("/people/%FF").await;
    assert_eq!(response.status(), 400);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

/// A method no route takes is 405, and an unknown path 404 whatever the method: neither is
/// mistaken for a forged form (the CSRF tests in accounts.rs show the check still runs).
#[tokio::test]
async fn a_method_no_route_takes_is_405_and_a_path_none_takes_404() {
    let app = TestApp::spawn().await;
    for (method, path) in [("PUT", "/healthz"), ("PATCH", "/api/v1/me")] {
        let response = app
            .client
            .request(method.parse().unwrap(), app.url(path))
            .header("accept-language", "fr")
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert!(response.headers().contains_key("allow"), "{method} {path}");
        assert_problem(&app, response, 405, "method_not_allowed").await;
    }
    // TRACE and other methods that change nothing need no token to be told 405.
    let response = app
        .client
        .request("TRACE".parse().unwrap(), app.url("/map"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let response = app.client.put(app.url("/nowhere")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn search_flags_take_true_or_false_only() {
    let app = TestApp::spawn().await;
    for (value, status) in [
        ("true", 200),
        ("1", 200),
        ("false", 200),
        ("0", 200),
        ("null", 422),
    ] {
        let response = app
            .get(&format!("/api/v1/profiles?available={value}"))
            .await;
        assert_eq!(response.status(), status, "available={value}");
        if status == 422 {
            let problem: serde_json::Value = response.json().await.unwrap();
            assert_eq!(problem["errors"][0]["field"], "available", "{problem}");
        }
    }
}

#[tokio::test]
async fn a_request_that_times_out_is_a_problem_document() {
    let app =
        TestApp::spawn_with(|c| c.request_timeout = std::time::Duration::from_millis(50)).await;
    // A handler that never answers, under the same layers as every route: only the timeout
    // can end it, whatever the machine's speed.
    let routes = cxc::http::with_layers(
        axum::Router::new().route(
            "/api/v1/never",
            axum::routing::get(std::future::pending::<()>),
        ),
        app.state.clone(),
    );
    let problem = problem_in_process(routes, "/api/v1/never", 408).await;
    assert_eq!(problem["code"], "timeout");
    assert_eq!(problem["status"], 408);
}

#[tokio::test]
async fn headers_say_what_may_be_cached_and_how_to_connect() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("Cached Person", false).await;
    let put = client
        .put(app.url("/api/v1/me/profile"))
        .json(&serde_json::json!({"display_name": "Cached Person", "visibility": "public"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);

    // Negotiated documents vary on Accept.
    for accept in ["application/json", "application/ld+json"] {
        let response = browser()
            .get(app.url("/api/v1/profiles/Cached_Person"))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let vary = response.headers()["vary"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        assert!(vary.contains("accept"), "{accept}: {vary}");
    }

    // Personal pages and exports are not stored by any cache.
    for path in [
        "/account",
        "/profile/edit",
        "/account/export.json",
        "/api/v1/me",
        "/",
    ] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }

    // An asset cached for a year by everyone carries nobody's cookie.
    let html = browser()
        .get(app.url("/about"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let css = html
        .split("href=\"")
        .find_map(|s| s.split('"').next().filter(|u| u.ends_with(".css")))
        .unwrap();
    for visitor in [browser(), client.clone()] {
        let response = visitor.get(app.url(css)).send().await.unwrap();
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert!(!response.headers().contains_key("set-cookie"), "{css}");
    }

    // Metrics are private unless asked for; HSTS only where the site is https.
    assert_eq!(app.get("/metrics").await.status(), 404);
    assert!(
        !app.get("/")
            .await
            .headers()
            .contains_key("strict-transport-security")
    );
    let https = TestApp::spawn_with(|c| c.base_url = "https://cxc.example".into()).await;
    let response = https.get("/").await;
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}
