//! The JSON Lines interchange format (`docs/interchange.md`): capacities, organizations
//! and profiles as records; [`import`] reads them (one transaction, skipping records whose
//! content has not changed, so importing twice changes nothing) and [`export`] writes them;
//! [`messages`] carries the taxonomy's texts to and from translatewiki.net.

mod export;
mod import;
pub mod messages;

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

#[derive(Debug, Clone, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    use cxc_core::profile::{Reference, Region};
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// A small world for validation: a few of everything, so that generated records are often
    /// valid and sometimes not.
    struct World;
    impl Reference for World {
        fn capacity_exists(&self, key: &str) -> bool {
            ["wikidata", "sparql", "events"].contains(&key)
        }
        fn language_exists(&self, code: &str) -> bool {
            ["en", "pt-br", "ar", "sw"].contains(&code)
        }
        fn region_of(&self, country: &str) -> Option<Region> {
            match country {
                "BR" => Some(Region::LatinAmericaCaribbean),
                "KE" => Some(Region::SubSaharanAfrica),
                _ => None,
            }
        }
        fn organization_exists(&self, key: &str) -> bool {
            key == "WMBR"
        }
        fn project_exists(&self, code: &str) -> bool {
            code == "wikidata"
        }
        fn timezone_exists(&self, name: &str) -> bool {
            name == "Africa/Nairobi"
        }
    }

    /// Mostly one of the good values, sometimes a bad one or none: enough valid records to
    /// round-trip, enough invalid ones to exercise the errors.
    fn mostly(
        good: &[&'static str],
        bad: &[&'static str],
    ) -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            24 => prop::sample::select(good.to_vec()).prop_map(|s| Some(s.to_owned())),
            1 => prop::sample::select(bad.to_vec()).prop_map(|s| Some(s.to_owned())),
            4 => Just(None),
        ]
    }

    fn detailed(capacity: &'static str) -> impl Strategy<Value = CapacityRef> {
        let methods = prop::sample::subsequence(vec!["mentoring", "training"], 0..2);
        let formats = prop::sample::subsequence(vec!["online", "in_person"], 0..2);
        prop_oneof![
            15 => Just(CapacityRef::Key(capacity.to_owned())),
            15 => (prop::option::of(1u8..=5), methods, formats).prop_map(move |(level, m, f)| CapacityRef::Detailed {
                capacity: capacity.to_owned(),
                level,
                methods: m.into_iter().map(str::to_owned).collect(),
                formats: f.into_iter().map(str::to_owned).collect(),
            }),
            // One bad part per thirty: a level out of range and an unknown method.
            1 => prop::sample::select(vec!["teleporting", "by_pigeon"]).prop_map(move |odd| CapacityRef::Detailed {
                capacity: capacity.to_owned(),
                level: Some(7),
                methods: vec![odd.to_owned()],
                formats: Vec::new(),
            }),
        ]
    }

    fn capacities(keys: Vec<&'static str>) -> impl Strategy<Value = Vec<CapacityRef>> {
        let most = keys.len().min(3);
        prop::sample::subsequence(keys, 0..=most)
            .prop_flat_map(|keys| keys.into_iter().map(detailed).collect::<Vec<_>>())
    }

    fn record() -> impl Strategy<Value = ProfileRecord> {
        let level = prop_oneof![
            30 => prop::sample::select(vec![json!(0), json!(5), json!("native"), json!("3")]),
            1 => prop::sample::select(vec![json!(9), json!(null), json!("expert")]),
        ];
        let code = prop_oneof![30 => prop::sample::select(vec!["en", "pt-br", "AR", " sw "]), 1 => Just("xx")];
        let language = (code, level).prop_map(|(code, level)| LanguageRecord {
            code: code.to_owned(),
            level,
        });
        // What is offered must be known: mostly drawn from the known ones, sometimes not.
        let lists = (
            capacities(vec!["wikidata", "sparql", "events"]),
            capacities(vec!["wikidata", "events"]),
            prop::bool::weighted(0.05),
            prop::bool::weighted(0.05),
        )
            .prop_flat_map(|(known, mut wanted, unknown_wanted, unknown_offered)| {
                if unknown_wanted {
                    wanted.push(CapacityRef::Key("nothing".to_owned()));
                }
                let mut keys: Vec<&'static str> = ["wikidata", "sparql", "events"]
                    .into_iter()
                    .filter(|k| {
                        known
                            .iter()
                            .any(|c| c.to_entry().is_ok_and(|e| e.capacity == *k))
                    })
                    .collect();
                if unknown_offered {
                    keys.push("sparql");
                }
                (Just(known), capacities(keys), Just(wanted))
            });
        (
            (
                "\\PC{1,12}",
                "[ \\t]?\\PC{0,3}[a-zA-Z\\u{627}-\\u{64a}]\\PC{0,20}[ \\n]?",
                "\\PC{0,40}",
                mostly(&["en", "sw"], &["zz"]),
                mostly(&["BR", "ke", " KE "], &["XX", " "]),
            ),
            (prop::collection::vec(language, 0..3), lists),
            (
                prop::collection::vec(prop_oneof![30 => Just("WMBR"), 1 => Just("WMXX")], 0..3),
                mostly(&["public", "members", "hidden"], &["secret"]),
                mostly(&["2024-02-29", " 2026-01-01 "], &["2023-02-29", "soon"]),
                mostly(
                    &["he/him", "", "ela/dela"],
                    &["pronouns far longer than the forty characters allowed"],
                ),
                mostly(&["Africa/Nairobi"], &["Mars/Olympus"]),
            ),
            (
                prop::collection::vec(
                    prop_oneof![30 => Just("wikidata"), 1 => Just("wikivoyage")],
                    0..3,
                ),
                mostly(&["2027-01-01", ""], &["2026-13-01"]),
                prop::option::of(-1i64..52),
                any::<bool>(),
            ),
        )
            .prop_map(|(names, capacities, details, more)| {
                let (username, display_name, bio, bio_language, country) = names;
                let (languages, (known, offered, wanted)) = capacities;
                let (affiliations, visibility, joined, pronouns, timezone) = details;
                let (projects, away_until, max_connections, recommendable) = more;
                ProfileRecord {
                    username,
                    display_name,
                    bio,
                    bio_language,
                    country,
                    languages,
                    known,
                    offered,
                    wanted,
                    affiliations: affiliations.into_iter().map(str::to_owned).collect(),
                    visibility: visibility.unwrap_or_else(public),
                    joined,
                    pronouns,
                    timezone,
                    projects: projects.into_iter().map(str::to_owned).collect(),
                    away_until,
                    max_connections,
                    recommendable,
                }
            })
    }

    /// What the import makes of one line: a record, then a valid profile or field errors.
    fn read(
        line: &str,
    ) -> Option<Result<cxc_core::profile::Profile, Vec<cxc_core::profile::FieldError>>> {
        match serde_json::from_str::<Record>(line).ok()? {
            Record::Profile(p) => p.draft().ok().map(|d| d.validate(&World)),
            _ => None,
        }
    }

    fn line(record: ProfileRecord) -> String {
        serde_json::to_string(&Record::Profile(record)).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// A line that imports exports as a line that imports as the same profile, and the
        /// export of that is the same text again.
        #[test]
        fn an_imported_profile_exports_and_imports_the_same(record in record()) {
            let username = record.username.clone();
            let Some(Ok(profile)) = read(&line(record)) else { return Ok(()) };
            let stored = StoredProfile { account_id: 1, username, profile: profile.clone(), updated_at: 0, suspended: false };
            let exported = line(ProfileRecord::from_stored(&stored));
            let again = read(&exported);
            prop_assert_eq!(again.as_ref(), Some(&Ok(profile.clone())), "{}", exported);
            let stored = StoredProfile { profile, ..stored };
            prop_assert_eq!(line(ProfileRecord::from_stored(&stored)), exported);
        }

        /// Any damage to a line (cut short, a byte changed, something inserted) is read as an
        /// error or as some record, never a panic.
        #[test]
        fn a_damaged_line_is_read_or_refused(record in record(), at in any::<prop::sample::Index>(), junk in "\\PC{0,3}|[\\x00-\\x1f\"\\\\{}\\[\\]]") {
            let mut text = line(record);
            let cut = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect::<Vec<_>>();
            let i = cut[at.index(cut.len())];
            text.insert_str(i, &junk);
            let _ = read(&text);
            let _ = read(&text[..i]);
        }
    }
}
