//! Reciprocal matching: peers to learn from (they offer what I want) and to share with (they
//! want what I offer), scored in each direction, fused, re-ranked for fairness and
//! diversity, and explained.
//!
//! Directional score: a weighted geometric mean of capacity fit (with partial credit through
//! the taxonomy), language fit (a shared language at a usable level is required), time-zone
//! or region closeness, recent activity and method/format fit, so that a near-zero component
//! acts as a soft veto. The two directions are fused by their harmonic mean (RECON, Pizzato et
//! al. 2010); one-way matches keep a share of their score, so mutual pairs come first.

use std::collections::{BinaryHeap, HashMap, HashSet};

use roaring::RoaringBitmap;
use time::Date;

use crate::model::{Dimension, Interest, Model, Person};
use crate::profile::Region;

#[derive(Debug, Clone)]
pub struct Config {
    /// Regions whose people get the emerging-community boost.
    pub emerging_regions: Vec<Region>,
    /// Multiplier above 1 for people from emerging communities (bounded at 0.2).
    pub emerging_boost: f32,
    /// Multiplier above 1 for people who have been suggested rarely (bounded at 0.2).
    pub newcomer_boost: f32,
    /// To how many people someone may be suggested before the boost stops and a damping
    /// starts.
    pub exposure_threshold: u32,
    /// Share of its score a one-way match keeps, against a mutual one.
    pub one_way_share: f32,
    /// Weight of diversity when picking the top of the list (0 = none).
    pub diversity: f32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            emerging_regions: vec![
                Region::SubSaharanAfrica,
                Region::SouthAsia,
                Region::MiddleEastNorthAfrica,
                Region::LatinAmericaCaribbean,
                Region::EastSoutheastAsiaPacific,
                Region::CentralEasternEuropeCentralAsia,
            ],
            emerging_boost: 0.1,
            newcomer_boost: 0.05,
            exposure_threshold: 20,
            one_way_share: 0.8,
            diversity: 0.15,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// They offer what I want.
    LearnFrom,
    /// They want what I offer.
    ShareWith,
    Mutual,
}

/// How an offered capacity relates to a wanted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    Exact,
    /// The offer is more specific than the need.
    Narrower,
    /// The offer is broader than the need.
    Broader,
    Sibling,
}

