//! The in-memory read model behind search, matching and the map: every visible fact about
//! people, as compact records and posting lists (roaring bitmaps), updated on every write so
//! that a request never scans the database.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

use roaring::RoaringBitmap;
use smallvec::SmallVec;
use time::Date;

mod pairs;
mod rows;

use crate::capacity::{Format, Method};
use crate::profile::{Region, Visibility};
use crate::taxonomy::Taxonomy;

/// Strings mapped to dense numbers, so records and postings stay small.
#[derive(Debug, Default, Clone)]
pub struct Interner {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), id);
        id
    }

    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Methods and formats as bit sets.
pub fn method_bits(methods: &[Method]) -> u16 {
    methods.iter().fold(0, |bits, m| {
        bits | 1 << Method::ALL.iter().position(|x| x == m).unwrap_or(0)
    })
}

pub fn format_bits(formats: &[Format]) -> u8 {
    formats.iter().fold(0, |bits, f| {
        bits | 1 << Format::ALL.iter().position(|x| x == f).unwrap_or(0)
    })
}

/// A capacity offered or wanted, with how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interest {
    pub capacity: u32,
    pub methods: u16,
    pub formats: u8,
}

/// A person's languages with their Babel rank, or capacities with a level. Short lists are
/// kept inside the record rather than each in an allocation of its own: matching reads them
/// for thousands of people per request, and one place in memory costs one cache miss, not
/// five.
pub type Ranked = SmallVec<[(u32, u8); 4]>;
pub type Interests = SmallVec<[Interest; 4]>;

/// A person as the read model keeps them. Capacity, language, country, organization and
/// project numbers come from the model's interners.
#[derive(Debug, Clone)]
pub struct Person {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub country: Option<u32>,
    pub region: Option<Region>,
    /// Hours from UTC, when the person gave a time zone.
    pub utc_offset: Option<f32>,
    /// Language number and Babel rank (0–5, 6 native).
    pub languages: Ranked,
    /// Capacity number and level (0 when not given).
    pub known: Ranked,
    pub offered: Interests,
    pub wanted: Interests,
    pub affiliations: Vec<u32>,
    pub projects: Vec<u32>,
    pub visibility: Visibility,
    pub recommendable: bool,
    pub away_until: Option<Date>,
    pub max_connections: Option<u16>,
    pub open_connections: u16,
    /// Unix seconds of the last change, for "recent activity".
    pub updated_at: i64,
}

impl Person {
    pub fn is_away(&self, today: Date) -> bool {
        self.away_until.is_some_and(|d| d >= today)
    }

    pub fn at_capacity_limit(&self) -> bool {
        self.max_connections
            .is_some_and(|max| self.open_connections >= max)
    }

    pub fn language_rank(&self, language: u32) -> Option<u8> {
        self.languages
            .iter()
            .find(|(l, _)| *l == language)
            .map(|(_, r)| *r)
    }
}

/// Facet counts per dimension: each value with how many people it holds.
pub type FacetCounts = Vec<(Dimension, Vec<(u32, u64)>)>;

const DIMENSIONS: usize = 10;

/// Every dimension, in the order of their numbers.
pub const ALL_DIMENSIONS: [Dimension; DIMENSIONS] = [
    Dimension::Offers,
    Dimension::Wants,
    Dimension::Knows,
    Dimension::Language,
    Dimension::Country,
    Dimension::Region,
    Dimension::Affiliation,
    Dimension::Project,
    Dimension::Method,
    Dimension::Format,
];

/// The dimensions a search can filter on, and facet counts are given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Offers,
    Wants,
    Knows,
    Language,
    Country,
    Region,
    Affiliation,
    Project,
    Method,
    Format,
}

