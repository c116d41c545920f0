//! People's profiles: what they know, offer and want, in which languages, where, and who may
//! see it. A [`ProfileDraft`] is what someone submitted; [`ProfileDraft::validate`] turns it
//! into a [`Profile`] or names every field that is wrong.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;

use crate::capacity::{CapacityEntry, Relation};

/// A wrong field: its name (`known[2]`, `country`…) and the message key explaining why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub key: &'static str,
}

impl FieldError {
    pub fn new(field: &str, key: &'static str) -> FieldError {
        FieldError {
            field: field.to_owned(),
            key,
        }
    }
}

/// The eight Wikimedia regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Region {
    #[serde(rename = "SSA")]
    SubSaharanAfrica,
    #[serde(rename = "NWE")]
    NorthernWesternEurope,
    #[serde(rename = "ESEAP")]
    EastSoutheastAsiaPacific,
    #[serde(rename = "LAC")]
    LatinAmericaCaribbean,
    #[serde(rename = "CEECA")]
    CentralEasternEuropeCentralAsia,
    #[serde(rename = "SA")]
    SouthAsia,
    #[serde(rename = "MENA")]
    MiddleEastNorthAfrica,
    #[serde(rename = "NA")]
    NorthAmerica,
}

impl Region {
    pub const ALL: [Region; 8] = [
        Region::SubSaharanAfrica,
        Region::NorthernWesternEurope,
        Region::EastSoutheastAsiaPacific,
        Region::LatinAmericaCaribbean,
        Region::CentralEasternEuropeCentralAsia,
        Region::SouthAsia,
        Region::MiddleEastNorthAfrica,
        Region::NorthAmerica,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Region::SubSaharanAfrica => "SSA",
            Region::NorthernWesternEurope => "NWE",
            Region::EastSoutheastAsiaPacific => "ESEAP",
            Region::LatinAmericaCaribbean => "LAC",
            Region::CentralEasternEuropeCentralAsia => "CEECA",
            Region::SouthAsia => "SA",
            Region::MiddleEastNorthAfrica => "MENA",
            Region::NorthAmerica => "NA",
        }
    }

    pub fn parse(code: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// A Babel level: 0 (none) to 5 (professional), or native.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LanguageLevel {
    Level(u8),
    Native,
}

impl LanguageLevel {
    /// Native sorts above 5, so "at least 3" includes native speakers.
    pub fn rank(self) -> i64 {
        match self {
            LanguageLevel::Level(n) => i64::from(n),
            LanguageLevel::Native => 6,
        }
    }

    pub fn from_rank(rank: i64) -> Option<LanguageLevel> {
        match rank {
            0..=5 => Some(LanguageLevel::Level(rank as u8)),
            6 => Some(LanguageLevel::Native),
            _ => None,
        }
    }

    /// `3`, `"3"`, `"native"` or `"N"` (as Babel boxes write it).
    pub fn from_json(value: &serde_json::Value) -> Option<LanguageLevel> {
        match value {
            serde_json::Value::Number(n) => n
                .as_i64()
                .filter(|n| (0..=5).contains(n))
                .and_then(Self::from_rank),
            serde_json::Value::String(s) => Self::parse(s),
            _ => None,
        }
    }

