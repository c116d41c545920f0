//! How many people hold each two postings together, kept with every change: the facet counts
//! of a search with one filter value are then one row of this table, whatever the number of
//! people (at 1M, a search on one capacity counted a tenth of a million rows instead).
//!
//! The table is square over the keys of [`super::rows::Rows`], one for public people and one
//! for members-only ones. It grows as keys appear; past [`MAX_SIDE`] keys it is dropped and
//! searches count as they would without it.

/// The most keys the table holds: 2,048² counts in two tables are 32 MiB. The synthetic
/// community of any size has about 1,050 keys (150 capacities in three relations, languages
/// at seven ranks, countries, regions, organizations, projects, methods and formats).
const MAX_SIDE: usize = 2048;

#[derive(Debug)]
pub struct Pairs {
    side: usize,
    /// Per visibility class (public, members-only): `counts[a * side + b]` people hold keys
    /// `a` and `b` (`a == b`: people holding `a`).
    counts: [Vec<u32>; 2],
    enabled: bool,
}

impl Default for Pairs {
    fn default() -> Pairs {
        Pairs {
            side: 0,
            counts: [Vec::new(), Vec::new()],
            enabled: true,
        }
    }
}

impl Pairs {
    pub fn clear(&mut self) {
        *self = Pairs::default();
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Counts (or uncounts) one person of visibility `class` holding `keys`, of a key space
    /// of `key_count` keys.
    pub fn change(&mut self, keys: &[u16], class: usize, add: bool, key_count: usize) {
        if !self.enabled {
            return;
        }
        if key_count > self.side && !self.grow(key_count) {
            return;
        }
        let side = self.side;
        let counts = &mut self.counts[class];
        for &a in keys {
            let row = usize::from(a) * side;
            for &b in keys {
                let n = &mut counts[row + usize::from(b)];
                *n = if add { *n + 1 } else { n.saturating_sub(1) };
            }
        }
    }

    /// Makes room for `key_count` keys, a quarter more than needed so that growth is rare;
    /// false (and the table dropped) past the most it may hold.
    fn grow(&mut self, key_count: usize) -> bool {
        if key_count > MAX_SIDE {
            *self = Pairs {
                enabled: false,
                ..Pairs::default()
            };
            return false;
        }
        let side = (key_count + key_count / 4)
            .next_multiple_of(64)
            .min(MAX_SIDE);
        for counts in &mut self.counts {
            let mut wider = vec![0u32; side * side];
            for a in 0..self.side {
                wider[a * side..a * side + self.side]
                    .copy_from_slice(&counts[a * self.side..(a + 1) * self.side]);
            }
            *counts = wider;
        }
        self.side = side;
        true
    }

    /// Adds to `out` (one count per key) how many visible people hold each key together with
    /// `key`: public people, and members-only ones for signed-in callers.
    pub fn add_row(&self, key: u16, signed_in: bool, out: &mut [u32]) {
        let start = usize::from(key) * self.side;
        let classes = if signed_in { 2 } else { 1 };
        for counts in &self.counts[..classes] {
            let Some(row) = counts.get(start..start + self.side) else {
                continue;
            };
            for (o, n) in out.iter_mut().zip(row) {
                *o += n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_follow_changes_and_growth() {
        let mut pairs = Pairs::default();
        pairs.change(&[0, 1], 0, true, 2);
        pairs.change(&[1, 2], 1, true, 3);
        // Growing past the first size keeps what was counted.
        pairs.change(&[1, 200], 0, true, 201);
        let mut out = vec![0; 201];
        pairs.add_row(1, false, &mut out);
        assert_eq!((out[0], out[1], out[2], out[200]), (1, 2, 0, 1));
        let mut out = vec![0; 201];
        pairs.add_row(1, true, &mut out);
        assert_eq!((out[0], out[1], out[2], out[200]), (1, 3, 1, 1));
        pairs.change(&[0, 1], 0, false, 201);
        let mut out = vec![0; 201];
        pairs.add_row(1, false, &mut out);
        assert_eq!((out[0], out[1], out[200]), (0, 1, 1));
        pairs.change(&[5], 0, true, MAX_SIDE + 1);
        assert!(!pairs.enabled());
    }
}
