//! What the exchange's catalog is made of besides people: capacities (the taxonomy's entries)
//! and organizations. A draft is what a form, the API or an import line submitted; `validate`
//! turns it into a value every writer can store as it is, or names every field that is wrong.
//! The web forms and `cxc import` go through the same drafts, so neither can store what the
//! other refuses.

use std::collections::{BTreeMap, HashSet};

use url::Url;

use crate::capacity::{CapacityEntry, Relation, is_qid};
use crate::profile::{FieldError, Reference};
use crate::taxonomy::Taxonomy;

pub mod limits {
    pub const KEY: usize = 64;
    pub const CAPACITY_LABEL: usize = 100;
    pub const CAPACITY_DESCRIPTION: usize = 500;
    pub const ORGANIZATION_NAME: usize = 200;
    pub const ORGANIZATION_DESCRIPTION: usize = 2000;
    pub const URL: usize = 500;
    pub const COUNTRIES: usize = 60;
    pub const CAPACITIES: usize = 60;
}

/// The kinds of Wikimedia organizations, as the movement names them.
pub const ORGANIZATION_KINDS: &[&str] = &[
    "chapter",
    "thematic_organization",
    "user_group",
    "hub",
    "informal_group",
    "other",
];

/// Where Wikimedia organizations keep their pages.
pub const META_WIKI_HOST: &str = "meta.wikimedia.org";

/// A name or label with its description, in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    pub label: String,
    pub description: String,
}

/// A capacity as submitted.
#[derive(Debug, Clone, Default)]
pub struct CapacityDraft {
    pub key: String,
    pub parent: Option<String>,
    /// Label and description per language code.
    pub texts: BTreeMap<String, Text>,
    pub qid: Option<String>,
}

/// A capacity that may be stored: its key has the taxonomy's character set, it fits under its
/// parent, it has an English label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capacity {
    pub key: String,
    pub parent: Option<String>,
    pub texts: BTreeMap<String, Text>,
    pub qid: Option<String>,
}

impl Capacity {
    pub fn english_label(&self) -> &str {
        self.texts.get("en").map_or("", |t| t.label.as_str())
    }
}

/// Capacity keys: lowercase Latin letters, digits and hyphens, so that they read well in URLs
/// and exports.
pub fn is_capacity_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= limits::KEY
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Organization keys: Latin letters, digits, hyphens and underscores, as Wikimedia abbreviates
/// affiliates (`WMDE`, `Wikimedians_of_Nepal`).
pub fn is_organization_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= limits::KEY
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn clean(s: &str) -> String {
    s.trim().to_owned()
}

fn optional(s: Option<&String>) -> Option<String> {
    s.map(|v| clean(v)).filter(|v| !v.is_empty())
}

/// Texts per language, trimmed, without languages whose label is empty.
fn clean_texts(
    texts: BTreeMap<String, Text>,
    field: &str,
    label_limit: usize,
    description_limit: usize,
    reference: &dyn Reference,
    errors: &mut Vec<FieldError>,
) -> BTreeMap<String, Text> {
    let mut out = BTreeMap::new();
    for (lang, text) in texts {
        let label = clean(&text.label);
        let description = clean(&text.description);
        let problem = if !reference.language_exists(&lang) {
            Some("cxc-error-unknown-language")
        } else if label.chars().count() > label_limit
            || description.chars().count() > description_limit
        {
            Some("cxc-error-too-long")
        } else {
            None
        };
        if let Some(key) = problem {
            errors.push(FieldError {
                field: format!("{field}[{lang}]"),
                key,
            });
        } else if !label.is_empty() {
            out.insert(lang, Text { label, description });
        }
    }
    out
}