#[derive(Debug, Default)]
struct Postings {
    /// Holders of each capacity or of any capacity under it (so a filter on an area finds
    /// everyone in it without unions at query time).
    offers: HashMap<u32, RoaringBitmap>,
    wants: HashMap<u32, RoaringBitmap>,
    knows: HashMap<u32, RoaringBitmap>,
    /// Speakers of a language at each Babel rank or above (index 0: everyone who lists it).
    languages: HashMap<u32, [RoaringBitmap; 7]>,
    countries: HashMap<u32, RoaringBitmap>,
    regions: HashMap<Region, RoaringBitmap>,
    affiliations: HashMap<u32, RoaringBitmap>,
    projects: HashMap<u32, RoaringBitmap>,
    methods: HashMap<u32, RoaringBitmap>,
    formats: HashMap<u32, RoaringBitmap>,
    public: RoaringBitmap,
    members: RoaringBitmap,
    /// Public and members-only people together: what a signed-in caller sees, kept so that
    /// no request unites the two.
    visible_to_members: RoaringBitmap,
    /// People with an away date (past or future): few, checked against today per query.
    away: RoaringBitmap,
}

impl Postings {
    /// The posting list of a value, created when missing. Languages have one per rank.
    fn entry(&mut self, dimension: Dimension, value: u32, rank: u8) -> &mut RoaringBitmap {
        match dimension {
            Dimension::Offers => self.offers.entry(value).or_default(),
            Dimension::Wants => self.wants.entry(value).or_default(),
            Dimension::Knows => self.knows.entry(value).or_default(),
            Dimension::Language => {
                &mut self.languages.entry(value).or_default()[usize::from(rank).min(6)]
            }
            Dimension::Country => self.countries.entry(value).or_default(),
            Dimension::Region => self
                .regions
                .entry(Region::ALL[value as usize % Region::ALL.len()])
                .or_default(),
            Dimension::Affiliation => self.affiliations.entry(value).or_default(),
            Dimension::Project => self.projects.entry(value).or_default(),
            Dimension::Method => self.methods.entry(value).or_default(),
            Dimension::Format => self.formats.entry(value).or_default(),
        }
    }
}

/// Calls `visit` with every posting a person belongs to: a dimension, a value and, for
/// languages, a rank (someone at rank 4 is in the postings of ranks 0 to 4; other dimensions
/// have rank 0). Capacities count once each, with every capacity above them.
fn each_membership(p: &Person, parents: &[Option<u32>], mut visit: impl FnMut(Dimension, u32, u8)) {
    let mut rolled = |dimension: Dimension, capacities: &mut dyn Iterator<Item = u32>| {
        let mut seen: SmallVec<[u32; 24]> = SmallVec::new();
        for c in capacities {
            let mut current = Some(c);
            while let Some(x) = current {
                if seen.contains(&x) {
                    break;
                }
                seen.push(x);
                visit(dimension, x, 0);
                current = parents.get(x as usize).copied().flatten();
            }
        }
    };
    rolled(Dimension::Offers, &mut p.offered.iter().map(|i| i.capacity));
    rolled(Dimension::Wants, &mut p.wanted.iter().map(|i| i.capacity));
    rolled(Dimension::Knows, &mut p.known.iter().map(|k| k.0));
    for (language, rank) in &p.languages {
        for at_least in 0..=(*rank).min(6) {
            visit(Dimension::Language, *language, at_least);
        }
    }
    if let Some(c) = p.country {
        visit(Dimension::Country, c, 0);
    }
    if let Some(r) = p.region
        && let Some(i) = Region::ALL.iter().position(|x| *x == r)
    {
        visit(Dimension::Region, i as u32, 0);
    }
    for o in &p.affiliations {
        visit(Dimension::Affiliation, *o, 0);
    }
    for pr in &p.projects {
        visit(Dimension::Project, *pr, 0);
    }
    let (methods, formats) = p
        .offered
        .iter()
        .chain(&p.wanted)
        .fold((0u16, 0u8), |(m, f), i| (m | i.methods, f | i.formats));
    for bit in 0..16u32 {
        if methods & (1 << bit) != 0 {
            visit(Dimension::Method, bit, 0);
        }
    }
    for bit in 0..8u32 {
        if formats & (1 << bit) != 0 {
            visit(Dimension::Format, bit, 0);
        }
    }
}