impl Fit {
    pub fn credit(self) -> f32 {
        match self {
            Fit::Exact => 1.0,
            Fit::Narrower => 0.7,
            Fit::Broader => 0.6,
            Fit::Sibling => 0.4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CapacityMatch {
    /// Who would teach: `learn_from` means they teach me.
    pub direction: Direction,
    pub wanted: u32,
    pub offered: u32,
    pub fit: Fit,
}

/// What lowered a score, for the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lowered {
    /// The capacities match only through the taxonomy (broader, narrower or related).
    PartialCapacity,
    /// The shared language is at an intermediate level only.
    LanguageLevel,
    /// Far apart in time zones or regions.
    Distance,
    /// Not active recently.
    Inactive,
    /// Busy with many open connections.
    Busy,
    /// Different methods or formats.
    Methods,
    /// Often suggested already.
    Popular,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Match {
    pub slot: u32,
    pub score: f32,
    pub direction: Direction,
    pub capacities: Vec<CapacityMatch>,
    /// Languages both speak at a usable level.
    pub languages: Vec<u32>,
    pub same_region: bool,
    /// Hours between the two time zones, when both gave one.
    pub hours_apart: Option<f32>,
    pub lowered: Vec<Lowered>,
    /// The bounded boosts that applied, for the explanation.
    pub boosts: Vec<Boost>,
}

/// Why a suggestion was raised a little.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Boost {
    /// The person is in a region of an emerging community.
    EmergingCommunity,
    /// The person has rarely been suggested so far.
    RarelySuggested,
}

/// Who matches are looked for: a person, or an organization (which has no languages).
pub struct Subject<'a> {
    pub slot: Option<u32>,
    pub wanted: &'a [Interest],
    pub offered: &'a [Interest],
    pub known: &'a [(u32, u8)],
    pub languages: Option<&'a [(u32, u8)]>,
    pub region: Option<Region>,
    pub utc_offset: Option<f32>,
    pub affiliations: &'a [u32],
}

impl<'a> Subject<'a> {
    pub fn person(slot: u32, p: &'a Person) -> Subject<'a> {
        Subject {
            slot: Some(slot),
            wanted: &p.wanted,
            offered: &p.offered,
            known: &p.known,
            languages: Some(&p.languages),
            region: p.region,
            utc_offset: p.utc_offset,
            affiliations: &p.affiliations,
        }
    }
}

/// How two capacities relate, if closely enough to count.
pub fn fit(model: &Model, wanted: u32, offered: u32) -> Option<Fit> {
    if wanted == offered {
        return Some(Fit::Exact);
    }
    let wanted_parent = model.parent(wanted);
    if model.parent(offered) == Some(wanted) {
        return Some(Fit::Narrower);
    }
    if wanted_parent == Some(offered) {
        return Some(Fit::Broader);
    }
    // Siblings share a parent below the areas (two capacities in one area are too far apart).
    if wanted_parent.is_some() && wanted_parent == model.parent(offered) && model.depth(wanted) > 2
    {
        return Some(Fit::Sibling);
    }
    None
}

/// Babel ranks of a shared language: usable when both are at least 2; full credit at 3.
/// The languages usable by both go to `shared`, when the caller wants them named.
fn language_fit(a: &[(u32, u8)], b: &[(u32, u8)], mut shared: Option<&mut Vec<u32>>) -> f32 {
    let mut best = 0.0f32;
    for (lang, ra) in a {
        if let Some((_, rb)) = b.iter().find(|(l, _)| l == lang) {
            let low = (*ra).min(*rb);
            let f = if low >= 3 {
                1.0
            } else if low == 2 {
                0.6
            } else {
                0.0
            };
            if f > 0.0
                && let Some(shared) = shared.as_deref_mut()
            {
                shared.push(*lang);
            }
            best = best.max(f);
        }
    }
    best
}

struct Directional {
    score: f32,
    partial: bool,
    methods_differ: bool,
}

/// The best few values of a stream, and how many there were, without allocating.
#[derive(Default)]
struct TopThree {
    best: [f32; 3],
    count: usize,
}

impl TopThree {
    fn push(&mut self, value: f32) {
        let kept = self.count.min(3);
        let mut at = kept;
        while at > 0 && self.best[at - 1] < value {
            at -= 1;
        }
        if at < 3 {
            for i in (at + 1..=kept.min(2)).rev() {
                self.best[i] = self.best[i - 1];
            }
            self.best[at] = value;
        }
        self.count += 1;
    }

