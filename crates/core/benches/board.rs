//! The board of asks and offers alone: listing with filters, facets and a cursor over a
//! deterministic set of posts. `cargo bench -p cxc-core --bench board`; sizes with
//! CXC_BENCH_POSTS (default 10000,100000).

use std::collections::{BTreeMap, HashSet};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use cxc_core::Method;
use cxc_core::board::{Board, BoardQuery, Facet, Listed};
use cxc_core::post::{PostKind, PostStatus};
use cxc_core::profile::Region;

const CAPACITIES: [&str; 12] = [
    "wikidata",
    "wikidata-sparql",
    "wikidata-imports",
    "lua-modules",
    "grant-writing",
    "edit-a-thons",
    "photo-contests",
    "mediation",
    "pywikibot",
    "translation",
    "copyright",
    "community-building",
];
const COUNTRIES: [(&str, Region); 6] = [
    ("NG", Region::SubSaharanAfrica),
    ("KE", Region::SubSaharanAfrica),
    ("BR", Region::LatinAmericaCaribbean),
    ("IN", Region::SouthAsia),
    ("FR", Region::NorthernWesternEurope),
    ("EG", Region::MiddleEastNorthAfrica),
];
const LANGUAGES: [&str; 6] = ["en", "fr", "es", "pt-br", "ar", "sw"];

fn board(size: usize) -> Board {
    let today = time::macros::date!(2026 - 12 - 03);
    let mut board = Board::default();
    // A fixed linear congruential sequence: the same posts on every run.
    let mut x: u64 = 2026;
    let mut next = |n: usize| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) as usize % n
    };
    for id in 1..=size as i64 {
        let (country, region) = COUNTRIES[next(COUNTRIES.len())];
        board.upsert(Listed {
            id,
            author: id % 5000,
            author_username: format!("person{}", id % 5000),
            organization: None,
            kind: if next(3) == 0 {
                PostKind::Offer
            } else {
                PostKind::Ask
            },
            status: if next(10) == 0 {
                PostStatus::Closed
            } else {
                PostStatus::Open
            },
            title: format!("post {id}"),
            body: String::new(),
            capacities: vec![CAPACITIES[next(CAPACITIES.len())].to_owned()],
            languages: vec![LANGUAGES[next(LANGUAGES.len())].to_owned()],
            country: Some(country.to_owned()),
            region: Some(region),
            online: next(2) == 0,
            methods: vec![Method::ALL[next(Method::ALL.len())]],
            expires_on: today + time::Duration::days(next(60) as i64 - 10),
            created: id,
            updated: id,
            hidden: false,
        });
    }
    board
}

fn query(filters: &[(Facet, &[&str])]) -> BoardQuery {
    BoardQuery {
        filters: filters
            .iter()
            .map(|(f, vs)| {
                (
                    *f,
                    vs.iter().map(|v| (*v).to_owned()).collect::<HashSet<_>>(),
                )
            })
            .collect::<BTreeMap<_, _>>(),
        text: None,
        today: time::macros::date!(2026 - 12 - 03),
        limit: 20,
        cursor: None,
    }
}

fn benches(c: &mut Criterion) {
    let sizes: Vec<usize> = std::env::var("CXC_BENCH_POSTS")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let shapes: Vec<(&str, BoardQuery)> = vec![
        ("open posts", query(&[])),
        (
            "asks for one capacity",
            query(&[
                (Facet::Kind, &["ask"]),
                (Facet::Capacity, &["wikidata-sparql"]),
            ]),
        ),
        (
            "three filters",
            query(&[
                (Facet::Kind, &["ask"]),
                (Facet::Country, &["KE"]),
                (Facet::Language, &["sw", "en"]),
            ]),
        ),
    ];
    for size in sizes {
        let board = board(size);
        let mut group = c.benchmark_group(format!("board-{size}"));
        group.sample_size(20);
        for (name, q) in &shapes {
            group.bench_with_input(BenchmarkId::new("search with facets", name), q, |b, q| {
                b.iter(|| board.search(q, |p| p.author % 7 != 0))
            });
        }
        group.finish();
    }
}

criterion_group!(board_benches, benches);
criterion_main!(board_benches);
