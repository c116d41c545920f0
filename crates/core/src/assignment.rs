//! A mentorship programme's round: which mentor takes which mentees.
//!
//! The organiser may pin pairs (they are in the result whatever else happens) and forbid
//! others; pinned mentees leave the pool and their mentors lose a place each. The rest is
//! decided by one of three modes:
//!
//! - `best_total`: the largest sum of match scores. A strong pair can leave a mentee without a
//!   mentor when splitting it would give two weaker pairs of smaller sum.
//! - `max_matched`: as many mentees with a mentor as possible, and among those ways the largest
//!   sum, for programmes where nobody should be left out that could be placed.
//! - `stable`: mentee-proposing deferred acceptance (Gale and Shapley's hospitals and residents,
//!   with places), so that no mentor and mentee would both rather be together than with whom
//!   they got. Both sides rank by the pair's score; ties go to the lower index.
//!
//! The two exact modes are one minimum-cost flow, source → mentee → mentor (as many units as
//! places) → sink, solved by successive shortest paths: Dijkstra over reduced costs with
//! Johnson's potentials, adding one mentee at a time and stopping as soon as the sink is
//! reached. Each mentor stays one node with its places as capacity, so a dense round of 2,000
//! mentees and 500 mentors has 2,500 nodes rather than the 2,000 × 1,500 matrix a Hungarian
//! method over copies of each place would need. Every mentee also has a free edge straight to
//! the sink, "stays unmatched", so every mentee always finds a path and the flow that routes
//! all of them at least cost is exactly the best matching: there is no moment at which to
//! decide that augmenting no longer pays, which is where stopping early goes wrong. For
//! `max_matched` costs are pairs compared lexicographically (mentees left out, then minus the
//! total) instead of a large constant added to every weight, so no bound on that constant can
//! overflow. Integers throughout: results are exact and the same on every machine.
//!
//! Deferred acceptance keeps each mentor's held mentees in a min-heap, so a round costs
//! O(E log E). With ties broken every preference is strict, so the result does not depend on
//! the order of proposals; and as both sides rank by the same score it is the only stable
//! matching, the one that takes the strongest pairs first, which can be well below the best
//! total.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::{Add, Sub};

use serde::{Deserialize, Serialize};

use crate::capacity::code_enum;

code_enum! {
    /// How a round is computed.
    Mode {
        BestTotal = "best_total",
        MaxMatched = "max_matched",
        Stable = "stable",
    }
}

/// A round to compute. Mentees and mentors are indexes (0..mentees, 0..slots.len()).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problem {
    pub mentees: usize,
    /// How many mentees each mentor takes (0 allowed).
    pub slots: Vec<u32>,
    /// Acceptable pairs `(mentor, mentee, weight)`, weight > 0 (a match score scaled to an
    /// integer by the caller). A pair not listed cannot be matched, except by pinning.
    /// At most one entry per pair. A weight of 0 or less makes the pair unacceptable (it is
    /// ignored, as if not listed); a pair listed twice counts once, at its larger weight.
    pub edges: Vec<(u32, u32, i64)>,
    /// Pairs the organiser fixed `(mentor, mentee)`: always in the result (weight taken from
    /// `edges` when listed, else 0), consuming a slot.
    pub pinned: Vec<(u32, u32)>,
    /// Pairs `(mentor, mentee)` the organiser ruled out.
    pub forbidden: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unmatched {
    /// No acceptable mentor at all (none listed, or all forbidden, or all with 0 slots).
    NoFit,
    /// Acceptable mentors exist, but their places went to others.
    Full,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// `(mentor, mentee)` sorted by mentor then mentee; includes pinned pairs.
    pub pairs: Vec<(u32, u32)>,
    /// Sum of the weights of `pairs`.
    pub total: i64,
    /// Every mentee not in `pairs`, ascending, with why.
    pub unmatched: Vec<(u32, Unmatched)>,
}

/// Why a round cannot be computed as asked (a message key for the web layer to translate).
///
/// Besides the organiser's contradictions (a mentee pinned twice, a mentor pinned beyond their
/// slots, a pair both pinned and forbidden) and indexes out of range (also a round too large
/// for `u32` indexes), weights so large that sums could overflow are refused rather than
/// computed wrongly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict(pub &'static str);

/// The sum of every mentee's best weight may not exceed this. Potentials and tentative
/// distances stay within a small multiple of that sum (under 32 times), so nothing overflows
/// on the way; callers' scores are far below it (10^6 per pair is 2^20).
const WEIGHT_BOUND: i64 = i64::MAX >> 6;