/// The read model.
#[derive(Debug, Default)]
pub struct Model {
    people: Vec<Option<Person>>,
    by_account: HashMap<i64, u32>,
    free_slots: Vec<u32>,
    pub capacities: Interner,
    pub languages: Interner,
    pub countries: Interner,
    pub organizations: Interner,
    pub projects: Interner,
    /// Parent of each capacity number, from the taxonomy.
    capacity_parent: Vec<Option<u32>>,
    /// Depth of each capacity (1 for an area), asked for on every pair matching compares.
    capacity_depth: Vec<u8>,
    postings: Postings,
    /// How many public (index 0) and members-only (index 1) people each posting holds, kept
    /// with every change: the facet counts of a search with no other filter.
    tally: HashMap<(Dimension, u32, u8), [u32; 2]>,
    recency: BTreeSet<(Reverse<i64>, u32)>,
    /// Each slot's postings, rolled up the taxonomy, as one short row: facet counts over a
    /// few thousand people read these rows instead of intersecting the set with hundreds of
    /// posting lists or walking each record and the taxonomy again.
    rows: rows::Rows,
    /// How many visible people hold each two postings together.
    pairs: pairs::Pairs,
    /// Each slot's last change, side by side: matching reads it for thousands of candidates
    /// per request, and records scattered in memory would each cost a cache miss.
    updated_at: Vec<i64>,
    /// Changed on every change, so caches of derived figures know when to recompute.
    revision: u64,
}