    pub fn parse(s: &str) -> Option<LanguageLevel> {
        match s.trim() {
            "native" | "N" | "n" => Some(LanguageLevel::Native),
            other => other
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=5).contains(n))
                .and_then(Self::from_rank),
        }
    }

    pub fn to_json(self) -> serde_json::Value {
        match self {
            LanguageLevel::Level(n) => serde_json::Value::from(n),
            LanguageLevel::Native => serde_json::Value::from("native"),
        }
    }

    /// The form used in form fields and the interchange format: `0`–`5` or `native`.
    pub fn code(self) -> String {
        match self {
            LanguageLevel::Level(n) => n.to_string(),
            LanguageLevel::Native => "native".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone, and the open-data dumps.
    Public,
    /// Signed-in members only.
    Members,
    /// Nobody; the account stays.
    Hidden,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Members => "members",
            Visibility::Hidden => "hidden",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        [Visibility::Public, Visibility::Members, Visibility::Hidden]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// What validation needs to know about the world: which capacities, languages, countries,
/// organizations, projects and time zones exist. The server answers from its reference data.
pub trait Reference {
    fn capacity_exists(&self, key: &str) -> bool;
    fn language_exists(&self, code: &str) -> bool;
    fn region_of(&self, country: &str) -> Option<Region>;
    fn organization_exists(&self, key: &str) -> bool;
    fn project_exists(&self, code: &str) -> bool;
    fn timezone_exists(&self, name: &str) -> bool;
}

pub mod limits {
    pub const DISPLAY_NAME: usize = 100;
    pub const PRONOUNS: usize = 40;
    pub const BIO: usize = 2000;
    pub const LANGUAGES: usize = 20;
    pub const CAPACITIES: usize = 60;
    pub const AFFILIATIONS: usize = 10;
    pub const PROJECTS: usize = 30;
    pub const MAX_CONNECTIONS: i64 = 50;
}

/// A submitted profile, before validation. Every field may be wrong.
#[derive(Debug, Clone, Default)]
pub struct ProfileDraft {
    pub display_name: String,
    pub pronouns: Option<String>,
    pub bio: String,
    pub bio_language: Option<String>,
    pub country: Option<String>,
    pub timezone: Option<String>,
    /// Language codes with their level as typed (`"3"`, `"native"`).
    pub languages: Vec<(String, Option<LanguageLevel>)>,
    pub known: Vec<CapacityEntry>,
    pub offered: Vec<CapacityEntry>,
    pub wanted: Vec<CapacityEntry>,
    pub affiliations: Vec<String>,
    pub projects: Vec<String>,
    pub visibility: Option<String>,
    pub recommendable: bool,
    pub away_until: Option<String>,
    pub max_connections: Option<i64>,
    pub joined: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub display_name: String,
    pub pronouns: Option<String>,
    pub bio: String,
    pub bio_language: Option<String>,
    pub country: Option<String>,
    pub region: Option<Region>,
    pub timezone: Option<String>,
    pub languages: Vec<(String, LanguageLevel)>,
    pub known: Vec<CapacityEntry>,
    pub offered: Vec<CapacityEntry>,
    pub wanted: Vec<CapacityEntry>,
    pub affiliations: Vec<String>,
    pub projects: Vec<String>,
    pub visibility: Visibility,
    pub recommendable: bool,
    pub away_until: Option<Date>,
    pub max_connections: Option<i64>,
    pub joined: Option<Date>,
}

pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]")).ok()
}