pub fn solve(problem: &Problem, mode: Mode) -> Result<Assignment, Conflict> {
    let round = Round::prepare(problem)?;
    let chosen = match mode {
        Mode::BestTotal => Flow::<i64>::new(&round).route_everyone(),
        Mode::MaxMatched => Flow::<LeftOutThenCost>::new(&round).route_everyone(),
        Mode::Stable => round.deferred_acceptance(),
    };
    Ok(round.assignment(&chosen))
}

/// A mentee's mentor and the pair's weight.
type Choice = Option<(u32, i64)>;

/// A problem checked and reduced to what the modes decide.
struct Round {
    /// Each mentee's pinned mentor, with the pair's weight.
    pinned: Vec<Choice>,
    /// For each mentee still in the pool, the mentors it may get (acceptable, not forbidden,
    /// with a place left after pinning) by ascending index, with the pair's weight; empty for
    /// pinned mentees.
    acceptable: Vec<Vec<(u32, i64)>>,
    /// Each mentor's places left after pinning.
    places: Vec<u32>,
}

impl Round {
    fn prepare(problem: &Problem) -> Result<Round, Conflict> {
        let mentors = problem.slots.len();
        let known = |mentor: u32, mentee: u32| {
            (mentor as usize) < mentors && (mentee as usize) < problem.mentees
        };
        let indexable = u32::try_from(problem.mentees).is_ok() && u32::try_from(mentors).is_ok();
        if !indexable
            || !problem.edges.iter().all(|&(r, e, _)| known(r, e))
            || !problem.pinned.iter().all(|&(r, e)| known(r, e))
            || !problem.forbidden.iter().all(|&(r, e)| known(r, e))
        {
            return Err(Conflict("cxc-error-pair-unknown"));
        }

        let mut pinned_mentor = vec![None; problem.mentees];
        for &(mentor, mentee) in &problem.pinned {
            if pinned_mentor[mentee as usize].replace(mentor).is_some() {
                return Err(Conflict("cxc-error-pinned-twice"));
            }
        }
        let mut places = problem.slots.clone();
        for &(mentor, _) in &problem.pinned {
            let left = &mut places[mentor as usize];
            *left = left
                .checked_sub(1)
                .ok_or(Conflict("cxc-error-pinned-over-limit"))?;
        }
        let mut forbidden = problem.forbidden.clone();
        forbidden.sort_unstable();
        if problem
            .pinned
            .iter()
            .any(|pair| forbidden.binary_search(pair).is_ok())
        {
            return Err(Conflict("cxc-error-pinned-forbidden"));
        }

        let mut acceptable = vec![Vec::new(); problem.mentees];
        for &(mentor, mentee, weight) in &problem.edges {
            if weight > 0 {
                acceptable[mentee as usize].push((mentor, weight));
            }
        }
        let mut pinned = vec![None; problem.mentees];
        for (mentee, row) in acceptable.iter_mut().enumerate() {
            row.sort_unstable_by_key(|&(mentor, weight)| (mentor, Reverse(weight)));
            row.dedup_by_key(|&mut (mentor, _)| mentor);
            if let Some(mentor) = pinned_mentor[mentee] {
                let weight = row
                    .binary_search_by_key(&mentor, |&(r, _)| r)
                    .map_or(0, |at| row[at].1);
                pinned[mentee] = Some((mentor, weight));
                *row = Vec::new();
            } else {
                let mentee = mentee as u32;
                row.retain(|&(mentor, _)| {
                    places[mentor as usize] > 0
                        && forbidden.binary_search(&(mentor, mentee)).is_err()
                });
            }
        }

        let pinned_weights = pinned.iter().flatten().map(|&(_, weight)| weight);
        let best_weights = acceptable
            .iter()
            .map(|row| row.iter().map(|&(_, weight)| weight).max().unwrap_or(0));
        let bound = pinned_weights
            .chain(best_weights)
            .try_fold(0i64, i64::checked_add);
        if bound.is_none_or(|sum| sum > WEIGHT_BOUND) {
            return Err(Conflict("cxc-error-weights-too-large"));
        }

        Ok(Round {
            pinned,
            acceptable,
            places,
        })
    }

    fn assignment(&self, chosen: &[Choice]) -> Assignment {
        let mut pairs = Vec::new();
        let mut total = 0;
        let mut unmatched = Vec::new();
        for (mentee, (fixed, routed)) in self.pinned.iter().zip(chosen).enumerate() {
            match fixed.or(*routed) {
                Some((mentor, weight)) => {
                    pairs.push((mentor, mentee as u32));
                    total += weight;
                }
                None if self.acceptable[mentee].is_empty() => {
                    unmatched.push((mentee as u32, Unmatched::NoFit));
                }
                None => unmatched.push((mentee as u32, Unmatched::Full)),
            }
        }
        pairs.sort_unstable();
        Assignment {
            pairs,
            total,
            unmatched,
        }
    }

