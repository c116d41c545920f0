//! Public aggregates for the map, the dashboard and open data: counts of people offering and
//! wanting capacities by country or region, and the gap — needs that no offer in the same
//! country or a shared language covers. Only public profiles count; protected countries are
//! left out; cells with fewer than `min_cell` people are suppressed.

use std::collections::{BTreeMap, HashSet};

use roaring::RoaringBitmap;

use crate::model::{Dimension, Model};
use crate::profile::Region;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Country,
    Region,
}

/// What is counted, and among whom.
#[derive(Debug, Clone)]
pub struct Scope {
    /// A capacity and everything under it; `None` for all capacities.
    pub capacity: Option<u32>,
    /// Only speakers of this language.
    pub language: Option<u32>,
    /// Only members of these organizations (e.g. all organizations of one kind).
    pub organizations: Option<Vec<u32>>,
    /// Country numbers left out of every public figure.
    pub protected: HashSet<u32>,
}

/// Raw counts for one area, before suppression.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub assets: u64,
    pub needs: u64,
    pub gap: u64,
}

/// The people public figures may count.
pub fn population(model: &Model, scope: &Scope) -> RoaringBitmap {
    let mut people = model.public().clone();
    for country in &scope.protected {
        people -= model.posting(Dimension::Country, *country, 0);
    }
    if let Some(language) = scope.language {
        people &= model.posting(Dimension::Language, language, 0);
    }
    if let Some(orgs) = &scope.organizations {
        people &= orgs.iter().fold(RoaringBitmap::new(), |acc, o| {
            acc | model.posting(Dimension::Affiliation, *o, 0)
        });
    }
    people
}

/// Needers whose wanted capacity (within the scope) no offerer covers in their own country or
/// in a language both speak well (Babel 3 or more).
fn uncovered(model: &Model, people: &RoaringBitmap, scope: &Scope) -> RoaringBitmap {
    let capacities: Vec<u32> = match scope.capacity {
        Some(c) => vec![c],
        None => model.values(Dimension::Wants),
    };
    let countries = model.values(Dimension::Country);
    let languages = model.values(Dimension::Language);
    let mut gap = RoaringBitmap::new();
    for c in capacities {
        let offerers = model.posting(Dimension::Offers, c, 0) & people;
        let needers = model.posting(Dimension::Wants, c, 0) & people;
        if needers.is_empty() {
            continue;
        }
        let mut covered = RoaringBitmap::new();
        for country in &countries {
            let here = model.posting(Dimension::Country, *country, 0);
            if !offerers.is_disjoint(here) {
                covered |= &needers & here;
            }
        }
        for language in &languages {
            let speakers = model.posting(Dimension::Language, *language, 3);
            if !offerers.is_disjoint(speakers) {
                covered |= &needers & speakers;
            }
        }
        gap |= needers - covered;
    }
    gap
}

/// Counts per country (by country number) or per region (by index in [`Region::ALL`]).
pub fn by_area(model: &Model, level: Level, scope: &Scope) -> BTreeMap<u32, Counts> {
    let people = population(model, scope);
    let (assets, needs) = match scope.capacity {
        Some(c) => (
            model.posting(Dimension::Offers, c, 0) & &people,
            model.posting(Dimension::Wants, c, 0) & &people,
        ),
        None => {
            let union = |d: Dimension| {
                model
                    .values(d)
                    .iter()
                    .filter(|c| model.parent(**c).is_none())
                    .fold(RoaringBitmap::new(), |acc, c| acc | model.posting(d, *c, 0))
            };
            (
                union(Dimension::Offers) & &people,
                union(Dimension::Wants) & &people,
            )
        }
    };
    let gap = uncovered(model, &people, scope);
    let areas: Vec<(u32, &RoaringBitmap)> = match level {
        Level::Country => model
            .values(Dimension::Country)
            .into_iter()
            .filter(|c| !scope.protected.contains(c))
            .map(|c| (c, model.posting(Dimension::Country, c, 0)))
            .collect(),
        Level::Region => (0..Region::ALL.len() as u32)
            .map(|r| (r, model.posting(Dimension::Region, r, 0)))
            .collect(),
    };
    areas
        .into_iter()
        .map(|(id, members)| {
            (
                id,
                Counts {
                    assets: assets.intersection_len(members),
                    needs: needs.intersection_len(members),
                    gap: gap.intersection_len(members),
                },
            )
        })
        .filter(|(_, c)| *c != Counts::default())
        .collect()
}

