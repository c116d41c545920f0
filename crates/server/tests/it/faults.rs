//! Faults. The server process killed with SIGKILL in the middle of a burst of writes of
//! several kinds (profiles, posts, messages) from several clients, then started again on the
//! same database: every write it acknowledged is there, and nothing is half-written (a
//! profile's fields all come from one save, a post has all of its parts, a message is whole),
//! on whichever engine the suite runs against. And PostgreSQL stopped under two instances and
//! started again: both report it, fail fast, and recover by themselves.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::common::{TestDb, account, session, session_client};

const WRITERS: usize = 4;
/// Acknowledged writes before the kill: enough that every kind of write has landed often.
const ACKNOWLEDGED_BEFORE_KILL: usize = 150;
/// The capacities write `i` names: which of them, and how many, change with `i`, so that a
/// profile or post mixing two writes would show. In key order, as `keys` reads them back.
const WANTS: [&str; 4] = [
    "wikidata-imports",
    "wikidata-lexemes",
    "wikidata-modelling",
    "wikidata-property-proposals",
];

fn wanted(i: usize) -> Vec<&'static str> {
    WANTS.iter().copied().skip(i % 4).take(1 + i % 3).collect()
}

/// The capacity keys in `field` of each entry of a list, in key order.
fn keys<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    let mut keys: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry[field].as_str().unwrap())
        .collect();
    keys.sort_unstable();
    keys
}

