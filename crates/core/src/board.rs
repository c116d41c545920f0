//! The board of asks and offers in memory: filters (OR within one, AND across), facet counts
//! that say what choosing a value would give, and pages cut by a cursor that stays stable
//! while posts are added. Newest first: ids grow with time, so the id is the sort key.

use std::collections::{BTreeMap, HashMap, HashSet};

use time::Date;

use crate::capacity::Method;
use crate::post::{PostKind, PostStatus};
use crate::profile::Region;

/// What the board keeps of a post to list and filter it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: i64,
    /// The author's account id and username.
    pub author: i64,
    pub author_username: String,
    pub organization: Option<String>,
    pub kind: PostKind,
    /// As stored: never `Expired`.
    pub status: PostStatus,
    pub title: String,
    pub body: String,
    pub capacities: Vec<String>,
    pub languages: Vec<String>,
    pub country: Option<String>,
    pub region: Option<Region>,
    pub online: bool,
    pub methods: Vec<Method>,
    pub expires_on: Date,
    /// Unix seconds.
    pub created: i64,
    pub updated: i64,
    /// Hidden by a moderator: seen only by its author and moderators.
    pub hidden: bool,
}

/// The facets a post list has, in the order pages show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Facet {
    Kind,
    Status,
    Capacity,
    Language,
    Country,
    Region,
    Method,
}

impl Facet {
    pub const ALL: [Facet; 7] = [
        Facet::Kind,
        Facet::Status,
        Facet::Capacity,
        Facet::Language,
        Facet::Country,
        Facet::Region,
        Facet::Method,
    ];

    /// The query parameter and facet name.
    pub fn name(self) -> &'static str {
        match self {
            Facet::Kind => "kind",
            Facet::Status => "status",
            Facet::Capacity => "capacity",
            Facet::Language => "language",
            Facet::Country => "country",
            Facet::Region => "region",
            Facet::Method => "method",
        }
    }

    /// Calls `f` with each value a post has for this facet (capacities as the post names
    /// them). A callback rather than a list: a listing asks this of every post for every
    /// facet, and allocating each answer was most of its cost.
    fn each<'a>(self, post: &'a Listed, today: Date, mut f: impl FnMut(&'a str)) {
        match self {
            Facet::Kind => f(post.kind.as_str()),
            Facet::Status => f(post.status.effective(post.expires_on, today).as_str()),
            Facet::Capacity => post.capacities.iter().for_each(|c| f(c)),
            Facet::Language => post.languages.iter().for_each(|l| f(l)),
            Facet::Country => post.country.iter().for_each(|c| f(c)),
            Facet::Region => post.region.iter().for_each(|r| f(r.code())),
            Facet::Method => post.methods.iter().for_each(|m| f(m.as_str())),
        }
    }
}

#[derive(Debug, Clone)]
pub struct BoardQuery {
    /// Accepted values per facet. A capacity filter holds the capacities under the chosen
    /// ones too; a status filter, when missing, means open posts only.
    pub filters: BTreeMap<Facet, HashSet<String>>,
    /// Posts whose words match, when there is a text query.
    pub text: Option<HashSet<i64>>,
    pub today: Date,
    pub limit: usize,
    /// The id of the last post of the previous page.
    pub cursor: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BoardResults {
    pub total: u64,
    pub ids: Vec<i64>,
    pub next_cursor: Option<i64>,
    /// For each facet, values with how many posts each would give, most first.
    pub facets: BTreeMap<Facet, Vec<(String, u64)>>,
}

#[derive(Debug, Clone, Default)]
pub struct Board {
    posts: BTreeMap<i64, Listed>,
}

impl Board {
    pub fn upsert(&mut self, post: Listed) {
        self.posts.insert(post.id, post);
    }

    pub fn remove(&mut self, id: i64) {
        self.posts.remove(&id);
    }

    pub fn get(&self, id: i64) -> Option<&Listed> {
        self.posts.get(&id)
    }

    /// One author's posts, oldest first.
    pub fn by_author(&self, author: i64) -> impl Iterator<Item = &Listed> {
        self.posts.values().filter(move |p| p.author == author)
    }

    pub fn len(&self) -> usize {
        self.posts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.posts.is_empty()
    }

