//! Starting a real server on a free port, with a fresh database of the engine under test.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use cxc::db::Db;
use cxc::{AppState, Config};
use serde_json::Value;
use sqlx::Connection;
use tokio::sync::oneshot;

pub const POSTGRES_ENV: &str = "CXC_TEST_POSTGRES_URL";

/// A fresh database for one test: a SQLite file in a temporary folder, or a new PostgreSQL
/// database dropped when the test ends.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn new() -> TestDb {
        match std::env::var(POSTGRES_ENV) {
            Ok(server) => Self::postgres(&server).await,
            Err(_) => Self::sqlite(),
        }
    }

    fn none() -> TestDb {
        TestDb {
            url: String::new(),
            _dir: None,
            postgres: None,
        }
    }

    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = dir.path().join("cxc.sqlite3").display().to_string();
        TestDb {
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    /// A SQLite file made elsewhere (a backup, say), left where it is.
    pub fn sqlite_file(path: &Path) -> TestDb {
        TestDb {
            url: path.display().to_string(),
            _dir: None,
            postgres: None,
        }
    }

    pub async fn postgres(server: &str) -> TestDb {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "cxc_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand_suffix()
        );
        let mut conn = sqlx::PgConnection::connect(server)
            .await
            .expect("the PostgreSQL server in CXC_TEST_POSTGRES_URL answers");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
        TestDb {
            url: format!("{base}/{name}"),
            _dir: None,
            postgres: Some((server.to_owned(), name)),
        }
    }
}

