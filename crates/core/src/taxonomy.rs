//! The capacity hierarchy: areas, capacities under them, specialisations under those.

use std::collections::HashMap;

use crate::Invalid;

pub const MAX_DEPTH: usize = 3;

#[derive(Debug, Clone)]
struct Node {
    key: String,
    parent: Option<usize>,
    depth: usize,
    children: Vec<usize>,
}

/// The tree of capacity keys. Labels live with the data layer; this is only the shape, which
/// is what validation and matching need.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
}

impl Taxonomy {
    /// Builds the tree from `(key, parent key)` pairs, parents first.
    pub fn from_edges<'a>(
        edges: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Result<Taxonomy, Invalid> {
        let mut t = Taxonomy::default();
        for (key, parent) in edges {
            t.insert(key, parent)?;
        }
        Ok(t)
    }

    /// Adds a capacity under `parent` (an area when `None`).
    pub fn insert(&mut self, key: &str, parent: Option<&str>) -> Result<(), Invalid> {
        if self.index.contains_key(key) {
            return Err(Invalid("cxc-error-capacity-duplicate"));
        }
        let parent = match parent {
            Some(p) => Some(
                *self
                    .index
                    .get(p)
                    .ok_or(Invalid("cxc-error-unknown-parent"))?,
            ),
            None => None,
        };
        let depth = parent.map_or(1, |p| self.nodes[p].depth + 1);
        if depth > MAX_DEPTH {
            return Err(Invalid("cxc-error-capacity-too-deep"));
        }
        let id = self.nodes.len();
        self.nodes.push(Node {
            key: key.to_owned(),
            parent,
            depth,
            children: Vec::new(),
        });
        if let Some(p) = parent {
            self.nodes[p].children.push(id);
        }
        self.index.insert(key.to_owned(), id);
        Ok(())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// 1 for an area, 2 for a capacity, 3 for a specialisation.
    pub fn depth(&self, key: &str) -> Option<usize> {
        self.index.get(key).map(|&i| self.nodes[i].depth)
    }

    pub fn parent(&self, key: &str) -> Option<&str> {
        let node = &self.nodes[*self.index.get(key)?];
        node.parent.map(|p| self.nodes[p].key.as_str())
    }

    pub fn children(&self, key: &str) -> Vec<&str> {
        self.index.get(key).map_or_else(Vec::new, |&i| {
            self.nodes[i]
                .children
                .iter()
                .map(|&c| self.nodes[c].key.as_str())
                .collect()
        })
    }

    /// The areas, in the order they were added.
    pub fn roots(&self) -> Vec<&str> {
        self.nodes
            .iter()
            .filter(|n| n.parent.is_none())
            .map(|n| n.key.as_str())
            .collect()
    }

    /// The capacity, its children and their children.
    pub fn subtree(&self, key: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.index.get(key).copied().into_iter().collect();
        while let Some(i) = stack.pop() {
            out.push(self.nodes[i].key.as_str());
            stack.extend(self.nodes[i].children.iter().rev());
        }
        out
    }

    /// Whether making `key` a child of `new_parent` keeps the tree a tree of at most three
    /// levels (no cycle, no subtree pushed too deep).
    pub fn can_move(&self, key: &str, new_parent: Option<&str>) -> Result<(), Invalid> {
        let i = *self
            .index
            .get(key)
            .ok_or(Invalid("cxc-error-unknown-capacity"))?;
        let base_depth = match new_parent {
            None => 0,
            Some(p) => {
                if self.subtree(key).contains(&p) {
                    return Err(Invalid("cxc-error-capacity-cycle"));
                }
                self.depth(p).ok_or(Invalid("cxc-error-unknown-parent"))?
            }
        };
        let height = self.height(i);
        if base_depth + height > MAX_DEPTH {
            return Err(Invalid("cxc-error-capacity-too-deep"));
        }
        Ok(())
    }

    /// Whether `key` may sit under `parent`: a move when the key exists, an addition when not.
    pub fn can_place(&self, key: &str, parent: Option<&str>) -> Result<(), Invalid> {
        if self.contains(key) {
            return self.can_move(key, parent);
        }
        let depth = match parent {
            None => 0,
            Some(p) => self.depth(p).ok_or(Invalid("cxc-error-unknown-parent"))?,
        };
        if depth >= MAX_DEPTH {
            return Err(Invalid("cxc-error-capacity-too-deep"));
        }
        Ok(())
    }

    /// Adds `key` under `parent`, or moves it there with everything under it.
    pub fn place(&mut self, key: &str, parent: Option<&str>) -> Result<(), Invalid> {
        let Some(&i) = self.index.get(key) else {
            return self.insert(key, parent);
        };
        self.can_move(key, parent)?;
        let new_parent = parent.map(|p| self.index[p]);
        if let Some(old) = self.nodes[i].parent {
            self.nodes[old].children.retain(|&c| c != i);
        }
        if let Some(p) = new_parent {
            self.nodes[p].children.push(i);
        }
        self.nodes[i].parent = new_parent;
        let mut stack = vec![(i, new_parent.map_or(1, |p| self.nodes[p].depth + 1))];
        while let Some((n, depth)) = stack.pop() {
            self.nodes[n].depth = depth;
            stack.extend(self.nodes[n].children.iter().map(|&c| (c, depth + 1)));
        }
        Ok(())
    }

    fn height(&self, i: usize) -> usize {
        1 + self.nodes[i]
            .children
            .iter()
            .map(|&c| self.height(c))
            .max()
            .unwrap_or(0)
    }

    /// Every key, parents before children (the order they were added).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| n.key.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Taxonomy {
        Taxonomy::from_edges([
            ("tech", None),
            ("wikidata", Some("tech")),
            ("sparql", Some("wikidata")),
            ("comm", None),
            ("social", Some("comm")),
        ])
        .unwrap()
    }

