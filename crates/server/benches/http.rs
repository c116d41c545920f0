//! HTTP load run against a real `cxc serve` on the synthetic community: import time, start-up
//! time, resident memory, and for every query shape its latency (p50, p99) and the server's
//! processor time per request under load, beside the machine's floor (`/healthz` and a static
//! file) measured in the same run.
//!
//!   cargo bench -p cxc --bench http                    # 10k and 100k profiles
//!   CXC_BENCH_SIZES=100000,1000000 cargo bench -p cxc --bench http
//!   CXC_BENCH_SHAPES=search cargo bench -p cxc --bench http   # only shapes whose name has it
//!
//! Queries are drawn at random (a fixed seed) from the data: every filter alone and two or
//! three together, sorted by recency, second pages through a cursor, members-only callers;
//! matching for people with many and few wants, popular and rare ones, one language or many;
//! one profile as JSON and JSON-LD; the map; and the pages (a capacity, the home page signed
//! out and in). Data is the community of `cxc demo-data` (seed 42), generated into CXC_BENCH_DATA
//! (default /var/tmp/cxc-bench-community) when missing; databases are kept beside it so that
//! reruns skip the import.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use common::{Draw, FILTERS, combinable, cxc, rss_mib, searches, start, strings, urlencode};
use serde_json::Value;

/// Latency is measured one request at a time (so it is the server's, not the queue's);
/// processor time and throughput with as many connections as wrk's usual `-c32`.
const LATENCY_REQUESTS: usize = 300;
const LOAD_REQUESTS: usize = 2000;
const CONNECTIONS: usize = 32;
/// Concrete queries drawn for each shape.
const QUERIES_PER_SHAPE: usize = 100;

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

/// One request: a path and how the caller identifies (an API token, or the session cookie
/// of the signed-in visitor) and what it accepts.
#[derive(Clone, Default)]
struct Call {
    path: String,
    token: Option<String>,
    session: bool,
    accept: Option<&'static str>,
}

impl Call {
    fn get(path: impl Into<String>) -> Call {
        Call {
            path: path.into(),
            ..Call::default()
        }
    }

    fn with_token(mut self, token: &str) -> Call {
        self.token = Some(token.to_owned());
        self
    }
}

struct Figures {
    p50: f64,
    p99: f64,
    /// p99 with `CONNECTIONS` requests in flight: what a visitor waits for under load.
    p99_loaded: f64,
    per_second: f64,
    /// Processor time the server spent per request under load, in milliseconds: what is
    /// left of the two cores is the load generator's.
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

struct Bench {
    base: String,
    pid: u32,
    client: reqwest::Client,
    session: Option<String>,
}

impl Bench {
    async fn load(&self, calls: Arc<Vec<Call>>) -> Figures {
        let (latencies, _) = self.run(calls.clone(), LATENCY_REQUESTS, 1).await;
        let cpu_before = cpu_ms(self.pid);
        let (loaded, per_second) = self.run(calls, LOAD_REQUESTS, CONNECTIONS).await;
        let server_cpu = (cpu_ms(self.pid) - cpu_before) / LOAD_REQUESTS as f64;
        let at = |l: &[f64], q: f64| l[((l.len() as f64 - 1.0) * q).round() as usize];
        Figures {
            p50: at(&latencies, 0.5),
            p99: at(&latencies, 0.99),
            p99_loaded: at(&loaded, 0.99),
            per_second,
            server_cpu,
        }
    }

