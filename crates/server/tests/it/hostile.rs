//! Hostile input: script in every free-text field, read back through every surface that shows
//! it (HTML pages, JSON and JSON-LD, SKOS Turtle, iCalendar, CSV); metacharacters in searches;
//! path traversal on static files; input that is too long or not text at all.

use std::collections::BTreeMap;
use std::io::Write as _;

use cxc::db::Db;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{TestApp, TestDb, call, router_routes, session_client};

/// What an attacker types: a script, an attribute breakout, an image that runs code, a CDATA
/// end, and Banana syntax, which user text must never be run through.
const SCRIPT: &str =
    "<script>alert(1)</script>\"'><img src=x onerror=alert(2)> {{PLURAL:$1|a}} $1 ]]>";

/// What a page shows of the SCRIPT as it is, unformatted (the `>` after it is escaped).
const INERT: &str = "{{PLURAL:$1|a}} $1 ]]&";

/// One-line text with a tag of its own, so that each field can be found where it is shown.
fn line(tag: &str) -> String {
    format!("{tag} {SCRIPT}")
}

/// Many-line text that also tries to forge calendar entries and spreadsheet formulas.
fn lines(tag: &str) -> String {
    format!(
        "{tag} {SCRIPT}\nBEGIN:VEVENT\nSUMMARY:forged\nEND:VEVENT\n=cmd|' /C calc'!A0\n@SUM(1)\n{SCRIPT}"
    )
}

/// Everything the sweep made, by the name routes use for it.
struct Made {
    ids: BTreeMap<&'static str, i64>,
    /// Where each tagged field should be seen (HTML or JSON), by tag.
    tags: Vec<(&'static str, String)>,
}

async fn ok(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    body: Value,
) -> Value {
    let (status, answer) = call(client, method.clone(), app.url(path), Some(body)).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path} refused hostile but valid text ({status}): {answer}"
    );
    answer
}

/// A database whose taxonomy and organizations carry hostile text, brought in by an import.
async fn imported() -> TestDb {
    let db = TestDb::new().await;
    let database = Db::open(&db.url).await.unwrap();
    let reference = cxc::reference::Reference::load().unwrap();
    let i18n = cxc::i18n::I18n::load().unwrap();
    cxc::interchange::load_default_taxonomy(&database, &reference, &i18n)
        .await
        .unwrap();
    let records = [
        json!({"type": "capacity", "key": "zz-hostile", "parent": null,
               "labels": {"en": line("zq01"), "ar": line("zq02")},
               "descriptions": {"en": lines("zq03")}, "qid": null}),
        json!({"type": "organization", "key": "EVIL", "kind": "user_group",
               "names": {"en": line("zq04")}, "description": {"en": lines("zq05")},
               "countries": ["KE"], "offered": ["zz-hostile"]}),
    ];
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for record in records {
        writeln!(file, "{record}").unwrap();
    }
    let source = cxc::interchange::open_file(file.path()).unwrap();
    cxc::interchange::import(&database, &reference, &i18n, vec![source], &|_| {})
        .await
        .expect("hostile but valid records import");
    database.close().await;
    db
}