    fn deferred_acceptance(&self) -> Vec<Choice> {
        let preferences: Vec<Vec<(u32, i64)>> = self
            .acceptable
            .iter()
            .map(|row| {
                let mut ranked = row.clone();
                ranked.sort_unstable_by_key(|&(mentor, weight)| (Reverse(weight), mentor));
                ranked
            })
            .collect();
        let mut proposed = vec![0; preferences.len()];
        // Min-heaps: the top is the held mentee the mentor would give up first.
        let mut held: Vec<BinaryHeap<Reverse<Standing>>> =
            vec![BinaryHeap::new(); self.places.len()];
        let mut waiting: Vec<u32> = (0..preferences.len() as u32).rev().collect();
        while let Some(mentee) = waiting.pop() {
            let ranked = &preferences[mentee as usize];
            while let Some(&(mentor, weight)) = ranked.get(proposed[mentee as usize]) {
                proposed[mentee as usize] += 1;
                let standing = (weight, Reverse(mentee));
                let holding = &mut held[mentor as usize];
                if holding.len() < self.places[mentor as usize] as usize {
                    holding.push(Reverse(standing));
                    break;
                }
                if let Some(Reverse(weakest)) = holding.peek()
                    && standing > *weakest
                {
                    let Reverse(weakest) = holding.pop().expect("peeked just before");
                    waiting.push(weakest.1.0);
                    holding.push(Reverse(standing));
                    break;
                }
            }
        }
        let mut chosen = vec![None; preferences.len()];
        for (mentor, holding) in held.into_iter().enumerate() {
            for Reverse((weight, Reverse(mentee))) in holding {
                chosen[mentee as usize] = Some((mentor as u32, weight));
            }
        }
        chosen
    }
}

/// A mentee as a mentor ranks it: higher weight, then lower index, is better.
type Standing = (i64, Reverse<u32>);

/// What the flow minimises: matching a pair costs something below nothing, staying unmatched
/// costs nothing.
trait Cost: Copy + Ord + Add<Output = Self> + Sub<Output = Self> {
    const NOTHING: Self;
    fn of_pair(weight: i64) -> Self;
}

/// `best_total`: a pair costs minus its weight.
impl Cost for i64 {
    const NOTHING: i64 = 0;

    fn of_pair(weight: i64) -> i64 {
        -weight
    }
}

/// `max_matched`: a pair costs one mentee fewer left out first, minus its weight second.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct LeftOutThenCost {
    left_out: i64,
    cost: i64,
}

impl Add for LeftOutThenCost {
    type Output = LeftOutThenCost;

    fn add(self, other: LeftOutThenCost) -> LeftOutThenCost {
        LeftOutThenCost {
            left_out: self.left_out + other.left_out,
            cost: self.cost + other.cost,
        }
    }
}

impl Sub for LeftOutThenCost {
    type Output = LeftOutThenCost;

    fn sub(self, other: LeftOutThenCost) -> LeftOutThenCost {
        LeftOutThenCost {
            left_out: self.left_out - other.left_out,
            cost: self.cost - other.cost,
        }
    }
}

impl Cost for LeftOutThenCost {
    const NOTHING: LeftOutThenCost = LeftOutThenCost {
        left_out: 0,
        cost: 0,
    };

    fn of_pair(weight: i64) -> LeftOutThenCost {
        LeftOutThenCost {
            left_out: -1,
            cost: -weight,
        }
    }
}

/// The residual graph of the flow. Nodes are the mentees (`0..mentees`), the mentors
/// (`mentees + mentor`) and the sink. A mentee's edges lead to its acceptable mentors other
/// than its own, and to the sink (staying unmatched); a mentor's lead back to the mentees it
/// holds (giving one up), and to the sink while it has a free place.
struct Flow<'a, C> {
    acceptable: &'a [Vec<(u32, i64)>],
    places: &'a [u32],
    mentees: usize,
    sink: usize,
    mentor_of: Vec<Choice>,
    /// Each mentor's mentees, with the pairs' weights.
    held: Vec<Vec<(u32, i64)>>,
    /// Johnson potentials: every residual edge's reduced cost stays ≥ 0, so Dijkstra applies.
    potential: Vec<C>,
    distance: Vec<C>,
    /// The search that last reached and settled each node, so nothing is reset between
    /// searches.
    reached_in: Vec<u32>,
    settled_in: Vec<u32>,
    search: u32,
    came_from: Vec<usize>,
    /// For a mentor node, the weight of the pair with the mentee it was reached from.
    weight_in: Vec<i64>,
    settled: Vec<usize>,
    queue: BinaryHeap<Reverse<(C, usize)>>,
}

