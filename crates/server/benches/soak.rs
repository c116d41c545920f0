//! Soak: a real `cxc serve` under a steady mix of reads and writes from several clients for a
//! long while — searches, profiles, matching, the map, pages, profile edits, and the exchange
//! (requests, acceptances, messages, completions) — reporting errors, latency percentiles per
//! stretch of time and the server's resident memory, and failing when any request fails or
//! memory grows more than 10% after the warm-up.
//!
//!   cargo bench -p cxc --bench soak                                      # 10 minutes, release
//!   CXC_SOAK_SECONDS=40 CXC_SOAK_PROFILES=2000 cargo test -p cxc --bench soak  # short, debug
//!
//! Settings: CXC_SOAK_SECONDS (600), CXC_SOAK_RATE requests per second (100), CXC_SOAK_CLIENTS
//! (8), CXC_SOAK_PROFILES people in the synthetic community (10000), CXC_SOAK_PEOPLE people who
//! act (200). Latency counts from when a request was due, so a server that falls behind shows.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{cxc, rss_mib, start};

use parking_lot::Mutex;
use serde_json::{Value, json};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map_or(default, |v| v.parse().expect("settings are numbers"))
}

/// One person who acts: their API token and their profile as the API gives it.
struct Person {
    username: String,
    token: String,
    profile: Value,
}

/// Where a pair of people stands in their current exchange.
#[derive(Clone, Copy)]
enum Stage {
    None,
    Requested(i64),
    Talking(i64, u32),
    Completing(i64),
}

/// A pair's exchange, advanced one step at a time; who asks alternates from one to the next.
struct Pair {
    people: [usize; 2],
    stage: Stage,
    round: u32,
}

struct Soak {
    base: String,
    client: reqwest::Client,
    people: Vec<Person>,
    /// Locked for the length of a step: two clients never advance one pair at once.
    pairs: Vec<tokio::sync::Mutex<Pair>>,
    searches: Vec<String>,
    usernames: Vec<String>,
}

/// What one request was, for the report.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Search,
    Profile,
    Matches,
    Map,
    Page,
    Edit,
    Exchange,
}

/// The mix, in twentieths.
const MIX: [(Kind, u32); 7] = [
    (Kind::Search, 7),
    (Kind::Profile, 3),
    (Kind::Matches, 3),
    (Kind::Map, 2),
    (Kind::Page, 2),
    (Kind::Edit, 2),
    (Kind::Exchange, 1),
];

fn kind_of(n: u64) -> Kind {
    let mut slot = (n % 20) as u32;
    for (kind, share) in MIX {
        if slot < share {
            return kind;
        }
        slot -= share;
    }
    unreachable!("the mix adds up to twenty")
}