/// Fills every kind of free text there is, through the API and the forms.
async fn fill(
    app: &TestApp,
    ana: &reqwest::Client,
    ben: &reqwest::Client,
    admin: &reqwest::Client,
) -> Made {
    use Method as M;
    let mut ids = BTreeMap::new();
    let created = app
        .post_as(
            admin,
            "/organizations/new",
            &[
                ("key", "MEAN"),
                ("kind", "chapter"),
                ("name", &line("zq28")),
                ("description", &lines("zq29")),
                ("website", ""),
                ("meta_page", ""),
                ("managers", "Ana"),
            ],
        )
        .await;
    assert_eq!(
        created.status(),
        303,
        "an organization with a hostile name is made"
    );
    ok(
        ana,
        app,
        M::PUT,
        "/api/v1/me/profile",
        json!({
            "display_name": line("zq06"), "bio": lines("zq07"), "pronouns": "<b>zq08</b>\"'>",
            "country": "KE", "languages": [{"code": "en", "level": 4}],
            "wanted": ["zz-hostile"], "affiliations": ["EVIL", "MEAN"],
        }),
    )
    .await;
    ok(ben, app, M::PUT, "/api/v1/me/profile", json!({
        "display_name": line("zq09"), "country": "KE", "languages": [{"code": "en", "level": 4}],
        "known": ["zz-hostile", "wikidata-sparql"], "offered": ["zz-hostile", "wikidata-sparql"],
    }))
    .await;
    let post = ok(
        ana,
        app,
        M::POST,
        "/api/v1/posts",
        json!({
            "kind": "ask", "title": line("zq10"), "body": lines("zq11"),
            "capacities": ["zz-hostile"], "organization": "MEAN",
        }),
    )
    .await;
    ids.insert("posts", post["id"].as_i64().unwrap());
    let year = app.state.clock.today().year() + 1;
    let event = ok(
        ana,
        app,
        M::POST,
        "/api/v1/events",
        json!({
            "title": format!("=HYPERLINK(\"http://evil.example\",\"x\") zq12 {SCRIPT}"),
            "description": lines("zq13"), "kind": "clinic", "capacities": ["zz-hostile"],
            "languages": ["en"], "online": false, "country": "KE", "city": "+SUM(1) zq14 <i>",
            "start": format!("{year}-01-14T18:00"), "end": format!("{year}-01-14T19:30"),
            "timezone": "Africa/Nairobi", "organization": "MEAN",
        }),
    )
    .await;
    ids.insert("events", event["id"].as_i64().unwrap());
    let today = app.state.clock.today();
    let programme = ok(
        ana,
        app,
        M::POST,
        "/api/v1/programmes",
        json!({
            "name": line("zq15"), "description": lines("zq16"), "capacities": ["zz-hostile"],
            "languages": ["en"], "registration_opens": today.to_string(),
            "registration_closes": (today + time::Duration::days(10)).to_string(),
            "mentee_questions": [line("zq17")], "organization": "MEAN",
        }),
    )
    .await;
    let programme = programme["id"].as_i64().unwrap();
    ids.insert("programmes", programme);
    ok(
        ben,
        app,
        M::POST,
        &format!("/api/v1/programmes/{programme}/applications"),
        json!({"role": "mentee", "answers": [lines("zq18")]}),
    )
    .await;
    let connection = ok(
        ana,
        app,
        M::POST,
        "/api/v1/connections",
        json!({
            "to": "Ben", "capacity": "zz-hostile", "message": lines("zq19"),
        }),
    )
    .await;
    let connection = connection["id"].as_i64().unwrap();
    ids.insert("connections", connection);
    let base = format!("/api/v1/connections/{connection}");
    ok(
        ben,
        app,
        M::POST,
        &format!("{base}/answer"),
        json!({"action": "accept"}),
    )
    .await;
    ok(
        ana,
        app,
        M::POST,
        &format!("{base}/messages"),
        json!({"body": lines("zq20")}),
    )
    .await;
    for client in [ana, ben] {
        ok(
            client,
            app,
            M::POST,
            &format!("{base}/complete"),
            Value::Null,
        )
        .await;
    }
    ok(
        ana,
        app,
        M::POST,
        &format!("{base}/thanks"),
        json!({"body": line("zq21"), "public": true}),
    )
    .await;
    ok(
        ben,
        app,
        M::POST,
        &format!("{base}/thanks/shown"),
        json!({"shown": true}),
    )
    .await;
    let cohort = ok(
        ana,
        app,
        M::POST,
        "/api/v1/cohorts",
        json!({
            "name": line("zq22"), "description": lines("zq23"), "capacity": "zz-hostile",
            "language": "en", "organization": "MEAN", "members": ["Ben"],
        }),
    )
    .await;
    let cohort = cohort["id"].as_i64().unwrap();
    ids.insert("cohorts", cohort);
    ok(
        ben,
        app,
        M::POST,
        &format!("/api/v1/cohorts/{cohort}/answer"),
        json!({"action": "accept"}),
    )
    .await;
    ok(
        ana,
        app,
        M::POST,
        &format!("/api/v1/cohorts/{cohort}/messages"),
        json!({"body": lines("zq24")}),
    )
    .await;
    let report = ok(
        ben,
        app,
        M::POST,
        "/api/v1/reports",
        json!({
            "target": "profile", "id": "Ana", "reason": "spam", "details": lines("zq25"),
        }),
    )
    .await;
    ids.insert("reports", report["id"].as_i64().unwrap());
    let suggested = app
        .post_as(
            ana,
            "/capacities/suggest",
            &[
                ("label", &line("zq26")),
                ("description", &lines("zq27")),
                ("parent", ""),
            ],
        )
        .await;
    assert_eq!(suggested.status(), 303, "a hostile suggestion is taken");

    let tags = [
        ("zq01", "/capacities/zz-hostile"),
        ("zq02", "/capacities/zz-hostile?uselang=ar"),
        ("zq03", "/capacities/zz-hostile"),
        ("zq04", "/organizations/EVIL"),
        ("zq05", "/organizations/EVIL"),
        ("zq06", "/people/Ana"),
        ("zq07", "/people/Ana"),
        ("zq08", "/people/Ana"),
        ("zq09", "/people/Ben"),
        ("zq10", "/posts/{posts}"),
        ("zq11", "/posts/{posts}"),
        ("zq12", "/events/{events}"),
        ("zq13", "/events/{events}"),
        ("zq14", "/events/{events}"),
        ("zq15", "/programmes/{programmes}"),
        ("zq16", "/programmes/{programmes}"),
        ("zq19", "/connections/{connections}"),
        ("zq20", "/connections/{connections}"),
        ("zq21", "/people/Ben"),
        ("zq22", "/cohorts/{cohorts}"),
        ("zq23", "/cohorts/{cohorts}"),
        ("zq24", "/cohorts/{cohorts}"),
        ("zq25", "/admin/reports"),
        ("zq26", "/admin/capacities"),
        ("zq28", "/organizations/MEAN"),
        ("zq29", "/organizations/MEAN"),
        ("zq28", "/posts/{posts}"),
    ];
    Made {
        tags: tags
            .iter()
            .map(|(tag, path)| (*tag, path.to_string()))
            .collect(),
        ids,
    }
}