    #[test]
    fn places_new_keys_and_moves_existing_ones_with_their_subtree() {
        let mut t = sample();
        assert_eq!(
            t.can_place("deeper", Some("sparql")),
            Err(Invalid("cxc-error-capacity-too-deep"))
        );
        assert_eq!(
            t.can_place("x", Some("nope")),
            Err(Invalid("cxc-error-unknown-parent"))
        );
        assert_eq!(
            t.can_place("wikidata", Some("social")),
            Err(Invalid("cxc-error-capacity-too-deep"))
        );
        t.place("wikidata", Some("comm")).unwrap();
        assert_eq!(t.children("tech"), Vec::<&str>::new());
        assert_eq!(t.children("comm"), ["social", "wikidata"]);
        t.place("wikidata", None).unwrap();
        assert_eq!(t.depth("wikidata"), Some(1));
        assert_eq!(t.depth("sparql"), Some(2));
        t.place("new", Some("sparql")).unwrap();
        assert_eq!(t.depth("new"), Some(3));
    }

    #[test]
    fn builds_a_tree_of_three_levels() {
        let t = sample();
        assert_eq!(t.depth("sparql"), Some(3));
        assert_eq!(t.parent("sparql"), Some("wikidata"));
        assert_eq!(t.roots(), ["tech", "comm"]);
        assert_eq!(t.subtree("tech"), ["tech", "wikidata", "sparql"]);
        assert_eq!(t.children("wikidata"), ["sparql"]);
    }

    #[test]
    fn rejects_a_fourth_level_unknown_parents_and_duplicates() {
        let mut t = sample();
        assert_eq!(
            t.insert("deeper", Some("sparql")),
            Err(Invalid("cxc-error-capacity-too-deep"))
        );
        assert_eq!(
            t.insert("x", Some("nope")),
            Err(Invalid("cxc-error-unknown-parent"))
        );
        assert_eq!(
            t.insert("tech", None),
            Err(Invalid("cxc-error-capacity-duplicate"))
        );
    }

    #[test]
    fn moves_keep_the_tree_shallow_and_acyclic() {
        let t = sample();
        assert!(t.can_move("social", Some("wikidata")).is_ok());
        assert_eq!(
            t.can_move("wikidata", Some("social")),
            Err(Invalid("cxc-error-capacity-too-deep"))
        );
        assert_eq!(
            t.can_move("tech", Some("sparql")),
            Err(Invalid("cxc-error-capacity-cycle"))
        );
        assert!(t.can_move("wikidata", None).is_ok());
    }
}