    fn kept(&self) -> &[f32] {
        &self.best[..self.count.min(3)]
    }
}

/// How well `teacher` can teach what `learner` wants: capacity fit with level and method
/// fit, before the shared components (language, distance, activity). The best pair for each
/// need goes to `found`, when the caller wants them named.
fn capacity_score(
    model: &Model,
    (wanted, learner_known): (&[Interest], &[(u32, u8)]),
    (offered, teacher_known): (&[Interest], &[(u32, u8)]),
    direction: Direction,
    mut found: Option<&mut Vec<CapacityMatch>>,
) -> Option<Directional> {
    let mut per_need = TopThree::default();
    let mut partial = false;
    let mut methods_differ = false;
    for w in wanted {
        let mut best: Option<(f32, CapacityMatch, bool)> = None;
        for o in offered {
            let Some(fit) = fit(model, w.capacity, o.capacity) else {
                continue;
            };
            let teacher_level = teacher_known
                .iter()
                .find(|(c, _)| *c == o.capacity)
                .map_or(0, |(_, l)| *l);
            let learner_level = learner_known
                .iter()
                .find(|(c, _)| *c == w.capacity)
                .map_or(0, |(_, l)| *l);
            let level = match teacher_level {
                0 => 0.85,
                l if learner_level > 0 && l <= learner_level => 0.5,
                l if l >= 3 => 1.0,
                2 => 0.8,
                _ => 0.6,
            };
            let method_clash = (w.methods != 0 && o.methods != 0 && w.methods & o.methods == 0)
                || (w.formats != 0 && o.formats != 0 && w.formats & o.formats == 0);
            let how = if method_clash { 0.75 } else { 1.0 };
            let value = fit.credit() * level * how;
            if best.as_ref().is_none_or(|b| value > b.0) {
                best = Some((
                    value,
                    CapacityMatch {
                        direction,
                        wanted: w.capacity,
                        offered: o.capacity,
                        fit,
                    },
                    method_clash,
                ));
            }
        }
        if let Some((value, m, clash)) = best {
            partial |= m.fit != Fit::Exact;
            methods_differ |= clash;
            per_need.push(value);
            if let Some(found) = found.as_deref_mut() {
                found.push(m);
            }
        }
    }
    let top = per_need.kept();
    let first = *top.first()?;
    let mean = top.iter().sum::<f32>() / top.len() as f32;
    // The best pair matters most; further matches add a little.
    let breadth = 1.0 + 0.05 * (per_need.count.min(4) as f32 - 1.0);
    let score = ((0.7 * first + 0.3 * mean) * breadth).min(1.0);
    Some(Directional {
        score,
        partial,
        methods_differ,
    })
}

/// Raises a score in [0, 1] by a bounded boost (at most 0.2) without leaving [0, 1]: a low
/// score grows by nearly the whole factor `1 + boost`, a perfect one stays perfect, and the
/// order of two scores never flips.
fn lift(score: f32, boost: f32) -> f32 {
    let b = boost.clamp(0.0, 0.2);
    score * (1.0 + b) / (1.0 + b * score)
}

fn geometric_mean(parts: &[(f32, f32)]) -> f32 {
    let total: f32 = parts.iter().map(|(_, w)| w).sum();
    (parts.iter().map(|(v, w)| w * v.max(0.01).ln()).sum::<f32>() / total).exp()
}

/// Below this many exact or narrower candidates, broader and sibling matches are considered.
const BROADEN_BELOW: u64 = 200;
/// At most this many candidates are scored: the most recently active. Scoring reads each
/// candidate's record, which costs a fetch from memory; a thousand keep a request under a
/// millisecond at 100,000 profiles and leave a wide field for ten suggestions.
const MAX_SCORED: u64 = 1000;

/// To how many people each account was suggested recently, kept by the caller (the server)
/// between requests.
pub type Exposure = HashMap<i64, u32>;

/// The circumstances of one request for matches.
pub struct Context<'a> {
    pub today: Date,
    /// Unix seconds, for recent activity.
    pub now: i64,
    /// Whether members-only profiles may be suggested.
    pub signed_in: bool,
    pub exposure: &'a Exposure,
    /// People the subject must never be matched with.
    pub blocked: &'a HashSet<u32>,
}

/// Matches for a subject, best first, at most `limit`.
pub fn matches(
    model: &Model,
    subject: &Subject,
    config: &Config,
    ctx: &Context,
    limit: usize,
) -> Vec<Match> {
    let Context {
        today,
        now,
        signed_in,
        exposure,
        blocked,
    } = *ctx;
    // Candidates, in two tiers. First, holders of each capacity itself (postings include the
    // narrower ones): exact and narrower matches, which earn the most. Only when those are
    // few, also holders under each capacity's parent: broader and sibling matches. A parent
    // that is a whole area is too broad to help.
    let holders = |interests: &[Interest], dimension: Dimension, broad: bool| {
        let mut out = RoaringBitmap::new();
        for i in interests {
            out |= model.posting(dimension, i.capacity, 0);
            if broad
                && let Some(p) = model
                    .parent(i.capacity)
                    .filter(|p| model.parent(*p).is_some())
            {
                out |= model.posting(dimension, p, 0);
            }
        }
        out
    };
    let visible = model.visible(signed_in);
    let mut eligible = match subject.languages {
        Some(languages) => {
            visible
                & languages
                    .iter()
                    .filter(|(_, rank)| *rank >= 2)
                    .fold(RoaringBitmap::new(), |acc, (l, _)| {
                        acc | model.posting(Dimension::Language, *l, 2)
                    })
        }
        None => visible.clone(),
    };
    if let Some(slot) = subject.slot {
        eligible.remove(slot);
    }
    let tier = |broad: bool| {
        (holders(subject.wanted, Dimension::Offers, broad)
            | holders(subject.offered, Dimension::Wants, broad))
            & &eligible
    };
    let mut candidates = tier(false);
    if candidates.len() < BROADEN_BELOW {
        candidates = tier(true);
    }
    // Among very many candidates, score the most recently active (activity is part of the
    // score, and a bounded amount of work keeps every request fast).
    let candidates: Vec<u32> = if candidates.len() > MAX_SCORED {
        let mut recent: Vec<(i64, u32)> = candidates
            .iter()
            .map(|s| (model.updated_at(s), s))
            .collect();
        let keep = MAX_SCORED as usize;
        recent.select_nth_unstable_by(keep - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut kept: Vec<u32> = recent[..keep].iter().map(|(_, s)| *s).collect();
        // In slot order, records are read front to back through memory.
        kept.sort_unstable();
        kept
    } else {
        candidates.iter().collect()
    };

    #[derive(PartialEq)]
    struct Ranked(f32, u32);
    impl Eq for Ranked {}
    impl PartialOrd for Ranked {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for Ranked {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            // A min-heap on score keeps the best; ties go to the lower slot, deterministically.
            other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
        }
    }
    let keep = (limit * 3).max(limit + 10);
    let mut heap: BinaryHeap<Ranked> = BinaryHeap::with_capacity(keep + 1);
    // Who may be suggested at all, in a light pass of its own: with little work between reads,
    // the processor fetches many records from memory at once, and scoring then finds them in
    // its cache rather than waiting for each in turn.
    let suggestible: Vec<(u32, &Person)> = candidates
        .into_iter()
        .filter(|slot| !blocked.contains(slot))
        .filter_map(|slot| Some((slot, model.person(slot)?)))
        .filter(|(_, q)| q.recommendable && !q.is_away(today) && !q.at_capacity_limit())
        .collect();
    for (slot, q) in suggestible {
        let Some(m) = score_pair(model, subject, (slot, q), config, (now, exposure), false) else {
            continue;
        };
        if heap.len() < keep || heap.peek().is_some_and(|worst| m.score > worst.0) {
            heap.push(Ranked(m.score, slot));
            if heap.len() > keep {
                heap.pop();
            }
        }
    }
    // Only the kept few are explained.
    let mut ranked: Vec<Match> = heap
        .into_iter()
        .filter_map(|Ranked(_, slot)| {
            let q = model.person(slot)?;
            score_pair(model, subject, (slot, q), config, (now, exposure), true)
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.slot.cmp(&b.slot)));
    diversify(model, ranked, config.diversity, limit)
}

/// Scores a pair. Only with `explain` are the capacities and languages behind the score
/// and what lowered it written out: most candidates are scored and dropped, and are
/// cheaper to score without them.
fn score_pair(
    model: &Model,
    subject: &Subject,
    (slot, q): (u32, &Person),
    config: &Config,
    (now, exposure): (i64, &Exposure),
    explain: bool,
) -> Option<Match> {
    let mut shared = Vec::new();
    let language = match subject.languages {
        Some(languages) => language_fit(languages, &q.languages, explain.then_some(&mut shared)),
        None => 1.0,
    };
    if language == 0.0 {
        return None;
    }
    let mut capacities = Vec::new();
    let learn = capacity_score(
        model,
        (subject.wanted, subject.known),
        (&q.offered, &q.known),
        Direction::LearnFrom,
        explain.then_some(&mut capacities),
    );
    let share = capacity_score(
        model,
        (&q.wanted, &q.known),
        (subject.offered, subject.known),
        Direction::ShareWith,
        explain.then_some(&mut capacities),
    );
    if learn.is_none() && share.is_none() {
        return None;
    }
    let Closeness {
        hours_apart,
        same_region,
        distance,
    } = closeness(
        (subject.utc_offset, subject.region),
        (q.utc_offset, q.region),
    );
    let months_idle = ((now - q.updated_at).max(0) as f32) / (30.0 * 86400.0);
    let activity = 1.0 / (1.0 + months_idle / 6.0);
    let load = q.max_connections.map_or(1.0, |max| {
        1.0 / (1.0 + f32::from(q.open_connections) / f32::from(max.max(1)))
    });
    // The teacher's load damps only the direction where they teach.
    let direction_score = |d: &Directional, load: f32| {
        let how = if d.methods_differ { 0.8 } else { 1.0 };
        geometric_mean(&[
            (d.score, 4.0),
            (language, 3.0),
            (activity, 2.0),
            (distance, 1.0),
            (how, 1.0),
        ]) * load
    };
    let s_learn = learn.as_ref().map(|d| direction_score(d, load));
    let s_share = share.as_ref().map(|d| direction_score(d, 1.0));
    let (direction, mut score) = match (s_learn, s_share) {
        (Some(a), Some(b)) => (Direction::Mutual, 2.0 * a * b / (a + b)),
        (Some(a), None) => (Direction::LearnFrom, a * config.one_way_share),
        (None, Some(b)) => (Direction::ShareWith, b * config.one_way_share),
        (None, None) => return None,
    };
    let mut boosts = Vec::new();
    if q.region
        .is_some_and(|r| config.emerging_regions.contains(&r))
    {
        score = lift(score, config.emerging_boost);
        boosts.push(Boost::EmergingCommunity);
    }
    let shown = exposure.get(&q.account_id).copied().unwrap_or(0);
    let popular = shown > config.exposure_threshold;
    if shown < config.exposure_threshold / 4 {
        score = lift(score, config.newcomer_boost);
        boosts.push(Boost::RarelySuggested);
    } else if popular {
        // Spread attention: popular mentors should not be flooded.
        score /=
            1.0 + (shown - config.exposure_threshold) as f32 / config.exposure_threshold as f32;
    }
    let mut lowered = Vec::new();
    if explain {
        if popular {
            lowered.push(Lowered::Popular);
        }
        let mut partial = false;
        let mut methods = false;
        for d in [learn, share].into_iter().flatten() {
            partial |= d.partial;
            methods |= d.methods_differ;
        }
        if partial {
            lowered.push(Lowered::PartialCapacity);
        }
        if language < 1.0 {
            lowered.push(Lowered::LanguageLevel);
        }
        if distance < 0.8 {
            lowered.push(Lowered::Distance);
        }
        if activity < 0.5 {
            lowered.push(Lowered::Inactive);
        }
        if load < 0.75 && s_learn.is_some() {
            lowered.push(Lowered::Busy);
        }
        if methods {
            lowered.push(Lowered::Methods);
        }
    }
    Some(Match {
        slot,
        score,
        direction,
        capacities,
        languages: shared,
        same_region,
        hours_apart,
        lowered,
        boosts,
    })
}

/// How near two people are: hours between their time zones when both gave one, else their
/// regions.
struct Closeness {
    hours_apart: Option<f32>,
    same_region: bool,
    /// From 0.2 (opposite sides of the world) to 1 (the same zone).
    distance: f32,
}

fn closeness(
    (a_offset, a_region): (Option<f32>, Option<Region>),
    (b_offset, b_region): (Option<f32>, Option<Region>),
) -> Closeness {
    let hours_apart = match (a_offset, b_offset) {
        (Some(a), Some(b)) => Some((a - b).abs().min(24.0 - (a - b).abs())),
        _ => None,
    };
    let same_region = a_region.is_some() && a_region == b_region;
    let distance = match hours_apart {
        Some(h) => (1.0 - h / 12.0).max(0.2),
        None if same_region => 1.0,
        None if a_region.is_none() || b_region.is_none() => 0.9,
        None => 0.75,
    };
    Closeness {
        hours_apart,
        same_region,
        distance,
    }
}

/// How well `mentor` fits to teach `mentee` in a mentorship programme: the components of a
/// suggestion's learning direction (capacity fit through the taxonomy with levels and
/// methods, a shared language at a usable level, time zone or region), without what only
/// suggestions weigh (recent activity, load, boosts, exposure): a round is computed once for
/// everyone who applied, and each applicant counts the same.
pub fn mentoring(model: &Model, mentee: &Subject, mentor: &Subject) -> Option<Match> {
    let mut languages = Vec::new();
    let language = language_fit(
        mentee.languages.unwrap_or_default(),
        mentor.languages.unwrap_or_default(),
        Some(&mut languages),
    );
    if language == 0.0 {
        return None;
    }
    let mut capacities = Vec::new();
    let teach = capacity_score(
        model,
        (mentee.wanted, mentee.known),
        (mentor.offered, mentor.known),
        Direction::LearnFrom,
        Some(&mut capacities),
    )?;
    let Closeness {
        hours_apart,
        same_region,
        distance,
    } = closeness(
        (mentee.utc_offset, mentee.region),
        (mentor.utc_offset, mentor.region),
    );
    let how = if teach.methods_differ { 0.8 } else { 1.0 };
    let score = geometric_mean(&[
        (teach.score, 4.0),
        (language, 3.0),
        (distance, 1.0),
        (how, 1.0),
    ]);
    let lowered = [
        (teach.partial, Lowered::PartialCapacity),
        (language < 1.0, Lowered::LanguageLevel),
        (distance < 0.8, Lowered::Distance),
        (teach.methods_differ, Lowered::Methods),
    ]
    .into_iter()
    .filter_map(|(applies, why)| applies.then_some(why))
    .collect();
    Some(Match {
        slot: mentor.slot.unwrap_or_default(),
        score,
        direction: Direction::LearnFrom,
        capacities,
        languages,
        same_region,
        hours_apart,
        lowered,
        boosts: Vec::new(),
    })
}

/// Maximal marginal relevance: each next pick trades a little score for being unlike those
/// already picked (region, affiliation, first language).
fn diversify(model: &Model, mut pool: Vec<Match>, weight: f32, limit: usize) -> Vec<Match> {
    let mut picked: Vec<Match> = Vec::with_capacity(limit);
    while picked.len() < limit && !pool.is_empty() {
        let similarity = |m: &Match| {
            let a = model.person(m.slot);
            picked
                .iter()
                .map(|p| {
                    let b = model.person(p.slot);
                    match (a, b) {
                        (Some(a), Some(b)) => {
                            let region = if a.region.is_some() && a.region == b.region {
                                0.5
                            } else {
                                0.0
                            };
                            let org = if a.affiliations.iter().any(|o| b.affiliations.contains(o)) {
                                0.3
                            } else {
                                0.0
                            };
                            let lang = if a.languages.first().map(|l| l.0)
                                == b.languages.first().map(|l| l.0)
                            {
                                0.2
                            } else {
                                0.0
                            };
                            region + org + lang
                        }
                        _ => 0.0,
                    }
                })
                .fold(0.0f32, f32::max)
        };
        let best = pool
            .iter()
            .enumerate()
            .map(|(i, m)| (i, m.score * (1.0 - weight * similarity(m))))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(i, _)| i)
            .unwrap_or(0);
        picked.push(pool.remove(best));
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::{person, taxonomy};

    const TODAY: Date = time::macros::date!(2026 - 11 - 24);
    const NOW: i64 = 1_795_000_000;

    fn ctx<'a>(exposure: &'a Exposure, blocked: &'a HashSet<u32>) -> Context<'a> {
        Context {
            today: TODAY,
            now: NOW,
            signed_in: true,
            exposure,
            blocked,
        }
    }

    fn setup() -> Model {
        Model::new(&taxonomy())
    }

    fn run(m: &Model, me: u32) -> Vec<Match> {
        let p = m.person(me).unwrap();
        matches(
            m,
            &Subject::person(me, p),
            &Config {
                diversity: 0.0,
                ..Config::default()
            },
            &ctx(&Exposure::new(), &HashSet::new()),
            10,
        )
    }

    fn add(m: &mut Model, id: i64, offered: &[&str], wanted: &[&str], lang: &str, rank: u8) -> u32 {
        let mut p = person(m, id, offered, wanted);
        let l = m.languages.intern(lang);
        p.languages = smallvec::smallvec![(l, rank)];
        p.updated_at = NOW;
        m.upsert(p)
    }

    fn ids(m: &Model, ms: &[Match]) -> Vec<i64> {
        ms.iter()
            .map(|x| m.person(x.slot).unwrap().account_id)
            .collect()
    }

    #[test]
    fn the_only_speaker_of_my_language_ranks_above_a_better_match_i_cannot_talk_to() {
        let mut m = setup();
        let me = add(&mut m, 1, &[], &["sparql"], "sw", 6);
        add(&mut m, 2, &["sparql"], &[], "en", 6);
        add(&mut m, 3, &["wikidata"], &[], "sw", 4);
        let found = run(&m, me);
        assert_eq!(ids(&m, &found), [3], "the exact match speaks no Swahili");
        assert_eq!(found[0].capacities[0].fit, Fit::Broader);
    }

    #[test]
    fn a_mentor_at_their_limit_drops() {
        let mut m = setup();
        let me = add(&mut m, 1, &[], &["sparql"], "en", 4);
        let busy = add(&mut m, 2, &["sparql"], &[], "en", 4);
        add(&mut m, 3, &["sparql"], &[], "en", 4);
        assert_eq!(ids(&m, &run(&m, me)), [2, 3]);
        let mut p = m.person(busy).unwrap().clone();
        p.max_connections = Some(2);
        p.open_connections = 2;
        m.upsert(p);
        assert_eq!(ids(&m, &run(&m, me)), [3]);
    }

    #[test]
    fn a_mutual_pair_outranks_one_way_pairs_of_the_same_strength() {
        let mut m = setup();
        let me = add(&mut m, 1, &["bots"], &["sparql"], "en", 4);
        add(&mut m, 2, &["sparql"], &[], "en", 4);
        add(&mut m, 3, &[], &["bots"], "en", 4);
        add(&mut m, 4, &["sparql"], &["bots"], "en", 4);
        let found = run(&m, me);
        assert_eq!(ids(&m, &found)[0], 4);
        assert_eq!(found[0].direction, Direction::Mutual);
        assert_eq!(
            found[1].score, found[2].score,
            "the one-way pairs are equally strong"
        );
        let directions: Vec<Direction> = found[1..].iter().map(|x| x.direction).collect();
        assert!(
            directions.contains(&Direction::LearnFrom)
                && directions.contains(&Direction::ShareWith)
        );
    }

    #[test]
    fn a_parent_capacity_offer_earns_less_than_an_exact_one() {
        let mut m = setup();
        let me = add(&mut m, 1, &[], &["sparql"], "en", 4);
        add(&mut m, 2, &["wikidata"], &[], "en", 4);
        add(&mut m, 3, &["sparql"], &[], "en", 4);
        add(&mut m, 4, &["lexemes"], &[], "en", 4);
        let found = run(&m, me);
        assert_eq!(ids(&m, &found), [3, 2, 4]);
        assert!(found[0].score > found[1].score && found[1].score > found[2].score);
        assert_eq!(found[1].capacities[0].fit, Fit::Broader);
        assert_eq!(found[2].capacities[0].fit, Fit::Sibling);
        assert!(found[1].lowered.contains(&Lowered::PartialCapacity));
    }

    #[test]
    fn hidden_opted_out_away_and_blocked_people_are_never_suggested() {
        let mut m = setup();
        let me = add(&mut m, 1, &[], &["sparql"], "en", 4);
        let mut hidden = person(&mut m, 2, &["sparql"], &[]);
        hidden.visibility = crate::profile::Visibility::Hidden;
        let mut opted_out = person(&mut m, 3, &["sparql"], &[]);
        opted_out.recommendable = false;
        let mut away = person(&mut m, 4, &["sparql"], &[]);
        away.away_until = Some(time::macros::date!(2027 - 01 - 01));
        for p in [hidden, opted_out, away] {
            m.upsert(p);
        }
        let blocked_slot = add(&mut m, 5, &["sparql"], &[], "en", 4);
        add(&mut m, 6, &["sparql"], &[], "en", 4);
        let p = m.person(me).unwrap();
        let blocked: HashSet<u32> = [blocked_slot].into();
        let found = matches(
            &m,
            &Subject::person(me, p),
            &Config::default(),
            &ctx(&Exposure::new(), &blocked),
            10,
        );
        assert_eq!(ids(&m, &found), [6]);
    }

    #[test]
    fn the_emerging_boost_is_bounded_and_never_overrides_a_filter() {
        let mut m = setup();
        let me = add(&mut m, 1, &[], &["sparql"], "en", 4);
        let far = add(&mut m, 2, &["sparql"], &[], "fr", 4);
        let mut p = m.person(far).unwrap().clone();
        p.region = Some(Region::SubSaharanAfrica);
        m.upsert(p);
        let near = add(&mut m, 3, &["sparql"], &[], "en", 4);
        let mut p = m.person(near).unwrap().clone();
        p.region = Some(Region::SubSaharanAfrica);
        m.upsert(p);
        let config = Config {
            emerging_boost: 5.0,
            ..Config::default()
        };
        let p = m.person(me).unwrap();
        let found = matches(
            &m,
            &Subject::person(me, p),
            &config,
            &ctx(&Exposure::new(), &HashSet::new()),
            10,
        );
        assert_eq!(
            ids(&m, &found),
            [3],
            "no shared language, no match, whatever the boost"
        );
        assert!(found[0].boosts.contains(&Boost::EmergingCommunity));
        assert!(found[0].score <= 1.2 * 1.05 * config.one_way_share + f32::EPSILON);
    }

    #[test]
    fn boosted_scores_stay_between_zero_and_one_in_order() {
        let mut m = setup();
        let me = add(&mut m, 1, &["social"], &["sparql"], "sw", 6);
        let peers: Vec<u32> = (2..6)
            .map(|id| add(&mut m, id, &["sparql"], &["social"], "sw", 6))
            .collect();
        for slot in std::iter::once(me).chain(peers) {
            let mut p = m.person(slot).unwrap().clone();
            p.region = Some(Region::SubSaharanAfrica);
            m.upsert(p);
        }
        let config = Config {
            emerging_boost: 0.2,
            newcomer_boost: 0.2,
            diversity: 0.0,
            ..Config::default()
        };
        let p = m.person(me).unwrap();
        let found = matches(
            &m,
            &Subject::person(me, p),
            &config,
            &ctx(&Exposure::new(), &HashSet::new()),
            10,
        );
        assert_eq!(found.len(), 4);
        for f in &found {
            assert!(!f.boosts.is_empty() && f.direction == Direction::Mutual);
            assert!((0.0..=1.0).contains(&f.score), "{}", f.score);
        }
        assert_eq!(lift(1.0, 0.2), 1.0);
        assert_eq!(lift(0.0, 0.2), 0.0);
        assert_eq!(lift(0.5, 7.0), lift(0.5, 0.2), "bounded");
        let mut last = 0.0;
        for i in 1..=100 {
            let lifted = lift(i as f32 / 100.0, 0.2);
            assert!(lifted > last && lifted <= 1.0 && lifted >= i as f32 / 100.0);
            last = lifted;
        }
    }

    #[test]
    fn the_best_three_are_kept_in_order() {
        let mut top = TopThree::default();
        assert!(top.kept().is_empty());
        for v in [0.5, 0.9, 0.1, 0.7, 0.9] {
            top.push(v);
        }
        assert_eq!(top.kept(), [0.9, 0.9, 0.7]);
        assert_eq!(top.count, 5);
    }
}
