//! Each person's postings as one short row of small numbers, for counting facets person by
//! person. A search's facets over a few thousand people are cheaper to count from the rows of
//! those people than by intersecting the set with hundreds of posting lists.
//!
//! Rows are stored back to back in one buffer, in slot order, and every posting (a dimension,
//! a value and a language's rank) has a dense key. Counting is then one increment per key
//! read, into one small array, walking memory forwards: measured at 100k people, 30–60 ns a
//! person against 170 ns for rows allocated one by one and counted per dimension.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use super::{DIMENSIONS, Dimension};

/// A posting: its dimension, value and (for languages, 0 elsewhere) rank.
pub type Posting = (Dimension, u32, u8);

#[derive(Debug)]
pub struct Rows {
    keys: HashMap<Posting, u16>,
    /// Each dimension's keys with their value and rank, sorted by value then rank, so that
    /// counts come out in value order without sorting per query.
    by_dimension: [Vec<(u32, u8, u16)>; DIMENSIONS],
    data: Vec<u16>,
    /// Where each slot's row starts in `data`, and its length.
    spans: Vec<(u32, u32)>,
    /// Entries of `data` no row uses any more (rows that grew were moved to the end).
    unused: usize,
    /// False once a posting found no key left (more than 65,536 distinct postings): rows
    /// then miss it, and counts must come from the posting lists.
    complete: bool,
}

/// Counts per key over a set of people, read back per dimension.
pub struct Counts<'a> {
    rows: &'a Rows,
    counts: Vec<u32>,
}

impl Default for Rows {
    fn default() -> Rows {
        Rows {
            keys: HashMap::new(),
            by_dimension: Default::default(),
            data: Vec::new(),
            spans: Vec::new(),
            unused: 0,
            complete: true,
        }
    }
}

impl Rows {
    pub fn clear(&mut self) {
        *self = Rows::default();
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The key of a posting, if anyone ever held it.
    pub fn key_of(&self, posting: Posting) -> Option<u16> {
        self.keys.get(&posting).copied()
    }

    /// A slot's row.
    pub fn row(&self, slot: u32) -> &[u16] {
        self.spans.get(slot as usize).map_or(&[], |&(start, len)| {
            &self.data[start as usize..(start + len) as usize]
        })
    }

    /// Counts per key made elsewhere, to read back per dimension.
    pub fn counts_from(&self, counts: Vec<u32>) -> Counts<'_> {
        Counts { rows: self, counts }
    }

    /// Whether every posting has a key, so that counts from rows are whole.
    pub fn complete(&self) -> bool {
        self.complete
    }

    fn key(&mut self, posting: Posting) -> Option<u16> {
        if let Some(k) = self.keys.get(&posting) {
            return Some(*k);
        }
        let Ok(k) = u16::try_from(self.keys.len()) else {
            self.complete = false;
            return None;
        };
        self.keys.insert(posting, k);
        let (dimension, value, rank) = posting;
        let list = &mut self.by_dimension[dimension as usize];
        let at = list.partition_point(|(v, r, _)| (*v, *r) < (value, rank));
        list.insert(at, (value, rank, k));
        Some(k)
    }

    /// Replaces a slot's row (an empty list removes it).
    pub fn set(&mut self, slot: u32, postings: impl IntoIterator<Item = Posting>) {
        let row: Vec<u16> = postings.into_iter().filter_map(|p| self.key(p)).collect();
        let at = slot as usize;
        if self.spans.len() <= at {
            self.spans.resize(at + 1, (0, 0));
        }
        let (start, len) = self.spans[at];
        if row.len() <= len as usize {
            let start = start as usize;
            self.data[start..start + row.len()].copy_from_slice(&row);
            self.unused += len as usize - row.len();
            self.spans[at].1 = row.len() as u32;
        } else {
            self.unused += len as usize;
            self.spans[at] = (self.data.len() as u32, row.len() as u32);
            self.data.extend_from_slice(&row);
        }
        if self.unused > 4096 && self.unused * 2 > self.data.len() {
            self.compact();
        }
    }

    /// Rewrites the buffer in slot order without the unused entries, so that counting walks
    /// memory forwards again.
    fn compact(&mut self) {
        let live = self.data.len() - self.unused;
        let mut data = Vec::with_capacity(live + live / 8);
        for span in &mut self.spans {
            let (start, len) = (span.0 as usize, span.1 as usize);
            *span = (data.len() as u32, span.1);
            data.extend_from_slice(&self.data[start..start + len]);
        }
        self.data = data;
        self.unused = 0;
    }

