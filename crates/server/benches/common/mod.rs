//! What the HTTP benches share: running the cxc under test, and reading a process's memory.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cxc_core::{Format, Method, Region};
use serde_json::Value;

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

/// A deterministic stream of choices.
pub struct Draw(pub u64);

impl Draw {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 += 1;
        (mix(self.0) % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// The filters a search shape combines, each drawn from one person so that results are not
/// empty by construction (region, method and format are drawn from their lists).
pub const FILTERS: [&str; 13] = [
    "offers",
    "wants",
    "knows",
    "language",
    "country",
    "region",
    "affiliation",
    "project",
    "method",
    "format",
    "available",
    "text",
    "prefix",
];

pub fn strings(p: &Value, field: &str) -> Vec<String> {
    p[field]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// One filter's query-string part, from a person.
fn filter(kind: &str, p: &Value, draw: &mut Draw) -> Option<String> {
    let first_name = || {
        p["display_name"]
            .as_str()
            .and_then(|n| n.split(' ').next())
            .map(str::to_owned)
    };
    match kind {
        "offers" | "wants" | "knows" => {
            let field = match kind {
                "offers" => "offered",
                "wants" => "wanted",
                _ => "known",
            };
            draw.pick(&strings(p, field)).map(|c| format!("{kind}={c}"))
        }
        "language" => {
            let languages = p["languages"].as_array()?;
            let l = draw.pick(languages)?;
            let level = ["0", "2", "3", "native"][draw.below(4)];
            Some(format!(
                "language={}&min_level={level}",
                l["code"].as_str()?
            ))
        }
        "country" => p["country"].as_str().map(|c| format!("country={c}")),
        "region" => draw
            .pick(&Region::ALL)
            .map(|r| format!("region={}", r.code())),
        "affiliation" => draw
            .pick(&strings(p, "affiliations"))
            .map(|a| format!("affiliation={a}")),
        "project" => draw
            .pick(&strings(p, "projects"))
            .map(|a| format!("project={a}")),
        "method" => draw
            .pick(Method::ALL)
            .map(|m| format!("method={}", m.as_str())),
        "format" => draw
            .pick(Format::ALL)
            .map(|f| format!("format={}", f.as_str())),
        "available" => Some("available=true".into()),
        "text" => first_name().map(|n| format!("q={}", urlencode(&n))),
        "prefix" => first_name()
            .filter(|n| n.chars().count() >= 4)
            .map(|n| format!("q={}", urlencode(&n.chars().take(3).collect::<String>()))),
        _ => None,
    }
}

/// Every filter but the prefix, which is the free text's other form: what searches of two
/// or three filters combine.
pub fn combinable() -> &'static [&'static str] {
    &FILTERS[..FILTERS.len() - 1]
}

/// `count` searches, each with `filters` different filters of `kinds` drawn from one sampled
/// person.
pub fn searches(
    people: &[Value],
    draw: &mut Draw,
    kinds: &[&str],
    filters: usize,
    count: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut attempts = 0;
    while out.len() < count && attempts < count * 20 {
        attempts += 1;
        let p = &people[draw.below(people.len())];
        let mut chosen: Vec<&str> = Vec::new();
        while chosen.len() < filters {
            let k = kinds[draw.below(kinds.len())];
            // Text and a prefix are both the free-text filter.
            let taken = chosen.contains(&k)
                || (k == "prefix" && chosen.contains(&"text"))
                || (k == "text" && chosen.contains(&"prefix"));
            if !taken {
                chosen.push(k);
            }
            if kinds.len() < filters {
                break;
            }
        }
        let parts: Option<Vec<String>> = chosen.iter().map(|k| filter(k, p, draw)).collect();
        if let Some(parts) = parts {
            out.push(format!("/api/v1/profiles?{}", parts.join("&")));
        }
    }
    out
}

/// The bits of `n` well mixed (SplitMix64's finaliser): consecutive numbers give unrelated
/// results, for spreading picks over everyone.
pub fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Percent-encodes everything but ASCII letters and digits, for query strings.
pub fn urlencode(s: &str) -> String {
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
