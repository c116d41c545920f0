//! The JSON Lines interchange format (`docs/interchange.md`): capacities, organizations
//! and profiles as records; [`import`] reads them (one transaction, skipping records whose
//! content has not changed, so importing twice changes nothing) and [`export`] writes them.

mod export;
mod import;

pub use export::{capacity_records, export};
pub use import::{ImportReport, Source, import, load_default_taxonomy, open_file};

use std::collections::BTreeMap;

use cxc_core::catalog::{CapacityDraft, OrganizationDraft, Text};
use cxc_core::profile::{ProfileDraft, format_date};
use cxc_core::{CapacityEntry, Format, LanguageLevel, Method};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::profiles::StoredProfile;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Record {
    Capacity(CapacityRecord),
    Organization(OrganizationRecord),
    Profile(ProfileRecord),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityRecord {
    pub key: String,
    pub parent: Option<String>,
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub descriptions: BTreeMap<String, String>,
    #[serde(default)]
    pub qid: Option<String>,
    /// `retired` or `merged` (cxc's addition); absent for active capacities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

/// A capacity in a list: its key, or an object with details.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CapacityRef {
    Key(String),
    Detailed {
        capacity: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<u8>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        methods: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        formats: Vec<String>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRecord {
    pub key: String,
    pub kind: String,
    pub names: BTreeMap<String, String>,
    #[serde(default)]
    pub countries: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub description: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_page: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known: Vec<CapacityRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<CapacityRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wanted: Vec<CapacityRef>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LanguageRecord {
    pub code: String,
    pub level: serde_json::Value,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileRecord {
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub bio_language: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub languages: Vec<LanguageRecord>,
    #[serde(default)]
    pub known: Vec<CapacityRef>,
    #[serde(default)]
    pub offered: Vec<CapacityRef>,
    #[serde(default)]
    pub wanted: Vec<CapacityRef>,
    #[serde(default)]
    pub affiliations: Vec<String>,
    #[serde(default = "public")]
    pub visibility: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pronouns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away_until: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<i64>,
    /// cxc's addition: `false` when the person opted out of recommendations.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub recommendable: bool,
}

fn public() -> String {
    "public".to_owned()
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}

impl CapacityRef {
    fn to_entry(&self) -> Result<CapacityEntry, String> {
        match self {
            CapacityRef::Key(key) => Ok(CapacityEntry::new(key.clone())),
            CapacityRef::Detailed {
                capacity,
                level,
                methods,
                formats,
            } => Ok(CapacityEntry {
                capacity: capacity.clone(),
                level: *level,
                methods: methods
                    .iter()
                    .map(|m| Method::parse(m).ok_or_else(|| format!("unknown method {m:?}")))
                    .collect::<Result<_, _>>()?,
                formats: formats
                    .iter()
                    .map(|f| Format::parse(f).ok_or_else(|| format!("unknown format {f:?}")))
                    .collect::<Result<_, _>>()?,
            }),
        }
    }

    pub fn from_entry(e: &CapacityEntry) -> CapacityRef {
        if e.level.is_none() && e.methods.is_empty() && e.formats.is_empty() {
            CapacityRef::Key(e.capacity.clone())
        } else {
            CapacityRef::Detailed {
                capacity: e.capacity.clone(),
                level: e.level,
                methods: e.methods.iter().map(|m| m.as_str().to_owned()).collect(),
                formats: e.formats.iter().map(|f| f.as_str().to_owned()).collect(),
            }
        }
    }
}

fn entries(list: &[CapacityRef]) -> Result<Vec<CapacityEntry>, String> {
    list.iter().map(CapacityRef::to_entry).collect()
}

impl ProfileRecord {
    pub fn draft(&self) -> Result<ProfileDraft, String> {
        Ok(ProfileDraft {
            display_name: self.display_name.clone(),
            pronouns: self.pronouns.clone(),
            bio: self.bio.clone(),
            bio_language: self.bio_language.clone(),
            country: self.country.clone(),
            timezone: self.timezone.clone(),
            languages: self
                .languages
                .iter()
                .map(|l| (l.code.clone(), LanguageLevel::from_json(&l.level)))
                .collect(),
            known: entries(&self.known)?,
            offered: entries(&self.offered)?,
            wanted: entries(&self.wanted)?,
            affiliations: self.affiliations.clone(),
            projects: self.projects.clone(),
            visibility: Some(self.visibility.clone()),
            recommendable: self.recommendable,
            away_until: self.away_until.clone(),
            max_connections: self.max_connections,
            joined: self.joined.clone(),
        })
    }

    pub fn from_stored(s: &StoredProfile) -> ProfileRecord {
        let p = &s.profile;
        let refs = |list: &[CapacityEntry]| list.iter().map(CapacityRef::from_entry).collect();
        ProfileRecord {
            username: s.username.clone(),
            display_name: p.display_name.clone(),
            bio: p.bio.clone(),
            bio_language: p.bio_language.clone(),
            country: p.country.clone(),
            languages: p
                .languages
                .iter()
                .map(|(code, level)| LanguageRecord {
                    code: code.clone(),
                    level: level.to_json(),
                })
                .collect(),
            known: refs(&p.known),
            offered: refs(&p.offered),
            wanted: refs(&p.wanted),
            affiliations: p.affiliations.clone(),
            visibility: p.visibility.as_str().to_owned(),
            joined: p.joined.map(format_date),
            pronouns: p.pronouns.clone(),
            timezone: p.timezone.clone(),
            projects: p.projects.clone(),
            away_until: p.away_until.map(format_date),
            max_connections: p.max_connections,
            recommendable: p.recommendable,
        }
    }
}

/// The hash of a record as cxc writes it: equal hashes mean nothing changed.
fn content_hash(record: &Record) -> String {
    let canonical = serde_json::to_vec(record).unwrap_or_default();
    Sha256::digest(&canonical)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl CapacityRecord {
    pub fn draft(&self) -> CapacityDraft {
        CapacityDraft {
            key: self.key.clone(),
            parent: self.parent.clone(),
            texts: self
                .labels
                .iter()
                .map(|(lang, label)| {
                    let description = self.descriptions.get(lang).cloned().unwrap_or_default();
                    let text = Text {
                        label: label.clone(),
                        description,
                    };
                    (lang.clone(), text)
                })
                .collect(),
            qid: self.qid.clone(),
        }
    }
}

impl OrganizationRecord {
    pub fn draft(&self) -> Result<OrganizationDraft, String> {
        let languages = self.names.keys().chain(self.description.keys());
        Ok(OrganizationDraft {
            key: self.key.clone(),
            kind: self.kind.clone(),
            texts: languages
                .map(|lang| {
                    let text = Text {
                        label: self.names.get(lang).cloned().unwrap_or_default(),
                        description: self.description.get(lang).cloned().unwrap_or_default(),
                    };
                    (lang.clone(), text)
                })
                .collect(),
            website: self.website.clone(),
            meta_page: self.meta_page.clone(),
            countries: self.countries.clone(),
            known: entries(&self.known)?,
            offered: entries(&self.offered)?,
            wanted: entries(&self.wanted)?,
        })
    }
}