async fn start(url: &str, listen: &str) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args(["serve", "--listen", listen, "--database", url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start cxc");
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(format!("http://{listen}/healthz")).await
            && r.status() == 200
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cxc did not start on {listen}");
}

/// What one writer sent and what the server acknowledged.
#[derive(Default)]
struct Written {
    /// The highest profile save sent, and the highest acknowledged.
    profile_sent: Option<usize>,
    profile_acknowledged: Option<usize>,
    /// Post ids by the write number that made them.
    posts: BTreeMap<usize, i64>,
    messages: Vec<usize>,
}

/// A JSON request that may find the server gone (`None`), unlike `common::call`.
async fn try_call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Value,
) -> Option<(u16, Value)> {
    let response = client.request(method, url).json(&body).send().await.ok()?;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Some((status, body))
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_a_burst_of_writes_keeps_every_acknowledged_write_whole() {
    let db = TestDb::new().await;
    let database = cxc::db::Db::open(&db.url).await.expect("open the database");
    let hash = cxc::auth::hash_password("a long enough password".to_owned())
        .await
        .unwrap();
    let expires = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 86_400;
    let mut clients = Vec::new();
    let names =
        std::iter::once("Teacher".to_owned()).chain((0..WRITERS).map(|w| format!("Writer{w}")));
    for name in names {
        let id = account(&database, &name, &hash, false).await;
        clients.push(session_client(Some(&session(&database, id, expires).await)));
    }
    database.close().await;
    let teacher = clients.remove(0);
    let port = crate::common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let url = |path: &str| format!("http://{listen}{path}");
    let mut server = start(&db.url, &listen).await;

    use reqwest::Method as M;
    let (status, _) = try_call(
        &teacher,
        M::PUT,
        url("/api/v1/me/profile"),
        json!({"display_name": "Teacher", "known": ["wikidata-sparql"], "offered": ["wikidata-sparql"]}),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let mut threads = Vec::new();
    for client in &clients {
        let (status, _) = try_call(
            client,
            M::PUT,
            url("/api/v1/me/profile"),
            json!({"display_name": "New"}),
        )
        .await
        .unwrap();
        assert_eq!(status, 200);
        let (status, c) = try_call(
            client,
            M::POST,
            url("/api/v1/connections"),
            json!({"to": "Teacher", "capacity": "wikidata-sparql", "message": "Could you show me SPARQL?"}),
        )
        .await
        .unwrap();
        assert_eq!(status, 201, "{c}");
        let thread = format!("/api/v1/connections/{}", c["id"]);
        let (status, _) = try_call(
            &teacher,
            M::POST,
            url(&format!("{thread}/answer")),
            json!({"action": "accept"}),
        )
        .await
        .unwrap();
        assert_eq!(status, 200);
        threads.push(thread);
    }

    let acknowledged = Arc::new(AtomicUsize::new(0));
    let mut writers = tokio::task::JoinSet::new();
    for (w, (client, thread)) in clients.iter().cloned().zip(threads.clone()).enumerate() {
        let acknowledged = acknowledged.clone();
        let base = format!("http://{listen}");
        writers.spawn(async move {
            let mut written = Written::default();
            for i in 0.. {
                let answer = match i % 3 {
                    0 => {
                        written.profile_sent = Some(i);
                        try_call(
                            &client,
                            M::PUT,
                            format!("{base}/api/v1/me/profile"),
                            json!({"display_name": format!("Name {i}"), "bio": format!("Bio {i}"), "wanted": wanted(i)}),
                        )
                        .await
                    }
                    1 => try_call(
                        &client,
                        M::POST,
                        format!("{base}/api/v1/posts"),
                        json!({"kind": "ask", "title": format!("Writer {w} asks {i}"), "body": format!("Body {i}"), "capacities": wanted(i)}),
                    )
                    .await,
                    _ => try_call(
                        &client,
                        M::POST,
                        format!("{base}{thread}/messages"),
                        json!({"body": format!("Writer {w} says {i}")}),
                    )
                    .await,
                };
                // The server is gone: what was not answered was not acknowledged.
                let Some((status, body)) = answer else { break };
                assert!((200..300).contains(&status), "write {i} of writer {w}: {status} {body}");
                match i % 3 {
                    0 => written.profile_acknowledged = Some(i),
                    1 => {
                        written.posts.insert(i, body["id"].as_i64().unwrap());
                    }
                    _ => written.messages.push(i),
                }
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
            (w, written)
        });
    }
    while acknowledged.load(Ordering::SeqCst) < ACKNOWLEDGED_BEFORE_KILL {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = server.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    server.wait().await.unwrap();
    let mut written = BTreeMap::new();
    while let Some(done) = writers.join_next().await {
        let (w, what) = done.expect("a writer");
        written.insert(w, what);
    }
    let total = acknowledged.load(Ordering::SeqCst);
    assert!(total >= ACKNOWLEDGED_BEFORE_KILL);

    let mut server = start(&db.url, &listen).await;
    for (w, what) in &written {
        let client = &clients[*w];
        let (_, profile) = try_call(client, M::GET, url("/api/v1/me/profile"), Value::Null)
            .await
            .unwrap();
        let name = profile["display_name"].as_str().unwrap();
        let i: usize = name.strip_prefix("Name ").expect(name).parse().unwrap();
        assert!(
            Some(i) >= what.profile_acknowledged && Some(i) <= what.profile_sent,
            "writer {w}: the profile is save {i}, acknowledged up to {:?}, sent up to {:?}",
            what.profile_acknowledged,
            what.profile_sent
        );
        assert_eq!(
            profile["bio"],
            format!("Bio {i}"),
            "writer {w}: one save, whole"
        );
        assert_eq!(
            keys(&profile["wanted"], "capacity"),
            wanted(i),
            "writer {w}: the wants of save {i}"
        );

        for (i, id) in &what.posts {
            let (status, post) = try_call(
                client,
                M::GET,
                url(&format!("/api/v1/posts/{id}")),
                Value::Null,
            )
            .await
            .unwrap();
            assert_eq!(status, 200, "writer {w}: acknowledged post {i} is there");
            assert_eq!(post["title"], format!("Writer {w} asks {i}"));
            assert_eq!(post["body"], format!("Body {i}"));
            assert_eq!(
                keys(&post["capacities"], "value"),
                wanted(*i),
                "writer {w}: post {i} has all its parts"
            );
        }
        // A post the kill cut off before its answer may be there too, but whole.
        let (_, export) = try_call(client, M::GET, url("/api/v1/me/export"), Value::Null)
            .await
            .unwrap();
        for post in export["posts"].as_array().unwrap() {
            let title = post["title"].as_str().unwrap();
            let i: usize = title
                .strip_prefix(&format!("Writer {w} asks "))
                .expect(title)
                .parse()
                .unwrap();
            assert_eq!(
                post["body"],
                format!("Body {i}"),
                "writer {w}: {title} is whole"
            );
            assert_eq!(
                keys(&post["capacities"], "value"),
                wanted(i),
                "writer {w}: {title} has all its parts"
            );
        }

        let thread = &threads[*w];
        let (_, messages) = try_call(
            client,
            M::GET,
            url(&format!("{thread}/messages")),
            Value::Null,
        )
        .await
        .unwrap();
        let bodies: Vec<&str> = messages["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        for i in &what.messages {
            let body = format!("Writer {w} says {i}");
            assert!(
                bodies.contains(&body.as_str()),
                "writer {w}: acknowledged message {i} is there"
            );
        }
        for body in &bodies[1..] {
            assert!(
                body.starts_with(&format!("Writer {w} says ")),
                "writer {w}: {body}"
            );
        }
    }
    if !db.url.starts_with("postgres") {
        let database = cxc::db::Db::open(&db.url).await.unwrap();
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(database.pool())
            .await
            .unwrap();
        assert_eq!(check, "ok");
        database.close().await;
    }
    let (status, _) = try_call(
        &clients[0],
        M::PUT,
        url("/api/v1/me/profile"),
        json!({"display_name": "After"}),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "the restarted server takes writes");
    server.kill().await.unwrap();
    eprintln!("killed after {total} acknowledged writes; all there and whole after restart");
}

/// A PostgreSQL server of the test's own, in a temporary folder, that it may stop and start
/// (the suite's shared server must stay up for the other tests).
struct PrivatePostgres {
    bin: std::path::PathBuf,
    data: tempfile::TempDir,
    port: u16,
    /// Who runs the server: PostgreSQL refuses to run as root.
    user: Option<&'static str>,
}

impl PrivatePostgres {
    fn new() -> PrivatePostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server programs in /usr/lib/postgresql (scripts/ensure-postgres installs them)")
            .filter_map(|e| Some(e.ok()?.path().join("bin")))
            .filter(|b| b.join("pg_ctl").exists())
            .max()
            .expect("pg_ctl under /usr/lib/postgresql");
        let data = tempfile::tempdir().unwrap();
        let root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let user = root.then_some("postgres");
        if let Some(user) = user {
            let owned = std::process::Command::new("chown")
                .args([user, &data.path().display().to_string()])
                .status()
                .unwrap();
            assert!(owned.success());
        }
        let port = crate::common::free_port();
        let pg = PrivatePostgres {
            bin,
            data,
            port,
            user,
        };
        let dir = pg.dir();
        pg.run("initdb", &["-D", &dir, "-A", "trust", "-U", "postgres"]);
        pg.start();
        pg
    }

    fn dir(&self) -> String {
        self.data.path().join("cluster").display().to_string()
    }

    fn command(&self, program: &str) -> std::process::Command {
        let program = self.bin.join(program).display().to_string();
        match self.user {
            Some(user) => {
                let mut c = std::process::Command::new("runuser");
                c.args(["-u", user, "--", &program]);
                c
            }
            None => std::process::Command::new(&program),
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.data.path().display()
        );
        let log = self.data.path().join("server.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.dir(), "-l", &log, "-o", &options, "-w", "start"],
        );
    }

    /// Stops the server at once, cutting off every connection (as a crash or a failover would).
    fn stop(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.dir(), "-m", "immediate", "-w", "stop"],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.dir(), "-m", "immediate", "stop"])
            .output();
    }
}

