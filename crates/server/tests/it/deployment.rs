//! The deployment files in `deploy/`, tried for real: the systemd unit passes systemd's own
//! checks and scores as well hardened; two cxc processes on one PostgreSQL, behind nginx with
//! the shipped configuration, carry a whole exchange between two people whose requests land on
//! either instance, and the site stays up when one instance dies.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::common::{TestDb, browser, call, eventually, free_port, sign_up_at};

fn deploy(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(file)
}

fn have(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn the_systemd_unit_is_valid_and_hardened() {
    if !have("systemd-analyze") {
        eprintln!("SKIPPED: systemd-analyze is not installed");
        return;
    }
    // The unit as shipped, pointed at the binary under test (systemd checks that it exists).
    let unit = std::fs::read_to_string(deploy("cxc.service"))
        .unwrap()
        .replace("/usr/local/bin/cxc", env!("CARGO_BIN_EXE_cxc"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cxc.service");
    std::fs::write(&path, unit).unwrap();
    let verified = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let complaints = String::from_utf8_lossy(&verified.stderr);
    assert!(
        verified.status.success() && !complaints.contains("cxc.service"),
        "systemd-analyze verify: {complaints}"
    );
    let security = std::process::Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&security.stdout);
    let exposure: f64 = report
        .lines()
        .find_map(|l| l.split_once("Overall exposure level for cxc.service: "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {report}"));
    println!("systemd exposure level of cxc.service: {exposure} (0 is best, 10 worst)");
    assert!(
        exposure <= 2.0,
        "the unit is hardened (exposure {exposure}): {report}"
    );
}

/// One cxc instance as an operator runs it: the release settings from the environment.
fn instance(database: &str, port: u16, metrics: u16, base: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cxc"))
        .arg("serve")
        .env("CXC_DATABASE_URL", database)
        .env("CXC_LISTEN", format!("127.0.0.1:{port}"))
        .env("CXC_METRICS_LISTEN", format!("127.0.0.1:{metrics}"))
        .env("CXC_BASE_URL", base)
        .env("CXC_TRUSTED_PROXIES", "127.0.0.1")
        .env("CXC_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start cxc")
}

async fn until_healthy(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{url}/healthz")).await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not become healthy");
}

/// nginx running the shipped `deploy/nginx.conf`, with this test's ports, in the foreground.
struct Nginx {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    async fn start(listen: u16, upstreams: [u16; 2]) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let site = std::fs::read_to_string(deploy("nginx.conf"))
            .unwrap()
            .replace("listen 80;", &format!("listen 127.0.0.1:{listen};"))
            .replace("127.0.0.1:8081", &format!("127.0.0.1:{}", upstreams[0]))
            .replace("127.0.0.1:8082", &format!("127.0.0.1:{}", upstreams[1]));
        let root = dir.path().display();
        let temp: String = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
            .iter()
            .map(|t| format!("{t}_temp_path {root}/{t};\n"))
            .collect();
        // As root, nginx's workers would drop to `nobody`, who cannot enter this directory.
        let user = if nix_is_root() { "user root;\n" } else { "" };
        let conf = format!(
            "{user}worker_processes 1;\npid {root}/nginx.pid;\nerror_log {root}/error.log warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{\naccess_log off;\n{temp}{site}\n}}\n"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        Nginx { child, _dir: dir }
    }
}

impl Drop for Nginx {
    /// SIGTERM, not SIGKILL: killed outright, nginx's master would leave its worker running.
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            for _ in 0..100 {
                if self.child.try_wait().is_ok_and(|s| s.is_some()) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

fn nix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

async fn sign_up(site: &str, username: &str) -> reqwest::Client {
    let client = browser();
    sign_up_at(&client, site, username, "a long enough password").await;
    client
}

async fn ok(client: &reqwest::Client, method: Method, url: String, body: Value) -> Value {
    let (status, answer) = call(client, method.clone(), url.clone(), Some(body)).await;
    assert!(
        (200..300).contains(&status),
        "{method} {url}: {status} {answer}"
    );
    answer
}

/// Requests an instance has answered, from its own metrics.
async fn requests_served(metrics: u16, method: &str) -> f64 {
    let text = reqwest::get(format!("http://127.0.0.1:{metrics}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("http_requests_total{") && l.contains(&format!("method=\"{method}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_nginx_carry_an_exchange() {
    if crate::common::engine() != "postgres" {
        eprintln!(
            "SKIPPED: several instances need PostgreSQL; this runs with the PostgreSQL suite"
        );
        return;
    }
    assert!(
        have("nginx"),
        "nginx is needed for the deployment test (scripts/test installs Debian's nginx-light)"
    );
    let db = TestDb::postgres(&std::env::var("CXC_TEST_POSTGRES_URL").unwrap()).await;
    let [port_a, port_b, metrics_a, metrics_b, proxy] = [(); 5].map(|_| free_port());
    let site = format!("http://127.0.0.1:{proxy}");
    // Both start at once on an empty database: one runs the migrations, the other waits.
    let mut a = instance(&db.url, port_a, metrics_a, &site);
    let _b = instance(&db.url, port_b, metrics_b, &site);
    let direct = [
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    ];
    for url in &direct {
        until_healthy(url).await;
    }
    let _nginx = Nginx::start(proxy, [port_a, port_b]).await;
    until_healthy(&site).await;

    let api = |path: &str| format!("{site}{path}");
    let ana = sign_up(&site, "Ana").await;
    let ben = sign_up(&site, "Ben").await;
    ok(&ben, Method::PUT, api("/api/v1/me/profile"), json!({
        "display_name": "Ben Otieno", "country": "KE", "languages": [{"code": "en", "level": 4}],
        "known": ["wikidata-sparql"], "offered": ["wikidata-sparql"],
    }))
    .await;
    ok(
        &ana,
        Method::PUT,
        api("/api/v1/me/profile"),
        json!({
            "display_name": "Ana Silva", "country": "BR", "languages": [{"code": "en", "level": 3}],
            "wanted": ["wikidata-sparql"],
        }),
    )
    .await;
    for url in &direct {
        eventually(&format!("{url} finding Ben"), || async {
            let (_, found) = call(
                &browser(),
                Method::GET,
                format!("{url}/api/v1/profiles?offers=wikidata-sparql"),
                None,
            )
            .await;
            found["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|p| p["username"] == "Ben"))
        })
        .await;
    }
    let connection = ok(
        &ana,
        Method::POST,
        api("/api/v1/connections"),
        json!({
            "to": "Ben", "capacity": "wikidata-sparql", "message": "Could you show me SPARQL?",
        }),
    )
    .await;
    let base = format!("/api/v1/connections/{}", connection["id"]);
    ok(
        &ben,
        Method::POST,
        api(&format!("{base}/answer")),
        json!({"action": "accept"}),
    )
    .await;
    for (who, text) in [
        (&ana, "When suits you?"),
        (&ben, "Thursday at six."),
        (&ana, "Thursday it is."),
    ] {
        ok(
            who,
            Method::POST,
            api(&format!("{base}/messages")),
            json!({"body": text}),
        )
        .await;
    }
    let (_, messages) = call(&ben, Method::GET, api(&format!("{base}/messages")), None).await;
    let texts: Vec<&str> = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert!(
        texts.ends_with(&["When suits you?", "Thursday at six.", "Thursday it is."]),
        "{messages}"
    );
    for who in [&ana, &ben] {
        ok(
            who,
            Method::POST,
            api(&format!("{base}/complete")),
            Value::Null,
        )
        .await;
    }
    ok(
        &ana,
        Method::POST,
        api(&format!("{base}/thanks")),
        json!({"body": "Thank you, Ben!", "public": true}),
    )
    .await;
    ok(
        &ben,
        Method::POST,
        api(&format!("{base}/thanks/shown")),
        json!({"shown": true}),
    )
    .await;
    for url in &direct {
        eventually(&format!("{url} showing the thanks"), || async {
            let page = browser()
                .get(format!("{url}/people/Ben"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            page.contains("Thank you, Ben!")
        })
        .await;
    }
    let (_, done) = call(&ana, Method::GET, api(&base), None).await;
    assert_eq!(done["status"], "completed", "{done}");
    let writes = [
        requests_served(metrics_a, "POST").await,
        requests_served(metrics_b, "POST").await,
    ];
    println!(
        "writes answered through nginx: {} by one instance, {} by the other",
        writes[0], writes[1]
    );
    assert!(
        writes.iter().all(|n| *n >= 3.0),
        "both instances took part: {writes:?}"
    );

    // One instance dies: nginx sends everything to the other, and nobody notices.
    a.kill().await.unwrap();
    for _ in 0..10 {
        let (status, me) = call(&ana, Method::GET, api("/api/v1/me"), None).await;
        assert_eq!(
            (status, me["username"].as_str()),
            (200, Some("Ana")),
            "{me}"
        );
    }
    ok(&ben, Method::PUT, api("/api/v1/me/profile"), json!({
        "display_name": "Ben Otieno", "country": "KE", "languages": [{"code": "en", "level": 5}],
        "known": ["wikidata-sparql"], "offered": ["wikidata-sparql"],
    }))
    .await;
}
