//! What the HTTP benches share: running the cxc under test, and reading a process's memory.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs a cxc command to its end and returns what it printed; a failure stops the bench.
pub fn cxc(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args(args)
        .output()
        .expect("run cxc");
    assert!(
        out.status.success(),
        "cxc {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A memory figure of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`) in MiB.
pub fn rss_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A `cxc serve` process, stopped with SIGTERM when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `cxc serve` on a database and waits until it answers; also says how long that took.
pub async fn start(database: &str) -> (Server, Duration) {
    let port = free_port();
    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args([
            "serve",
            "--database",
            database,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("CXC_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start cxc serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    loop {
        if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "the server did not start"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    (server, started.elapsed())
}

/// The `i`-th of five search shapes, drawn from one person of the community: a capacity they
/// offer; one they want in two regions; their first language at level 3 and up with a known
/// area; their first name as free text; their country by recent activity.
pub fn search_query(i: usize, p: &serde_json::Value) -> Option<String> {
    let first = |list: &str| {
        p[list]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let query = match i % 5 {
        0 => first("offered").map(|c| format!("offers={c}")),
        1 => first("wanted").map(|c| format!("wants={c}&region=LAC&region=SSA")),
        2 => p["languages"][0]["code"]
            .as_str()
            .map(|l| format!("language={l}&min_level=3&knows=cap-1")),
        3 => p["display_name"]
            .as_str()
            .and_then(|n| n.split(' ').next())
            .map(|n| format!("q={}", urlencode(n))),
        _ => p["country"]
            .as_str()
            .map(|c| format!("country={c}&sort=recent")),
    }?;
    Some(format!("/api/v1/profiles?{query}&limit=20"))
}

/// Percent-encodes everything but ASCII letters and digits, for query strings.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