impl Soak {
    fn get(&self, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let request = self.client.get(format!("{}{path}", self.base));
        match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        }
    }

    fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Value,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
    }

    /// Sends request `n` of the mix; `Err` says what went wrong.
    async fn request(&self, n: u64) -> Result<(), String> {
        // Spread over everyone by a real mix of the bits (SplitMix64): requests of one kind all
        // have numbers alike modulo twenty, and a plain multiple would reach only a few people.
        let pick = |len: usize| (common::mix(n) % len as u64) as usize;
        let person = &self.people[pick(self.people.len())];
        let response = match kind_of(n) {
            Kind::Search => self.get(&self.searches[pick(self.searches.len())], None),
            Kind::Profile => {
                let name = &self.usernames[pick(self.usernames.len())];
                self.get(&format!("/api/v1/profiles/{name}"), None)
            }
            Kind::Matches => self.get("/api/v1/me/matches?limit=10", Some(&person.token)),
            Kind::Map => {
                let shapes = [
                    "",
                    "level=region",
                    "mode=gap&capacity=cap-3",
                    "mode=needs&capacity=cap-10",
                ];
                self.get(
                    &format!("/api/v1/stats/map?{}", shapes[pick(shapes.len())]),
                    None,
                )
            }
            Kind::Page => {
                let pages = ["/", "/people?offers=cap-3", "/map", "/dashboard"];
                self.get(pages[pick(pages.len())], None)
            }
            Kind::Edit => {
                let mut profile = person.profile.clone();
                profile["bio"] = json!(format!("Edited by the soak, time {n}."));
                self.send(
                    reqwest::Method::PUT,
                    "/api/v1/me/profile",
                    &person.token,
                    profile,
                )
            }
            Kind::Exchange => return self.exchange(pick(self.pairs.len())).await,
        };
        check(response, "").await.map(|_| ())
    }

    /// One step of a pair's exchange: a request, its acceptance, six messages, two
    /// completions, then the next round the other way.
    async fn exchange(&self, pair: usize) -> Result<(), String> {
        use reqwest::Method as M;
        let mut pair = self.pairs[pair].lock().await;
        let asker = &self.people[pair.people[(pair.round % 2) as usize]];
        let helper = &self.people[pair.people[((pair.round + 1) % 2) as usize]];
        let what = format!("exchange {} → {}", asker.username, helper.username);
        let (next, response) = match pair.stage {
            Stage::None => {
                let body = json!({"to": helper.username, "message": "Could we learn together?"});
                let answer = check(
                    self.send(M::POST, "/api/v1/connections", &asker.token, body),
                    &what,
                )
                .await?;
                let id = answer["id"]
                    .as_i64()
                    .ok_or_else(|| format!("{what}: no id in {answer}"))?;
                pair.stage = Stage::Requested(id);
                return Ok(());
            }
            Stage::Requested(id) => (
                Stage::Talking(id, 0),
                self.send(
                    M::POST,
                    &format!("/api/v1/connections/{id}/answer"),
                    &helper.token,
                    json!({"action": "accept"}),
                ),
            ),
            Stage::Talking(id, said) => {
                let by = if said % 2 == 0 { asker } else { helper };
                let next = if said == 5 {
                    Stage::Completing(id)
                } else {
                    Stage::Talking(id, said + 1)
                };
                let body = json!({"body": format!("Message {said} of round {}.", pair.round)});
                (
                    next,
                    self.send(
                        M::POST,
                        &format!("/api/v1/connections/{id}/messages"),
                        &by.token,
                        body,
                    ),
                )
            }
            Stage::Completing(id) => {
                for who in [asker, helper] {
                    let done = self.send(
                        M::POST,
                        &format!("/api/v1/connections/{id}/complete"),
                        &who.token,
                        Value::Null,
                    );
                    check(done, &what).await?;
                }
                pair.round += 1;
                pair.stage = Stage::None;
                return Ok(());
            }
        };
        check(response, &what).await?;
        pair.stage = next;
        Ok(())
    }
}

async fn check(request: reqwest::RequestBuilder, what: &str) -> Result<Value, String> {
    let response = request.send().await.map_err(|e| format!("{what}: {e}"))?;
    let status = response.status();
    let url = response.url().path().to_owned();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("{what} {url}: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "{what} {url}: {status} {}",
            String::from_utf8_lossy(&body)
        ));
    }
    Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Searches drawn from the people in the community as the HTTP bench draws them: every
/// filter alone, and two or three together.
fn searches(records: &[Value]) -> Vec<String> {
    let mut draw = common::Draw(7);
    let sample: Vec<Value> = records.iter().step_by(37).cloned().collect();
    let kinds = common::combinable();
    (1..=3)
        .flat_map(|n| common::searches(&sample, &mut draw, kinds, n, 100))
        .collect()
}

/// A stretch of the run: latencies and failures in it, and memory at its end.
#[derive(Default)]
struct Window {
    latencies: Vec<f64>,
    /// The same latencies by what the request was.
    by_kind: std::collections::BTreeMap<Kind, Vec<f64>>,
    errors: u64,
    /// Resident memory sampled every half second in the stretch, in MiB.
    rss: Vec<f64>,
}