impl<'a, C: Cost> Flow<'a, C> {
    fn new(round: &'a Round) -> Self {
        let mentees = round.acceptable.len();
        let nodes = mentees + round.places.len() + 1;
        Flow {
            acceptable: &round.acceptable,
            places: &round.places,
            mentees,
            sink: nodes - 1,
            mentor_of: vec![None; mentees],
            held: vec![Vec::new(); round.places.len()],
            potential: vec![C::NOTHING; nodes],
            distance: vec![C::NOTHING; nodes],
            reached_in: vec![0; nodes],
            settled_in: vec![0; nodes],
            search: 0,
            came_from: vec![0; nodes],
            weight_in: vec![0; nodes],
            settled: Vec::new(),
            queue: BinaryHeap::new(),
        }
    }

    fn route_everyone(mut self) -> Vec<Choice> {
        for mentee in 0..self.mentees {
            if !self.acceptable[mentee].is_empty() {
                self.route(mentee);
            }
        }
        self.mentor_of
    }

    /// Sends one more unit from `mentee` along a cheapest path to the sink. The flow stays of
    /// least cost for the mentees routed so far, because every shortest path keeps the
    /// residual graph free of negative cycles.
    fn route(&mut self, mentee: usize) {
        let acceptable = self.acceptable;
        // The mentee has no incoming edge yet, so its potential is free: the least that keeps
        // its outgoing reduced costs ≥ 0.
        self.potential[mentee] = acceptable[mentee]
            .iter()
            .map(|&(mentor, weight)| {
                self.potential[self.mentees + mentor as usize] - C::of_pair(weight)
            })
            .fold(self.potential[self.sink] - C::NOTHING, C::max);
        self.search += 1;
        self.settled.clear();
        self.queue.clear();
        self.reached_in[mentee] = self.search;
        self.distance[mentee] = C::NOTHING;
        self.queue.push(Reverse((C::NOTHING, mentee)));
        let length = loop {
            let Reverse((at, node)) = self
                .queue
                .pop()
                .expect("every routed mentee can stay unmatched, so the sink is reachable");
            if self.settled_in[node] == self.search {
                continue;
            }
            self.settled_in[node] = self.search;
            self.settled.push(node);
            if node == self.sink {
                break at;
            }
            if node < self.mentees {
                // A held mentee is reached only from its own mentor, settled by then, so
                // relaxing the saturated edge back to it does nothing.
                for &(mentor, weight) in &acceptable[node] {
                    let to = self.mentees + mentor as usize;
                    self.relax(node, at, to, C::of_pair(weight), weight);
                }
                self.relax(node, at, self.sink, C::NOTHING, 0);
            } else {
                let mentor = node - self.mentees;
                if self.held[mentor].len() < self.places[mentor] as usize {
                    self.relax(node, at, self.sink, C::NOTHING, 0);
                }
                for at_held in 0..self.held[mentor].len() {
                    let (held, weight) = self.held[mentor][at_held];
                    let given_up = C::NOTHING - C::of_pair(weight);
                    self.relax(node, at, held as usize, given_up, weight);
                }
            }
        };
        // Stopping at the sink leaves other nodes with tentative distances. Raising settled
        // nodes by their distance and all others by the path's length keeps every reduced
        // cost ≥ 0; as only differences of potentials count, settled nodes are lowered by the
        // length instead, and no other node is touched.
        for &node in &self.settled {
            self.potential[node] = self.potential[node] + self.distance[node] - length;
        }
        self.augment(mentee);
    }

    fn relax(&mut self, from: usize, at: C, to: usize, cost: C, weight: i64) {
        if self.settled_in[to] == self.search {
            return;
        }
        let distance = at + cost + self.potential[from] - self.potential[to];
        if self.reached_in[to] != self.search || distance < self.distance[to] {
            self.reached_in[to] = self.search;
            self.distance[to] = distance;
            self.came_from[to] = from;
            self.weight_in[to] = weight;
            self.queue.push(Reverse((distance, to)));
        }
    }

    /// Moves every mentee on the path found to the node after it: the next mentor, or the
    /// sink, which leaves it unmatched.
    fn augment(&mut self, source: usize) {
        let mut after = self.sink;
        let mut node = self.came_from[self.sink];
        loop {
            if node < self.mentees {
                self.move_mentee(node, after);
                if node == source {
                    return;
                }
            }
            after = node;
            node = self.came_from[node];
        }
    }

