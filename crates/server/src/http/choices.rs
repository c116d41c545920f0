//! What the profile and organization forms offer to choose from: countries, languages, time
//! zones, capacities by area, organizations, methods and formats.

use cxc_core::{Format, Method};

use crate::AppState;
use crate::directory::Directory;
use crate::http::capacity_picker::capacity_groups;
use crate::i18n::sort_by_name;

/// What the profile and organization forms offer to choose from.
pub struct Choices {
    pub countries: Vec<(String, String)>,
    pub languages: Vec<(String, String)>,
    pub timezones: Vec<String>,
    /// Areas with their capacities (depth shown by indentation).
    pub capacity_groups: Vec<(String, Vec<(String, String)>)>,
    pub organizations: Vec<(String, String)>,
    pub methods: Vec<&'static str>,
    pub formats: Vec<&'static str>,
}

pub fn choices(state: &AppState, directory: &Directory, lang: &'static str) -> Choices {
    let mut countries: Vec<(String, String)> = state
        .reference
        .countries()
        .map(|(code, _)| (code.to_owned(), state.reference.country_name(code, lang)))
        .collect();
    sort_by_name(lang, &mut countries, |c| &c.1);
    let mut languages: Vec<(String, String)> = state
        .i18n
        .known_languages()
        .map(|(c, a)| (c.to_owned(), a.to_owned()))
        .collect();
    languages.sort();
    let capacity_groups = capacity_groups(directory, lang);
    let mut organizations: Vec<(String, String)> = directory
        .organizations()
        .iter()
        .map(|o| (o.key.clone(), o.name(lang).to_owned()))
        .collect();
    sort_by_name(lang, &mut organizations, |o| &o.1);
    Choices {
        countries,
        languages,
        timezones: crate::reference::timezone_names(),
        capacity_groups,
        organizations,
        methods: Method::ALL.iter().map(|m| m.as_str()).collect(),
        formats: Format::ALL.iter().map(|f| f.as_str()).collect(),
    }
}