/// A route's path with its parameters filled from what was made, or `None` when the sweep
/// has nothing to put there.
fn filled(path: &str, made: &Made, stylesheet: &str) -> Option<String> {
    let mut out = path.to_owned();
    for (name, id) in &made.ids {
        if path.contains(&format!("/{name}/{{id}}")) {
            out = out.replace("{id}", &id.to_string());
        }
    }
    let key = if path.contains("/organizations/") {
        "EVIL"
    } else {
        "zz-hostile"
    };
    out = out
        .replace("{username}", "Ana")
        .replace("{slug}", "zz-hostile")
        .replace("{key}", key)
        .replace("/static/{file}", stylesheet);
    for (name, id) in &made.ids {
        out = out.replace(&format!("{{{name}}}"), &id.to_string());
    }
    (!out.contains('{')).then_some(out)
}

/// What makes a response unsafe to show, by its type; `None` when it is inert.
fn danger(content_type: &str, body: &str) -> Option<String> {
    let raw = ["<script>alert", "<img src=x", "<b>zq08", "<i>"];
    if content_type.starts_with("text/html") {
        if let Some(found) = raw.iter().find(|r| body.contains(*r)) {
            return Some(format!("unescaped {found:?}"));
        }
        let mut rest = body;
        while let Some(at) = rest.find("<script") {
            rest = &rest[at..];
            let open_end = rest.find('>').map_or(rest.len(), |i| i + 1);
            let open = &rest[..open_end];
            let close = rest.find("</script>").unwrap_or(rest.len());
            let inside = &rest[open_end.min(close)..close];
            if open.contains("application/ld+json") {
                if let Err(e) = serde_json::from_str::<Value>(inside) {
                    return Some(format!("JSON-LD that does not parse ({e}): {inside}"));
                }
            } else if !open.contains(" src=") || !inside.trim().is_empty() {
                return Some(format!("a script that is not cxc's own: {open}{inside}"));
            }
            rest = rest[close..].get(1..).unwrap_or("");
        }
    } else if content_type.contains("json") {
        if let Err(e) = serde_json::from_str::<Value>(body) {
            return Some(format!("JSON that does not parse: {e}"));
        }
    } else if content_type.starts_with("text/csv") {
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        for record in reader.records() {
            let record = match record {
                Ok(record) => record,
                Err(e) => return Some(format!("CSV that does not parse: {e}")),
            };
            if let Some(cell) = record.iter().find(|c| {
                c.starts_with(['=', '+', '-', '@', '\t', '\r']) && c.parse::<f64>().is_err()
            }) {
                return Some(format!("a cell a spreadsheet would run: {cell:?}"));
            }
        }
    } else if content_type.starts_with("text/calendar") {
        let unfolded = body.replace("\r\n ", "").replace("\r\n\t", "");
        let lines: Vec<&str> = unfolded.split("\r\n").collect();
        let count = |prefix: &str| lines.iter().filter(|l| l.starts_with(prefix)).count();
        if lines.iter().any(|l| l.starts_with("SUMMARY:forged"))
            || count("BEGIN:VEVENT") != count("UID:")
        {
            return Some("a forged calendar entry".to_owned());
        }
        if lines.iter().any(|l| !l.is_empty() && !l.contains(':')) {
            return Some("a calendar line that is not a property".to_owned());
        }
    } else if content_type.starts_with("text/turtle") {
        // The description has quotes and line breaks: a Turtle string carries them escaped.
        let escaped = lines("zq03")
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        if body.contains("zq03") && !body.contains(&escaped) {
            return Some("a Turtle literal left unescaped".to_owned());
        }
    } else if content_type.starts_with("image/svg")
        && (body.contains("<script") || body.contains("onload="))
    {
        return Some("script in an SVG".to_owned());
    }
    None
}

