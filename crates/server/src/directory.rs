//! The capacity taxonomy and the organizations, with their texts in every language, held in
//! memory: they are small, read on almost every page, and change rarely. The database stays
//! the source of truth; the directory is reloaded after every change.

use std::collections::{BTreeMap, HashMap};

use cxc_core::Taxonomy;
use cxc_core::catalog::Text;

use crate::i18n::chain;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapacityStatus {
    Active,
    Retired,
    /// Merged into the capacity with this key.
    Merged(String),
}

#[derive(Debug, Clone)]
pub struct Capacity {
    pub id: i64,
    pub key: String,
    pub slug: String,
    pub parent: Option<String>,
    pub qid: Option<String>,
    pub status: CapacityStatus,
    /// Label and description per language.
    pub texts: BTreeMap<String, Text>,
}

impl Capacity {
    /// The label in `lang`, or in the first language of its fallback chain that has one.
    pub fn label(&self, lang: &str) -> &str {
        self.text(lang)
            .map_or(self.key.as_str(), |t| t.label.as_str())
    }

    pub fn description(&self, lang: &str) -> &str {
        self.text(lang).map_or("", |t| t.description.as_str())
    }

    fn text(&self, lang: &str) -> Option<&Text> {
        chain(lang)
            .iter()
            .find_map(|l| self.texts.get(l.as_str()))
            .or_else(|| self.texts.values().next())
    }

    pub fn is_active(&self) -> bool {
        self.status == CapacityStatus::Active
    }
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: i64,
    pub key: String,
    pub kind: String,
    pub website: Option<String>,
    pub meta_page: Option<String>,
    /// Name and description per language.
    pub texts: BTreeMap<String, Text>,
    pub countries: Vec<String>,
    /// Capacity keys the organization can share (offered) and needs (wanted), for the map.
    pub offered: Vec<String>,
    pub wanted: Vec<String>,
}

impl Organization {
    pub fn name(&self, lang: &str) -> &str {
        self.text(lang)
            .map_or(self.key.as_str(), |t| t.label.as_str())
    }

    pub fn description(&self, lang: &str) -> &str {
        self.text(lang).map_or("", |t| t.description.as_str())
    }

    fn text(&self, lang: &str) -> Option<&Text> {
        chain(lang)
            .iter()
            .find_map(|l| self.texts.get(l.as_str()))
            .or_else(|| self.texts.values().next())
    }
}

pub use cxc_core::catalog::ORGANIZATION_KINDS;

#[derive(Debug, Default)]
pub struct Directory {
    capacities: Vec<Capacity>,
    capacity_by_key: HashMap<String, usize>,
    capacity_by_slug: HashMap<String, usize>,
    /// The active capacities' tree.
    taxonomy: Taxonomy,
    organizations: Vec<Organization>,
    organization_by_key: HashMap<String, usize>,
}

impl Directory {
    /// Builds the directory from capacities listed parents first, and organizations.
    pub fn new(capacities: Vec<Capacity>, organizations: Vec<Organization>) -> Directory {
        let mut taxonomy = Taxonomy::default();
        for c in capacities.iter().filter(|c| c.is_active()) {
            // A parent retired under an active child would orphan it: keep such children out.
            if taxonomy.insert(&c.key, c.parent.as_deref()).is_err() {
                tracing::warn!(capacity = %c.key, "capacity left out of the tree");
            }
        }
        Directory {
            capacity_by_key: capacities
                .iter()
                .enumerate()
                .map(|(i, c)| (c.key.clone(), i))
                .collect(),
            capacity_by_slug: capacities
                .iter()
                .enumerate()
                .map(|(i, c)| (c.slug.clone(), i))
                .collect(),
            organization_by_key: organizations
                .iter()
                .enumerate()
                .map(|(i, o)| (o.key.clone(), i))
                .collect(),
            capacities,
            taxonomy,
            organizations,
        }
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    /// Every capacity, retired and merged ones included, parents first.
    pub fn capacities(&self) -> &[Capacity] {
        &self.capacities
    }

    /// Active capacities, in taxonomy order (parents first).
    pub fn active_capacities(&self) -> impl Iterator<Item = &Capacity> {
        self.taxonomy.keys().filter_map(|k| self.capacity(k))
    }

    pub fn capacity(&self, key: &str) -> Option<&Capacity> {
        self.capacity_by_key.get(key).map(|&i| &self.capacities[i])
    }

    pub fn capacity_by_slug(&self, slug: &str) -> Option<&Capacity> {
        self.capacity_by_slug
            .get(slug)
            .map(|&i| &self.capacities[i])
    }

    /// Where a merged capacity now lives, following chains of merges.
    pub fn resolve(&self, key: &str) -> Option<&Capacity> {
        let mut current = self.capacity(key)?;
        for _ in 0..8 {
            match &current.status {
                CapacityStatus::Merged(target) => current = self.capacity(target)?,
                _ => return Some(current),
            }
        }
        None
    }

    pub fn organizations(&self) -> &[Organization] {
        &self.organizations
    }

    pub fn organization(&self, key: &str) -> Option<&Organization> {
        self.organization_by_key
            .get(key)
            .map(|&i| &self.organizations[i])
    }
}

/// A URL slug from a label: lowercase ASCII letters and digits joined by hyphens.
pub fn slugify(label: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut slug = String::new();
    for c in label.nfkd().filter(|c| c.is_ascii()) {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "capacity".to_owned()
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable_ascii() {
        assert_eq!(
            slugify("Wikidata: SPARQL queries"),
            "wikidata-sparql-queries"
        );
        assert_eq!(slugify("Évaluation & suivi"), "evaluation-suivi");
        assert_eq!(slugify("ويكي"), "capacity");
    }
}