impl TestDb {
    /// The same database for a second instance; only the first handle drops it.
    pub fn shared(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            _dir: None,
            postgres: None,
        }
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside async code: use a runtime of its own on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&server).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub db: TestDb,
    pub state: AppState,
    /// A browser-like client: keeps cookies, does not follow redirects.
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_on(TestDb::new().await, configure).await
    }

    pub async fn spawn_on(db: TestDb, configure: impl FnOnce(&mut Config)) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("local address");
        let mut config = Config::new(db.url.clone(), addr);
        configure(&mut config);
        let database = Db::open(&config.database)
            .await
            .expect("open the test database");
        let state = AppState::new(database, config)
            .await
            .expect("application state");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(cxc::http::serve(state.clone(), listener, async move {
            let _ = stopped.await;
        }));
        TestApp {
            addr,
            db,
            state,
            client: browser(),
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// The address of a path on the test server (which may be configured with another base URL).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// The CSRF token a form page carries, for posting it as a browser would.
    pub async fn csrf_token(&self, form_path: &str) -> String {
        let html = self.get(form_path).await.text().await.expect("form page");
        hidden_value(&html, "csrf_token").expect("the form carries a CSRF token")
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Creates an account through the sign-up form and stays signed in as it.
    pub async fn sign_up(&self, username: &str, password: &str) {
        sign_up_at(&self.client, &self.url(""), username, password).await;
    }

    /// A new browser signed in as a new account (an administrator when `admin`).
    pub async fn signed_in(&self, username: &str, admin: bool) -> reqwest::Client {
        let password = "a long enough password";
        let hash = cxc::auth::hash_password(password.to_owned())
            .await
            .expect("hash");
        account(&self.state.db, username, &hash, admin).await;
        let client = browser();
        let html = client
            .get(self.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = hidden_value(&html, "csrf_token").expect("login form");
        let response = client
            .post(self.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", username),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{username} signs in");
        client
    }

    /// The live OpenAPI document.
    pub async fn openapi(&self) -> Value {
        self.get("/api/v1/openapi.json")
            .await
            .json()
            .await
            .expect("the OpenAPI document")
    }

    /// The CSRF token a signed-in browser's pages carry.
    pub async fn csrf_of(&self, client: &reqwest::Client) -> String {
        let html = client
            .get(self.url("/about"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        hidden_value(&html, "csrf_token").expect("signed-in pages carry a CSRF token")
    }

    /// Posts a form from a signed-in browser, with the CSRF token its pages carry.
    pub async fn post_as(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf_of(client).await;
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }

    /// Stops the server as SIGTERM would, waits until it has closed the database, and hands
    /// the database back for another server.
    pub async fn stop(mut self) -> TestDb {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stops cleanly");
        }
        std::mem::replace(&mut self.db, TestDb::none())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Signs up through the form of the site at `site`, as a browser does, which then stays signed in.
pub async fn sign_up_at(client: &reqwest::Client, site: &str, username: &str, password: &str) {
    let html = client
        .get(format!("{site}/signup"))
        .send()
        .await
        .expect("the sign-up form")
        .text()
        .await
        .unwrap();
    let token = hidden_value(&html, "csrf_token").expect("the form carries a CSRF token");
    let response = client
        .post(format!("{site}/signup"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
            ("password_confirm", password),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 303, "sign-up of {username} succeeds");
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

/// The value of `<input … name="NAME" value="…">` in a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[start + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_owned())
}

pub fn engine() -> &'static str {
    if std::env::var(POSTGRES_ENV).is_ok() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// The project's synthetic community (`cxc demo-data`, seed 42) with 1,000 profiles, made once
/// per test run.
pub fn dataset() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        cxc::demo::synthetic::write(dir.path(), 1000, 42, &|_| {}).expect("synthetic community");
        dir
    })
    .path()
}

pub fn files() -> Vec<PathBuf> {
    cxc::demo::synthetic::FILES
        .iter()
        .map(|f| dataset().join(f))
        .collect()
}

/// A test database with the 1,000-profile community imported.
pub async fn with_dataset() -> TestDb {
    let db = TestDb::new().await;
    let database = Db::open(&db.url).await.expect("open");
    let sources = files()
        .iter()
        .map(|f| cxc::interchange::open_file(f))
        .collect::<anyhow::Result<Vec<_>>>()
        .expect("dataset files");
    cxc::interchange::import(
        &database,
        &cxc::reference::Reference::load().unwrap(),
        &cxc::i18n::I18n::load().unwrap(),
        sources,
        &|_| {},
    )
    .await
    .expect("import the dataset");
    database.close().await;
    db
}

/// A real SMTP server process (aiosmtpd) that keeps what it receives in a Maildir, for the
/// e-mail tests. `scripts/test` installs it and names its Python in `CXC_TEST_PYTHON`.
pub struct SmtpServer {
    pub port: u16,
    python: String,
    /// Holds the Maildir, `mail/` inside it, which the server creates with its first message.
    maildir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

/// One received message, as Python's e-mail parser reads it.
#[derive(Debug, serde::Deserialize)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
}

impl SmtpServer {
    /// Starts the server on a free port, or says why the test cannot run.
    pub async fn start() -> Option<SmtpServer> {
        let Ok(python) = std::env::var("CXC_TEST_PYTHON") else {
            eprintln!("SKIPPED: CXC_TEST_PYTHON is not set (scripts/test sets it)");
            return None;
        };
        let port = free_port();
        let mut server = SmtpServer {
            port,
            python,
            maildir: tempfile::tempdir().unwrap(),
            child: None,
        };
        server.resume().await;
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and Maildir.
    pub async fn resume(&mut self) {
        let child = std::process::Command::new(&self.python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.maildir.path().join("mail"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start");
    }

    /// Stops the server, as an outage would.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        const PARSE: &str = r#"
import email, email.policy, json, mailbox, sys
box = mailbox.Maildir(sys.argv[1], create=True)
out = []
for key in box.keys():
    raw = box.get_bytes(key)
    m = email.message_from_bytes(raw, policy=email.policy.default)
    out.append({"to": str(m["To"]), "subject": str(m["Subject"]), "body": m.get_content(),
                "message_id": str(m["Message-ID"]),
                "list_unsubscribe": m["List-Unsubscribe"] and str(m["List-Unsubscribe"]),
                "list_unsubscribe_post": m["List-Unsubscribe-Post"] and str(m["List-Unsubscribe-Post"]),
                "date": box.get_message(key).get_date()})
out.sort(key=lambda m: m.pop("date"))
print(json.dumps(out))
"#;
        let out = std::process::Command::new(&self.python)
            .args(["-c", PARSE])
            .arg(self.maildir.path().join("mail"))
            .output()
            .expect("read the Maildir");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("messages as JSON")
    }

    /// Waits until at least `n` messages arrived (the server writes them as they come).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..100 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {n} messages, got {:?}", self.received());
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends JSON (or nothing) as `client` and reads the answer as JSON (null when it is not).
pub async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Value) {
    let request = client
        .request(method, url)
        .header("content-type", "application/json");
    let request = match body {
        Some(b) => request.json(&b),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Creates an account straight in the database (no sign-up form, no rate limit).
pub async fn account(db: &Db, name: &str, password_hash: &str, admin: bool) -> i64 {
    let username = cxc_core::Username::parse(name).expect("a valid username");
    cxc::db::accounts::create(
        db,
        cxc::db::accounts::NewAccount {
            username: &username,
            password_hash: Some(password_hash),
            is_admin: admin,
            wikimedia_sub: None,
        },
    )
    .await
    .expect("create an account")
    .id
}

/// A session as signing in makes one, for tests that need many accounts signed in at once
/// (signing them all in through the form would meet its rate limit) or a server in another
/// process.
pub async fn session(db: &Db, account_id: i64, expires_at: i64) -> String {
    let secret = cxc::auth::random_secret();
    cxc::db::accounts::create_session(db, &cxc::auth::secret_hash(&secret), account_id, expires_at)
        .await
        .expect("create a session");
    secret
}

/// A client holding a session (or none) and a CSRF cookie it also sends as the header that
/// forms may carry the token in, so that forms are posted as a browser would post them.
pub fn session_client(session: Option<&str>) -> reqwest::Client {
    use reqwest::header::{HeaderMap, HeaderValue};
    let csrf = cxc::auth::random_secret();
    let mut cookies = format!("cxc_csrf={csrf}");
    if let Some(session) = session {
        cookies.push_str(&format!("; cxc_session={session}"));
    }
    let mut headers = HeaderMap::new();
    headers.insert("cookie", HeaderValue::from_str(&cookies).unwrap());
    headers.insert("x-csrf-token", HeaderValue::from_str(&csrf).unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

/// A port nothing listens on now, for a server started by the test.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The wait a rate-limited answer asks for, in seconds.
pub fn retry_after(response: &reqwest::Response) -> u64 {
    assert_eq!(response.status(), 429);
    let wait = response.headers()["retry-after"].to_str().unwrap();
    wait.parse().expect("Retry-After in seconds")
}

/// Every `.route(…)` in the server's source: the file, the path and the methods it takes.
pub fn router_routes() -> Vec<(String, String, Vec<&'static str>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = Vec::new();
    files_with_extension(&src, "rs", &mut sources);
    sources.sort();
    let mut found = Vec::new();
    for file in sources {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        for (path, methods) in routes_in(&text) {
            found.push((name.clone(), path, methods));
        }
    }
    found
}

/// The files under `dir`, in subfolders too, whose names end in `.{extension}`.
fn files_with_extension(dir: &Path, extension: &str, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_with_extension(&path, extension, found);
        } else if path.extension().is_some_and(|e| e == extension) {
            found.push(path);
        }
    }
}

/// `.route("PATH", METHOD ROUTER)` calls and the methods their method routers name.
fn routes_in(source: &str) -> Vec<(String, Vec<&'static str>)> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let Some(path) = rest
            .trim_start()
            .strip_prefix('"')
            .and_then(|r| r.split_once('"'))
            .map(|(path, _)| path.to_owned())
        else {
            continue;
        };
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(rest.len(), |(i, _)| i);
        let router = &rest[..end];
        let called = |name: &str| {
            router.match_indices(&format!("{name}(")).any(|(i, _)| {
                i == 0 || !router[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            })
        };
        let methods: Vec<&'static str> = [
            ("get", "GET"),
            ("post", "POST"),
            ("put", "PUT"),
            ("patch", "PATCH"),
            ("delete", "DELETE"),
        ]
        .into_iter()
        .filter(|(name, _)| called(name))
        .map(|(_, method)| method)
        .collect();
        if !methods.is_empty() {
            found.push((path, methods));
        }
    }
    found
}

/// Waits until `check` holds, for things that arrive by themselves (another instance
/// following the change log), failing with `what` after a deadline.
pub async fn eventually<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while std::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 15 s");
}

/// Every template, those in subfolders (illustrations) too.
pub fn template_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    files_with_extension(&templates, "html", &mut files);
    files.sort();
    files
}