/// A server full of hostile text, its callers, and every GET route with its parameters filled.
struct Hostile {
    app: TestApp,
    ana: reqwest::Client,
    ben: reqwest::Client,
    admin: reqwest::Client,
    made: Made,
    stylesheet: String,
    /// The GET routes' filled paths, from the OpenAPI document and the router.
    urls: Vec<String>,
    document: Value,
}

impl Hostile {
    async fn new() -> Hostile {
        let app = TestApp::spawn_on(imported().await, |_| {}).await;
        let ana = app.signed_in("Ana", false).await;
        let ben = app.signed_in("Ben", false).await;
        let admin = app.signed_in("Root", true).await;
        let made = fill(&app, &ana, &ben, &admin).await;
        let stylesheet = stylesheet(&app).await;
        let document = app.openapi().await;
        let mut paths: Vec<String> = document["paths"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, ops)| ops.get("get").is_some())
            .map(|(path, _)| path.clone())
            .collect();
        paths.extend(
            router_routes()
                .into_iter()
                .filter(|(_, _, methods)| methods.contains(&"GET"))
                .map(|(_, path, _)| path),
        );
        paths.sort();
        paths.dedup();
        let unfilled: Vec<&String> = paths
            .iter()
            .filter(|p| filled(p, &made, &stylesheet).is_none())
            .collect();
        assert!(
            unfilled.is_empty(),
            "GET routes the sweep cannot reach: {unfilled:?}"
        );
        let urls = paths
            .iter()
            .filter_map(|p| filled(p, &made, &stylesheet))
            .collect();
        Hostile {
            document,
            app,
            ana,
            ben,
            admin,
            made,
            stylesheet,
            urls,
        }
    }
}