    /// Counts every posting over the people in `scope`.
    pub fn count(&self, scope: &RoaringBitmap) -> Counts<'_> {
        /// How many rows ahead the first entry of a row is read. The rows of a scope lie
        /// apart in memory, so each costs a cache miss; reading ahead lets several misses
        /// wait at once instead of one after the other.
        const AHEAD: usize = 8;
        let mut counts = vec![0u32; self.keys.len()];
        let rows: Vec<(usize, usize)> = scope
            .iter()
            .filter_map(|slot| self.spans.get(slot as usize))
            .filter(|(_, len)| *len > 0)
            .map(|&(start, len)| (start as usize, len as usize))
            .collect();
        let mut heads = [0u16; AHEAD];
        for (head, (start, _)) in heads.iter_mut().zip(&rows) {
            *head = self.data[*start];
        }
        for (i, (start, len)) in rows.iter().enumerate() {
            let head = heads[i % AHEAD];
            if let Some((later, _)) = rows.get(i + AHEAD) {
                heads[i % AHEAD] = self.data[*later];
            }
            counts[usize::from(head)] += 1;
            for &k in &self.data[start + 1..start + len] {
                counts[usize::from(k)] += 1;
            }
        }
        Counts { rows: self, counts }
    }
}

impl Counts<'_> {
    /// The counts of one dimension's values, in value order, without zeros. Rows hold a
    /// language only at the person's own rank, so a language's count at `min_rank` adds up
    /// the ranks from there.
    pub fn of(&self, dimension: Dimension, min_rank: u8) -> Vec<(u32, u64)> {
        let min_rank = if dimension == Dimension::Language {
            min_rank.min(6)
        } else {
            0
        };
        let mut out: Vec<(u32, u64)> = Vec::new();
        for &(value, rank, key) in &self.rows.by_dimension[dimension as usize] {
            let n = u64::from(self.counts[key as usize]);
            if n == 0 || rank < min_rank {
                continue;
            }
            match out.last_mut() {
                Some((v, total)) if *v == value => *total += n,
                _ => out.push((value, n)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What counting should give: each slot's postings tallied directly.
    fn expected(rows: &[Vec<Posting>], scope: &RoaringBitmap, d: Dimension) -> Vec<(u32, u64)> {
        let mut tally = std::collections::BTreeMap::new();
        for slot in scope {
            for (dimension, value, _) in &rows[slot as usize] {
                if *dimension == d {
                    *tally.entry(*value).or_insert(0u64) += 1;
                }
            }
        }
        tally.into_iter().collect()
    }

    #[test]
    fn rows_that_grow_shrink_and_move_count_the_same_after_compaction() {
        let mut rows = Rows::default();
        let mut truth: Vec<Vec<Posting>> = vec![Vec::new(); 500];
        // Rounds of rewrites with changing lengths: rows that grow move to the end, and the
        // buffer is compacted several times over.
        for round in 0..40u32 {
            for slot in 0..500u32 {
                let len = (slot * 7 + round * 13) % 23;
                let row: Vec<Posting> = (0..len)
                    .map(|i| (Dimension::Offers, (slot + i * round) % 97, 0))
                    .chain((slot % 3 == 0).then_some((Dimension::Country, round % 5, 0)))
                    .collect();
                let mut unique = row.clone();
                unique.sort_unstable();
                unique.dedup();
                rows.set(slot, unique.iter().copied());
                truth[slot as usize] = unique;
            }
        }
        // Without compaction the buffer would hold every row that ever grew (some 100,000
        // entries); with it, little more than twice what is live.
        let live: usize = truth.iter().map(Vec::len).sum();
        assert_eq!(rows.data.len() - rows.unused, live);
        assert!(
            rows.data.len() <= 2 * live + 4096 + 23,
            "{}",
            rows.data.len()
        );
        for slot in (0..500).step_by(5) {
            rows.set(slot, []);
            truth[slot as usize].clear();
        }
        let scope: RoaringBitmap = (0..500).filter(|s| s % 2 == 1 || s % 5 == 0).collect();
        let counts = rows.count(&scope);
        for d in [Dimension::Offers, Dimension::Country, Dimension::Wants] {
            assert_eq!(counts.of(d, 0), expected(&truth, &scope, d), "{d:?}");
        }
        assert!(rows.complete());
    }

    #[test]
    fn languages_count_from_a_minimum_rank_up() {
        let mut rows = Rows::default();
        rows.set(0, [(Dimension::Language, 4, 6)]);
        rows.set(1, [(Dimension::Language, 4, 2)]);
        rows.set(2, [(Dimension::Language, 9, 3)]);
        let scope: RoaringBitmap = (0..3).collect();
        let counts = rows.count(&scope);
        assert_eq!(counts.of(Dimension::Language, 0), vec![(4, 2), (9, 1)]);
        assert_eq!(counts.of(Dimension::Language, 3), vec![(4, 1), (9, 1)]);
        assert_eq!(counts.of(Dimension::Language, 9), vec![(4, 1)]);
    }

    #[test]
    fn more_postings_than_keys_leave_the_rows_incomplete() {
        let mut rows = Rows::default();
        for value in 0..=u32::from(u16::MAX) {
            rows.set(value, [(Dimension::Project, value, 0)]);
        }
        assert!(rows.complete());
        rows.set(70_000, [(Dimension::Project, 70_000, 0)]);
        assert!(!rows.complete());
    }
}
