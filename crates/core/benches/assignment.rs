//! A mentorship programme's round in each mode: 2,000 mentees and 500 mentors with 1–5 places,
//! weights 1–1000, with about 50 acceptable mentors per mentee (sparse) or every pair acceptable
//! (dense). `cargo bench -p cxc-core --bench assignment`.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use cxc_core::assignment::{Mode, Problem, solve};

const MENTEES: u32 = 2_000;
const MENTORS: u32 = 500;
const MENTORS_PER_MENTEE: usize = 50;

/// SplitMix64 from a fixed seed: the same rounds on every run, without a dependency.
struct Sequence(u64);

impl Sequence {
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % u64::from(n)) as u32
    }
}

fn round(dense: bool) -> Problem {
    let mut next = Sequence(2026);
    let slots = (0..MENTORS).map(|_| 1 + next.below(5)).collect();
    let mut edges = Vec::new();
    let mut listed = vec![false; MENTORS as usize];
    for mentee in 0..MENTEES {
        if dense {
            edges.extend(
                (0..MENTORS).map(|mentor| (mentor, mentee, 1 + i64::from(next.below(1000)))),
            );
            continue;
        }
        listed.fill(false);
        let mut count = 0;
        while count < MENTORS_PER_MENTEE {
            let mentor = next.below(MENTORS);
            if !std::mem::replace(&mut listed[mentor as usize], true) {
                edges.push((mentor, mentee, 1 + i64::from(next.below(1000))));
                count += 1;
            }
        }
    }
    Problem {
        mentees: MENTEES as usize,
        slots,
        edges,
        pinned: Vec::new(),
        forbidden: Vec::new(),
    }
}

fn benches(c: &mut Criterion) {
    for (density, dense) in [("sparse", false), ("dense", true)] {
        let problem = round(dense);
        let mut group = c.benchmark_group(format!("assignment-{density}"));
        // Ten runs of the slowest mode take about 12 s; a shorter target only draws warnings.
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(15));
        for mode in Mode::ALL {
            group.bench_with_input(
                BenchmarkId::from_parameter(mode.as_str()),
                mode,
                |b, mode| b.iter(|| solve(&problem, *mode).unwrap()),
            );
        }
        group.finish();
    }
}

criterion_group!(assignment_benches, benches);
criterion_main!(assignment_benches);
