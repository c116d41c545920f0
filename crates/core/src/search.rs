//! Multi-criteria search over the read model: values of one filter are OR-ed, different
//! filters AND-ed; facet counts say how many results each value would give; pages are cut by
//! a cursor that stays stable while people are added.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use roaring::RoaringBitmap;
use time::Date;

use crate::model::{Dimension, FacetCounts, Model};

/// Slots matching a free-text query, with their relevance.
#[derive(Debug, Default, Clone)]
pub struct TextHits {
    pub slots: RoaringBitmap,
    pub scores: HashMap<u32, f32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Text relevance when there is a text query, otherwise most recent activity.
    Relevance,
    Recent,
}

#[derive(Debug, Clone)]
pub struct Query {
    /// Filter values per dimension: OR within a dimension, AND across.
    pub filters: BTreeMap<Dimension, Vec<u32>>,
    /// Minimum Babel rank for the language filter (0–6).
    pub min_level: u8,
    pub text: Option<TextHits>,
    pub available_now: bool,
    pub today: Date,
    pub signed_in: bool,
    pub sort: Sort,
    pub limit: usize,
    pub cursor: Option<String>,
    /// The dimensions whose facets to count ([`crate::model::ALL_DIMENSIONS`] by default; none at all is
    /// cheapest).
    pub facets: Vec<Dimension>,
}

#[derive(Debug, Clone, Default)]
pub struct Results {
    pub total: u64,
    pub slots: Vec<u32>,
    pub next_cursor: Option<String>,
    /// For each dimension, values with how many results they would give.
    pub facets: BTreeMap<Dimension, Vec<(u32, u64)>>,
}

/// An opaque position in a result list: the sort key and slot of the last item shown.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cursor {
    Score(f32, u32),
    Recent(i64, u32),
}

impl Cursor {
    fn encode(self) -> String {
        match self {
            Cursor::Score(score, slot) => format!("s{}-{slot}", score.to_bits()),
            Cursor::Recent(time, slot) => format!("r{time}-{slot}"),
        }
    }

    fn decode(s: &str) -> Option<Cursor> {
        let (kind, rest) = s.split_at_checked(1)?;
        let (key, slot) = rest.rsplit_once('-')?;
        let slot = slot.parse().ok()?;
        match kind {
            "s" => Some(Cursor::Score(f32::from_bits(key.parse().ok()?), slot)),
            "r" => Some(Cursor::Recent(key.parse().ok()?, slot)),
            _ => None,
        }
    }
}

/// Whether a cursor string is one this module wrote.
pub fn valid_cursor(s: &str) -> bool {
    Cursor::decode(s).is_some()
}

fn filter_bitmap<'a>(
    model: &'a Model,
    dimension: Dimension,
    values: &[u32],
    min_level: u8,
) -> Cow<'a, RoaringBitmap> {
    match values {
        [one] => Cow::Borrowed(model.posting(dimension, *one, min_level)),
        _ => Cow::Owned(values.iter().fold(RoaringBitmap::new(), |acc, v| {
            acc | model.posting(dimension, *v, min_level)
        })),
    }
}

/// `counts` less `gone`, both in value order; values left with nobody are dropped.
fn subtract(counts: Vec<(u32, u64)>, gone: &[(u32, u64)]) -> Vec<(u32, u64)> {
    let mut gone = gone.iter().peekable();
    counts
        .into_iter()
        .filter_map(|(v, n)| {
            while gone.next_if(|(g, _)| *g < v).is_some() {}
            let less = gone.next_if(|(g, _)| *g == v).map_or(0, |(_, m)| *m);
            (n > less).then(|| (v, n - less))
        })
        .collect()
}

/// Dimensions whose facets count over the same people.
struct FacetScope {
    dimensions: Vec<Dimension>,
    /// The filtered dimension counted without its own filter; `None` for the dimensions
    /// without a filter, which count over the candidates.
    own: Option<Dimension>,
    /// No filter applies to these people (the base alone).
    unfiltered: bool,
    /// The one filter value these people are, when it is one.
    single: Option<(Dimension, u32)>,
}