/// Requests while the database is down: each is answered within `limit`, with a problem
/// document when it needed the database, and never with an internal error.
async fn answered_in_time(client: &reqwest::Client, url: String, limit: Duration) -> (u16, Value) {
    let started = std::time::Instant::now();
    let response = tokio::time::timeout(limit, client.get(&url).send())
        .await
        .unwrap_or_else(|_| panic!("{url} hung past {limit:?}"))
        .unwrap();
    assert!(started.elapsed() < limit);
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_is_reported_and_survived_by_every_instance() {
    if crate::common::engine() != "postgres" {
        eprintln!("SKIPPED: the PostgreSQL outage runs with the PostgreSQL suite");
        return;
    }
    use crate::common::TestApp;
    use reqwest::Method as M;
    let pg = PrivatePostgres::new();
    let db = TestDb::postgres(&pg.url()).await;
    let second_db = db.shared();
    let timeout = Duration::from_secs(10);
    let a = TestApp::spawn_on(db, |c| c.request_timeout = timeout).await;
    let b = TestApp::spawn_on(second_db, |c| c.request_timeout = timeout).await;
    let writer = a.signed_in("Writer", false).await;
    let profile =
        |name: &str| json!({"display_name": name, "languages": [{"code": "sw", "level": 4}]});
    let (status, _) = try_call(
        &writer,
        M::PUT,
        a.url("/api/v1/me/profile"),
        profile("Before"),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);

    pg.stop();
    for app in [&a, &b] {
        let (status, health) = answered_in_time(&app.client, app.url("/healthz"), timeout).await;
        assert_eq!(
            (status, health["status"].as_str()),
            (503, Some("unavailable"))
        );
    }
    // A burst of reads and writes: the writes are refused quickly with a problem document;
    // what the read model answers from memory still works.
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (writer, url) = (writer.clone(), a.url("/api/v1/me/profile"));
        burst.spawn(async move {
            let started = std::time::Instant::now();
            let response = writer
                .put(url)
                .json(&json!({"display_name": format!("During {i}")}))
                .send()
                .await
                .unwrap();
            (
                started.elapsed(),
                response.status().as_u16(),
                response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_owned(),
            )
        });
    }
    while let Some(done) = burst.join_next().await {
        let (took, status, kind) = done.unwrap();
        assert!(took < timeout, "a write took {took:?}");
        assert_eq!((status, kind.as_str()), (503, "application/problem+json"));
    }
    let (status, problem) = try_call(
        &writer,
        M::PUT,
        a.url("/api/v1/me/profile"),
        profile("During"),
    )
    .await
    .unwrap();
    assert_eq!(
        (status, problem["code"].as_str()),
        (503, Some("unavailable"))
    );
    let (status, found) =
        answered_in_time(&b.client, b.url("/api/v1/profiles?language=sw"), timeout).await;
    assert_eq!(status, 200, "search answers from memory: {found}");

    pg.start();
    let mut healthy = false;
    for _ in 0..100 {
        if answered_in_time(&a.client, a.url("/healthz"), timeout)
            .await
            .0
            == 200
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the first instance is healthy again by itself");
    let (status, _) = try_call(
        &writer,
        M::PUT,
        a.url("/api/v1/me/profile"),
        profile("After"),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "writes work again");
    // The second instance learns of it through the change log, which it follows again.
    let mut followed = false;
    for _ in 0..100 {
        let (_, found) =
            answered_in_time(&b.client, b.url("/api/v1/profiles?q=After"), timeout).await;
        if found["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|p| p["username"] == "Writer"))
        {
            followed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(followed, "the second instance follows the change log again");
    assert_eq!(
        answered_in_time(&b.client, b.url("/healthz"), timeout)
            .await
            .0,
        200
    );
}

/// A small filesystem of the test's own, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts a tmpfs of `megabytes`, or says why it cannot (mounting needs root).
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "SKIPPED: cannot mount a small filesystem: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return None;
        }
        Some(SmallDisk { dir })
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Writes a file until the filesystem has no space left.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.write_all(&[0u8; 512]);
        let _ = file.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_refuses_writes_clearly_corrupts_nothing_and_passes() {
    use crate::common::TestApp;
    use reqwest::Method as M;
    if crate::common::engine() != "sqlite" {
        eprintln!("SKIPPED: the full disk is SQLite's (PostgreSQL's disk is its server's)");
        return;
    }
    let Some(disk) = SmallDisk::mount(16) else {
        return;
    };
    let file = disk.path().join("cxc.sqlite3");
    let app = TestApp::spawn_on(TestDb::sqlite_file(&file), |_| {}).await;
    let writer = app.signed_in("Writer", false).await;
    let (status, _) = try_call(
        &writer,
        M::PUT,
        app.url("/api/v1/me/profile"),
        json!({"display_name": "Before", "languages": [{"code": "sw", "level": 4}]}),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);

    let filler = disk.fill();
    // SQLite reuses the space its write-ahead log already holds, so the first writes may still
    // fit: write until they no longer do.
    let post = |i: usize| json!({"kind": "ask", "title": format!("Ask {i}"), "body": "A long question. ".repeat(200)});
    let mut stored = Vec::new();
    let mut refused = 0;
    for i in 0..200 {
        let (status, answer) = try_call(&writer, M::POST, app.url("/api/v1/posts"), post(i))
            .await
            .unwrap();
        match status {
            201 => stored.push(answer["id"].as_i64().unwrap()),
            _ => {
                assert_eq!(
                    (status, answer["code"].as_str()),
                    (507, Some("insufficient_storage")),
                    "{answer}"
                );
                assert_eq!(
                    answer["detail"],
                    app.state.i18n.text("en", "cxc-error-storage-full", &[])
                );
                refused += 1;
                if refused == 3 {
                    break;
                }
            }
        }
    }
    assert_eq!(refused, 3, "the full disk refuses writes");
    let (status, me) = try_call(&writer, M::GET, app.url("/api/v1/me"), Value::Null)
        .await
        .unwrap();
    assert_eq!(status, 200, "reading still works: {me}");
    let (status, _) = try_call(&writer, M::GET, app.url("/people"), Value::Null)
        .await
        .unwrap();
    assert_eq!(status, 200);

    std::fs::remove_file(filler).unwrap();
    // More writes than the pool has connections: none of them was left unusable.
    for i in 0..12 {
        let (status, after) = try_call(&writer, M::POST, app.url("/api/v1/posts"), post(1000 + i))
            .await
            .unwrap();
        assert_eq!(
            status, 201,
            "writes work again once space is freed: {after}"
        );
        stored.push(after["id"].as_i64().unwrap());
    }
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(check, "ok");

    // Started again on the file, cxc holds exactly what it acknowledged.
    let db = app.stop().await;
    let app = TestApp::spawn_on(db, |_| {}).await;
    let writer = app.signed_in("Reader", false).await;
    let (_, board) = try_call(
        &writer,
        M::GET,
        app.url("/api/v1/posts?limit=100"),
        Value::Null,
    )
    .await
    .unwrap();
    let mut ids: Vec<i64> = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    stored.sort_unstable();
    assert_eq!(ids, stored, "every acknowledged post, and no refused one");
    let (_, before) = try_call(
        &writer,
        M::GET,
        app.url("/api/v1/profiles/Writer"),
        Value::Null,
    )
    .await
    .unwrap();
    assert_eq!(
        before["display_name"], "Before",
        "what was there before is intact"
    );
    eprintln!(
        "{} posts stored before and after the disk filled, {refused} refused",
        stored.len()
    );
}