/// A count as published: suppressed (`None`) when it is positive but below `min_cell`.
pub fn publish(count: u64, min_cell: u64) -> Option<u64> {
    if count > 0 && count < min_cell {
        None
    } else {
        Some(count)
    }
}

/// Offers and needs of every capacity (and its subtree) among public people, for "most
/// needed, fewest offers" lists.
pub fn per_capacity(model: &Model, people: &RoaringBitmap) -> Vec<(u32, u64, u64)> {
    let mut out: Vec<(u32, u64, u64)> = model
        .values(Dimension::Wants)
        .into_iter()
        .map(|c| {
            (
                c,
                model
                    .posting(Dimension::Offers, c, 0)
                    .intersection_len(people),
                model
                    .posting(Dimension::Wants, c, 0)
                    .intersection_len(people),
            )
        })
        .collect();
    out.sort_by(|a, b| {
        (b.2 as f64 / (a.1 as f64 + 1.0))
            .total_cmp(&(a.2 as f64 / (b.1 as f64 + 1.0)))
            .then(a.0.cmp(&b.0))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::{person, taxonomy};
    use crate::profile::Visibility;

    #[test]
    fn counts_gaps_protection_and_visibility() {
        let mut m = Model::new(&taxonomy());
        let (ke, br) = (m.countries.intern("KE"), m.countries.intern("BR"));
        let sw = m.languages.intern("sw");
        let add = |m: &mut Model,
                   id: i64,
                   offered: &[&str],
                   wanted: &[&str],
                   country: u32,
                   region: Region,
                   language: u32,
                   visibility: Visibility| {
            let mut p = person(m, id, offered, wanted);
            p.country = Some(country);
            p.region = Some(region);
            p.languages = smallvec::smallvec![(language, 4)];
            p.visibility = visibility;
            m.upsert(p);
        };
        let en = m.languages.intern("en");
        add(
            &mut m,
            1,
            &[],
            &["sparql"],
            ke,
            Region::SubSaharanAfrica,
            sw,
            Visibility::Public,
        );
        add(
            &mut m,
            2,
            &[],
            &["sparql"],
            ke,
            Region::SubSaharanAfrica,
            en,
            Visibility::Public,
        );
        add(
            &mut m,
            3,
            &["sparql"],
            &[],
            br,
            Region::LatinAmericaCaribbean,
            en,
            Visibility::Public,
        );
        add(
            &mut m,
            4,
            &[],
            &["sparql"],
            br,
            Region::LatinAmericaCaribbean,
            sw,
            Visibility::Members,
        );
        let scope = Scope {
            capacity: m.capacities.get("wikidata"),
            language: None,
            organizations: None,
            protected: HashSet::new(),
        };
        let counts = by_area(&m, Level::Country, &scope);
        assert_eq!(
            counts[&ke],
            Counts {
                assets: 0,
                needs: 2,
                gap: 1
            },
            "the Swahili speaker in Kenya has nobody"
        );
        assert_eq!(
            counts[&br],
            Counts {
                assets: 1,
                needs: 0,
                gap: 0
            },
            "members-only profiles never count"
        );
        let regions = by_area(&m, Level::Region, &scope);
        assert_eq!(regions[&0].needs, 2);
        let protected = Scope {
            protected: [ke].into(),
            ..scope
        };
        let counts = by_area(&m, Level::Country, &protected);
        assert!(!counts.contains_key(&ke));
        assert_eq!(by_area(&m, Level::Region, &protected).get(&0), None);
        assert_eq!(publish(3, 5), None);
        assert_eq!(publish(0, 5), Some(0));
        assert_eq!(publish(5, 5), Some(5));
    }
}