/// For each dimension, how many results each of its values would give. Counts ignore the
/// dimension's own filter, so they say what choosing a value gives. Dimensions without a
/// filter all count over the results; each filtered one over what its siblings leave.
fn facet_counts(
    model: &Model,
    q: &Query,
    base: &RoaringBitmap,
    away: Option<&RoaringBitmap>,
    filters: &BTreeMap<Dimension, Cow<RoaringBitmap>>,
    candidates: &RoaringBitmap,
) -> BTreeMap<Dimension, Vec<(u32, u64)>> {
    // With no text, the base is everyone the caller may see, less the few people away when
    // only those available are asked for: counts over everyone (from the tallies or the
    // table of pairs) are then corrected by counting the people away, person by person.
    let everyone = q.text.is_none();
    let without_away = |counts: FacetCounts, away_here: Option<RoaringBitmap>| -> FacetCounts {
        let Some(away_here) = away_here.filter(|a| !a.is_empty()) else {
            return counts;
        };
        let dimensions: Vec<Dimension> = counts.iter().map(|(d, _)| *d).collect();
        let minus = model.count_by_person(&away_here, &dimensions, q.min_level);
        counts
            .into_iter()
            .zip(minus)
            .map(|((d, all), (_, gone))| (d, subtract(all, &gone)))
            .collect()
    };
    // The one filter value a scope is made of, when it is made of one: its counts are then a
    // row of the model's table of pairs.
    let single = |without: Option<Dimension>| -> Option<(Dimension, u32)> {
        let mut rest = q
            .filters
            .iter()
            .filter(|(d, values)| !values.is_empty() && Some(**d) != without);
        match (rest.next(), rest.next()) {
            (Some((d, values)), None) if everyone && values.len() == 1 => Some((*d, values[0])),
            _ => None,
        }
    };
    // Dimensions without a filter count over the candidates; each filtered one over what
    // the other filters leave.
    let mut scopes = vec![FacetScope {
        dimensions: q
            .facets
            .iter()
            .copied()
            .filter(|d| !filters.contains_key(d))
            .collect(),
        own: None,
        unfiltered: filters.is_empty(),
        single: single(None),
    }];
    for dimension in filters.keys().filter(|d| q.facets.contains(d)) {
        scopes.push(FacetScope {
            dimensions: vec![*dimension],
            own: Some(*dimension),
            unfiltered: filters.len() == 1,
            single: single(Some(*dimension)),
        });
    }
    let min = |d: Dimension| {
        if d == Dimension::Language {
            q.min_level
        } else {
            0
        }
    };
    let mut facets = BTreeMap::new();
    for FacetScope {
        dimensions,
        own,
        unfiltered,
        single,
    } in scopes
    {
        if dimensions.is_empty() {
            continue;
        }
        if unfiltered && everyone {
            let counts = dimensions
                .iter()
                .map(|d| (*d, model.visible_counts(*d, q.signed_in, min(*d))))
                .collect();
            facets.extend(without_away(counts, away.cloned()));
            continue;
        }
        if let Some((one, counts)) = single.and_then(|one| {
            model
                .counts_with(one, q.min_level, q.signed_in, &dimensions)
                .map(|c| (one, c))
        }) {
            let away_here = away.map(|a| a & model.posting(one.0, one.1, q.min_level));
            facets.extend(without_away(counts, away_here));
            continue;
        }
        let scope = match own {
            None => Cow::Borrowed(candidates),
            Some(dimension) => {
                let mut scope = base.clone();
                for (d, bitmap) in filters {
                    if *d != dimension {
                        scope &= bitmap.as_ref();
                    }
                }
                Cow::Owned(scope)
            }
        };
        if model.cheaper_by_person(scope.len(), &dimensions) {
            facets.extend(model.count_by_person(&scope, &dimensions, q.min_level));
        } else {
            for d in dimensions {
                let counts = model
                    .values(d)
                    .into_iter()
                    .map(|v| (v, scope.intersection_len(model.posting(d, v, min(d)))))
                    .filter(|(_, n)| *n > 0)
                    .collect();
                facets.insert(d, counts);
            }
        }
    }
    facets
}

