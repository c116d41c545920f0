//! The engine alone (no HTTP, no database): search and matching over a read model built from
//! the synthetic community. `cargo bench -p cxc-core --bench engine`; sizes with CXC_BENCH_SIZES
//! (default 100000), data from CXC_BENCH_DATA (default /var/tmp/cxc-bench-community), where
//! the HTTP benchmark (`cargo bench -p cxc --bench http`) generates it with `cxc demo-data`.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use cxc_core::matching::{self, Context, Exposure, Subject};
use cxc_core::model::{Dimension, Interest, Model, Person};
use cxc_core::profile::{LanguageLevel, Visibility};
use cxc_core::search::{self, Query, Sort};
use cxc_core::taxonomy::Taxonomy;
use serde_json::Value;

fn data_dir() -> PathBuf {
    PathBuf::from(
        std::env::var("CXC_BENCH_DATA").unwrap_or_else(|_| "/var/tmp/cxc-bench-community".into()),
    )
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn load(size: usize) -> Model {
    let dir = data_dir();
    let name = if size.is_multiple_of(1_000_000) {
        format!("{}m", size / 1_000_000)
    } else {
        format!("{}k", size / 1000)
    };
    let taxonomy_text = std::fs::read_to_string(dir.join("taxonomy.jsonl"))
        .expect("generate the community first: run the HTTP benchmark once (see its header)");
    let edges: Vec<(String, Option<String>)> = taxonomy_text
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["key"].as_str().unwrap().to_owned(),
                v["parent"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let taxonomy =
        Taxonomy::from_edges(edges.iter().map(|(k, p)| (k.as_str(), p.as_deref()))).unwrap();
    let before = rss_mib();
    let started = Instant::now();
    let mut model = Model::new(&taxonomy);
    let text = std::fs::read_to_string(dir.join(format!("profiles-{name}.jsonl"))).unwrap();
    for (i, line) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap();
        let caps = |m: &mut Model, list: &Value| -> Vec<u32> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|c| m.capacities.intern(c.as_str().unwrap()))
                .collect()
        };
        let known = caps(&mut model, &v["known"]);
        let offered = caps(&mut model, &v["offered"]);
        let wanted = caps(&mut model, &v["wanted"]);
        let person = Person {
            account_id: i as i64,
            username: v["username"].as_str().unwrap().to_owned(),
            display_name: v["display_name"].as_str().unwrap().to_owned(),
            country: v["country"].as_str().map(|c| model.countries.intern(c)),
            region: None,
            utc_offset: None,
            languages: v["languages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        model.languages.intern(l["code"].as_str().unwrap()),
                        LanguageLevel::from_json(&l["level"]).unwrap().rank() as u8,
                    )
                })
                .collect(),
            known: known.into_iter().map(|c| (c, 3)).collect(),
            offered: offered
                .into_iter()
                .map(|capacity| Interest {
                    capacity,
                    methods: 0,
                    formats: 0,
                })
                .collect(),
            wanted: wanted
                .into_iter()
                .map(|capacity| Interest {
                    capacity,
                    methods: 0,
                    formats: 0,
                })
                .collect(),
            affiliations: v["affiliations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| model.organizations.intern(a.as_str().unwrap()))
                .collect(),
            projects: Vec::new(),
            visibility: Visibility::parse(v["visibility"].as_str().unwrap()).unwrap(),
            recommendable: true,
            away_until: None,
            max_connections: None,
            open_connections: 0,
            updated_at: i as i64,
        };
        model.upsert(person);
    }
    println!(
        "read model of {size} profiles: built in {:.1} s, {:.0} MiB more resident memory",
        started.elapsed().as_secs_f64(),
        rss_mib() - before
    );
    model
}

fn queries(model: &Model) -> Vec<Query> {
    let cap = |k: &str| model.capacities.get(k).unwrap();
    let lang = |l: &str| model.languages.get(l).unwrap();
    let base = Query {
        filters: BTreeMap::new(),
        min_level: 0,
        text: None,
        available_now: false,
        today: time::macros::date!(2026 - 11 - 24),
        signed_in: false,
        sort: Sort::Relevance,
        limit: 20,
        cursor: None,
        facets: cxc_core::model::ALL_DIMENSIONS.to_vec(),
    };
    let with = |filters: Vec<(Dimension, Vec<u32>)>, min_level: u8| Query {
        filters: filters.into_iter().collect(),
        min_level,
        ..base.clone()
    };
    vec![
        with(vec![(Dimension::Offers, vec![cap("cap-64")])], 0),
        with(
            vec![
                (Dimension::Wants, vec![cap("cap-8"), cap("cap-31")]),
                (Dimension::Region, vec![3]),
            ],
            0,
        ),
        with(
            vec![
                (Dimension::Language, vec![lang("es")]),
                (Dimension::Knows, vec![cap("cap-1")]),
            ],
            3,
        ),
        with(
            vec![
                (Dimension::Offers, vec![cap("cap-2")]),
                (Dimension::Wants, vec![cap("cap-5")]),
                (Dimension::Language, vec![lang("fr")]),
            ],
            2,
        ),
        with(vec![], 0),
    ]
}

fn benches(c: &mut Criterion) {
    let sizes: Vec<usize> = std::env::var("CXC_BENCH_SIZES")
        .unwrap_or_else(|_| "100000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    for size in sizes {
        let model = load(size);
        let qs = queries(&model);
        let mut group = c.benchmark_group(format!("engine-{size}"));
        group.sample_size(30);
        group.bench_with_input(
            BenchmarkId::new("search with facets", "5 queries"),
            &qs,
            |b, qs| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % qs.len();
                    search::search(&model, &qs[i])
                })
            },
        );
        let slots: Vec<u32> = model
            .people()
            .map(|(s, _)| s)
            .step_by(997)
            .take(50)
            .collect();
        let exposure = Exposure::new();
        let blocked = HashSet::new();
        let ctx = Context {
            today: time::macros::date!(2026 - 11 - 24),
            now: 1_795_000_000,
            signed_in: true,
            exposure: &exposure,
            blocked: &blocked,
        };
        let config = matching::Config::default();
        group.bench_function("matching top 10", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % slots.len();
                let p = model.person(slots[i]).unwrap();
                matching::matches(&model, &Subject::person(slots[i], p), &config, &ctx, 10)
            })
        });
        group.finish();
    }
}

criterion_group!(engine, benches);
criterion_main!(engine);
