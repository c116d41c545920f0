//! The `cxc` command line, run as a real process, alongside a running server on the same
//! database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::TestApp;

fn cxc(args: &[&str], database: &str, stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args(args)
        .env("CXC_DATABASE_URL", database)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cxc");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("cxc finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn user_add_and_token_create_work_beside_a_running_server() {
    let app = TestApp::spawn().await;
    let db = app.db.url.clone();
    let out = tokio::task::spawn_blocking({
        let db = db.clone();
        move || {
            cxc(
                &["user", "add", "Ops Admin", "--admin", "--password-stdin"],
                &db,
                Some("a strong admin password\n"),
            )
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = tokio::task::spawn_blocking({
        let db = db.clone();
        move || {
            cxc(
                &["token", "create", "ops_admin", "--label", "deploy"],
                &db,
                None,
            )
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let token = text.lines().last().unwrap().trim().to_owned();
    assert!(token.starts_with("cxc_"));

    let me: serde_json::Value = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "Ops Admin");
    assert_eq!(me["roles"], serde_json::json!(["member", "admin"]));

    // Only the hash is stored.
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, vec![cxc::auth::secret_hash(&token)]);

    // The password given on standard input signs in on the web.
    let csrf = app.csrf_token("/login").await;
    let response = app
        .post_form(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("username", "Ops Admin"),
                ("password", "a strong admin password"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);

    let (list, revoke, list_after) = tokio::task::spawn_blocking(move || {
        let list = cxc(&["token", "list"], &db, None);
        let id = stdout(&list).split('\t').next().unwrap().to_owned();
        let revoke = cxc(&["token", "revoke", &id], &db, None);
        let after = cxc(&["token", "list", "Ops Admin"], &db, None);
        (list, revoke, after)
    })
    .await
    .unwrap();
    assert!(stdout(&list).contains("deploy\tactive"));
    assert!(revoke.status.success());
    assert!(stdout(&list_after).contains("deploy\trevoked"));
    let status = app
        .client
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn bad_input_on_the_command_line_says_what_is_wrong() {
    let db = crate::common::TestDb::new().await;
    let url = db.url.clone();
    let (short, unknown, duplicate) = tokio::task::spawn_blocking(move || {
        let short = cxc(
            &["user", "add", "Ana", "--password-stdin"],
            &url,
            Some("short\n"),
        );
        let unknown = cxc(&["token", "create", "nobody"], &url, None);
        cxc(&["user", "add", "Ana"], &url, None);
        let duplicate = cxc(&["user", "add", "ana"], &url, None);
        (short, unknown, duplicate)
    })
    .await
    .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("password"));
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nobody"));
    assert!(!duplicate.status.success());
}

#[test]
fn help_explains_the_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_cxc"))
        .arg("--help")
        .output()
        .unwrap();
    let text = stdout(&out);
    for word in ["serve", "user", "token", "Capacity Exchange"] {
        assert!(text.contains(word), "{word}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = stdout(&out);
    for flag in [
        "--listen",
        "--database",
        "--demo",
        "--base-url",
        "--log-format",
        "CXC_DATABASE_URL",
    ] {
        assert!(text.contains(flag), "{flag}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn serve_prints_the_url_and_stops_cleanly_on_sigterm() {
    let db = crate::common::TestDb::new().await;
    let port = crate::common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args(["serve", "--demo", "--listen", &listen])
        .env("CXC_DATABASE_URL", &db.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(format!("http://{listen}/healthz")).await {
            healthy = r.status() == 200;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(healthy, "the server answers");
    let home = reqwest::get(format!("http://{listen}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("people have joined"),
        "the demo community is there"
    );
    let map = reqwest::get(format!("http://{listen}/map"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let coloured: usize = (1..=5)
        .map(|bin| map.matches(&format!("<path class=\"b{bin}\"")).count())
        .sum();
    assert!(
        coloured >= 40,
        "the generated crowd colours the map: {coloured} countries"
    );
    let board: serde_json::Value = reqwest::get(format!("http://{listen}/api/v1/posts"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        board["total"].as_u64(),
        Some(include_str!("../../../../demo/posts.jsonl").lines().count() as u64),
        "every demo post is on the board"
    );
    let learning: serde_json::Value =
        serde_json::from_str(include_str!("../../../../demo/learning.json")).unwrap();
    let events: serde_json::Value = reqwest::get(format!("http://{listen}/api/v1/events"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        events["items"].as_array().unwrap().len(),
        learning["events"].as_array().unwrap().len(),
        "every demo event is coming up: {events}"
    );
    let programmes: serde_json::Value = reqwest::get(format!("http://{listen}/api/v1/programmes"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = &programmes["items"][0]["id"];
    assert_eq!(programmes["items"][0]["phase"], "open", "{programmes}");
    let programme: serde_json::Value =
        reqwest::get(format!("http://{listen}/api/v1/programmes/{id}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(
        (programme["mentors"].as_u64(), programme["mentees"].as_u64()),
        (Some(3), Some(7)),
        "{programme}"
    );
    assert_eq!(programme["organization"], "demo-rhine-meuse");
    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let out = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("stops within 10 s")
        .unwrap();
    assert!(out.status.success(), "exit status {:?}", out.status);
    let printed = stdout(&out);
    assert!(printed.contains(&format!("http://{listen}/")), "{printed}");
}

#[test]
fn demo_data_is_deterministic_and_a_smaller_community_is_a_prefix_of_a_larger() {
    let dir = tempfile::tempdir().unwrap();
    let generate = |name: &str, profiles: &str, seed: &str| {
        let out = dir.path().join(name);
        let run = cxc(
            &[
                "demo-data",
                "--profiles",
                profiles,
                "--out",
                out.to_str().unwrap(),
                "--seed",
                seed,
            ],
            "unused.sqlite3",
            None,
        );
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(stdout(&run).contains(&format!("Wrote {profiles} people")));
        let read = |file: &str| std::fs::read_to_string(out.join(file)).unwrap();
        (
            read("taxonomy.jsonl"),
            read("organizations.jsonl"),
            read("profiles.jsonl"),
        )
    };
    let large = generate("large", "300", "7");
    let again = generate("again", "300", "7");
    let small = generate("small", "120", "7");
    let other = generate("other", "300", "8");
    assert_eq!(large, again, "the same seed gives the same files");
    assert_eq!(small.0, large.0);
    assert_eq!(small.1, large.1);
    assert_eq!(small.2.lines().count(), 120);
    assert!(
        large.2.starts_with(&small.2),
        "a prefix of the larger community"
    );
    assert_ne!(large.2, other.2, "another seed, other people");

    let people: Vec<serde_json::Value> = large
        .2
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let share = |pred: &dyn Fn(&serde_json::Value) -> bool| {
        people.iter().filter(|p| pred(p)).count() as f64 / people.len() as f64
    };
    let public = share(&|p| p["visibility"] == "public");
    assert!((0.85..0.98).contains(&public), "mostly public: {public}");
    let non_ascii = share(&|p| !p["display_name"].as_str().unwrap().is_ascii());
    assert!(non_ascii > 0.1, "names in many scripts: {non_ascii}");
    let countries: std::collections::BTreeSet<&str> = people
        .iter()
        .filter_map(|p| p["country"].as_str())
        .collect();
    assert!(countries.len() > 30, "{} countries", countries.len());
}

/// `cxc backup` copies a SQLite database while accounts are being written to it: the copy is
/// whole (SQLite's integrity check), holds a moment of the database (every account in it is in
/// the original, none half-made), and a server started on it serves what it holds.
#[tokio::test]
async fn a_backup_taken_while_writes_go_on_is_consistent_and_restores() {
    let db = crate::common::TestDb::sqlite();
    let source = db.url.clone();
    let app = TestApp::spawn_on(db, |_| {}).await;
    let writer = app.signed_in("Writer", false).await;
    let profile = writer
        .put(app.url("/api/v1/me/profile"))
        .json(&serde_json::json!({"display_name": "Wanjiru the writer", "country": "KE"}))
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200);
    let state = app.state.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writing = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let name = cxc_core::Username::parse(&format!("Burst{n}")).unwrap();
                cxc::db::accounts::create(
                    &state.db,
                    cxc::db::accounts::NewAccount {
                        username: &name,
                        password_hash: None,
                        is_admin: false,
                        wikimedia_sub: None,
                    },
                )
                .await
                .unwrap();
                n += 1;
            }
            n
        })
    };
    // Let the burst run before and during the copy.
    while cxc::db::accounts::count(&app.state.db).await.unwrap() < 50 {
        tokio::task::yield_now().await;
    }
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.sqlite3");
    let path = copy.display().to_string();
    let from = source.clone();
    let out = tokio::task::spawn_blocking(move || cxc(&["backup", &path], &from, None))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout(&out).contains("Copied to"), "{}", stdout(&out));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writing.await.unwrap();
    let again = cxc(&["backup", &copy.display().to_string()], &source, None);
    assert!(!again.status.success(), "a backup never overwrites a file");
    let elsewhere = dir.path().join("pg.sqlite3").display().to_string();
    let pg = cxc(
        &["backup", &elsewhere],
        "postgres://nobody@127.0.0.1:1/cxc",
        None,
    );
    assert!(!pg.status.success());
    assert!(String::from_utf8_lossy(&pg.stderr).contains("pg_dump"));

    let copied = crate::common::TestDb::sqlite_file(&copy);
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        copy.display()
    ))
    .await
    .unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let in_copy: Vec<String> = sqlx::query_scalar("SELECT username FROM accounts")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let original = cxc::db::accounts::list(&app.state.db).await.unwrap();
    assert!(
        in_copy.len() >= 50 && in_copy.len() <= original.len(),
        "a moment during the burst: {} of {} ({written} written)",
        in_copy.len(),
        original.len()
    );
    assert!(
        in_copy
            .iter()
            .all(|u| original.iter().any(|a| &a.username == u))
    );
    let restored = TestApp::spawn_on(copied, |_| {}).await;
    let profile: serde_json::Value = restored
        .get("/api/v1/profiles/Writer")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["display_name"], "Wanjiru the writer");
}

#[tokio::test]
async fn the_taxonomy_goes_to_translatewiki_and_its_translations_come_back() {
    let app = TestApp::spawn().await;
    let db = app.db.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("messages");
    let path = folder.display().to_string();
    // `cxc taxonomy messages ACTION DIR`, as an operator runs it.
    let messages = |action: &'static str| {
        let (db, path) = (db.clone(), path.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                cxc(&["taxonomy", "messages", action, &path], &db, None)
            })
            .await
            .unwrap()
        }
    };
    let out = messages("export").await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |lang: &str| -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(folder.join(format!("{lang}.json"))).unwrap())
            .unwrap()
    };
    let english = read("en");
    let documentation = read("qqq");
    let label = "cxc-capacity-label-wikidata-sparql";
    assert!(english[label].as_str().unwrap().contains("SPARQL"));
    assert!(documentation[label].as_str().unwrap().contains("SPARQL"));
    assert_eq!(
        english.keys().collect::<Vec<_>>(),
        documentation.keys().collect::<Vec<_>>(),
        "every message is documented for translators"
    );
    assert!(
        read("ar").contains_key(label),
        "languages the taxonomy has come out too"
    );

    // A translator adds Swahili on translatewiki.net; it comes back.
    let swahili = serde_json::json!({
        "@metadata": {"authors": ["Translator"]},
        label: "Maswali ya SPARQL",
        "cxc-capacity-description-wikidata-sparql": "Kuuliza Wikidata maswali kwa SPARQL.",
    });
    std::fs::write(folder.join("sw.json"), swahili.to_string()).unwrap();
    let out = messages("import").await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).contains("1 capacities have new texts"),
        "{}",
        stdout(&out)
    );
    let swahili_labels = || async {
        reqwest::get(app.url("/api/v1/capacities?lang=sw"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    crate::common::eventually("the server following the new texts", || async {
        swahili_labels().await.contains("Maswali ya SPARQL")
    })
    .await;

    // A message for a capacity that is not there changes nothing and says which.
    let mut broken = read("sw");
    broken.insert(label.into(), "Imebadilika".into());
    broken.insert("cxc-capacity-label-no-such-thing".into(), "Hakuna".into());
    std::fs::write(
        folder.join("sw.json"),
        serde_json::Value::Object(broken).to_string(),
    )
    .unwrap();
    let out = messages("import").await;
    assert!(!out.status.success());
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.contains("sw.json") && error.contains("no-such-thing"),
        "{error}"
    );
    let again = swahili_labels().await;
    assert!(
        again.contains("Maswali ya SPARQL") && !again.contains("Imebadilika"),
        "nothing changed"
    );
}