pub fn format_date(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

fn clean(s: &str) -> String {
    s.trim().to_owned()
}

fn optional(s: Option<&String>) -> Option<String> {
    s.map(|v| clean(v)).filter(|v| !v.is_empty())
}

impl ProfileDraft {
    pub fn validate(self, reference: &dyn Reference) -> Result<Profile, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: String, key: &'static str| errors.push(FieldError { field, key });

        let display_name = clean(&self.display_name);
        if display_name.is_empty() {
            fail("display_name".into(), "cxc-error-display-name-required");
        } else if display_name.chars().count() > limits::DISPLAY_NAME {
            fail("display_name".into(), "cxc-error-too-long");
        }
        let pronouns = optional(self.pronouns.as_ref());
        if pronouns
            .as_ref()
            .is_some_and(|p| p.chars().count() > limits::PRONOUNS)
        {
            fail("pronouns".into(), "cxc-error-too-long");
        }
        let bio = self.bio.trim().to_owned();
        if bio.chars().count() > limits::BIO {
            fail("bio".into(), "cxc-error-too-long");
        }
        let bio_language = optional(self.bio_language.as_ref());
        if let Some(code) = &bio_language
            && !reference.language_exists(code)
        {
            fail("bio_language".into(), "cxc-error-unknown-language");
        }
        let country = optional(self.country.as_ref()).map(|c| c.to_ascii_uppercase());
        let region = country.as_deref().and_then(|c| reference.region_of(c));
        if country.is_some() && region.is_none() {
            fail("country".into(), "cxc-error-unknown-country");
        }
        let timezone = optional(self.timezone.as_ref());
        if let Some(tz) = &timezone
            && !reference.timezone_exists(tz)
        {
            fail("timezone".into(), "cxc-error-unknown-timezone");
        }

        let mut languages = Vec::new();
        let mut seen = HashSet::new();
        if self.languages.len() > limits::LANGUAGES {
            fail("languages".into(), "cxc-error-too-many");
        }
        for (i, (code, level)) in self.languages.iter().enumerate() {
            let code = code.trim().to_ascii_lowercase();
            let field = format!("languages[{i}]");
            if !reference.language_exists(&code) {
                fail(field, "cxc-error-unknown-language");
            } else if !seen.insert(code.clone()) {
                fail(field, "cxc-error-duplicate");
            } else if let Some(level) = level {
                languages.push((code, *level));
            } else {
                fail(field, "cxc-error-invalid-level");
            }
        }

        let mut check_capacities = |name: &str, entries: &[CapacityEntry], relation: Relation| {
            if entries.len() > limits::CAPACITIES {
                errors.push(FieldError {
                    field: name.into(),
                    key: "cxc-error-too-many",
                });
            }
            let mut seen = HashSet::new();
            for (i, entry) in entries.iter().enumerate() {
                let field = format!("{name}[{i}]");
                let key = if !reference.capacity_exists(&entry.capacity) {
                    Some("cxc-error-unknown-capacity")
                } else if !seen.insert(entry.capacity.as_str()) {
                    Some("cxc-error-duplicate")
                } else if entry.level.is_some_and(|l| !(1..=5).contains(&l)) {
                    Some("cxc-error-invalid-level")
                } else if relation == Relation::Offered
                    && !self.known.iter().any(|k| k.capacity == entry.capacity)
                {
                    Some("cxc-error-offered-not-known")
                } else {
                    None
                };
                if let Some(key) = key {
                    errors.push(FieldError { field, key });
                }
            }
        };
        check_capacities("known", &self.known, Relation::Known);
        check_capacities("offered", &self.offered, Relation::Offered);
        check_capacities("wanted", &self.wanted, Relation::Wanted);

        let mut fail = |field: String, key: &'static str| errors.push(FieldError { field, key });
        if self.affiliations.len() > limits::AFFILIATIONS {
            fail("affiliations".into(), "cxc-error-too-many");
        }
        for (i, org) in self.affiliations.iter().enumerate() {
            if !reference.organization_exists(org) {
                fail(
                    format!("affiliations[{i}]"),
                    "cxc-error-unknown-organization",
                );
            }
        }
        if self.projects.len() > limits::PROJECTS {
            fail("projects".into(), "cxc-error-too-many");
        }
        for (i, project) in self.projects.iter().enumerate() {
            if !reference.project_exists(project) {
                fail(format!("projects[{i}]"), "cxc-error-unknown-project");
            }
        }
        let visibility = match self.visibility.as_deref() {
            None => Some(Visibility::Public),
            Some(v) => Visibility::parse(v),
        };
        if visibility.is_none() {
            fail("visibility".into(), "cxc-error-invalid-visibility");
        }
        let away_until = optional(self.away_until.as_ref()).map(|d| parse_date(&d));
        if matches!(away_until, Some(None)) {
            fail("away_until".into(), "cxc-error-invalid-date");
        }
        let joined = optional(self.joined.as_ref()).map(|d| parse_date(&d));
        if matches!(joined, Some(None)) {
            fail("joined".into(), "cxc-error-invalid-date");
        }
        if self
            .max_connections
            .is_some_and(|n| !(0..=limits::MAX_CONNECTIONS).contains(&n))
        {
            fail("max_connections".into(), "cxc-error-invalid-number");
        }

        if !errors.is_empty() {
            return Err(errors);
        }
        let dedup = |v: Vec<String>| {
            let mut seen = HashSet::new();
            v.into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| seen.insert(s.clone()))
                .collect::<Vec<_>>()
        };
        Ok(Profile {
            display_name,
            pronouns,
            bio,
            bio_language,
            country,
            region,
            timezone,
            languages,
            known: self.known,
            offered: self.offered,
            wanted: self.wanted,
            affiliations: dedup(self.affiliations),
            projects: dedup(self.projects),
            visibility: visibility.unwrap_or(Visibility::Public),
            recommendable: self.recommendable,
            away_until: away_until.flatten(),
            max_connections: self.max_connections,
            joined: joined.flatten(),
        })
    }
}