impl CapacityDraft {
    /// Checks the draft against the reference data and the taxonomy it would join (as a new
    /// capacity, or moved to its parent if the key exists).
    pub fn validate(
        self,
        reference: &dyn Reference,
        taxonomy: &Taxonomy,
    ) -> Result<Capacity, Vec<FieldError>> {
        let mut errors = Vec::new();
        let key = clean(&self.key);
        if !is_capacity_key(&key) {
            errors.push(FieldError {
                field: "key".into(),
                key: "cxc-error-invalid-key",
            });
        }
        let parent = optional(self.parent.as_ref());
        if is_capacity_key(&key)
            && let Err(e) = taxonomy.can_place(&key, parent.as_deref())
        {
            errors.push(FieldError {
                field: "parent".into(),
                key: e.0,
            });
        }
        let qid = optional(self.qid.as_ref());
        if qid.as_deref().is_some_and(|q| !is_qid(q)) {
            errors.push(FieldError {
                field: "qid".into(),
                key: "cxc-error-invalid-qid",
            });
        }
        let texts = clean_texts(
            self.texts,
            "labels",
            limits::CAPACITY_LABEL,
            limits::CAPACITY_DESCRIPTION,
            reference,
            &mut errors,
        );
        if !texts.contains_key("en") {
            errors.push(FieldError {
                field: "labels[en]".into(),
                key: "cxc-error-english-label-required",
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Capacity {
            key,
            parent,
            texts,
            qid,
        })
    }
}

/// An organization as submitted.
#[derive(Debug, Clone, Default)]
pub struct OrganizationDraft {
    pub key: String,
    pub kind: String,
    /// Name and description per language code.
    pub texts: BTreeMap<String, Text>,
    pub website: Option<String>,
    pub meta_page: Option<String>,
    pub countries: Vec<String>,
    pub known: Vec<CapacityEntry>,
    pub offered: Vec<CapacityEntry>,
    pub wanted: Vec<CapacityEntry>,
}

/// An organization that may be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub key: String,
    pub kind: String,
    pub texts: BTreeMap<String, Text>,
    pub website: Option<String>,
    pub meta_page: Option<String>,
    pub countries: Vec<String>,
    pub known: Vec<CapacityEntry>,
    pub offered: Vec<CapacityEntry>,
    pub wanted: Vec<CapacityEntry>,
}

impl Organization {
    /// Every capacity with the relation it is held in.
    pub fn capacities(&self) -> impl Iterator<Item = (Relation, &CapacityEntry)> {
        [
            (Relation::Known, &self.known),
            (Relation::Offered, &self.offered),
            (Relation::Wanted, &self.wanted),
        ]
        .into_iter()
        .flat_map(|(relation, list)| list.iter().map(move |e| (relation, e)))
    }
}

/// A web address a page may link to: `https://` or `http://`, with a host and no credentials.
/// Anything else (`javascript:`, `data:`, relative paths) would be unsafe or broken in an
/// `href`.
pub fn web_address(text: &str) -> Option<Url> {
    if text.len() > limits::URL || text.chars().any(char::is_control) {
        return None;
    }
    let url = Url::parse(text).ok()?;
    let safe = matches!(url.scheme(), "https" | "http")
        && url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.password().is_none();
    safe.then_some(url)
}

/// A page on Meta-Wiki, where affiliates describe themselves.
pub fn meta_wiki_page(text: &str) -> Option<Url> {
    web_address(text).filter(|u| u.host_str() == Some(META_WIKI_HOST) && u.path().len() > 1)
}

impl OrganizationDraft {
    pub fn validate(self, reference: &dyn Reference) -> Result<Organization, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, key: &'static str| {
            errors.push(FieldError {
                field: field.into(),
                key,
            })
        };
        let key = clean(&self.key);
        if !is_organization_key(&key) {
            fail("key", "cxc-error-invalid-organization-key");
        }
        let kind = clean(&self.kind);
        if !ORGANIZATION_KINDS.contains(&kind.as_str()) {
            fail("kind", "cxc-error-invalid-kind");
        }
        let website = optional(self.website.as_ref());
        if website.as_deref().is_some_and(|w| web_address(w).is_none()) {
            fail("website", "cxc-error-invalid-url");
        }
        let meta_page = optional(self.meta_page.as_ref());
        if meta_page
            .as_deref()
            .is_some_and(|m| meta_wiki_page(m).is_none())
        {
            fail("meta_page", "cxc-error-invalid-meta-page");
        }
        let mut countries = Vec::new();
        if self.countries.len() > limits::COUNTRIES {
            fail("countries", "cxc-error-too-many");
        }
        for code in &self.countries {
            let code = code.trim().to_ascii_uppercase();
            if reference.region_of(&code).is_none() {
                fail("countries", "cxc-error-unknown-country");
            } else if !countries.contains(&code) {
                countries.push(code);
            }
        }
        for (name, list) in [
            ("known", &self.known),
            ("offered", &self.offered),
            ("wanted", &self.wanted),
        ] {
            if list.len() > limits::CAPACITIES {
                fail(name, "cxc-error-too-many");
            }
            let mut seen = HashSet::new();
            for (i, entry) in list.iter().enumerate() {
                let field = format!("{name}[{i}]");
                if !reference.capacity_exists(&entry.capacity) {
                    fail(&field, "cxc-error-unknown-capacity");
                } else if !seen.insert(entry.capacity.as_str()) {
                    fail(&field, "cxc-error-duplicate");
                } else if entry.level.is_some_and(|l| !(1..=5).contains(&l)) {
                    fail(&field, "cxc-error-invalid-level");
                }
            }
        }
        let texts = clean_texts(
            self.texts,
            "names",
            limits::ORGANIZATION_NAME,
            limits::ORGANIZATION_DESCRIPTION,
            reference,
            &mut errors,
        );
        if texts.is_empty() {
            errors.push(FieldError {
                field: "name".into(),
                key: "cxc-error-name-required",
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Organization {
            key,
            kind,
            texts,
            website,
            meta_page,
            countries,
            known: self.known,
            offered: self.offered,
            wanted: self.wanted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Region;

    struct World;
    impl Reference for World {
        fn capacity_exists(&self, key: &str) -> bool {
            ["wikidata", "sparql"].contains(&key)
        }
        fn language_exists(&self, code: &str) -> bool {
            ["en", "fr", "ar"].contains(&code)
        }
        fn region_of(&self, country: &str) -> Option<Region> {
            (country == "BR").then_some(Region::LatinAmericaCaribbean)
        }
        fn organization_exists(&self, _: &str) -> bool {
            false
        }
        fn project_exists(&self, _: &str) -> bool {
            false
        }
        fn timezone_exists(&self, _: &str) -> bool {
            false
        }
    }

    fn named(name: &str) -> BTreeMap<String, Text> {
        BTreeMap::from([(
            "en".to_owned(),
            Text {
                label: name.to_owned(),
                description: String::new(),
            },
        )])
    }

    fn organization() -> OrganizationDraft {
        OrganizationDraft {
            key: "WMBR".into(),
            kind: "chapter".into(),
            texts: named(" Wikimedia Brasil "),
            website: Some("https://wikimedia.org.br/".into()),
            meta_page: Some("https://meta.wikimedia.org/wiki/Wikimedia_Brasil".into()),
            countries: vec!["br".into()],
            known: vec![CapacityEntry::new("wikidata")],
            ..OrganizationDraft::default()
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<(String, &'static str)> {
        errors.into_iter().map(|e| (e.field, e.key)).collect()
    }

    #[test]
    fn a_good_organization_is_cleaned() {
        let o = organization().validate(&World).unwrap();
        assert_eq!(o.texts["en"].label, "Wikimedia Brasil");
        assert_eq!(o.countries, ["BR"]);
        assert_eq!(o.capacities().count(), 1);
    }

    #[test]
    fn only_web_addresses_and_meta_wiki_pages_are_links() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>",
            "/relative",
            "https://user:pw@example.org/",
            "https://exa\nmple.org/",
            "ftp://example.org/",
        ] {
            let mut draft = organization();
            draft.website = Some(bad.into());
            assert_eq!(
                fields(draft.validate(&World).unwrap_err()),
                [("website".to_owned(), "cxc-error-invalid-url")],
                "{bad}"
            );
        }
        for bad in [
            "https://en.wikipedia.org/wiki/Wikimedia_Brasil",
            "https://meta.wikimedia.org.evil.example/wiki/X",
            "javascript:alert(1)",
        ] {
            let mut draft = organization();
            draft.meta_page = Some(bad.into());
            assert_eq!(
                fields(draft.validate(&World).unwrap_err()),
                [("meta_page".to_owned(), "cxc-error-invalid-meta-page")],
                "{bad}"
            );
        }
    }

    #[test]
    fn every_wrong_organization_field_is_named() {
        let draft = OrganizationDraft {
            key: "WM BR".into(),
            kind: "club".into(),
            texts: named("  "),
            countries: vec!["XX".into()],
            known: vec![CapacityEntry::new("nope")],
            ..OrganizationDraft::default()
        };
        assert_eq!(
            fields(draft.validate(&World).unwrap_err()),
            [
                ("key".to_owned(), "cxc-error-invalid-organization-key"),
                ("kind".to_owned(), "cxc-error-invalid-kind"),
                ("countries".to_owned(), "cxc-error-unknown-country"),
                ("known[0]".to_owned(), "cxc-error-unknown-capacity"),
                ("name".to_owned(), "cxc-error-name-required"),
            ]
        );
    }

    #[test]
    fn capacities_keep_the_key_charset_and_the_tree_shape() {
        let taxonomy = Taxonomy::from_edges([("tech", None), ("wikidata", Some("tech"))]).unwrap();
        let draft = |key: &str, parent: Option<&str>| CapacityDraft {
            key: key.into(),
            parent: parent.map(str::to_owned),
            texts: named("SPARQL"),
            qid: None,
        };
        let ok = draft("sparql", Some("wikidata"))
            .validate(&World, &taxonomy)
            .unwrap();
        assert_eq!(ok.english_label(), "SPARQL");
        for key in ["Sparql", "spar ql", "<b>", "", &"a".repeat(65)] {
            assert_eq!(
                fields(draft(key, None).validate(&World, &taxonomy).unwrap_err()),
                [("key".to_owned(), "cxc-error-invalid-key")],
                "{key:?}"
            );
        }
        assert_eq!(
            fields(
                draft("x", Some("missing"))
                    .validate(&World, &taxonomy)
                    .unwrap_err()
            ),
            [("parent".to_owned(), "cxc-error-unknown-parent")]
        );
        let mut no_english = draft("x", None);
        no_english.texts = BTreeMap::from([(
            "fr".to_owned(),
            Text {
                label: "Requêtes".into(),
                description: String::new(),
            },
        )]);
        no_english.qid = Some("Q0".into());
        assert_eq!(
            fields(no_english.validate(&World, &taxonomy).unwrap_err()),
            [
                ("qid".to_owned(), "cxc-error-invalid-qid"),
                ("labels[en]".to_owned(), "cxc-error-english-label-required"),
            ]
        );
    }
}