/// Revisions come from one counter for the whole process, so that a model rebuilt from
/// scratch never repeats a revision an earlier model had.
static REVISIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Model {
    /// An empty model over a taxonomy.
    pub fn new(taxonomy: &Taxonomy) -> Model {
        let mut model = Model::default();
        model.set_taxonomy(taxonomy);
        model
    }

    /// Takes a new taxonomy: the postings that roll capacities up to their ancestors are
    /// rebuilt.
    pub fn set_taxonomy(&mut self, taxonomy: &Taxonomy) {
        for key in taxonomy.keys() {
            self.capacities.intern(key);
        }
        let n = self.capacities.len();
        self.capacity_parent = vec![None; n];
        for key in taxonomy.keys() {
            let id = self.capacities.intern(key);
            if let Some(parent) = taxonomy.parent(key) {
                let p = self.capacities.intern(parent);
                self.capacity_parent[id as usize] = Some(p);
            }
        }
        self.capacity_depth = (0..n as u32)
            .map(|c| {
                let mut depth = 1u8;
                let mut current = c;
                while let Some(Some(p)) = self.capacity_parent.get(current as usize) {
                    depth += 1;
                    current = *p;
                }
                depth
            })
            .collect();
        let people: Vec<Person> = self.people.iter().flatten().cloned().collect();
        self.postings = Postings::default();
        self.tally.clear();
        self.people.clear();
        self.by_account.clear();
        self.free_slots.clear();
        self.recency.clear();
        self.updated_at.clear();
        self.rows.clear();
        self.pairs.clear();
        for p in people {
            self.upsert(p);
        }
    }

    pub fn len(&self) -> usize {
        self.by_account.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_account.is_empty()
    }

    pub fn person(&self, slot: u32) -> Option<&Person> {
        self.people.get(slot as usize).and_then(Option::as_ref)
    }

    pub fn slot_of(&self, account_id: i64) -> Option<u32> {
        self.by_account.get(&account_id).copied()
    }

    pub fn people(&self) -> impl Iterator<Item = (u32, &Person)> {
        self.people
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.as_ref().map(|p| (i as u32, p)))
    }

    /// A capacity and its ancestors (for rolling postings up the tree).
    pub fn with_ancestors(&self, capacity: u32) -> Vec<u32> {
        let mut out = vec![capacity];
        let mut current = capacity;
        while let Some(Some(p)) = self.capacity_parent.get(current as usize) {
            out.push(*p);
            current = *p;
        }
        out
    }

    pub fn parent(&self, capacity: u32) -> Option<u32> {
        self.capacity_parent
            .get(capacity as usize)
            .copied()
            .flatten()
    }

    /// Depth of a capacity: 1 for an area.
    pub fn depth(&self, capacity: u32) -> usize {
        match self.capacity_depth.get(capacity as usize) {
            Some(d) => usize::from(*d),
            None => self.with_ancestors(capacity).len(),
        }
    }

    /// Adds or replaces a person; returns their slot (a stable number while they exist).
    pub fn upsert(&mut self, person: Person) -> u32 {
        if let Some(slot) = self.by_account.get(&person.account_id).copied() {
            self.unindex(slot);
            self.people[slot as usize] = Some(person);
            self.index(slot);
            return slot;
        }
        let slot = match self.free_slots.pop() {
            Some(s) => s,
            None => {
                self.people.push(None);
                (self.people.len() - 1) as u32
            }
        };
        self.by_account.insert(person.account_id, slot);
        self.people[slot as usize] = Some(person);
        self.index(slot);
        slot
    }

    pub fn remove(&mut self, account_id: i64) -> Option<u32> {
        let slot = self.by_account.remove(&account_id)?;
        self.unindex(slot);
        self.people[slot as usize] = None;
        self.free_slots.push(slot);
        Some(slot)
    }

    fn index(&mut self, slot: u32) {
        self.apply(slot, true);
    }

    fn unindex(&mut self, slot: u32) {
        self.apply(slot, false);
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    fn apply(&mut self, slot: u32, add: bool) {
        self.revision = REVISIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(p) = self.people[slot as usize].take() else {
            return;
        };
        let set = |bitmap: &mut RoaringBitmap| {
            if add {
                bitmap.insert(slot);
            } else {
                bitmap.remove(slot);
            }
        };
        let class = match p.visibility {
            Visibility::Public => Some(0),
            Visibility::Members => Some(1),
            Visibility::Hidden => None,
        };
        let mut memberships = Vec::new();
        each_membership(&p, &self.capacity_parent, |d, v, rank| {
            memberships.push((d, v, rank))
        });
        let at = slot as usize;
        if add {
            // A language's row keeps only the person's own rank: the ranks below it are
            // implied when counting.
            let own_rank = |d: Dimension, v: u32, rank: u8| {
                d != Dimension::Language || p.language_rank(v).is_none_or(|r| r.min(6) == rank)
            };
            self.rows.set(
                slot,
                memberships
                    .iter()
                    .copied()
                    .filter(|(d, v, rank)| own_rank(*d, *v, *rank)),
            );
            if let Some(class) = class {
                let keys = self.rows.len();
                self.pairs.change(self.rows.row(slot), class, true, keys);
            }
        } else {
            if let Some(class) = class {
                let keys = self.rows.len();
                self.pairs.change(self.rows.row(slot), class, false, keys);
            }
            self.rows.set(slot, []);
        }
        for (dimension, value, rank) in memberships {
            set(self.postings.entry(dimension, value, rank));

            if let Some(class) = class {
                let tally = self.tally.entry((dimension, value, rank)).or_default();
                if add {
                    tally[class] += 1;
                } else {
                    tally[class] -= 1;
                }
            }
        }
        if p.away_until.is_some() {
            set(&mut self.postings.away);
        }
        match p.visibility {
            Visibility::Public => set(&mut self.postings.public),
            Visibility::Members => set(&mut self.postings.members),
            Visibility::Hidden => {}
        }
        if p.visibility != Visibility::Hidden {
            set(&mut self.postings.visible_to_members);
        }
        if add {
            self.recency.insert((Reverse(p.updated_at), slot));
            if self.updated_at.len() <= at {
                self.updated_at.resize(at + 1, 0);
            }
            self.updated_at[at] = p.updated_at;
        } else {
            self.recency.remove(&(Reverse(p.updated_at), slot));
        }
        self.people[slot as usize] = Some(p);
    }

    /// Everyone a caller may see: public profiles, and members-only ones for signed-in callers.
    pub fn visible(&self, signed_in: bool) -> &RoaringBitmap {
        if signed_in {
            &self.postings.visible_to_members
        } else {
            &self.postings.public
        }
    }

    /// People away today, among `candidates`.
    pub fn away_today(&self, candidates: &RoaringBitmap, today: Date) -> RoaringBitmap {
        (candidates & &self.postings.away)
            .iter()
            .filter(|s| self.person(*s).is_some_and(|p| p.is_away(today)))
            .collect()
    }

    /// Public profiles only: what aggregates count.
    pub fn public(&self) -> &RoaringBitmap {
        &self.postings.public
    }

    /// The posting list of one filter value. Languages take a minimum rank.
    pub fn posting(&self, dimension: Dimension, value: u32, min_rank: u8) -> &RoaringBitmap {
        static EMPTY: std::sync::OnceLock<RoaringBitmap> = std::sync::OnceLock::new();
        let empty: &RoaringBitmap = EMPTY.get_or_init(RoaringBitmap::new);
        let p = &self.postings;
        let one = match dimension {
            Dimension::Offers => p.offers.get(&value),
            Dimension::Wants => p.wants.get(&value),
            Dimension::Knows => p.knows.get(&value),
            Dimension::Country => p.countries.get(&value),
            Dimension::Region => Region::ALL
                .get(value as usize)
                .and_then(|r| p.regions.get(r)),
            Dimension::Affiliation => p.affiliations.get(&value),
            Dimension::Project => p.projects.get(&value),
            Dimension::Method => p.methods.get(&value),
            Dimension::Format => p.formats.get(&value),
            Dimension::Language => p
                .languages
                .get(&value)
                .map(|ranks| &ranks[usize::from(min_rank).min(6)]),
        };
        one.unwrap_or(empty)
    }

    /// The values a dimension has postings for, to count facets over.
    pub fn values(&self, dimension: Dimension) -> Vec<u32> {
        let keys = |map: &HashMap<u32, RoaringBitmap>| {
            let mut k: Vec<u32> = map
                .iter()
                .filter(|(_, b)| !b.is_empty())
                .map(|(k, _)| *k)
                .collect();
            k.sort_unstable();
            k
        };
        match dimension {
            Dimension::Offers => keys(&self.postings.offers),
            Dimension::Wants => keys(&self.postings.wants),
            Dimension::Knows => keys(&self.postings.knows),
            Dimension::Language => {
                let mut k: Vec<u32> = self.postings.languages.keys().copied().collect();
                k.sort_unstable();
                k
            }
            Dimension::Country => keys(&self.postings.countries),
            Dimension::Region => (0..Region::ALL.len() as u32).collect(),
            Dimension::Affiliation => keys(&self.postings.affiliations),
            Dimension::Project => keys(&self.postings.projects),
            Dimension::Method => keys(&self.postings.methods),
            Dimension::Format => keys(&self.postings.formats),
        }
    }

    /// Facet counts over everyone a caller may see, which is what a search with no other
    /// filter counts over: read from the tallies, with no posting list touched.
    pub fn visible_counts(
        &self,
        dimension: Dimension,
        signed_in: bool,
        min_rank: u8,
    ) -> Vec<(u32, u64)> {
        let rank = if dimension == Dimension::Language {
            min_rank.min(6)
        } else {
            0
        };
        self.values(dimension)
            .into_iter()
            .filter_map(|v| {
                let [public, members] = self
                    .tally
                    .get(&(dimension, v, rank))
                    .copied()
                    .unwrap_or_default();
                let n = u64::from(public) + if signed_in { u64::from(members) } else { 0 };
                (n > 0).then_some((v, n))
            })
            .collect()
    }

    /// How many posting lists a dimension has (some may be empty).
    fn value_count(&self, dimension: Dimension) -> u64 {
        let p = &self.postings;
        let n = match dimension {
            Dimension::Offers => p.offers.len(),
            Dimension::Wants => p.wants.len(),
            Dimension::Knows => p.knows.len(),
            Dimension::Language => p.languages.len(),
            Dimension::Country => p.countries.len(),
            Dimension::Region => p.regions.len(),
            Dimension::Affiliation => p.affiliations.len(),
            Dimension::Project => p.projects.len(),
            Dimension::Method => p.methods.len(),
            Dimension::Format => p.formats.len(),
        };
        n as u64
    }

    /// Whether counting facets of `dimensions` over a set of `size` people is cheaper person
    /// by person (one row each, every dimension at once) than by intersecting the set with
    /// each of the dimensions' posting lists. Measured at 100k people (server CPU per HTTP
    /// search, each way forced): a row costs 30–60 ns, one intersection about 0.9 µs per
    /// roaring container of 65,536 slots, for the arrays that most capacity postings are.
    /// So a facet of a few values (regions, formats) over many people is intersected, and
    /// hundreds of capacities over a tenth of everyone are read from rows.
    pub fn cheaper_by_person(&self, size: u64, dimensions: &[Dimension]) -> bool {
        const ROW_NS: u64 = 40;
        const INTERSECTION_NS: u64 = 900;
        if !self.rows.complete() {
            return false;
        }
        let containers = (self.people.len() as u64 >> 16) + 1;
        let lists: u64 = dimensions.iter().map(|d| self.value_count(*d)).sum();
        size * ROW_NS < lists * containers * INTERSECTION_NS
    }

    /// Facet counts over a set of people, one person at a time: for a small set, much less
    /// work than intersecting it with every posting list of a dimension.
    pub fn count_by_person(
        &self,
        scope: &RoaringBitmap,
        dimensions: &[Dimension],
        min_rank: u8,
    ) -> FacetCounts {
        let counts = self.rows.count(scope);
        dimensions
            .iter()
            .map(|d| (*d, counts.of(*d, min_rank)))
            .collect()
    }

    /// Facet counts of `dimensions` over everyone a caller may see who holds one posting (a
    /// search filtered on one value and nothing else), read from the table of pairs: no
    /// person is visited. `None` when the table cannot answer (too many distinct postings).
    pub fn counts_with(
        &self,
        (dimension, value): (Dimension, u32),
        min_rank: u8,
        signed_in: bool,
        dimensions: &[Dimension],
    ) -> Option<FacetCounts> {
        if !self.pairs.enabled() || !self.rows.complete() {
            return None;
        }
        // Rows hold a language at the person's own rank only: a minimum rank is the ranks
        // from there up, which no one holds twice.
        let ranks = if dimension == Dimension::Language {
            min_rank.min(6)..=6
        } else {
            0..=0
        };
        let mut counts = vec![0u32; self.rows.len()];
        for rank in ranks {
            if let Some(key) = self.rows.key_of((dimension, value, rank)) {
                self.pairs.add_row(key, signed_in, &mut counts);
            }
        }
        let counts = self.rows.counts_from(counts);
        Some(
            dimensions
                .iter()
                .map(|d| (*d, counts.of(*d, min_rank)))
                .collect(),
        )
    }

    /// When the person in a slot last changed their profile (Unix seconds).
    pub fn updated_at(&self, slot: u32) -> i64 {
        self.updated_at.get(slot as usize).copied().unwrap_or(0)
    }

    /// Slots by most recent change first, starting after `after` (a cursor).
    pub fn by_recency(&self, after: Option<(i64, u32)>) -> impl Iterator<Item = (i64, u32)> + '_ {
        let start = after.map(|(t, s)| (Reverse(t), s));
        self.recency
            .iter()
            .filter(move |k| start.is_none_or(|st| **k > st))
            .map(|(Reverse(t), s)| (*t, *s))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn taxonomy() -> Taxonomy {
        Taxonomy::from_edges([
            ("tech", None),
            ("wikidata", Some("tech")),
            ("sparql", Some("wikidata")),
            ("lexemes", Some("wikidata")),
            ("bots", Some("tech")),
            ("comm", None),
            ("social", Some("comm")),
        ])
        .unwrap()
    }

    pub fn person(model: &mut Model, id: i64, offered: &[&str], wanted: &[&str]) -> Person {
        let en = model.languages.intern("en");
        Person {
            account_id: id,
            username: format!("user{id}"),
            display_name: format!("User {id}"),
            country: None,
            region: None,
            utc_offset: None,
            languages: smallvec::smallvec![(en, 4)],
            known: offered
                .iter()
                .map(|c| (model.capacities.intern(c), 3))
                .collect(),
            offered: offered
                .iter()
                .map(|c| Interest {
                    capacity: model.capacities.intern(c),
                    methods: 0,
                    formats: 0,
                })
                .collect(),
            wanted: wanted
                .iter()
                .map(|c| Interest {
                    capacity: model.capacities.intern(c),
                    methods: 0,
                    formats: 0,
                })
                .collect(),
            affiliations: Vec::new(),
            projects: Vec::new(),
            visibility: Visibility::Public,
            recommendable: true,
            away_until: None,
            max_connections: None,
            open_connections: 0,
            updated_at: id,
        }
    }

    #[test]
    fn postings_roll_up_the_tree_and_follow_updates() {
        let mut m = Model::new(&taxonomy());
        let p = person(&mut m, 1, &["sparql"], &["social"]);
        let slot = m.upsert(p.clone());
        let cap = |m: &Model, k: &str| m.capacities.get(k).unwrap();
        assert!(
            m.posting(Dimension::Offers, cap(&m, "sparql"), 0)
                .contains(slot)
        );
        assert!(
            m.posting(Dimension::Offers, cap(&m, "wikidata"), 0)
                .contains(slot)
        );
        assert!(
            m.posting(Dimension::Offers, cap(&m, "tech"), 0)
                .contains(slot)
        );
        assert!(
            !m.posting(Dimension::Offers, cap(&m, "lexemes"), 0)
                .contains(slot)
        );
        let mut changed = p;
        changed.offered.clear();
        m.upsert(changed);
        assert!(m.posting(Dimension::Offers, cap(&m, "tech"), 0).is_empty());
        assert_eq!(m.remove(1), Some(slot));
        assert!(m.posting(Dimension::Wants, cap(&m, "comm"), 0).is_empty());
        assert_eq!(m.len(), 0);
    }

    #[test]
    fn language_postings_honour_a_minimum_level() {
        let mut m = Model::new(&taxonomy());
        let es = m.languages.intern("es");
        let mut a = person(&mut m, 1, &[], &[]);
        a.languages = smallvec::smallvec![(es, 2)];
        let mut b = person(&mut m, 2, &[], &[]);
        b.languages = smallvec::smallvec![(es, 6)];
        let (sa, sb) = (m.upsert(a), m.upsert(b));
        let at_least_3 = m.posting(Dimension::Language, es, 3);
        assert!(!at_least_3.contains(sa) && at_least_3.contains(sb));
        assert_eq!(m.posting(Dimension::Language, es, 0).len(), 2);
    }

    /// Counts from the bitmaps, the way the other two ways must agree with.
    fn by_bitmaps(m: &Model, scope: &RoaringBitmap, d: Dimension, min: u8) -> Vec<(u32, u64)> {
        let rank = if d == Dimension::Language { min } else { 0 };
        m.values(d)
            .into_iter()
            .map(|v| (v, scope.intersection_len(m.posting(d, v, rank))))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    #[test]
    fn tallies_and_person_by_person_counts_agree_with_the_bitmaps() {
        let mut m = Model::new(&taxonomy());
        let caps = [
            "tech", "wikidata", "sparql", "lexemes", "bots", "comm", "social",
        ];
        let langs = ["en", "fr", "sw"];
        // A small deterministic generator, so that every run checks the same people.
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for id in 1..=300 {
            let offered: Vec<&str> = (0..next(3)).map(|_| caps[next(caps.len())]).collect();
            let wanted: Vec<&str> = (0..next(3)).map(|_| caps[next(caps.len())]).collect();
            let mut p = person(&mut m, id, &offered, &wanted);
            p.languages = (0..next(3))
                .map(|_| (m.languages.intern(langs[next(3)]), next(7) as u8))
                .collect();
            p.languages.dedup_by_key(|l| l.0);
            p.country = Some(m.countries.intern(["BR", "KE", "IN"][next(3)]));
            p.region = Some(Region::ALL[next(Region::ALL.len())]);
            p.affiliations = vec![m.organizations.intern(["wmke", "wmbr"][next(2)])];
            for i in p.offered.iter_mut() {
                i.methods = 1 << next(11);
                i.formats = 1 << next(2);
            }
            p.visibility = [Visibility::Public, Visibility::Members, Visibility::Hidden][next(3)];
            m.upsert(p);
        }
        // Changes and removals must leave the tallies right too.
        for id in (1..=300).step_by(7) {
            let mut p = m.person(m.slot_of(id).unwrap()).unwrap().clone();
            p.visibility = Visibility::Public;
            p.offered.clear();
            m.upsert(p);
        }
        for id in (2..=300).step_by(11) {
            m.remove(id);
        }
        // Newcomers take the freed slots, and must not inherit their rows.
        for id in 301..=310 {
            let mut p = person(&mut m, id, &["bots"], &["social"]);
            p.languages = smallvec::smallvec![(m.languages.intern("sw"), 6)];
            m.upsert(p);
        }
        for signed_in in [false, true] {
            let visible = m.visible(signed_in);
            for min in [0, 3] {
                for d in ALL_DIMENSIONS {
                    assert_eq!(
                        m.visible_counts(d, signed_in, min),
                        by_bitmaps(&m, visible, d, min),
                        "{d:?}, signed in: {signed_in}, level {min}"
                    );
                }
                let scope: RoaringBitmap = visible.iter().filter(|s| s % 3 == 0).collect();
                let walked = m.count_by_person(&scope, &ALL_DIMENSIONS, min);
                assert_eq!(walked.len(), ALL_DIMENSIONS.len());
                for (d, counts) in walked {
                    assert!(!counts.is_empty() || d == Dimension::Project);
                    assert_eq!(counts, by_bitmaps(&m, &scope, d, min), "{d:?}, level {min}");
                }
                let some = m.count_by_person(&scope, &[Dimension::Language], min);
                assert_eq!(some.len(), 1);
                assert_eq!(some[0].1, by_bitmaps(&m, &scope, Dimension::Language, min));
                // One filter value: the table of pairs gives what counting over its
                // holders gives.
                for d in ALL_DIMENSIONS {
                    for v in m.values(d) {
                        let holders = visible & m.posting(d, v, min);
                        let paired = m
                            .counts_with((d, v), min, signed_in, &ALL_DIMENSIONS)
                            .expect("the table answers");
                        for (facet, counts) in paired {
                            assert_eq!(
                                counts,
                                by_bitmaps(&m, &holders, facet, min),
                                "{d:?} {v} → {facet:?}, signed in: {signed_in}, level {min}"
                            );
                        }
                    }
                }
            }
        }
    }
}
