//! Reference data that ships with cxc: countries (localised names, Wikimedia region, ISO
//! numeric code for the map), Wikimedia projects, time zones. Languages come from
//! [`crate::i18n::I18n`], which holds Wikimedia's language-data.

use std::collections::BTreeMap;

use cxc_core::Region;
use serde::Deserialize;

use crate::i18n::{I18n, chain};

const COUNTRIES: &str = include_str!("../data/countries.json");

/// The Wikimedia project families; a language edition is written as a database name such as
/// `enwiki` or `pt_brwiktionary`... (see [`Reference::project_exists`]).
pub const PROJECT_FAMILIES: &[&str] = &[
    "wikipedia",
    "wiktionary",
    "wikibooks",
    "wikinews",
    "wikiquote",
    "wikisource",
    "wikiversity",
    "wikivoyage",
    "wikidata",
    "commons",
    "wikispecies",
    "wikifunctions",
    "meta",
    "mediawiki",
    "incubator",
    "outreach",
];

/// Database-name suffixes of the language editions, with their family.
const EDITION_SUFFIXES: &[(&str, &str)] = &[
    ("wiktionary", "wiktionary"),
    ("wikibooks", "wikibooks"),
    ("wikinews", "wikinews"),
    ("wikiquote", "wikiquote"),
    ("wikisource", "wikisource"),
    ("wikiversity", "wikiversity"),
    ("wikivoyage", "wikivoyage"),
    ("wiki", "wikipedia"),
];

#[derive(Debug, Clone, Deserialize)]
pub struct Country {
    pub region: String,
    pub numeric: String,
    pub names: BTreeMap<String, String>,
}

pub struct Reference {
    countries: BTreeMap<String, Country>,
}

impl Reference {
    pub fn load() -> anyhow::Result<Reference> {
        let countries: BTreeMap<String, Country> = serde_json::from_str(COUNTRIES)?;
        for (code, country) in &countries {
            anyhow::ensure!(
                Region::parse(&country.region).is_some(),
                "countries.json: {code} has an unknown region"
            );
        }
        Ok(Reference { countries })
    }

    pub fn country(&self, code: &str) -> Option<&Country> {
        self.countries.get(code)
    }

    pub fn countries(&self) -> impl Iterator<Item = (&str, &Country)> {
        self.countries.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn region_of(&self, code: &str) -> Option<Region> {
        self.countries
            .get(code)
            .and_then(|c| Region::parse(&c.region))
    }

    /// A country's name in `lang`, following the language's fallback chain.
    pub fn country_name(&self, code: &str, lang: &str) -> String {
        self.countries
            .get(code)
            .and_then(|c| {
                chain(lang)
                    .iter()
                    .find_map(|l| c.names.get(l.as_str()))
                    .cloned()
            })
            .unwrap_or_else(|| code.to_owned())
    }
}

/// The family of a project code: `wikidata` → `wikidata`, `enwiki` → `wikipedia`,
/// `pt_brwiktionary`… → `wiktionary`, when the language part is a real language.
pub fn project_family(code: &str, i18n: &I18n) -> Option<&'static str> {
    if let Some(family) = PROJECT_FAMILIES.iter().find(|f| **f == code) {
        return Some(family);
    }
    if code == "commonswiki" {
        return Some("commons");
    }
    if code == "wikidatawiki" {
        return Some("wikidata");
    }
    EDITION_SUFFIXES.iter().find_map(|(suffix, family)| {
        let lang = code.strip_suffix(suffix)?.replace('_', "-");
        (!lang.is_empty() && i18n.language_known(&lang)).then_some(*family)
    })
}

/// Whether an IANA time zone name is known (from the bundled time zone database).
pub fn timezone_exists(name: &str) -> bool {
    name.contains('/') && jiff::tz::TimeZone::get(name).is_ok()
}

/// A local date and time in an IANA zone, as Unix seconds (the earlier instant when the clock
/// repeats an hour, the later when it skips one).
pub fn local_to_unix(local: time::PrimitiveDateTime, zone: &str) -> Option<i64> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let civil = jiff::civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        i8::try_from(u8::from(local.month())).ok()?,
        i8::try_from(local.day()).ok()?,
        i8::try_from(local.hour()).ok()?,
        i8::try_from(local.minute()).ok()?,
        0,
        0,
    )
    .ok()?;
    Some(
        tz.to_ambiguous_timestamp(civil)
            .compatible()
            .ok()?
            .as_second(),
    )
}

/// Unix seconds as a local `YYYY-MM-DD HH:MM` in an IANA zone, for showing times in the
/// viewer's zone.
pub fn unix_in_zone(unix: i64, zone: &str) -> Option<String> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let local = tz.to_datetime(jiff::Timestamp::from_second(unix).ok()?);
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute()
    ))
}

/// Every IANA time zone name, sorted, for pickers.
pub fn timezone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        .filter(|n| {
            n.contains('/')
                && !n.starts_with("Etc/")
                && !n.starts_with("posix/")
                && !n.starts_with("right/")
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// UTC offsets in hours of a time zone now, for showing and for matching.
pub fn utc_offset_hours(name: &str) -> Option<f32> {
    let tz = jiff::tz::TimeZone::get(name).ok()?;
    let offset = tz.to_offset(jiff::Timestamp::now());
    Some(offset.seconds() as f32 / 3600.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_placed_on_the_world_clock() {
        let start = time::macros::datetime!(2027-01-14 18:00);
        let nairobi = local_to_unix(start, "Africa/Nairobi").unwrap();
        assert_eq!(nairobi, 1_799_938_800, "18:00 in Nairobi is 15:00 UTC");
        assert_eq!(
            unix_in_zone(nairobi, "America/Sao_Paulo").unwrap(),
            "2027-01-14 12:00"
        );
        assert_eq!(local_to_unix(start, "Mars/Olympus"), None);
    }

    #[test]
    fn countries_have_regions_and_localised_names() {
        let r = Reference::load().unwrap();
        assert_eq!(r.region_of("BR"), Some(Region::LatinAmericaCaribbean));
        assert_eq!(r.region_of("IL"), Some(Region::MiddleEastNorthAfrica));
        assert_eq!(
            r.region_of("AM"),
            Some(Region::CentralEasternEuropeCentralAsia)
        );
        assert_eq!(r.country_name("DE", "fr"), "Allemagne");
        assert_eq!(r.country_name("DE", "pt-br"), r.country_name("DE", "pt"));
        assert!(r.countries().count() >= 249);
    }

    #[test]
    fn projects_are_families_or_language_editions() {
        let i18n = I18n::load().unwrap();
        assert_eq!(project_family("wikidata", &i18n), Some("wikidata"));
        assert_eq!(project_family("enwiki", &i18n), Some("wikipedia"));
        assert_eq!(project_family("frwiktionary", &i18n), Some("wiktionary"));
        assert_eq!(project_family("xxxwiki", &i18n), None);
        assert_eq!(project_family("facebook", &i18n), None);
    }

    #[test]
    fn time_zones_come_from_the_tz_database() {
        assert!(timezone_exists("America/Sao_Paulo"));
        assert!(!timezone_exists("Mars/Olympus"));
        assert!(!timezone_exists("UTC+3"));
        assert_eq!(utc_offset_hours("Asia/Kolkata"), Some(5.5));
    }
}
