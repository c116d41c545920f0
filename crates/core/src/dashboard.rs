//! The dashboard's figures, from the read model alone: who needs and offers what, where and
//! in which language, how complete profiles are, and where a cohort could form. Nothing here
//! depends on the reader's language, so a server computes them once per model revision and
//! only labels them per request (at 100k people they take some 25 ms to compute).

use roaring::RoaringBitmap;

use crate::aggregates::{self, Rule};
use crate::model::{Dimension, Model};
use crate::profile::Region;

/// A capacity with how many people offer and want it.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    pub capacity: u32,
    pub offers: u64,
    pub wants: u64,
}

/// Many people wanting one capacity, speaking one language well, in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortCandidate {
    pub capacity: u32,
    pub language: u32,
    pub region: Region,
    pub wanting: u64,
    pub offering: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub people: u64,
    /// People offering, and wanting, at least one capacity.
    pub offering: u64,
    pub wanting: u64,
    /// The ten capacities most wanted.
    pub needs: Vec<Need>,
    /// Each region with people, and its three capacities most wanted.
    pub regions: Vec<(Region, Vec<Need>)>,
    /// The five languages most people speak well (level 3 and up), each with what its
    /// speakers most need.
    pub languages: Vec<(u32, Vec<Need>)>,
    /// How many people have filled exactly 0, 1, … 5 of the five parts of a profile
    /// ([`PROFILE_PARTS`]: languages, country, known, offered, wanted capacities).
    pub completeness: [u64; PROFILE_PARTS + 1],
    /// The eight largest cohort candidates.
    pub cohorts: Vec<CohortCandidate>,
}

/// The parts of a profile the dashboard's completeness counts.
pub const PROFILE_PARTS: usize = 5;

/// The figures over the public population of `rule`. `listed` says whether a capacity may be
/// shown (it exists and is active): retired ones are left out of the lists.
pub fn figures(model: &Model, rule: &Rule, listed: impl Fn(u32) -> bool) -> Figures {
    let people = rule.population(model);
    let needs_of = |population: &RoaringBitmap, n: usize| -> Vec<Need> {
        aggregates::per_capacity(model, population)
            .into_iter()
            .filter(|(c, _, wants)| {
                rule.publish(*wants).is_some_and(|n| n > 0)
                    && model.parent(*c).is_some()
                    && listed(*c)
            })
            .take(n)
            .map(|(capacity, offers, wants)| Need {
                capacity,
                offers,
                wants,
            })
            .collect()
    };
    let regions = Region::ALL
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let here = &people & model.posting(Dimension::Region, i as u32, 0);
            (*r, needs_of(&here, 3))
        })
        .filter(|(_, n)| !n.is_empty())
        .collect();
    let mut spoken: Vec<(u64, u32)> = model
        .values(Dimension::Language)
        .into_iter()
        .map(|l| {
            let speakers = model.posting(Dimension::Language, l, 3);
            (people.intersection_len(speakers), l)
        })
        .collect();
    spoken.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let languages = spoken
        .into_iter()
        .take(5)
        .map(|(_, l)| {
            let speakers = &people & model.posting(Dimension::Language, l, 3);
            (l, needs_of(&speakers, 3))
        })
        .filter(|(_, n)| !n.is_empty())
        .collect();
    let mut completeness = [0u64; PROFILE_PARTS + 1];
    for slot in &people {
        if let Some(p) = model.person(slot) {
            let parts = [
                !p.languages.is_empty(),
                p.country.is_some(),
                !p.known.is_empty(),
                !p.offered.is_empty(),
                !p.wanted.is_empty(),
            ];
            completeness[parts.iter().filter(|x| **x).count()] += 1;
        }
    }
    let anyone = |dimension: Dimension| {
        let holders = model
            .values(dimension)
            .iter()
            .filter(|c| model.parent(**c).is_none())
            .fold(RoaringBitmap::new(), |a, c| {
                a | model.posting(dimension, *c, 0)
            });
        people.intersection_len(&holders)
    };
    Figures {
        people: people.len(),
        offering: anyone(Dimension::Offers),
        wanting: anyone(Dimension::Wants),
        needs: needs_of(&people, 10),
        regions,
        languages,
        completeness,
        cohorts: cohorts(model, rule, &people),
    }
}

/// Cohort candidates among the fifteen capacities most wanted: each region and language
/// where at least three people (and no fewer than the rule publishes) want it.
fn cohorts(model: &Model, rule: &Rule, people: &RoaringBitmap) -> Vec<CohortCandidate> {
    let min = rule.min_cell;
    let mut found = Vec::new();
    for (c, _, _) in aggregates::per_capacity(model, people)
        .into_iter()
        .filter(|(c, _, _)| model.parent(*c).is_some())
        .take(15)
    {
        let wanting = model.posting(Dimension::Wants, c, 0) & people;
        let offering = model.posting(Dimension::Offers, c, 0) & people;
        for (ri, region) in Region::ALL.iter().enumerate() {
            let in_region = &wanting & model.posting(Dimension::Region, ri as u32, 0);
            if in_region.len() < min {
                continue;
            }
            for l in model.values(Dimension::Language) {
                let speakers = model.posting(Dimension::Language, l, 3);
                let n = in_region.intersection_len(speakers);
                if n >= min.max(3) {
                    found.push(CohortCandidate {
                        capacity: c,
                        language: l,
                        region: *region,
                        wanting: n,
                        offering: offering.intersection_len(speakers),
                    });
                }
            }
        }
    }
    found.sort_by_key(|c| std::cmp::Reverse(c.wanting));
    found.truncate(8);
    found
}