#[tokio::test]
async fn hostile_text_is_inert_on_every_surface() {
    let Hostile {
        app,
        ana,
        ben,
        admin,
        made,
        stylesheet,
        urls,
        ..
    } = Hostile::new().await;
    let searches = [
        "/people?q=zq06",
        "/api/v1/profiles?q=zq06",
        "/posts?q=zq10",
        "/api/v1/posts?q=zq10",
        "/events?capacity=zz-hostile",
        "/map?capacity=zz-hostile",
        "/dashboard?capacity=zz-hostile",
        "/people?offers=zz-hostile",
        "/api/v1/stats/map?level=country&capacity=zz-hostile",
    ];
    let mut urls = urls;
    urls.extend(searches.iter().map(|s| s.to_string()));
    let clients = [
        ("anonymous", &session_client(None)),
        ("Ana", &ana),
        ("Ben", &ben),
        ("admin", &admin),
    ];
    let mut problems = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for url in &urls {
        for lang in ["en", "ar"] {
            let url = format!(
                "{url}{}uselang={lang}",
                if url.contains('?') { '&' } else { '?' }
            );
            for (who, client) in clients {
                for accept in [
                    "text/html",
                    "application/json",
                    "application/ld+json",
                    "*/*",
                ] {
                    let response = client
                        .get(app.url(&url))
                        .header("accept", accept)
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    let content_type = response
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let body = response.text().await.unwrap_or_default();
                    if status >= 500 {
                        problems.push(format!("{who} GET {url} ({accept}): {status}"));
                    } else if let Some(danger) = danger(&content_type, &body) {
                        problems.push(format!(
                            "{who} GET {url} ({accept}, {content_type}): {danger}"
                        ));
                    }
                    if status == 200 && accept == "text/html" && lang == "en" && who != "anonymous"
                    {
                        let entry = seen
                            .entry(url.replace("?uselang=en", "").replace("&uselang=en", ""))
                            .or_default();
                        entry.push_str(&body);
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} unsafe answers:\n{}",
        problems.len(),
        problems.join("\n")
    );

    // The texts were shown, not dropped: each where it belongs, escaped, and not formatted.
    for (tag, path) in &made.tags {
        let path = filled(path, &made, &stylesheet).unwrap();
        let page = match seen.get(&path) {
            Some(page) => page.clone(),
            None => followed(&admin, &app, &path).await,
        };
        assert!(
            page.contains(tag) && page.contains(INERT),
            "{tag} is shown, escaped, on {path}: {}",
            page.find(tag).map_or("(absent)", |i| &page
                [i.saturating_sub(100)..(i + 300).min(page.len())])
        );
    }
    for (path, tag) in [
        ("/opendata/events.csv", "zq12"),
        ("/events.ics", "zq13"),
        ("/api/v1/capacities/skos.ttl", "zq01"),
        ("/api/v1/capacities/skos.jsonld", "zq03"),
    ] {
        let body = app.get(path).await.text().await.unwrap();
        assert!(body.contains(tag), "{path} carries {tag}");
    }
    let csv = app.get("/opendata/events.csv").await.text().await.unwrap();
    assert!(
        csv.contains("\"'=HYPERLINK(") && csv.contains(",'+SUM(1) zq14"),
        "{csv}"
    );
}

#[tokio::test]
async fn searches_take_any_characters_literally() {
    let app = TestApp::spawn().await;
    for name in ["Ana", "Ben"] {
        let client = app.signed_in(name, false).await;
        let (status, _) = call(&client, Method::PUT, app.url("/api/v1/me/profile"),
            Some(json!({"display_name": format!("{name} Wikidata"), "languages": [{"code": "en", "level": 3}]}))).await;
        assert_eq!(status, 200);
    }
    let long = "a".repeat(5000);
    let hostile = [
        "' OR '1'='1",
        "\" OR 1=1 --",
        "%",
        "_",
        "%%",
        ".*",
        "(",
        ")",
        "[",
        "\\",
        "*",
        "?",
        "~2",
        "^",
        "title:x AND (",
        "+-!",
        "\u{0}",
        "\u{202e}",
        "😀",
        "ana*",
        &long,
    ];
    let anonymous = session_client(None);
    for q in hostile {
        for path in ["/api/v1/profiles", "/api/v1/posts", "/people", "/posts"] {
            let url = format!(
                "{}?{}",
                app.url(path),
                serde_urlencoded::to_string([("q", q)]).unwrap()
            );
            let response = anonymous.get(&url).send().await.unwrap();
            let status = response.status().as_u16();
            let is_problem = response
                .headers()
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap().starts_with("application/problem+json"));
            let body = response.text().await.unwrap();
            assert!(
                status == 200
                    || (status == 400
                        && (is_problem
                            || path.starts_with("/people")
                            || path.starts_with("/posts"))),
                "{path} q={q:.40?}: {status} {body:.300}"
            );
            if status == 200 && path == "/api/v1/profiles" {
                let found: Value = serde_json::from_str(&body).unwrap();
                let total = found["total"].as_u64().unwrap();
                assert!(
                    total == 0 || q == "ana*" || q.contains('\u{202e}'),
                    "q={q:.40?} is text to find, not a pattern: {total} found"
                );
            }
        }
    }
}

/// A page's text, after the redirects that lead to it (a capacity's key to its slug), in the
/// language the path asks for or else in English.
async fn followed(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let lang = if path.contains("uselang=ar") {
        "ar"
    } else {
        "en"
    };
    let mut path = path.to_owned();
    for _ in 0..3 {
        let url = app.url(&path);
        let response = client
            .get(&url)
            .query(&[("uselang", lang)])
            .send()
            .await
            .unwrap();
        match response.headers().get("location") {
            Some(to) if response.status().is_redirection() => {
                path = to.to_str().unwrap().to_owned()
            }
            _ => return response.text().await.unwrap(),
        }
    }
    panic!("{path} redirects in a loop");
}

/// The stylesheet's address, which carries a hash of its content.
async fn stylesheet(app: &TestApp) -> String {
    let home = app.get("/").await.text().await.unwrap();
    let at = home
        .find("/static/style.")
        .expect("the home page links its stylesheet");
    let end = home[at..].find('"').unwrap();
    home[at..at + end].to_owned()
}

/// Sends a request line as it is, without a client tidying the path first.
async fn raw_get(app: &TestApp, target: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        app.addr
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn static_files_never_leave_their_folder() {
    let app = TestApp::spawn().await;
    let (status, _) = raw_get(&app, &stylesheet(&app).await).await;
    assert_eq!(status, 200);
    for target in [
        "/static/../Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/%2e%2e%2fCargo.toml",
        "/static/%2e%2e/%2e%2e/Cargo.toml",
        "/static/..%5c..%5cCargo.toml",
        "/static/..\\..\\Cargo.toml",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/.%2e/.%2e/README.md",
        "/static/style.css%00.txt",
        "/static/%c0%ae%c0%ae%2fCargo.toml",
        "/static/..",
        "/static/.",
        "/static/",
    ] {
        let (status, text) = raw_get(&app, target).await;
        assert!((400..500).contains(&status), "{target}: {status}");
        assert!(
            !text.contains("[package]") && !text.contains("root:") && !text.contains("# cxc"),
            "{target} gave away a file: {text:.300}"
        );
    }
}

#[tokio::test]
async fn input_that_is_too_long_or_not_text_is_refused_with_a_problem() {
    let app = TestApp::spawn().await;
    let ana = app.signed_in("Ana", false).await;
    let (status, _) = call(
        &ana,
        Method::PUT,
        app.url("/api/v1/me/profile"),
        Some(json!({"display_name": "Ana", "languages": [{"code": "en", "level": 3}]})),
    )
    .await;
    assert_eq!(status, 200);
    let post = |title: String, body: String| json!({"kind": "ask", "title": title, "body": body, "capacities": ["wikidata-sparql"]});
    for (what, body, field) in [
        (
            "a title one character too long",
            post("t".repeat(151), String::new()),
            "title",
        ),
        (
            "a body one character too long",
            post("Help".into(), "b".repeat(5001)),
            "body",
        ),
        (
            "a title with a NUL",
            post("Help\u{0}me".into(), String::new()),
            "title",
        ),
        (
            "a title with a line break",
            post("Help\nme".into(), String::new()),
            "title",
        ),
        (
            "a body with an escape sequence",
            post("Help".into(), "\u{1b}[2J".into()),
            "body",
        ),
    ] {
        let (status, problem) =
            call(&ana, Method::POST, app.url("/api/v1/posts"), Some(body)).await;
        assert_eq!(status, 422, "{what}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{what}: {problem}");
        assert!(
            !problem["detail"].as_str().unwrap_or_default().is_empty(),
            "{what} is explained"
        );
    }
    for (what, bytes, content_type) in [
        (
            "JSON that is not UTF-8",
            b"{\"title\": \"\xff\xfe\"}".to_vec(),
            "application/json",
        ),
        (
            "JSON cut short",
            b"{\"title\": \"Hel".to_vec(),
            "application/json",
        ),
        (
            "JSON nested beyond reason",
            [b"[".repeat(10_000), b"]".repeat(10_000)].concat(),
            "application/json",
        ),
        (
            "a body far over the limit",
            vec![b' '; 8 * 1024 * 1024],
            "application/json",
        ),
    ] {
        let response = ana
            .post(app.url("/api/v1/posts"))
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let problem_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(status == 400 || status == 413, "{what}: {status}");
        assert!(
            problem_type.starts_with("application/problem+json"),
            "{what}: {problem_type}"
        );
    }
    let (status, posts) = call(&ana, Method::GET, app.url("/api/v1/posts"), None).await;
    assert_eq!(
        (status, posts["items"].as_array().map(Vec::len)),
        (200, Some(0)),
        "nothing refused was stored"
    );
}

/// Query strings an attacker or a broken client sends: known parameters with values of every
/// kind, unknown ones, repeats, and bytes that are not valid percent-encoding or UTF-8.
fn query_strings(names: Vec<String>) -> impl Strategy<Value = String> {
    let name = prop_oneof![
        6 => prop::sample::select(names),
        1 => "[a-z_\\[\\]]{1,8}",
    ];
    let value = prop_oneof![
        "[a-z0-9-]{0,12}",
        "-?[0-9]{1,25}",
        Just("true".to_owned()),
        Just("none".to_owned()),
        Just("wikidata-sparql".to_owned()),
        Just("zz-hostile".to_owned()),
        Just("KE".to_owned()),
        Just("r9999999999999999999-1".to_owned()),
        "\\PC{0,10}",
        "(%[0-9A-Fa-fZz]{0,2}){1,4}",
        Just("%C0%AE%FF%FE%00".to_owned()),
    ];
    let pair = prop_oneof![
        8 => (name.clone(), value).prop_map(|(n, v)| {
            let v: String = v.chars().map(|c| match c {
                '&' | '#' | ' ' | '+' => '_',
                c => c,
            }).collect();
            if v.contains('%') { format!("{n}={v}") } else { format!("{n}={}", percent(&v)) }
        }),
        1 => name.prop_map(|n| n.to_string()),
        1 => Just("=".to_owned()),
    ];
    prop::collection::vec(pair, 0..6).prop_map(|pairs| pairs.join("&"))
}

fn percent(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Form bodies: fields forms have and fields they do not, repeated, empty, long, or not text.
fn form_bodies() -> impl Strategy<Value = Vec<u8>> {
    let name = prop::sample::select(vec![
        "title",
        "body",
        "kind",
        "capacity",
        "capacities",
        "language",
        "languages",
        "level",
        "display_name",
        "bio",
        "country",
        "action",
        "status",
        "message",
        "to",
        "role",
        "mode",
        "name",
        "description",
        "start",
        "end",
        "timezone",
        "key",
        "parent",
        "label",
        "label_en",
        "reason",
        "details",
        "target",
        "id",
        "want",
        "members",
        "managers",
        "answers",
        "return",
        "public",
        "shown",
        "until",
        "note",
        "organization",
        "x",
    ]);
    let value = prop_oneof![
        "[a-z0-9 -]{0,12}",
        "-?[0-9]{1,20}",
        Just("wikidata-sparql".to_owned()),
        Just("accept".to_owned()),
        Just("Ben".to_owned()),
        Just("2027-01-14T18:00".to_owned()),
        "\\PC{0,20}",
        Just("x".repeat(6000)),
    ];
    let pair = (name, value).prop_map(|(n, v)| format!("{n}={}", percent(&v)).into_bytes());
    let junk = prop_oneof![
        Just(b"%".to_vec()),
        Just(b"%zz=%ff".to_vec()),
        Just(b"title=\xff\xfe".to_vec()),
        Just(b"==&&=".to_vec()),
    ];
    prop::collection::vec(prop_oneof![8 => pair, 1 => junk], 0..8)
        .prop_map(|parts| parts.join(&b'&'))
}

/// Cases drawn with a fixed seed, so a failure is the same on the next run.
fn cases<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

#[tokio::test]
async fn any_query_or_form_is_answered_without_a_server_error() {
    let world = Hostile::new().await;
    let app = &world.app;
    let mut names: Vec<String> = world.document["paths"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|ops| ops["get"]["parameters"].as_array())
        .flatten()
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .chain(
            [
                "q", "sort", "cursor", "facets", "uselang", "limit", "return",
            ]
            .map(String::from),
        )
        .collect();
    names.sort();
    names.dedup();
    let anonymous = session_client(None);
    let callers = [&anonymous, &world.ana, &world.admin];
    let mut failures = Vec::new();
    for (n, query) in cases(query_strings(names), 1500).into_iter().enumerate() {
        let path = &world.urls[n % world.urls.len()];
        let path = path.split('?').next().unwrap();
        let target = format!("{path}?{query}");
        let response = callers[n % 3].get(app.url(&target)).send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        if status >= 500
            || (status >= 400
                && path.starts_with("/api/")
                && !content_type.starts_with("application/problem+json"))
        {
            failures.push(format!("GET {target}: {status} {content_type}"));
        }
    }
    // Forms, with a valid CSRF token so that they reach their parsers; leaving the account,
    // signing out and changing the password are left out so the caller stays who it is.
    let forms: Vec<String> = router_routes()
        .into_iter()
        .filter(|(_, path, methods)| methods.contains(&"POST") && !path.starts_with("/api/"))
        .map(|(_, path, _)| path)
        .filter(|path| {
            ![
                "/account/delete",
                "/logout",
                "/account/password",
                "/login",
                "/signup",
            ]
            .contains(&path.as_str())
        })
        .filter_map(|path| filled(&path, &world.made, &world.stylesheet))
        .collect();
    let callers = [
        (&world.ana, app.csrf_of(&world.ana).await),
        (&world.ben, app.csrf_of(&world.ben).await),
    ];
    for (n, body) in cases(form_bodies(), 1200).into_iter().enumerate() {
        let path = &forms[n % forms.len()];
        let (caller, token) = &callers[n % 2];
        let mut full = format!("csrf_token={}&", percent(token)).into_bytes();
        full.extend_from_slice(&body);
        let response = caller
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(full)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        if status >= 500 {
            failures.push(format!(
                "POST {path} {:?}: {status}",
                String::from_utf8_lossy(&body)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let health = app.get("/healthz").await.status();
    assert_eq!(health, 200, "the server is well after it all");
}