    fn move_mentee(&mut self, mentee: usize, to: usize) {
        if let Some((mentor, _)) = self.mentor_of[mentee] {
            let held = &mut self.held[mentor as usize];
            let at = held
                .iter()
                .position(|&(m, _)| m as usize == mentee)
                .expect("a mentee's mentor holds it");
            held.swap_remove(at);
        }
        self.mentor_of[mentee] = (to != self.sink).then(|| {
            let mentor = (to - self.mentees) as u32;
            let weight = self.weight_in[to];
            self.held[mentor as usize].push((mentee as u32, weight));
            (mentor, weight)
        });
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn problem(mentees: usize, slots: &[u32], edges: &[(u32, u32, i64)]) -> Problem {
        Problem {
            mentees,
            slots: slots.to_vec(),
            edges: edges.to_vec(),
            ..Problem::default()
        }
    }

    fn solved(problem: &Problem, mode: Mode) -> Assignment {
        solve(problem, mode).unwrap()
    }

    #[test]
    fn the_best_total_may_leave_out_a_mentee_that_max_matched_places() {
        // Mentors X = 0 and Y = 1, one place each; mentees A = 0 and B = 1. A–X 10 alone beats
        // A–Y 8 + B–X 1.
        let p = problem(2, &[1, 1], &[(0, 0, 10), (1, 0, 8), (0, 1, 1)]);
        let best = solved(&p, Mode::BestTotal);
        assert_eq!(best.pairs, vec![(0, 0)]);
        assert_eq!(best.total, 10);
        assert_eq!(best.unmatched, vec![(1, Unmatched::Full)]);
        let most = solved(&p, Mode::MaxMatched);
        assert_eq!(most.pairs, vec![(0, 1), (1, 0)]);
        assert_eq!(most.total, 9);
        assert!(most.unmatched.is_empty());
    }

    #[test]
    fn stable_follows_the_strongest_pairs_where_the_best_total_does_not() {
        // Same mentors and mentees. A prefers X (10) and X prefers A: they are together in any
        // stable result, and B, who only accepts X, is left out. Splitting them gives more: A–Y 8 + B–X 9.
        let p = problem(2, &[1, 1], &[(0, 0, 10), (1, 0, 8), (0, 1, 9)]);
        let stable = solved(&p, Mode::Stable);
        assert_eq!(stable.pairs, vec![(0, 0)]);
        assert_eq!(stable.total, 10);
        assert_eq!(stable.unmatched, vec![(1, Unmatched::Full)]);
        let best = solved(&p, Mode::BestTotal);
        assert_eq!(best.pairs, vec![(0, 1), (1, 0)]);
        assert_eq!(best.total, 17);
    }

    #[test]
    fn a_mentor_with_two_places_takes_its_two_best() {
        // Mentor 0 has two places, mentor 1 one; mentee 1 accepts only mentor 0.
        let p = problem(
            3,
            &[2, 1],
            &[(0, 0, 5), (0, 1, 4), (0, 2, 3), (1, 2, 1), (1, 0, 2)],
        );
        for mode in [Mode::BestTotal, Mode::MaxMatched] {
            let a = solved(&p, mode);
            assert_eq!(a.pairs, vec![(0, 0), (0, 1), (1, 2)], "{mode:?}");
            assert_eq!(a.total, 10);
        }
        let stable = solved(&p, Mode::Stable);
        assert_eq!(stable.pairs, vec![(0, 0), (0, 1), (1, 2)]);
    }

    #[test]
    fn a_pinned_pair_stands_even_against_the_optimum() {
        let mut p = problem(2, &[1, 1], &[(0, 0, 10), (1, 1, 10), (0, 1, 1), (1, 0, 1)]);
        assert_eq!(solved(&p, Mode::BestTotal).total, 20);
        p.pinned = vec![(0, 1)];
        for mode in Mode::ALL {
            let a = solved(&p, *mode);
            assert_eq!(a.pairs, vec![(0, 1), (1, 0)], "{mode:?}");
            assert_eq!(a.total, 2);
        }
        p.pinned = vec![(1, 0)];
        p.edges = vec![(0, 0, 10)];
        let a = solved(&p, Mode::BestTotal);
        assert_eq!(a.pairs, vec![(1, 0)], "pinned without an edge");
        assert_eq!(a.total, 0);
        assert_eq!(a.unmatched, vec![(1, Unmatched::NoFit)]);
    }

    #[test]
    fn a_forbidden_pair_is_never_chosen() {
        let mut p = problem(2, &[1, 1], &[(0, 0, 10), (1, 1, 10), (0, 1, 1), (1, 0, 1)]);
        p.forbidden = vec![(0, 0)];
        let best = solved(&p, Mode::BestTotal);
        assert_eq!(best.pairs, vec![(1, 1)]);
        assert_eq!(best.total, 10);
        assert_eq!(best.unmatched, vec![(0, Unmatched::Full)]);
        let most = solved(&p, Mode::MaxMatched);
        assert_eq!(most.pairs, vec![(0, 1), (1, 0)]);
        assert_eq!(most.total, 2);
    }

    #[test]
    fn each_conflict_has_its_key() {
        let base = problem(2, &[1, 1], &[(0, 0, 3)]);
        let with = |change: fn(&mut Problem)| {
            let mut p = base.clone();
            change(&mut p);
            solve(&p, Mode::BestTotal).unwrap_err().0
        };
        assert_eq!(with(|p| p.edges.push((2, 0, 1))), "cxc-error-pair-unknown");
        assert_eq!(with(|p| p.edges.push((0, 2, 1))), "cxc-error-pair-unknown");
        assert_eq!(with(|p| p.pinned.push((0, 5))), "cxc-error-pair-unknown");
        assert_eq!(with(|p| p.forbidden.push((9, 0))), "cxc-error-pair-unknown");
        assert_eq!(
            with(|p| p.pinned = vec![(0, 0), (1, 0)]),
            "cxc-error-pinned-twice"
        );
        assert_eq!(
            with(|p| p.pinned = vec![(0, 0), (0, 0)]),
            "cxc-error-pinned-twice"
        );
        assert_eq!(
            with(|p| p.pinned = vec![(0, 0), (0, 1)]),
            "cxc-error-pinned-over-limit"
        );
        assert_eq!(
            with(|p| {
                p.slots[1] = 0;
                p.pinned = vec![(1, 1)];
            }),
            "cxc-error-pinned-over-limit"
        );
        assert_eq!(
            with(|p| {
                p.pinned = vec![(1, 1)];
                p.forbidden = vec![(1, 1)];
            }),
            "cxc-error-pinned-forbidden"
        );
        assert_eq!(
            with(|p| p.edges = vec![(0, 0, i64::MAX), (1, 1, i64::MAX)]),
            "cxc-error-weights-too-large"
        );
        for mode in Mode::ALL {
            assert!(solve(&base, *mode).is_ok());
        }
    }

    #[test]
    fn why_a_mentee_is_left_out() {
        // 0: no edge; 1: only a mentor without places; 2: only a forbidden pair; 3: only a
        // mentor whose one place is pinned to 5; 4: loses mentor 2's place to 6.
        let mut p = problem(
            7,
            &[1, 0, 1, 1],
            &[(1, 1, 5), (0, 2, 5), (3, 3, 5), (2, 4, 1), (2, 6, 9)],
        );
        p.forbidden = vec![(0, 2)];
        p.pinned = vec![(3, 5)];
        for mode in Mode::ALL {
            let a = solved(&p, *mode);
            assert_eq!(a.pairs, vec![(2, 6), (3, 5)], "{mode:?}");
            assert_eq!(
                a.unmatched,
                vec![
                    (0, Unmatched::NoFit),
                    (1, Unmatched::NoFit),
                    (2, Unmatched::NoFit),
                    (3, Unmatched::NoFit),
                    (4, Unmatched::Full),
                ],
                "{mode:?}"
            );
        }
    }

    #[test]
    fn invalid_weights_and_repeated_pairs() {
        let p = problem(2, &[2], &[(0, 0, 0), (0, 1, -4), (0, 1, 2), (0, 1, 7)]);
        for mode in Mode::ALL {
            let a = solved(&p, *mode);
            assert_eq!(a.pairs, vec![(0, 1)], "{mode:?}");
            assert_eq!(a.total, 7);
            assert_eq!(a.unmatched, vec![(0, Unmatched::NoFit)]);
        }
        let empty = Problem::default();
        for mode in Mode::ALL {
            let a = solved(&empty, *mode);
            assert!(a.pairs.is_empty() && a.unmatched.is_empty() && a.total == 0);
        }
    }

    #[test]
    fn modes_round_trip() {
        for mode in Mode::ALL {
            assert_eq!(Mode::parse(mode.as_str()), Some(*mode));
        }
        assert_eq!(
            serde_json::to_string(&Unmatched::NoFit).unwrap(),
            "\"no_fit\""
        );
    }

    /// Places left and acceptable weight per pair, straight from the problem.
    struct Reference {
        places: Vec<u32>,
        weight: Vec<Vec<Option<i64>>>,
        pinned_to: Vec<Option<u32>>,
        pinned_total: i64,
    }

    impl Reference {
        fn of(p: &Problem) -> Reference {
            let mut weight = vec![vec![None; p.mentees]; p.slots.len()];
            for &(r, e, w) in &p.edges {
                if w > 0 && !p.forbidden.contains(&(r, e)) {
                    weight[r as usize][e as usize] = Some(w);
                }
            }
            let mut places = p.slots.clone();
            let mut pinned_to = vec![None; p.mentees];
            let mut pinned_total = 0;
            for &(r, e) in &p.pinned {
                places[r as usize] -= 1;
                pinned_to[e as usize] = Some(r);
                pinned_total += weight[r as usize][e as usize].unwrap_or(0);
            }
            Reference {
                places,
                weight,
                pinned_to,
                pinned_total,
            }
        }

        fn weight(&self, mentor: u32, mentee: u32) -> Option<i64> {
            self.weight[mentor as usize][mentee as usize]
        }

        /// The best total, and the most mentees matched with the best total among those, over
        /// every matching.
        fn exhaustive(&self) -> (i64, (usize, i64)) {
            let mut places = self.places.clone();
            let mut best = (i64::MIN, (0, i64::MIN));
            self.enumerate(0, &mut places, 0, 0, &mut best);
            best
        }

        fn enumerate(
            &self,
            mentee: usize,
            places: &mut [u32],
            count: usize,
            total: i64,
            best: &mut (i64, (usize, i64)),
        ) {
            if mentee == self.pinned_to.len() {
                let total = total + self.pinned_total;
                let count = count + self.pinned_to.iter().flatten().count();
                best.0 = best.0.max(total);
                best.1 = best.1.max((count, total));
                return;
            }
            self.enumerate(mentee + 1, places, count, total, best);
            if self.pinned_to[mentee].is_some() {
                return;
            }
            for mentor in 0..places.len() {
                if let Some(w) = self.weight(mentor as u32, mentee as u32)
                    && places[mentor] > 0
                {
                    places[mentor] -= 1;
                    self.enumerate(mentee + 1, places, count + 1, total + w, best);
                    places[mentor] += 1;
                }
            }
        }

        fn greedy_total(&self) -> i64 {
            let mut pairs: Vec<(i64, u32, u32)> = (0..self.places.len() as u32)
                .flat_map(|r| {
                    (0..self.pinned_to.len() as u32)
                        .filter_map(move |e| self.weight(r, e).map(|w| (w, r, e)))
                })
                .collect();
            pairs.sort_unstable_by_key(|&(w, _, _)| Reverse(w));
            let mut places = self.places.clone();
            let mut taken: Vec<bool> = self.pinned_to.iter().map(Option::is_some).collect();
            let mut total = self.pinned_total;
            for (w, r, e) in pairs {
                if !taken[e as usize] && places[r as usize] > 0 {
                    taken[e as usize] = true;
                    places[r as usize] -= 1;
                    total += w;
                }
            }
            total
        }

        /// Every rule any mode's result keeps.
        fn check(&self, p: &Problem, a: &Assignment) -> Result<(), TestCaseError> {
            let mut sorted = a.pairs.clone();
            sorted.sort_unstable();
            prop_assert_eq!(&sorted, &a.pairs);
            for pair in &p.pinned {
                prop_assert!(a.pairs.contains(pair), "pinned {:?} missing", pair);
            }
            let mut taken = vec![0; p.slots.len()];
            let mut mentor_of = vec![None; p.mentees];
            let mut total = 0;
            for &(r, e) in &a.pairs {
                prop_assert!(!p.forbidden.contains(&(r, e)));
                prop_assert!(mentor_of[e as usize].replace(r).is_none(), "{} twice", e);
                taken[r as usize] += 1;
                let pinned = self.pinned_to[e as usize] == Some(r);
                prop_assert!(pinned || self.weight(r, e).is_some(), "{:?}", (r, e));
                total += self.weight(r, e).unwrap_or(0);
            }
            prop_assert_eq!(total, a.total);
            for (r, &slots) in p.slots.iter().enumerate() {
                prop_assert!(taken[r] <= slots);
            }
            let left_out: Vec<u32> = (0..p.mentees as u32)
                .filter(|&e| mentor_of[e as usize].is_none())
                .collect();
            let listed: Vec<u32> = a.unmatched.iter().map(|&(e, _)| e).collect();
            prop_assert_eq!(left_out, listed);
            for &(e, why) in &a.unmatched {
                let fits = (0..p.slots.len() as u32)
                    .any(|r| self.places[r as usize] > 0 && self.weight(r, e).is_some());
                prop_assert_eq!(why == Unmatched::Full, fits);
            }
            Ok(())
        }

        fn blocking_pair(&self, a: &Assignment) -> Option<(u32, u32)> {
            let mut mentor_of = vec![None; self.pinned_to.len()];
            for &(r, e) in &a.pairs {
                mentor_of[e as usize] = Some(r);
            }
            let standing = |r: u32, e: u32| (self.weight(r, e).unwrap_or(0), Reverse(e));
            let ranking = |e: u32, r: u32| (self.weight(r, e).unwrap_or(0), Reverse(r));
            (0..self.places.len() as u32)
                .flat_map(|r| (0..self.pinned_to.len() as u32).map(move |e| (r, e)))
                .find(|&(r, e)| {
                    let free_mentee = self.pinned_to[e as usize].is_none();
                    let mentee_would = match mentor_of[e as usize] {
                        None => true,
                        Some(now) => now != r && ranking(e, r) > ranking(e, now),
                    };
                    let holds: Vec<u32> = a
                        .pairs
                        .iter()
                        .filter(|&&(m, h)| m == r && self.pinned_to[h as usize].is_none())
                        .map(|&(_, h)| h)
                        .collect();
                    let mentor_would = (holds.len() as u32) < self.places[r as usize]
                        || holds.iter().any(|&h| standing(r, e) > standing(r, h));
                    free_mentee && self.weight(r, e).is_some() && mentee_would && mentor_would
                })
        }
    }

    /// Small rounds with valid pins: a tenth of the pairs are pin candidates, kept when the
    /// mentee is not yet pinned and the mentor has a slot left; another tenth are forbidden.
    /// Half the rounds weigh pairs 1–3 only, so that ties, and how they are broken, are common.
    fn rounds() -> impl Strategy<Value = Problem> {
        let weights = prop::sample::select(vec![3i64, 20]);
        (0usize..=7, prop::collection::vec(0u32..=3, 0..=4), weights)
            .prop_flat_map(|(mentees, slots, heaviest)| {
                let pairs = mentees * slots.len();
                let weight = prop::option::weighted(0.6, 1..=heaviest);
                (
                    Just(mentees),
                    Just(slots),
                    prop::collection::vec(weight, pairs),
                    prop::collection::vec(0u8..10, pairs),
                )
            })
            .prop_map(|(mentees, slots, weights, marks)| {
                let mentors = slots.len();
                let mut p = Problem {
                    mentees,
                    slots,
                    ..Problem::default()
                };
                let mut pins = vec![0; mentors];
                let mut pinned = vec![false; mentees];
                for (at, (weight, mark)) in weights.into_iter().zip(marks).enumerate() {
                    let (r, e) = (at % mentors, at / mentors);
                    if let Some(w) = weight {
                        p.edges.push((r as u32, e as u32, w));
                    }
                    if mark == 0 && !pinned[e] && pins[r] < p.slots[r] {
                        pinned[e] = true;
                        pins[r] += 1;
                        p.pinned.push((r as u32, e as u32));
                    } else if mark == 1 {
                        p.forbidden.push((r as u32, e as u32));
                    }
                }
                p
            })
    }

    proptest! {
        // Flaws in the potentials show only on some rounds: 256 cases can miss them.
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn every_mode_keeps_the_rules_and_the_exact_ones_are_optimal(p in rounds()) {
            let reference = Reference::of(&p);
            let (best_total, most_matched) = reference.exhaustive();
            let best = solved(&p, Mode::BestTotal);
            let most = solved(&p, Mode::MaxMatched);
            let stable = solved(&p, Mode::Stable);
            for a in [&best, &most, &stable] {
                reference.check(&p, a)?;
            }
            prop_assert_eq!(best.total, best_total);
            prop_assert!(best.total >= reference.greedy_total());
            prop_assert_eq!((most.pairs.len(), most.total), most_matched);
            prop_assert!(most.pairs.len() >= best.pairs.len());
            prop_assert_eq!(reference.blocking_pair(&stable), None);
        }

        #[test]
        fn the_order_of_the_lists_does_not_change_the_result(p in rounds()) {
            let mut reversed = p.clone();
            reversed.edges.reverse();
            reversed.pinned.reverse();
            reversed.forbidden.reverse();
            for mode in Mode::ALL {
                prop_assert_eq!(solved(&p, *mode), solved(&reversed, *mode));
            }
        }
    }
}