    /// Sends `requests` requests, `concurrency` at a time, cycling through `calls`; returns
    /// the sorted latencies in milliseconds and the requests per second.
    async fn run(
        &self,
        calls: Arc<Vec<Call>>,
        requests: usize,
        concurrency: usize,
    ) -> (Vec<f64>, f64) {
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let (client, next, calls, base, session) = (
                self.client.clone(),
                next.clone(),
                calls.clone(),
                self.base.clone(),
                self.session.clone(),
            );
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= requests {
                        return latencies;
                    }
                    let call = &calls[i % calls.len()];
                    let mut request = client.get(format!("{base}{}", call.path));
                    if let Some(t) = &call.token {
                        request = request.bearer_auth(t);
                    }
                    if let (true, Some(cookie)) = (call.session, &session) {
                        request = request.header("cookie", cookie);
                    }
                    if let Some(accept) = call.accept {
                        request = request.header("accept", accept);
                    }
                    let t0 = Instant::now();
                    let response = request.send().await.expect("request");
                    assert!(
                        response.status().is_success(),
                        "{}: {}",
                        call.path,
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
}

/// People read from the data file: a sample for drawing queries, and everyone's wants,
/// languages and username for choosing whom matching runs as.
struct Community {
    sample: Vec<Value>,
    everyone: Vec<Member>,
}

struct Member {
    username: String,
    wants: Vec<String>,
    languages: usize,
}

fn read_community(path: &std::path::Path) -> Community {
    let text = std::fs::read_to_string(path).unwrap();
    let mut sample = Vec::new();
    let mut everyone = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let p: Value = serde_json::from_str(line).unwrap();
        // Matching runs as public people; members-only profiles do not take part in it for
        // signed-out callers, and the shapes should not depend on that.
        if p["visibility"].as_str() != Some("hidden") {
            everyone.push(Member {
                username: p["username"].as_str().unwrap().to_owned(),
                wants: strings(&p, "wanted"),
                languages: p["languages"].as_array().map_or(0, Vec::len),
            });
        }
        if i % 97 == 0 && sample.len() < 2000 {
            sample.push(p);
        }
    }
    Community { sample, everyone }
}

/// Matching shapes: ten people each with many wants, one want, only popular wants, only rare
/// ones, one language, three or more.
fn matching_people(c: &Community) -> Vec<(&'static str, Vec<String>)> {
    let mut popularity: HashMap<&str, usize> = HashMap::new();
    for m in &c.everyone {
        for w in &m.wants {
            *popularity.entry(w).or_default() += 1;
        }
    }
    let mut ranked: Vec<usize> = popularity.values().copied().collect();
    ranked.sort_unstable();
    let quantile = |q: f64| ranked[((ranked.len() - 1) as f64 * q) as usize];
    let (rare, popular) = (quantile(0.3), quantile(0.9));
    let pick = |test: &dyn Fn(&Member) -> bool| -> Vec<String> {
        c.everyone
            .iter()
            .filter(|p| test(p))
            .step_by(7)
            .take(10)
            .map(|p| p.username.clone())
            .collect()
    };
    let max_wants = c.everyone.iter().map(|p| p.wants.len()).max().unwrap_or(0);
    vec![
        (
            "matching: many wants",
            pick(&|p| p.wants.len() + 1 >= max_wants),
        ),
        ("matching: one want", pick(&|p| p.wants.len() == 1)),
        (
            "matching: popular wants",
            pick(&|p| {
                !p.wants.is_empty() && p.wants.iter().all(|w| popularity[w.as_str()] >= popular)
            }),
        ),
        (
            "matching: rare wants",
            pick(&|p| {
                !p.wants.is_empty() && p.wants.iter().all(|w| popularity[w.as_str()] <= rare)
            }),
        ),
        (
            "matching: one language",
            pick(&|p| !p.wants.is_empty() && p.languages == 1),
        ),
        (
            "matching: three languages or more",
            pick(&|p| !p.wants.is_empty() && p.languages >= 3),
        ),
    ]
}

/// The text of a page.
async fn page_text(client: &reqwest::Client, url: &str) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

/// What follows `marker` in `html` up to the next double quote: an attribute's value.
fn quoted_after<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    html.split(marker).nth(1)?.split('"').next()
}

/// Signs in a local visitor whose profile wants what a dataset person wants, for the signed-in
/// home page with its suggestions; returns the session cookie.
async fn sign_in_visitor(base: &str, db: &str, like: &Value) -> String {
    let name = "Bench_visitor";
    let password = "a long bench password";
    let mut add = std::process::Command::new(env!("CARGO_BIN_EXE_cxc"))
        .args(["user", "add", name, "--password-stdin", "--database", db])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(add.stdin.take().unwrap(), "{password}").unwrap();
    // A rerun on a kept database finds the visitor there already, and is refused quietly.
    add.wait().unwrap();
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = page_text(&client, &format!("{base}/login")).await;
    let csrf = quoted_after(&form, "name=\"csrf_token\" value=\"")
        .expect("the sign-in form has a CSRF token")
        .to_owned();
    let signed_in = client
        .post(format!("{base}/login"))
        .form(&[
            ("username", name),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("cxc_session="))
        .and_then(|v| v.split(';').next())
        .expect("signing in sets a session cookie")
        .to_owned();
    let profile = serde_json::json!({
        "display_name": "Bench visitor",
        "country": like["country"],
        "languages": like["languages"],
        "wanted": like["wanted"],
        "offered": like["offered"],
        "known": like["known"],
    });
    let saved = client
        .put(format!("{base}/api/v1/me/profile"))
        .header("cookie", &cookie)
        .json(&profile)
        .send()
        .await
        .unwrap();
    assert!(saved.status().is_success(), "profile: {}", saved.status());
    cookie
}

/// Every shape of request the run measures, by name.
async fn shapes(
    bench: &Bench,
    community: &Community,
    tokens: &HashMap<String, String>,
    stylesheet: &str,
) -> Vec<(String, Vec<Call>)> {
    let mut draw = Draw(42);
    let people = &community.sample;
    let member = tokens.values().next().expect("a token").clone();
    let mut out: Vec<(String, Vec<Call>)> = vec![
        ("floor: /healthz".into(), vec![Call::get("/healthz")]),
        ("floor: a static file".into(), vec![Call::get(stylesheet)]),
    ];
    let plain = |paths: Vec<String>| paths.into_iter().map(Call::get).collect::<Vec<_>>();
    let mut drawn = |kinds: &[&str], filters: usize| {
        searches(people, &mut draw, kinds, filters, QUERIES_PER_SHAPE)
    };
    for kind in FILTERS {
        out.push((format!("search: {kind}"), plain(drawn(&[kind], 1))));
    }
    let with = |paths: Vec<String>, tail: &str| -> Vec<String> {
        paths.into_iter().map(|p| format!("{p}{tail}")).collect()
    };
    out.push(("search: two filters".into(), plain(drawn(combinable(), 2))));
    out.push((
        "search: three filters".into(),
        plain(drawn(combinable(), 3)),
    ));
    out.push((
        "search: one filter, by recency".into(),
        plain(with(drawn(combinable(), 1), "&sort=recent")),
    ));
    out.push((
        "search: one filter, members-only caller".into(),
        drawn(combinable(), 1)
            .into_iter()
            .map(|p| Call::get(p).with_token(&member))
            .collect(),
    ));
    out.push((
        "search: one filter, no facets".into(),
        plain(with(drawn(combinable(), 1), "&facets=none")),
    ));
    // Second pages: the cursor of each first page that has one.
    let mut second = Vec::new();
    for path in drawn(&["offers", "wants", "language", "region"], 1) {
        let first: Value = bench
            .client
            .get(format!("{}{path}&facets=none", bench.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(cursor) = first["next_cursor"].as_str() {
            second.push(Call::get(format!("{path}&cursor={}", urlencode(cursor))));
        }
    }
    out.push(("search: second page (cursor)".into(), second));
    for (name, users) in matching_people(community) {
        let calls = users
            .iter()
            .filter_map(|u| tokens.get(u))
            .map(|t| Call::get("/api/v1/me/matches?limit=10").with_token(t))
            .collect();
        out.push((name.into(), calls));
    }
    let profile_paths: Vec<String> = people
        .iter()
        .filter(|p| p["visibility"].as_str() == Some("public"))
        .take(QUERIES_PER_SHAPE)
        .map(|p| {
            format!(
                "/api/v1/profiles/{}",
                urlencode(p["username"].as_str().unwrap())
            )
        })
        .collect();
    out.push(("profile: JSON".into(), plain(profile_paths.clone())));
    out.push((
        "profile: JSON-LD".into(),
        profile_paths
            .iter()
            .map(|p| Call {
                accept: Some("application/ld+json"),
                ..Call::get(p.clone())
            })
            .collect(),
    ));
    out.push((
        "map: figures".into(),
        plain(
            [
                "",
                "level=region",
                "mode=gap&capacity=cap-3",
                "capacity=cap-40&language=es",
                "level=region&mode=needs&capacity=cap-10",
            ]
            .iter()
            .map(|q| format!("/api/v1/stats/map?{q}"))
            .collect(),
        ),
    ));
    out.push((
        "page: /people with filters".into(),
        plain(
            drawn(&["offers", "wants", "language", "country", "region"], 2)
                .into_iter()
                .map(|p| p.replace("/api/v1/profiles", "/people"))
                .collect(),
        ),
    ));
    out.push((
        "page: a profile".into(),
        plain(
            profile_paths
                .iter()
                .map(|p| p.replace("/api/v1/profiles", "/people"))
                .collect(),
        ),
    ));
    // Capacity pages by their slugs (labels shared by two capacities get a suffixed slug, so
    // only unique ones are drawn).
    let taxonomy = std::fs::read_to_string(data_dir().join("taxonomy.jsonl")).expect("taxonomy");
    let labels: Vec<String> = taxonomy
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|c| Some(c["labels"]["en"].as_str()?.to_owned()))
        .collect();
    let capacity_pages: Vec<String> = labels
        .iter()
        .filter(|l| labels.iter().filter(|m| m == l).count() == 1)
        .take(QUERIES_PER_SHAPE)
        .map(|l| format!("/capacities/{}", cxc::directory::slugify(l)))
        .collect();
    out.push(("page: a capacity".into(), plain(capacity_pages)));
    out.push(("page: home".into(), vec![Call::get("/")]));
    out.push(("page: /map".into(), vec![Call::get("/map")]));
    out.push(("page: /dashboard".into(), vec![Call::get("/dashboard")]));
    out.push((
        "page: signed-in home".into(),
        vec![Call {
            session: true,
            ..Call::get("/")
        }],
    ));
    out
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("CXC_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("sizes are numbers"))
        .collect();
    let only = std::env::var("CXC_BENCH_SHAPES").unwrap_or_default();
    ensure_data(&sizes);
    let dir = data_dir();
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
        let community = read_community(&profiles);
        let mut users: Vec<String> = matching_people(&community)
            .into_iter()
            .flat_map(|(_, u)| u)
            .collect();
        users.sort();
        users.dedup();
        let tokens: HashMap<String, String> = users
            .iter()
            .map(|u| {
                let token = cxc(&["token", "create", u, "--database", &db])
                    .lines()
                    .last()
                    .unwrap()
                    .trim()
                    .to_owned();
                (u.clone(), token)
            })
            .collect();
        let (server, startup) = start(&db).await;
        let pid = server.child.id();
        let rss_start = rss_mib(pid, "VmRSS:");
        let peak_start = rss_mib(pid, "VmHWM:");
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(CONNECTIONS)
            .build()
            .unwrap();
        let home = page_text(&client, &format!("{}/", server.base)).await;
        let stylesheet = quoted_after(&home, "href=\"/static/")
            .map(|f| format!("/static/{f}"))
            .expect("the home page links its stylesheet");
        let like = community
            .sample
            .iter()
            .find(|p| strings(p, "wanted").len() >= 2)
            .expect("someone wants two capacities");
        let session = sign_in_visitor(&server.base, &db, like).await;
        let bench = Bench {
            base: server.base.clone(),
            pid,
            client,
            session: Some(session),
        };
        println!(
            "\n{n} profiles: import {import}, start-up {:.1} s, {rss_start:.0} MiB after start-up (peak {peak_start:.0} MiB)\n",
            startup.as_secs_f64()
        );
        println!(
            "| shape | queries | p50 | p99 | p99 with {CONNECTIONS} in flight | req/s | server CPU/req | × floor |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        let mut floor = None;
        let mut worst: HashMap<&str, (f64, String)> = HashMap::new();
        for (shape, calls) in shapes(&bench, &community, &tokens, &stylesheet).await {
            if calls.is_empty() || !(shape.starts_with("floor") || shape.contains(only.as_str())) {
                continue;
            }
            let queries = calls.len();
            let f = bench.load(Arc::new(calls)).await;
            let base = *floor.get_or_insert(f.server_cpu);
            println!(
                "| {shape} | {queries} | {:.2} ms | {:.2} ms | {:.2} ms | {:.0} | {:.3} ms | {:.1} |",
                f.p50,
                f.p99,
                f.p99_loaded,
                f.per_second,
                f.server_cpu,
                f.server_cpu / base
            );
            let family = shape.split(':').next().unwrap_or_default();
            let entry = worst.entry(match family {
                "search" => "search",
                "matching" => "matching",
                "page" => "page",
                "profile" => "profile",
                _ => "other",
            });
            let w = entry.or_insert((0.0, String::new()));
            if f.server_cpu > w.0 {
                *w = (f.server_cpu, shape.clone());
            }
        }
        let rss_peak = rss_mib(pid, "VmHWM:");
        println!();
        for family in ["search", "matching", "profile", "page"] {
            if let Some((cpu, shape)) = worst.get(family) {
                println!("worst {family} shape: {shape}, {cpu:.3} ms server CPU per request");
            }
        }
        println!("resident peak {rss_peak:.0} MiB");
    }
}