    /// Posts that pass `visible` (the privacy rule for the viewer) and the query, with facet
    /// counts. Each facet counts over the posts every other filter leaves, so that its counts
    /// say what choosing one of its values would give.
    pub fn search(&self, q: &BoardQuery, visible: impl Fn(&Listed) -> bool) -> BoardResults {
        let open_only: HashSet<String> = [PostStatus::Open.as_str().to_owned()].into();
        let accepts = |facet: Facet, post: &Listed| -> bool {
            let wanted = match (facet, q.filters.get(&facet)) {
                (_, Some(values)) => values,
                (Facet::Status, None) => &open_only,
                (_, None) => return true,
            };
            let mut hit = false;
            facet.each(post, q.today, |v| hit |= wanted.contains(v));
            hit
        };
        let mut counts: [HashMap<&str, u64>; Facet::ALL.len()] = Default::default();
        let mut matching = Vec::new();
        for post in self.posts.values().rev() {
            if q.text.as_ref().is_some_and(|t| !t.contains(&post.id)) || !visible(post) {
                continue;
            }
            let mut failed = None;
            let mut failures = 0;
            for (i, facet) in Facet::ALL.into_iter().enumerate() {
                if !accepts(facet, post) {
                    failures += 1;
                    failed = Some(i);
                    if failures > 1 {
                        break;
                    }
                }
            }
            match (failures, failed) {
                (0, _) => {
                    for (facet, per_value) in Facet::ALL.into_iter().zip(counts.iter_mut()) {
                        count(facet, post, q.today, per_value);
                    }
                    matching.push(post.id);
                }
                (1, Some(i)) => count(Facet::ALL[i], post, q.today, &mut counts[i]),
                _ => {}
            }
        }
        let total = matching.len() as u64;
        let start = q
            .cursor
            .map_or(0, |c| matching.partition_point(|id| *id >= c));
        let ids: Vec<i64> = matching.iter().skip(start).take(q.limit).copied().collect();
        let next_cursor = (start + ids.len() < matching.len())
            .then(|| ids.last().copied())
            .flatten();
        let facets = Facet::ALL
            .into_iter()
            .zip(counts)
            .filter(|(_, per_value)| !per_value.is_empty())
            .map(|(facet, per_value)| {
                let mut values: Vec<(String, u64)> = per_value
                    .into_iter()
                    .map(|(v, n)| (v.to_owned(), n))
                    .collect();
                values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                (facet, values)
            })
            .collect();
        BoardResults {
            total,
            ids,
            next_cursor,
            facets,
        }
    }
}

/// Adds a post's values for one facet to that facet's counts.
fn count<'a>(facet: Facet, post: &'a Listed, today: Date, per_value: &mut HashMap<&'a str, u64>) {
    facet.each(post, today, |v| *per_value.entry(v).or_insert(0) += 1);
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2026 - 12 - 03);

    fn post(id: i64, kind: PostKind, capacity: &str, country: Option<&str>) -> Listed {
        Listed {
            id,
            author: id * 10,
            author_username: format!("author{id}"),
            organization: None,
            kind,
            status: PostStatus::Open,
            title: format!("post {id}"),
            body: String::new(),
            capacities: vec![capacity.to_owned()],
            languages: vec!["en".to_owned()],
            country: country.map(str::to_owned),
            region: None,
            online: country.is_none(),
            methods: vec![Method::Mentoring],
            expires_on: TODAY,
            created: id,
            updated: id,
            hidden: false,
        }
    }

    fn query(filters: &[(Facet, &[&str])]) -> BoardQuery {
        BoardQuery {
            filters: filters
                .iter()
                .map(|(f, vs)| (*f, vs.iter().map(|v| (*v).to_owned()).collect()))
                .collect(),
            text: None,
            today: TODAY,
            limit: 2,
            cursor: None,
        }
    }

    fn board() -> Board {
        let mut board = Board::default();
        board.upsert(post(1, PostKind::Ask, "sparql", Some("NG")));
        board.upsert(post(2, PostKind::Offer, "sparql", None));
        board.upsert(post(3, PostKind::Ask, "wikidata", Some("BR")));
        board.upsert(post(4, PostKind::Ask, "sparql", Some("BR")));
        let mut closed = post(5, PostKind::Ask, "sparql", Some("BR"));
        closed.status = PostStatus::Closed;
        board.upsert(closed);
        let mut expired = post(6, PostKind::Ask, "sparql", Some("NG"));
        expired.expires_on = date!(2026 - 12 - 02);
        board.upsert(expired);
        board
    }

    fn facet(r: &BoardResults, f: Facet) -> Vec<(&str, u64)> {
        r.facets[&f].iter().map(|(v, n)| (v.as_str(), *n)).collect()
    }

    #[test]
    fn open_posts_newest_first_in_stable_pages() {
        let board = board();
        let first = board.search(&query(&[]), |_| true);
        assert_eq!(first.total, 4);
        assert_eq!(first.ids, [4, 3]);
        let mut next = query(&[]);
        next.cursor = first.next_cursor;
        let mut board = board;
        board.upsert(post(7, PostKind::Ask, "sparql", None));
        let second = board.search(&next, |_| true);
        assert_eq!(second.ids, [2, 1], "a new post does not shift later pages");
        assert_eq!(second.next_cursor, None);
    }

    #[test]
    fn facets_count_what_choosing_a_value_would_give() {
        let board = board();
        let r = board.search(
            &query(&[(Facet::Kind, &["ask"]), (Facet::Country, &["BR"])]),
            |_| true,
        );
        assert_eq!(r.ids, [4, 3]);
        assert_eq!(
            facet(&r, Facet::Kind),
            [("ask", 2)],
            "no offer is in Brazil"
        );
        assert_eq!(facet(&r, Facet::Country), [("BR", 2), ("NG", 1)]);
        assert_eq!(facet(&r, Facet::Capacity), [("sparql", 1), ("wikidata", 1)]);
        assert_eq!(facet(&r, Facet::Status), [("open", 2), ("closed", 1)]);
        let expired = board.search(&query(&[(Facet::Status, &["expired"])]), |_| true);
        assert_eq!(expired.ids, [6]);
    }

    #[test]
    fn the_privacy_rule_and_the_text_query_narrow_everything() {
        let board = board();
        assert_eq!(board.by_author(40).map(|p| p.id).collect::<Vec<_>>(), [4]);
        let r = board.search(&query(&[]), |p| p.author != 40);
        assert_eq!(r.total, 3);
        assert_eq!(facet(&r, Facet::Country), [("BR", 1), ("NG", 1)]);
        let mut words = query(&[]);
        words.text = Some([1, 4, 5].into());
        let r = board.search(&words, |_| true);
        assert_eq!(r.ids, [4, 1]);
        let mut board = board;
        board.remove(1);
        board.remove(4);
        assert_eq!(board.search(&words, |_| true).ids, Vec::<i64>::new());
    }
}
