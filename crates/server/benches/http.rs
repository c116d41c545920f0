//! HTTP load run against a real `cxc serve` on the shared dataset: import time, start-up
//! time, resident memory, and p50/p99 latency and throughput of search and matching.
//!
//!   cargo bench -p cxc --bench http                    # 10k and 100k profiles
//!   CXC_BENCH_SIZES=10000,100000,1000000 cargo bench -p cxc --bench http
//!
//! Data is the synthetic community of `cxc demo-data` (seed 42), generated into CXC_BENCH_DATA
//! (default /var/tmp/cxc-bench-community) when missing; databases are kept beside it so that reruns skip
//! the import.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use common::{cxc, rss_mib, search_query, start};

/// Latency is measured one request at a time (so it is the server's, not the queue's);
/// throughput with several clients at once.
const LATENCY_REQUESTS: usize = 1000;
const THROUGHPUT_REQUESTS: usize = 4000;
const CONCURRENCY: usize = 8;

fn data_dir() -> PathBuf {
    PathBuf::from(
        std::env::var("CXC_BENCH_DATA").unwrap_or_else(|_| "/var/tmp/cxc-bench-community".into()),
    )
}

fn size_name(n: usize) -> String {
    if n.is_multiple_of(1_000_000) {
        format!("{}m", n / 1_000_000)
    } else {
        format!("{}k", n / 1000)
    }
}

/// Generates, with `cxc demo-data`, every size that is missing: `profiles-<size>.jsonl` beside
/// one shared `taxonomy.jsonl` and `organizations.jsonl`.
fn ensure_data(sizes: &[usize]) {
    let dir = data_dir();
    for &n in sizes {
        let profiles = dir.join(format!("profiles-{}.jsonl", size_name(n)));
        if profiles.exists() {
            continue;
        }
        eprintln!("generating {n} people into {}", dir.display());
        let scratch = dir.join(format!(".generating-{}", size_name(n)));
        cxc(&[
            "demo-data",
            "--quiet",
            "--profiles",
            &n.to_string(),
            "--out",
            scratch.to_str().unwrap(),
        ]);
        for shared in ["taxonomy.jsonl", "organizations.jsonl"] {
            std::fs::rename(scratch.join(shared), dir.join(shared)).unwrap();
        }
        std::fs::rename(scratch.join("profiles.jsonl"), &profiles).unwrap();
        std::fs::remove_dir(&scratch).unwrap();
    }
}

struct Figures {
    p50: f64,
    p99: f64,
    per_second: f64,
    /// Processor time the server spent per request in the throughput run, in milliseconds:
    /// what is left of the two cores is the load generator's.
    server_cpu: f64,
}

/// Processor time (user and system) a process has used so far, in milliseconds.
fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime, fields 14 and 15 of proc_pid_stat(5), in ticks of 1/100 s.
    (ticks(11) + ticks(12)) * 10.0
}

/// p50 and p99 latency one request at a time, then requests per second with `CONCURRENCY`
/// clients.
async fn load(base: &str, pid: u32, paths: Arc<Vec<(String, Option<String>)>>) -> Figures {
    let (latencies, _) = run(base, paths.clone(), LATENCY_REQUESTS, 1).await;
    let cpu_before = cpu_ms(pid);
    let (_, per_second) = run(base, paths, THROUGHPUT_REQUESTS, CONCURRENCY).await;
    let server_cpu = (cpu_ms(pid) - cpu_before) / THROUGHPUT_REQUESTS as f64;
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    Figures {
        p50: at(0.5),
        p99: at(0.99),
        per_second,
        server_cpu,
    }
}