impl Window {
    fn mean_rss(&self) -> f64 {
        self.rss.iter().sum::<f64>() / self.rss.len().max(1) as f64
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

#[tokio::main]
async fn main() {
    let seconds = setting("CXC_SOAK_SECONDS", 600);
    let rate = setting("CXC_SOAK_RATE", 100);
    let clients = setting("CXC_SOAK_CLIENTS", 8);
    let profiles = setting("CXC_SOAK_PROFILES", 10_000);
    let acting = setting("CXC_SOAK_PEOPLE", 200) as usize;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("community");
    let database = dir.path().join("soak.sqlite3");
    let db = database.to_str().unwrap();
    eprintln!("soak: generating and importing {profiles} people");
    cxc(&[
        "demo-data",
        "--quiet",
        "--profiles",
        &profiles.to_string(),
        "--out",
        data.to_str().unwrap(),
    ]);
    let files: Vec<String> = ["taxonomy.jsonl", "organizations.jsonl", "profiles.jsonl"]
        .iter()
        .map(|f| data.join(f).to_str().unwrap().to_owned())
        .collect();
    let mut args = vec!["import", "--quiet", "--database", db];
    args.extend(files.iter().map(String::as_str));
    cxc(&args);
    let records: Vec<Value> = std::fs::read_to_string(data.join("profiles.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Profiles anyone may read: those not limited to members or hidden.
    let usernames: Vec<String> = records
        .iter()
        .step_by(7)
        .filter(|r| r["visibility"] == "public")
        .map(|r| r["username"].as_str().unwrap().to_owned())
        .collect();
    // People who act must be findable: public, and open to suggestions.
    let findable: Vec<&Value> = records
        .iter()
        .filter(|r| r["visibility"] == "public" && r["recommendable"] != false)
        .collect();
    let actors: Vec<String> = findable
        .iter()
        .step_by(findable.len() / acting)
        .take(acting)
        .map(|r| r["username"].as_str().unwrap().to_owned())
        .collect();
    eprintln!("soak: making API tokens for {} people", actors.len());
    let tokens: Vec<String> = actors
        .iter()
        .map(|u| {
            cxc(&["token", "create", u, "--database", db])
                .lines()
                .last()
                .unwrap()
                .trim()
                .to_owned()
        })
        .collect();

    let (server, _) = start(db).await;
    let pid = server.child.id();
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients as usize)
        .build()
        .unwrap();
    let mut people = Vec::new();
    for (username, token) in actors.into_iter().zip(tokens) {
        let mut profile: Value = client
            .get(format!("{base}/api/v1/me/profile"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // Everyone who acts takes requests, whatever the community file said.
        profile["away_until"] = Value::Null;
        profile["max_connections"] = json!(5);
        people.push(Person {
            username,
            token,
            profile,
        });
    }
    let pairs = (0..people.len() / 2)
        .map(|i| {
            tokio::sync::Mutex::new(Pair {
                people: [2 * i, 2 * i + 1],
                stage: Stage::None,
                round: 0,
            })
        })
        .collect();
    let soak = Arc::new(Soak {
        base,
        client,
        people,
        pairs,
        searches: searches(&records),
        usernames,
    });

    let windows_count = 10u64;
    let window_length = Duration::from_secs_f64(seconds as f64 / windows_count as f64);
    let windows: Arc<Mutex<Vec<Window>>> = Arc::new(Mutex::new(
        (0..windows_count).map(|_| Window::default()).collect(),
    ));
    let failures: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    eprintln!("soak: {rate} requests per second from {clients} clients for {seconds} s");
    let start = Instant::now();
    let mut workers = Vec::new();
    for c in 0..clients {
        let (soak, windows, failures) = (soak.clone(), windows.clone(), failures.clone());
        workers.push(tokio::spawn(async move {
            let period = Duration::from_secs_f64(clients as f64 / rate as f64);
            let mut ticks = tokio::time::interval_at(
                tokio::time::Instant::now() + period.mul_f64(c as f64 / clients as f64),
                period,
            );
            let mut n = c;
            loop {
                let due = ticks.tick().await;
                let elapsed = due.into_std().saturating_duration_since(start);
                let window = (elapsed.as_secs_f64() / window_length.as_secs_f64()) as usize;
                if window >= windows_count as usize {
                    return;
                }
                let result = soak.request(n).await;
                let latency = due.elapsed().as_secs_f64() * 1000.0;
                let mut windows = windows.lock();
                windows[window].latencies.push(latency);
                windows[window]
                    .by_kind
                    .entry(kind_of(n))
                    .or_default()
                    .push(latency);
                if let Err(e) = result {
                    windows[window].errors += 1;
                    failures.lock().push(e);
                }
                n += clients;
            }
        }));
    }
    let sampler = {
        let windows = windows.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_millis(500));
            loop {
                ticks.tick().await;
                let w = (start.elapsed().as_secs_f64() / window_length.as_secs_f64()) as usize;
                if w >= windows_count as usize {
                    return;
                }
                windows.lock()[w].rss.push(rss_mib(pid, "VmRSS:"));
            }
        })
    };
    for w in workers {
        w.await.unwrap();
    }
    sampler.await.unwrap();

    let mut windows = std::mem::take(&mut *windows.lock());
    println!("| from | to | requests | errors | p50 | p95 | p99 | max | RSS (mean) |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut total = 0;
    let mut errors = 0;
    for (i, w) in windows.iter_mut().enumerate() {
        w.latencies.sort_by(f64::total_cmp);
        total += w.latencies.len();
        errors += w.errors;
        println!(
            "| {:.0} s | {:.0} s | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} ms | {:.1} MiB |",
            window_length.as_secs_f64() * i as f64,
            window_length.as_secs_f64() * (i + 1) as f64,
            w.latencies.len(),
            w.errors,
            percentile(&w.latencies, 0.5),
            percentile(&w.latencies, 0.95),
            percentile(&w.latencies, 0.99),
            w.latencies.last().copied().unwrap_or(0.0),
            w.mean_rss()
        );
    }
    // The warm-up is the first stretch: caches fill and the allocator settles. Growth compares
    // the three stretches after it with the last three, each as a mean of its samples, so that
    // the allocator's ups and downs are not taken for a trend.
    let mean = |ws: &[Window]| ws.iter().map(Window::mean_rss).sum::<f64>() / ws.len() as f64;
    let warm = mean(&windows[1..4]);
    let last = mean(&windows[windows.len() - 3..]);
    let growth = (last - warm) / warm * 100.0;
    println!("\n| request | count | p50 | p99 | max |\n|---|---|---|---|---|");
    let mut kinds: std::collections::BTreeMap<Kind, Vec<f64>> = std::collections::BTreeMap::new();
    for w in &windows {
        for (kind, latencies) in &w.by_kind {
            kinds.entry(*kind).or_default().extend(latencies);
        }
    }
    for (kind, latencies) in &mut kinds {
        latencies.sort_by(f64::total_cmp);
        println!(
            "| {kind:?} | {} | {:.2} ms | {:.2} ms | {:.1} ms |",
            latencies.len(),
            percentile(latencies, 0.5),
            percentile(latencies, 0.99),
            latencies.last().copied().unwrap_or(0.0)
        );
    }
    let mut all: Vec<f64> = windows
        .iter()
        .flat_map(|w| w.latencies.iter().copied())
        .collect();
    all.sort_by(f64::total_cmp);
    println!(
        "\n{total} requests in {seconds} s ({:.0}/s asked {rate}/s), {errors} errors; p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; RSS {warm:.1} MiB just after the warm-up, {last:.1} MiB at the end ({growth:+.1}%)",
        total as f64 / seconds as f64,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(0.0),
    );
    // Failures of the same kind together, numbers left out so that ids do not split them.
    let mut failed: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for f in failures.lock().iter() {
        let kind: String = f
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .take(240)
            .collect();
        *failed.entry(kind).or_default() += 1;
    }
    for (kind, n) in &failed {
        println!("failed {n} times: {kind}");
    }
    assert_eq!(errors, 0, "every request succeeds");
    assert!(
        growth < 10.0,
        "resident memory grew {growth:.1}% after the warm-up"
    );
}