impl Profile {
    /// How complete the profile is, 0–100: the parts that make someone findable and matchable.
    pub fn completeness(&self) -> u8 {
        let parts = [
            !self.display_name.is_empty(),
            !self.bio.is_empty(),
            self.country.is_some(),
            !self.languages.is_empty(),
            !self.known.is_empty(),
            !self.offered.is_empty(),
            !self.wanted.is_empty(),
            !self.affiliations.is_empty() || !self.projects.is_empty(),
        ];
        let done = parts.iter().filter(|p| **p).count();
        (done * 100 / parts.len()) as u8
    }

    pub fn is_away(&self, today: Date) -> bool {
        self.away_until.is_some_and(|d| d >= today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct World;
    impl Reference for World {
        fn capacity_exists(&self, key: &str) -> bool {
            ["wikidata", "sparql", "events"].contains(&key)
        }
        fn language_exists(&self, code: &str) -> bool {
            ["en", "pt-br", "ar"].contains(&code)
        }
        fn region_of(&self, country: &str) -> Option<Region> {
            (country == "BR").then_some(Region::LatinAmericaCaribbean)
        }
        fn organization_exists(&self, key: &str) -> bool {
            key == "WMBR"
        }
        fn project_exists(&self, code: &str) -> bool {
            code == "wikidata"
        }
        fn timezone_exists(&self, name: &str) -> bool {
            name == "America/Sao_Paulo"
        }
    }

    fn draft() -> ProfileDraft {
        ProfileDraft {
            display_name: " Ana Silva ".into(),
            bio: "Wikidata trainer".into(),
            bio_language: Some("en".into()),
            country: Some("br".into()),
            timezone: Some("America/Sao_Paulo".into()),
            languages: vec![
                ("pt-br".into(), Some(LanguageLevel::Native)),
                ("en".into(), Some(LanguageLevel::Level(3))),
            ],
            known: vec![CapacityEntry {
                level: Some(4),
                ..CapacityEntry::new("wikidata")
            }],
            offered: vec![CapacityEntry::new("wikidata")],
            wanted: vec![CapacityEntry::new("events")],
            affiliations: vec!["WMBR".into()],
            projects: vec!["wikidata".into()],
            recommendable: true,
            ..ProfileDraft::default()
        }
    }

    #[test]
    fn a_good_profile_validates_and_derives_its_region() {
        let p = draft().validate(&World).unwrap();
        assert_eq!(p.display_name, "Ana Silva");
        assert_eq!(p.country.as_deref(), Some("BR"));
        assert_eq!(p.region, Some(Region::LatinAmericaCaribbean));
        assert_eq!(p.visibility, Visibility::Public);
        assert_eq!(p.completeness(), 100);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut d = draft();
        d.display_name = " ".into();
        d.country = Some("XX".into());
        d.offered = vec![CapacityEntry::new("sparql")];
        d.wanted = vec![CapacityEntry::new("nope")];
        d.languages
            .push(("klingon".into(), Some(LanguageLevel::Level(2))));
        d.bio = "x".repeat(limits::BIO + 1);
        d.visibility = Some("secret".into());
        d.away_until = Some("tomorrow".into());
        d.max_connections = Some(999);
        let errors = d.validate(&World).unwrap_err();
        let got: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.key)).collect();
        assert_eq!(
            got,
            [
                ("display_name", "cxc-error-display-name-required"),
                ("bio", "cxc-error-too-long"),
                ("country", "cxc-error-unknown-country"),
                ("languages[2]", "cxc-error-unknown-language"),
                ("offered[0]", "cxc-error-offered-not-known"),
                ("wanted[0]", "cxc-error-unknown-capacity"),
                ("visibility", "cxc-error-invalid-visibility"),
                ("away_until", "cxc-error-invalid-date"),
                ("max_connections", "cxc-error-invalid-number"),
            ]
        );
    }

    #[test]
    fn language_levels_follow_babel() {
        assert_eq!(LanguageLevel::parse("N"), Some(LanguageLevel::Native));
        assert_eq!(
            LanguageLevel::from_json(&serde_json::json!(5)),
            Some(LanguageLevel::Level(5))
        );
        assert_eq!(LanguageLevel::from_json(&serde_json::json!(6)), None);
        assert!(LanguageLevel::Native.rank() > LanguageLevel::Level(5).rank());
    }
}
