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

/// The one rule every public figure follows — the map, the dashboard, open data and the API:
/// only public profiles count, people in protected countries are left out (and so are the
/// countries themselves), and a positive count below `min_cell` is suppressed.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Country numbers of the model that public figures leave out.
    pub protected: HashSet<u32>,
    pub min_cell: u64,
}

impl Rule {
    /// The people public figures may count.
    pub fn population(&self, model: &Model) -> RoaringBitmap {
        let mut people = model.public().clone();
        for country in &self.protected {
            people -= model.posting(Dimension::Country, *country, 0);
        }
        people
    }

    /// A count as published: suppressed (`None`) when it is positive but below `min_cell`.
    pub fn publish(&self, count: u64) -> Option<u64> {
        if count > 0 && count < self.min_cell {
            None
        } else {
            Some(count)
        }
    }

    /// Whether a country (by number) may appear in public figures.
    pub fn shows_country(&self, country: u32) -> bool {
        !self.protected.contains(&country)
    }
}

/// What is counted.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// A capacity and everything under it; `None` for all capacities.
    pub capacity: Option<u32>,
    /// Only speakers of this language.
    pub language: Option<u32>,
    /// Only members of these organizations (e.g. all organizations of one kind).
    pub organizations: Option<Vec<u32>>,
}

/// Raw counts for one area, before suppression.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub assets: u64,
    pub needs: u64,
    pub gap: u64,
}

/// The people a scoped public figure counts.
pub fn population(model: &Model, rule: &Rule, scope: &Scope) -> RoaringBitmap {
    let mut people = rule.population(model);
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
pub fn by_area(model: &Model, rule: &Rule, level: Level, scope: &Scope) -> BTreeMap<u32, Counts> {
    let people = population(model, rule, scope);
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
            .filter(|c| rule.shows_country(*c))
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

/// Offers and needs of every capacity (and its subtree) among `people`, most needed and least
/// offered first: ranked by the need left uncovered (wants beyond the offers), then by wants.
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
        let uncovered = |(_, offers, wants): &(u32, u64, u64)| wants.saturating_sub(*offers);
        uncovered(b)
            .cmp(&uncovered(a))
            .then(b.2.cmp(&a.2))
            .then(a.0.cmp(&b.0))
    });
    out
}

/// Connections opened and completed in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    pub opened: u64,
    pub completed: u64,
}

fn month_of(unix: i64) -> Option<(i32, u8)> {
    let date = time::OffsetDateTime::from_unix_timestamp(unix).ok()?.date();
    Some((date.year(), u8::from(date.month())))
}

/// Connections opened and completed per month over the `months` months up to the one of
/// `now`, oldest first, every month present (an empty month is a zero, not a gap). Each
/// event is a connection's opening time and, when it was completed, its completion time.
pub fn per_month(events: &[(i64, Option<i64>)], now: i64, months: usize) -> Vec<Month> {
    let Some((mut year, mut month)) = month_of(now) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(months);
    for _ in 0..months {
        out.push(((year, month), 0u64, 0u64));
        if month == 1 {
            year -= 1;
            month = 12;
        } else {
            month -= 1;
        }
    }
    out.reverse();
    for (opened, completed) in events {
        if let Some(slot) = month_of(*opened).and_then(|m| out.iter_mut().find(|o| o.0 == m)) {
            slot.1 += 1;
        }
        if let Some(slot) = completed
            .and_then(month_of)
            .and_then(|m| out.iter_mut().find(|o| o.0 == m))
        {
            slot.2 += 1;
        }
    }
    out.into_iter()
        .map(|((y, m), opened, completed)| Month {
            month: format!("{y:04}-{m:02}"),
            opened,
            completed,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_count_in_the_month_they_opened_and_the_month_they_completed() {
        // 2026-12-03, 2026-11-15, 2026-01-10 and 2025-11-30 (outside twelve months).
        let (dec, nov, jan, old) = (1_796_256_000, 1_794_700_800, 1_768_003_200, 1_764_460_800);
        let months = per_month(
            &[(nov, Some(dec)), (nov, None), (jan, None), (old, Some(nov))],
            dec,
            12,
        );
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].month, "2026-01");
        assert_eq!(months[11].month, "2026-12");
        assert_eq!((months[0].opened, months[0].completed), (1, 0));
        assert_eq!((months[10].opened, months[10].completed), (2, 1));
        assert_eq!((months[11].opened, months[11].completed), (0, 1));
        assert_eq!(
            months.iter().map(|m| m.opened).sum::<u64>(),
            3,
            "the old one is out"
        );
    }
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
            ..Scope::default()
        };
        let open = Rule {
            protected: HashSet::new(),
            min_cell: 5,
        };
        let counts = by_area(&m, &open, Level::Country, &scope);
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
        let regions = by_area(&m, &open, Level::Region, &scope);
        assert_eq!(regions[&0].needs, 2);
        let shielded = Rule {
            protected: [ke].into(),
            min_cell: 5,
        };
        let counts = by_area(&m, &shielded, Level::Country, &scope);
        assert!(!counts.contains_key(&ke));
        assert_eq!(by_area(&m, &shielded, Level::Region, &scope).get(&0), None);
        let slot = |id: i64| m.slot_of(id).unwrap();
        let (shielded_people, open_people) = (shielded.population(&m), open.population(&m));
        assert!(!shielded_people.contains(slot(1)) && shielded_people.contains(slot(3)));
        assert!(!open_people.contains(slot(4)), "members-only");
        assert_eq!(open.publish(3), None);
        assert_eq!(open.publish(0), Some(0));
        assert_eq!(open.publish(5), Some(5));
    }

    #[test]
    fn the_most_needed_are_those_whose_need_is_least_covered() {
        let mut m = Model::new(&taxonomy());
        // "sparql": 4 want it and nobody offers it; "wikidata" (its parent) is wanted by 30
        // and offered by 10 — 20 left without help, so it comes first.
        for id in 0..30 {
            let wanted: &[&str] = if id < 4 { &["sparql"] } else { &["wikidata"] };
            let offered: &[&str] = if id >= 20 { &["wikidata"] } else { &[] };
            let p = person(&mut m, id, offered, wanted);
            m.upsert(p);
        }
        let everyone = m.public().clone();
        let ranked: Vec<(&str, u64, u64)> = per_capacity(&m, &everyone)
            .into_iter()
            .filter(|(c, _, _)| m.parent(*c).is_some())
            .map(|(c, offers, wants)| (m.capacities.name(c), offers, wants))
            .collect();
        assert_eq!(ranked[0], ("wikidata", 10, 30));
        assert_eq!(ranked[1], ("sparql", 0, 4));
    }
}