pub fn search(model: &Model, q: &Query) -> Results {
    // Everyone the caller may see is borrowed from the model, not copied, unless text or
    // availability narrow it (at 1M, a copy was half a millisecond per search).
    let mut base = Cow::Borrowed(model.visible(q.signed_in));
    if let Some(text) = &q.text {
        base = Cow::Owned(base.as_ref() & &text.slots);
    }
    let away = q.available_now.then(|| model.away_today(&base, q.today));
    if let Some(away) = &away {
        *base.to_mut() -= away;
    }
    let filters: BTreeMap<Dimension, Cow<RoaringBitmap>> = q
        .filters
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(d, values)| (*d, filter_bitmap(model, *d, values, q.min_level)))
        .collect();
    let mut filtered = filters.values();
    let candidates: Cow<RoaringBitmap> = match filtered.next() {
        None => base.clone(),
        Some(first) => {
            let mut candidates = first.as_ref() & base.as_ref();
            for bitmap in filtered {
                candidates &= bitmap.as_ref();
            }
            Cow::Owned(candidates)
        }
    };

    let facets = if !q.facets.is_empty() {
        facet_counts(model, q, &base, away.as_ref(), &filters, &candidates)
    } else {
        BTreeMap::new()
    };

    let cursor = q.cursor.as_deref().and_then(Cursor::decode);
    let by_score = q.sort == Sort::Relevance && q.text.is_some();
    let mut page: Vec<(Cursor, u32)> = Vec::with_capacity(q.limit + 1);
    if by_score {
        let scores = &q.text.as_ref().expect("text query").scores;
        let mut ranked: Vec<(f32, u32)> = candidates
            .iter()
            .map(|s| (scores.get(&s).copied().unwrap_or(0.0), s))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let start = match cursor {
            Some(Cursor::Score(score, slot)) => ranked
                .iter()
                .position(|(sc, s)| sc.total_cmp(&score).is_lt() || (*sc == score && *s > slot))
                .unwrap_or(ranked.len()),
            _ => 0,
        };
        page.extend(
            ranked[start..]
                .iter()
                .take(q.limit + 1)
                .map(|(sc, s)| (Cursor::Score(*sc, *s), *s)),
        );
    } else {
        let after = match cursor {
            Some(Cursor::Recent(t, s)) => Some((t, s)),
            _ => None,
        };
        // Few candidates: sort them; many: walk the recency order and keep the candidates.
        if candidates.len() < 4096 {
            let mut ranked: Vec<(i64, u32)> = candidates
                .iter()
                .map(|s| (model.updated_at(s), s))
                .filter(|&(t, s)| after.is_none_or(|(at, aslot)| t < at || (t == at && s > aslot)))
                .collect();
            ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            page.extend(
                ranked
                    .into_iter()
                    .take(q.limit + 1)
                    .map(|(t, s)| (Cursor::Recent(t, s), s)),
            );
        } else {
            page.extend(
                model
                    .by_recency(after)
                    .filter(|(_, s)| candidates.contains(*s))
                    .take(q.limit + 1)
                    .map(|(t, s)| (Cursor::Recent(t, s), s)),
            );
        }
    }
    let next_cursor = if page.len() > q.limit {
        page.truncate(q.limit);
        page.last().map(|(c, _)| c.encode())
    } else {
        None
    };
    Results {
        total: candidates.len(),
        slots: page.into_iter().map(|(_, s)| s).collect(),
        next_cursor,
        facets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ALL_DIMENSIONS;
    use crate::model::tests::{person, taxonomy};
    use crate::profile::Visibility;

    fn query() -> Query {
        Query {
            filters: BTreeMap::new(),
            min_level: 0,
            text: None,
            available_now: false,
            today: time::macros::date!(2026 - 11 - 24),
            signed_in: false,
            sort: Sort::Recent,
            limit: 2,
            cursor: None,
            facets: ALL_DIMENSIONS.to_vec(),
        }
    }

    #[test]
    fn filters_or_within_and_across_and_respect_visibility() {
        let mut m = Model::new(&taxonomy());
        let a = person(&mut m, 1, &["sparql"], &["social"]);
        let b = person(&mut m, 2, &["bots"], &["social"]);
        let mut c = person(&mut m, 3, &["lexemes"], &[]);
        c.visibility = Visibility::Members;
        let mut d = person(&mut m, 4, &["sparql"], &["social"]);
        d.visibility = Visibility::Hidden;
        for p in [a, b, c, d] {
            m.upsert(p);
        }
        let cap = |k: &str| m.capacities.get(k).unwrap();
        let mut q = query();
        q.filters
            .insert(Dimension::Offers, vec![cap("wikidata"), cap("bots")]);
        q.limit = 10;
        let r = search(&m, &q);
        assert_eq!(
            r.total, 2,
            "hidden and members-only are out for anonymous callers"
        );
        q.signed_in = true;
        assert_eq!(
            search(&m, &q).total,
            3,
            "members-only counts for members; hidden never"
        );
        q.filters.insert(Dimension::Wants, vec![cap("comm")]);
        let r = search(&m, &q);
        assert_eq!(r.total, 2);
        let offers = &r.facets[&Dimension::Offers];
        assert!(offers.contains(&(cap("tech"), 2)), "{offers:?}");
        let wants = &r.facets[&Dimension::Wants];
        assert!(wants.contains(&(cap("social"), 2)));
    }

    /// Facets as their definition gives them: for each dimension, over everyone visible and
    /// available who passes the other dimensions' filters.
    fn facets_by_definition(m: &Model, q: &Query) -> BTreeMap<Dimension, Vec<(u32, u64)>> {
        let mut base = m.visible(q.signed_in).clone();
        if q.available_now {
            base -= m.away_today(&base, q.today);
        }
        let filtered = |d: Dimension| {
            q.filters.get(&d).filter(|v| !v.is_empty()).map(|values| {
                values.iter().fold(RoaringBitmap::new(), |acc, v| {
                    acc | m.posting(d, *v, q.min_level)
                })
            })
        };
        ALL_DIMENSIONS
            .iter()
            .map(|d| {
                let mut scope = base.clone();
                for other in ALL_DIMENSIONS.iter().filter(|o| *o != d) {
                    if let Some(bitmap) = filtered(*other) {
                        scope &= bitmap;
                    }
                }
                let counts = m
                    .values(*d)
                    .into_iter()
                    .map(|v| (v, scope.intersection_len(m.posting(*d, v, q.min_level))))
                    .filter(|(_, n)| *n > 0)
                    .collect();
                (*d, counts)
            })
            .collect()
    }

    #[test]
    fn facets_of_available_people_leave_out_those_away() {
        let mut m = Model::new(&taxonomy());
        let caps = ["wikidata", "sparql", "bots", "social", "lexemes"];
        let today = query().today;
        for id in 1..=120i64 {
            let i = id as usize;
            let offered = [caps[i % 5], caps[(i / 5) % 5]];
            let mut p = person(&mut m, id, &offered, &[caps[(i / 3) % 5]]);
            p.country = Some(m.countries.intern(["BR", "KE"][i % 2]));
            p.languages =
                smallvec::smallvec![(m.languages.intern(["en", "sw"][i % 2]), (i % 7) as u8)];
            p.visibility = [Visibility::Public, Visibility::Members][i % 4 / 3];
            // Some away until after today, some whose time away has ended.
            p.away_until = match i % 6 {
                0 => Some(today + time::Duration::days(3)),
                1 => Some(today - time::Duration::days(3)),
                _ => None,
            };
            m.upsert(p);
        }
        let cap = |k: &str| m.capacities.get(k).unwrap();
        let country = m.countries.get("KE").unwrap();
        let language = m.languages.get("sw").unwrap();
        let shapes: Vec<Vec<(Dimension, Vec<u32>)>> = vec![
            vec![],
            vec![(Dimension::Offers, vec![cap("sparql")])],
            vec![(Dimension::Language, vec![language])],
            vec![
                (Dimension::Offers, vec![cap("tech")]),
                (Dimension::Country, vec![country]),
            ],
            vec![(Dimension::Wants, vec![cap("social"), cap("bots")])],
        ];
        for filters in shapes {
            for (signed_in, min_level) in [(false, 0), (true, 0), (true, 3)] {
                let mut q = query();
                q.filters = filters.iter().cloned().collect();
                q.available_now = true;
                q.signed_in = signed_in;
                q.min_level = min_level;
                assert_eq!(
                    search(&m, &q).facets,
                    facets_by_definition(&m, &q),
                    "{filters:?}, signed in {signed_in}, level {min_level}"
                );
                q.available_now = false;
                assert_eq!(search(&m, &q).facets, facets_by_definition(&m, &q));
            }
        }
    }

    #[test]
    fn cursors_page_through_everything_once() {
        let mut m = Model::new(&taxonomy());
        for id in 1..=7 {
            let p = person(&mut m, id, &["sparql"], &[]);
            m.upsert(p);
        }
        let mut q = query();
        let mut seen = Vec::new();
        loop {
            let r = search(&m, &q);
            assert_eq!(r.total, 7);
            seen.extend(r.slots.iter().map(|s| m.person(*s).unwrap().account_id));
            match r.next_cursor {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, [7, 6, 5, 4, 3, 2, 1]);
        assert!(valid_cursor("r5-3") && !valid_cursor("nonsense"));
    }

    #[test]
    fn text_relevance_orders_and_pages() {
        let mut m = Model::new(&taxonomy());
        let mut slots = Vec::new();
        for id in 1..=5 {
            let p = person(&mut m, id, &[], &[]);
            slots.push(m.upsert(p));
        }
        let mut hits = TextHits::default();
        for (i, s) in slots.iter().enumerate().take(4) {
            hits.slots.insert(*s);
            hits.scores.insert(*s, i as f32);
        }
        let mut q = query();
        q.text = Some(hits);
        q.sort = Sort::Relevance;
        let first = search(&m, &q);
        assert_eq!(first.total, 4);
        assert_eq!(first.slots, [slots[3], slots[2]]);
        q.cursor = first.next_cursor;
        assert_eq!(search(&m, &q).slots, [slots[1], slots[0]]);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        fn cursor() -> impl Strategy<Value = Cursor> {
            prop_oneof![
                (any::<u32>(), any::<u32>())
                    .prop_map(|(bits, slot)| Cursor::Score(f32::from_bits(bits), slot)),
                (any::<i64>(), any::<u32>()).prop_map(|(time, slot)| Cursor::Recent(time, slot)),
            ]
        }

        /// Cursors compared by what they encode, so that a NaN score equals itself.
        fn same(a: Option<Cursor>, b: Option<Cursor>) -> bool {
            a.map(Cursor::encode) == b.map(Cursor::encode)
        }

        /// Pages through a search to its end, with a bound in case a cursor loops.
        fn every_page(m: &Model, mut q: Query) -> Vec<u32> {
            let mut seen = Vec::new();
            for _ in 0..=m.people().count() {
                let r = search(m, &q);
                assert!(r.slots.len() <= q.limit);
                seen.extend(r.slots);
                match r.next_cursor {
                    Some(c) => q.cursor = Some(c),
                    None => return seen,
                }
            }
            panic!("cursors did not reach the end: {seen:?}");
        }

        /// Past 4096 candidates the search walks the recency order instead of sorting: the
        /// same promise holds there.
        #[test]
        fn cursors_show_everyone_once_on_the_recency_walk() {
            let mut m = Model::new(&taxonomy());
            for id in 1..=5000 {
                let mut p = person(&mut m, id, &["sparql"], &[]);
                p.updated_at = id % 7;
                m.upsert(p);
            }
            let mut q = query();
            q.limit = 333;
            let seen = every_page(&m, q);
            let mut expected: Vec<u32> = m.people().map(|(s, _)| s).collect();
            expected.sort_by(|a, b| m.updated_at(*b).cmp(&m.updated_at(*a)).then(a.cmp(b)));
            assert_eq!(seen, expected);
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn cursors_decode_to_what_was_encoded(c in cursor()) {
                prop_assert!(same(Cursor::decode(&c.encode()), Some(c)));
            }

            /// A cursor is the caller's to send: any string either decodes to a cursor that
            /// encodes back to itself in its canonical form, or is refused; a search given it
            /// never panics.
            #[test]
            fn any_cursor_string_is_read_safely(s in "\\PC{0,24}|[rs][0-9-]{0,24}") {
                if let Some(c) = Cursor::decode(&s) {
                    prop_assert!(same(Cursor::decode(&c.encode()), Some(c)));
                }
                let mut m = Model::new(&taxonomy());
                for id in 1..=3 {
                    let p = person(&mut m, id, &["sparql"], &[]);
                    m.upsert(p);
                }
                let mut q = query();
                q.cursor = Some(s);
                prop_assert!(search(&m, &q).slots.len() <= q.limit);
            }

            /// However activity times and scores tie, paging with cursors shows everyone once,
            /// in the order of the sort.
            #[test]
            fn cursors_show_everyone_once_in_order(
                times in prop::collection::vec(0i64..6, 1..30),
                scores in prop::collection::vec(0u8..4, 30),
                limit in 1usize..7,
                by_score: bool,
            ) {
                let mut m = Model::new(&taxonomy());
                let mut hits = TextHits::default();
                for (i, t) in times.iter().enumerate() {
                    let mut p = person(&mut m, i as i64 + 1, &["sparql"], &[]);
                    p.updated_at = *t;
                    let slot = m.upsert(p);
                    hits.slots.insert(slot);
                    hits.scores.insert(slot, f32::from(scores[i]));
                }
                let mut q = query();
                q.limit = limit;
                if by_score {
                    q.text = Some(hits.clone());
                    q.sort = Sort::Relevance;
                }
                let seen = every_page(&m, q);
                let mut expected: Vec<u32> = m.people().map(|(s, _)| s).collect();
                if by_score {
                    expected.sort_by(|a, b| hits.scores[b].total_cmp(&hits.scores[a]).then(a.cmp(b)));
                } else {
                    expected.sort_by(|a, b| m.updated_at(*b).cmp(&m.updated_at(*a)).then(a.cmp(b)));
                }
                prop_assert_eq!(seen, expected);
            }
        }
    }
}