/// Sends `requests` requests, `concurrency` at a time, cycling through `paths`; returns the
/// sorted latencies in milliseconds and the requests per second.
async fn run(
    base: &str,
    paths: Arc<Vec<(String, Option<String>)>>,
    requests: usize,
    concurrency: usize,
) -> (Vec<f64>, f64) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, next, paths, base) =
            (client.clone(), next.clone(), paths.clone(), base.to_owned());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= requests {
                    return latencies;
                }
                let (path, token) = &paths[i % paths.len()];
                let mut request = client.get(format!("{base}{path}"));
                if let Some(t) = token {
                    request = request.bearer_auth(t);
                }
                let t0 = Instant::now();
                let response = request.send().await.expect("request");
                assert!(
                    response.status().is_success(),
                    "{path}: {}",
                    response.status()
                );
                response.bytes().await.expect("body");
                latencies.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let per_second = all.len() as f64 / elapsed;
    (all, per_second)
}

fn search_paths(profiles: &Path) -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(profiles).unwrap();
    let sample: Vec<serde_json::Value> = text
        .lines()
        .step_by(97)
        .take(200)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    sample
        .iter()
        .enumerate()
        .filter_map(|(i, p)| search_query(i, p))
        .map(|path| (path, None))
        .collect()
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; any other argument filters nothing here.
    let sizes: Vec<usize> = std::env::var("CXC_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("sizes are numbers"))
        .collect();
    ensure_data(&sizes);
    let dir = data_dir();
    println!(
        "| profiles | import | start-up | RSS after start | RSS peak in start-up | search p50 | search p99 | search req/s | search server CPU/req | matching p50 | matching p99 | matching req/s | matching server CPU/req | map p50 | map p99 | map req/s | RSS peak |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let name = size_name(n);
        let database = dir.join(format!("bench-{name}.sqlite3"));
        let db = database.to_str().unwrap().to_owned();
        let profiles = dir.join(format!("profiles-{name}.jsonl"));
        let import = if database.exists() {
            "(kept)".to_owned()
        } else {
            let t = Instant::now();
            cxc(&[
                "import",
                "--quiet",
                "--database",
                &db,
                dir.join("taxonomy.jsonl").to_str().unwrap(),
                dir.join("organizations.jsonl").to_str().unwrap(),
                profiles.to_str().unwrap(),
            ]);
            format!("{:.1} s", t.elapsed().as_secs_f64())
        };
        // Matching runs as a few dataset people, through API tokens.
        let users: Vec<String> = std::fs::read_to_string(&profiles)
            .unwrap()
            .lines()
            .step_by(211)
            .take(20)
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["username"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let tokens: Vec<String> = users
            .iter()
            .map(|u| {
                cxc(&["token", "create", u, "--database", &db])
                    .lines()
                    .last()
                    .unwrap()
                    .trim()
                    .to_owned()
            })
            .collect();
        let (server, startup) = start(&db).await;
        let pid = server.child.id();
        let rss_start = rss_mib(pid, "VmRSS:");
        let peak_start = rss_mib(pid, "VmHWM:");
        let search = load(&server.base, pid, Arc::new(search_paths(&profiles))).await;
        let matching_paths: Vec<(String, Option<String>)> = tokens
            .iter()
            .map(|t| ("/api/v1/me/matches?limit=10".to_owned(), Some(t.clone())))
            .collect();
        let matching = load(&server.base, pid, Arc::new(matching_paths)).await;
        let map_paths: Vec<(String, Option<String>)> = [
            "",
            "level=region",
            "mode=gap&capacity=cap-3",
            "capacity=cap-40&language=es",
            "level=region&mode=needs&capacity=cap-10",
        ]
        .iter()
        .map(|q| (format!("/api/v1/stats/map?{q}"), None))
        .collect();
        let map = load(&server.base, pid, Arc::new(map_paths)).await;
        let rss_peak = rss_mib(pid, "VmHWM:");
        println!(
            "| {n} | {import} | {:.1} s | {rss_start:.0} MiB | {peak_start:.0} MiB | {:.2} ms | {:.2} ms | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.0} | {rss_peak:.0} MiB |",
            startup.as_secs_f64(),
            search.p50,
            search.p99,
            search.per_second,
            search.server_cpu,
            matching.p50,
            matching.p99,
            matching.per_second,
            matching.server_cpu,
            map.p50,
            map.p99,
            map.per_second
        );
    }
}
