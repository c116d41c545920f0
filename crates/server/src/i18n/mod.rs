//! Translations. Messages are Banana JSON files under `i18n/` (translatewiki.net's format),
//! embedded in the binary; language names and writing directions come from Wikimedia's
//! language-data, vendored under `data/`.

pub mod banana;

use std::collections::HashMap;

use anyhow::Context;
use icu_collator::options::CollatorOptions;
use icu_collator::{Collator, CollatorBorrowed};
use icu_locale_core::Locale;
use icu_plurals::PluralRules;

use banana::Node;

use crate::text_index::fold;

include!(concat!(env!("OUT_DIR"), "/shipped_languages.rs"));

/// How much of English a language's file must translate to be offered in the language chooser;
/// a file with less still serves what it has to those who ask for the language, the rest in
/// its fallbacks.
const LISTED_COVERAGE: f64 = 0.8;

const LANGUAGE_DATA: &str = include_str!("../../data/language-data.json");

/// MediaWiki's fallbacks for the languages where dropping a subtag is not enough.
const FALLBACKS: &[(&str, &[&str])] = &[
    ("pt", &["pt-br"]),
    ("pt-br", &["pt"]),
    ("arz", &["ar"]),
    ("ary", &["ar"]),
    ("aeb", &["ar"]),
    ("apc", &["ar"]),
    ("gl", &["pt"]),
    ("ast", &["es"]),
    ("an", &["es"]),
    ("oc", &["fr"]),
    ("br", &["fr"]),
    ("wa", &["fr"]),
    ("zh", &["zh-hans"]),
    ("zh-cn", &["zh-hans"]),
    ("zh-sg", &["zh-hans"]),
    ("zh-my", &["zh-hans"]),
    ("wuu", &["zh-hans"]),
    ("jv", &["id"]),
    ("su", &["id"]),
    ("min", &["id"]),
    ("ace", &["id"]),
    ("bjn", &["id"]),
    ("bho", &["hi"]),
    ("awa", &["hi"]),
    ("mai", &["hi"]),
    ("mzn", &["fa"]),
    ("glk", &["fa"]),
    ("lrc", &["fa"]),
    ("ba", &["ru"]),
    ("ce", &["ru"]),
    ("cv", &["ru"]),
    ("sah", &["ru"]),
    ("os", &["ru"]),
    ("udm", &["ru"]),
    ("ab", &["ru"]),
    ("av", &["ru"]),
    ("rue", &["uk", "ru"]),
    ("gag", &["tr"]),
    ("diq", &["tr"]),
    ("kiu", &["tr"]),
    ("lzz", &["tr"]),
    ("bm", &["fr"]),
    ("wo", &["fr"]),
    ("ln", &["fr"]),
];

/// The regions of Wikimedia's language-data, in the order the Universal Language Selector shows
/// them: the language chooser groups languages by where they are spoken.
pub const LANGUAGE_REGIONS: &[&str] = &["WW", "AF", "AM", "AS", "EU", "ME", "PA"];

pub const DEFAULT_LANGUAGE: &str = "en";

struct Catalog {
    messages: HashMap<String, Vec<Node>>,
    rules: PluralRules,
}

#[derive(Debug, Clone)]
pub struct UiLanguage {
    pub code: &'static str,
    pub autonym: String,
}

/// The interface languages spoken in one region, for the language chooser.
pub struct LanguageGroup {
    /// A code of [`LANGUAGE_REGIONS`], lower-cased for message keys (`cxc-language-region-af`).
    pub region: String,
    pub languages: Vec<UiLanguage>,
}

struct LanguageInfo {
    autonym: String,
    rtl: bool,
    regions: Vec<String>,
}

pub struct I18n {
    catalogs: HashMap<&'static str, Catalog>,
    ui: Vec<UiLanguage>,
    groups: Vec<LanguageGroup>,
    languages: HashMap<String, LanguageInfo>,
    /// Language codes by folded autonym, for forms where people type a language's name.
    by_autonym: HashMap<String, String>,
}

impl I18n {
    pub fn load() -> anyhow::Result<Self> {
        Self::from_files(SHIPPED)
    }

    /// The catalogs of message files by language code, English among them. The chooser lists
    /// those that translate at least [`LISTED_COVERAGE`] of English's messages.
    fn from_files(files: &[(&'static str, &str)]) -> anyhow::Result<Self> {
        let languages = parse_language_data(LANGUAGE_DATA)?;
        let mut catalogs = HashMap::new();
        for (code, json) in files {
            let raw: HashMap<String, serde_json::Value> = serde_json::from_str(json)
                .with_context(|| format!("i18n/{code}.json is not valid JSON"))?;
            let messages = raw
                .into_iter()
                .filter(|(key, _)| key != "@metadata")
                .filter_map(|(key, value)| Some((key, banana::parse(value.as_str()?))))
                .collect();
            let locale: Locale = code
                .parse()
                .with_context(|| format!("i18n/{code}.json is not named by a language code"))?;
            let rules = PluralRules::try_new_cardinal(locale.into())
                .with_context(|| format!("no plural rules for {code}"))?;
            catalogs.insert(*code, Catalog { messages, rules });
        }
        let english = &catalogs
            .get(DEFAULT_LANGUAGE)
            .context("i18n/en.json is missing")?
            .messages;
        let mut ui = Vec::new();
        for (code, catalog) in &catalogs {
            let translated = english
                .keys()
                .filter(|k| catalog.messages.contains_key(*k))
                .count();
            if (translated as f64) < LISTED_COVERAGE * english.len() as f64 {
                continue;
            }
            let autonym = languages
                .get(*code)
                .map(|l| l.autonym.clone())
                .with_context(|| format!("language-data has no autonym for {code}"))?;
            ui.push(UiLanguage { code, autonym });
        }
        ui.sort_by(|a, b| a.code.cmp(b.code));
        let groups = LANGUAGE_REGIONS
            .iter()
            .map(|region| LanguageGroup {
                region: region.to_ascii_lowercase(),
                languages: ui
                    .iter()
                    .filter(|l| languages[l.code].regions.iter().any(|r| r == region))
                    .cloned()
                    .collect(),
            })
            .filter(|g| !g.languages.is_empty())
            .collect();
        let mut codes: Vec<&String> = languages.keys().collect();
        // Where two codes share an autonym, the shorter (the macrolanguage) wins.
        codes.sort_by_key(|c| std::cmp::Reverse((c.len(), c.as_str())));
        let by_autonym = codes
            .into_iter()
            .map(|c| (fold(&languages[c].autonym), c.clone()))
            .collect();
        Ok(I18n {
            catalogs,
            ui,
            groups,
            languages,
            by_autonym,
        })
    }

    /// The languages the interface can be shown in, for the language selector.
    pub fn ui_languages(&self) -> &[UiLanguage] {
        &self.ui
    }

    /// The interface languages by region, a language in each region it is spoken in.
    pub fn language_groups(&self) -> &[LanguageGroup] {
        &self.groups
    }

    /// Picks the interface language: `?uselang=`, then the cookie the language selector sets,
    /// then the browser's Accept-Language, then English. Each candidate may be served through its
    /// fallback chain (`pt-PT` is served in `pt-br`, `es-MX` in `es`).
    pub fn negotiate(
        &self,
        uselang: Option<&str>,
        cookie: Option<&str>,
        accept_language: Option<&str>,
    ) -> &'static str {
        let explicit = [uselang, cookie].into_iter().flatten().map(str::to_owned);
        explicit
            .chain(
                accept_language
                    .map(parse_accept_language)
                    .unwrap_or_default(),
            )
            .find_map(|tag| self.shipped_for(&tag))
            .unwrap_or(DEFAULT_LANGUAGE)
    }

    /// The shipped language that serves `tag`, if any. English is not a fallback here: a
    /// browser asking for German and then French should get French.
    pub fn shipped_for(&self, tag: &str) -> Option<&'static str> {
        let mut chain = fallback_chain(tag);
        if !chain[0].starts_with(DEFAULT_LANGUAGE) {
            chain.pop();
        }
        chain
            .into_iter()
            .find_map(|code| self.catalogs.get_key_value(code.as_str()).map(|(k, _)| *k))
    }

    /// The message `key` in `lang`, or in the first language of its fallback chain that has it.
    /// A missing key shows as `⧼key⧽`, as MediaWiki does, so it is noticed rather than hidden.
    pub fn text(&self, lang: &str, key: &str, args: &[&str]) -> String {
        let found = chain(lang).iter().find_map(|code| {
            let catalog = self.catalogs.get(code.as_str())?;
            Some((catalog.messages.get(key)?, &catalog.rules))
        });
        match found {
            Some((nodes, rules)) => {
                let mut out = String::new();
                banana::render(nodes, args, rules, &mut out);
                out
            }
            None => format!("⧼{key}⧽"),
        }
    }

    /// Whether a language is written right to left (from the script language-data gives it).
    pub fn is_rtl(&self, code: &str) -> bool {
        fallback_chain(code)
            .iter()
            .find_map(|c| self.languages.get(c))
            .is_some_and(|l| l.rtl)
    }

    /// Whether a language code is one Wikimedia knows (language-data lists it).
    pub fn language_known(&self, code: &str) -> bool {
        self.languages.contains_key(code)
    }

    /// Every language code Wikimedia knows, with its autonym.
    pub fn known_languages(&self) -> impl Iterator<Item = (&str, &str)> {
        self.languages
            .iter()
            .map(|(code, l)| (code.as_str(), l.autonym.as_str()))
    }

    /// A Wikimedia region's name in `lang`, from its code (`SSA`: "Sub-Saharan Africa").
    pub fn region_name(&self, lang: &str, code: &str) -> String {
        self.text(
            lang,
            &format!("cxc-region-{}", code.to_ascii_lowercase()),
            &[],
        )
    }

    /// How a form shows a language: its name in itself and its code, `Kiswahili (sw)`.
    pub fn language_choice(&self, code: &str) -> String {
        match self.autonym(code) {
            Some(autonym) => format!("{autonym} ({code})"),
            None => code.to_owned(),
        }
    }

    /// The code of a language as a person typed or picked it: a code (`sw`), a choice as
    /// [`I18n::language_choice`] writes it, or the language's name in itself in any case and
    /// with or without accents (`kiswahili`, `العربية`, `espanol`).
    pub fn language_code_for(&self, typed: &str) -> Option<String> {
        let typed = typed.trim();
        let code = typed
            .strip_suffix(')')
            .and_then(|t| t.rsplit_once(" ("))
            .map_or(typed, |(_, code)| code)
            .to_ascii_lowercase();
        if self.languages.contains_key(&code) {
            return Some(code);
        }
        self.by_autonym.get(&fold(typed)).cloned()
    }

    /// The language's name in itself ("العربية" for `ar`).
    pub fn autonym(&self, code: &str) -> Option<&str> {
        self.languages.get(code).map(|l| l.autonym.as_str())
    }

    pub fn dir(&self, code: &str) -> &'static str {
        if self.is_rtl(code) { "rtl" } else { "ltr" }
    }

    #[cfg(test)]
    fn keys(&self, code: &str) -> Vec<&str> {
        self.catalogs[code]
            .messages
            .keys()
            .map(String::as_str)
            .collect()
    }
}

/// Sorts `items` by their names as readers of `lang` sort them (collation, not code order:
/// `Émilie` beside `Emma`, Arabic in its alphabet's order, Chinese by its script's order).
pub fn sort_by_name<T>(lang: &'static str, items: &mut [T], name: impl Fn(&T) -> &str) {
    let order = name_order(lang);
    items.sort_by(|a, b| order(name(a), name(b)));
}

/// How readers of `lang` order two names.
pub fn name_order(lang: &'static str) -> impl Fn(&str, &str) -> std::cmp::Ordering {
    let collator = collator(lang);
    move |a, b| collator.compare(a, b)
}

/// The collator of a shipped language, made once: languages are few and collators are
/// needed on every page that lists names.
fn collator(lang: &'static str) -> &'static CollatorBorrowed<'static> {
    use std::sync::OnceLock;

    use parking_lot::Mutex;
    static COLLATORS: OnceLock<Mutex<HashMap<&'static str, &'static CollatorBorrowed<'static>>>> =
        OnceLock::new();
    let mut collators = COLLATORS.get_or_init(Default::default).lock();
    collators.entry(lang).or_insert_with(|| {
        let locale: Locale = lang.parse().unwrap_or(Locale::UNKNOWN);
        let collator = Collator::try_new((&locale).into(), CollatorOptions::default())
            .or_else(|_| Collator::try_new(Default::default(), CollatorOptions::default()))
            .expect("the root collation is compiled in");
        Box::leak(Box::new(collator))
    })
}

/// [`fallback_chain`], computed once per language: labels are looked up thousands of times per
/// request. Each thread remembers the last chain it used, so those lookups do not all queue
/// for the shared cache's lock.
pub fn chain(code: &str) -> std::sync::Arc<[String]> {
    use std::cell::RefCell;
    use std::sync::Arc;
    thread_local! {
        static LAST: RefCell<Option<(String, Arc<[String]>)>> = const { RefCell::new(None) };
    }
    if let Some(found) = LAST.with_borrow(|last| {
        last.as_ref()
            .filter(|(c, _)| c == code)
            .map(|(_, chain)| chain.clone())
    }) {
        return found;
    }
    let found = shared_chain(code);
    LAST.set(Some((code.to_owned(), found.clone())));
    found
}

fn shared_chain(code: &str) -> std::sync::Arc<[String]> {
    use std::sync::{Arc, OnceLock};

    use parking_lot::Mutex;
    static CHAINS: OnceLock<Mutex<HashMap<String, Arc<[String]>>>> = OnceLock::new();
    let chains = CHAINS.get_or_init(Default::default);
    let mut chains = chains.lock();
    if let Some(found) = chains.get(code) {
        return found.clone();
    }
    let computed: Arc<[String]> = fallback_chain(code).into();
    // Codes come from requests: keep the cache bounded.
    if chains.len() < 1000 {
        chains.insert(code.to_owned(), computed.clone());
    }
    computed
}

/// `code`, then MediaWiki's explicit fallbacks, then the code without its last subtags, then
/// English: `de-at` → `de` → `en`; `pt` → `pt-br` → `en`.
pub fn fallback_chain(code: &str) -> Vec<String> {
    let mut chain: Vec<String> = Vec::new();
    let mut push = |c: &str| {
        if !chain.iter().any(|x| x == c) {
            chain.push(c.to_owned());
        }
    };
    let code = code.trim().to_ascii_lowercase().replace('_', "-");
    let mut current = code.as_str();
    loop {
        push(current);
        if let Some((_, more)) = FALLBACKS.iter().find(|(c, _)| *c == current) {
            more.iter().for_each(|c| push(c));
        }
        match current.rsplit_once('-') {
            Some((shorter, _)) => current = shorter,
            None => break,
        }
    }
    push(DEFAULT_LANGUAGE);
    chain
}

/// Language tags of an Accept-Language header, best first (`fr-CH, fr;q=0.9, *;q=0.5`).
fn parse_accept_language(header: &str) -> Vec<String> {
    let mut tags: Vec<(f32, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (!tag.is_empty() && tag != "*" && q > 0.0).then(|| (q, i, tag.to_owned()))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.into_iter().map(|(_, _, tag)| tag).collect()
}

fn parse_language_data(json: &str) -> anyhow::Result<HashMap<String, LanguageInfo>> {
    #[derive(serde::Deserialize)]
    struct Data {
        languages: HashMap<String, Vec<serde_json::Value>>,
        rtlscripts: Vec<String>,
    }
    let data: Data = serde_json::from_str(json).context("language-data.json")?;
    let entry = |code: &str| -> Option<LanguageInfo> {
        let mut fields = data.languages.get(code)?;
        // A one-element entry redirects to another code (`sr` → `sr-cyrl`).
        if fields.len() == 1 {
            fields = data.languages.get(fields[0].as_str()?)?;
        }
        let script = fields.first()?.as_str()?;
        Some(LanguageInfo {
            autonym: fields.get(2)?.as_str()?.to_owned(),
            rtl: data.rtlscripts.iter().any(|s| s == script),
            regions: fields
                .get(1)?
                .as_array()?
                .iter()
                .filter_map(|r| Some(r.as_str()?.to_owned()))
                .collect(),
        })
    };
    Ok(data
        .languages
        .keys()
        .filter_map(|code| Some((code.clone(), entry(code)?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static I18N: LazyLock<I18n> = LazyLock::new(|| I18n::load().unwrap());

    #[test]
    fn a_language_is_offered_once_its_file_covers_most_messages() {
        let english = r#"{"a": "One", "b": "Two", "c": "Three", "d": "Four", "e": "Five"}"#;
        let swahili = r#"{"a": "Moja", "b": "Mbili", "c": "Tatu", "d": "Nne"}"#;
        let hausa = r#"{"a": "Ɗaya"}"#;
        let i = I18n::from_files(&[("en", english), ("sw", swahili), ("ha", hausa)]).unwrap();
        let listed: Vec<&str> = i.ui_languages().iter().map(|l| l.code).collect();
        assert_eq!(
            listed,
            ["en", "sw"],
            "four fifths is enough to be listed, one fifth is not"
        );
        assert_eq!(i.text("ha", "a", &[]), "Ɗaya", "what a file has is served");
        assert_eq!(
            i.text("ha", "b", &[]),
            "Two",
            "the rest comes from its fallbacks"
        );
        assert_eq!(i.negotiate(None, None, Some("ha")), "ha");
    }

    #[test]
    fn fallback_chains_follow_mediawiki() {
        assert_eq!(fallback_chain("de-AT"), ["de-at", "de", "en"]);
        assert_eq!(fallback_chain("pt"), ["pt", "pt-br", "en"]);
        assert_eq!(fallback_chain("pt-br"), ["pt-br", "pt", "en"]);
        assert_eq!(fallback_chain("arz"), ["arz", "ar", "en"]);
        assert_eq!(fallback_chain("zh-CN"), ["zh-cn", "zh-hans", "zh", "en"]);
        assert_eq!(
            I18N.negotiate(None, None, Some("zh-CN,zh;q=0.9")),
            "zh-hans"
        );
        assert_eq!(I18N.negotiate(None, None, Some("zh")), "zh-hans");
        // Communities whose language cxc does not speak yet read the one MediaWiki falls
        // back to, not English.
        for (asked, served) in [("jv", "id"), ("bho", "hi"), ("mzn", "fa"), ("ba", "ru")] {
            assert_eq!(I18N.negotiate(None, None, Some(asked)), served, "{asked}");
        }
        assert_eq!(fallback_chain("rue"), ["rue", "uk", "ru", "en"]);
    }

    #[test]
    fn names_sort_as_their_readers_sort_them() {
        let mut names = vec!["Zambia", "Émilie", "Emma", "eel", "Ärzte", "Azure"];
        sort_by_name("en", &mut names, |n| n);
        assert_eq!(names, ["Ärzte", "Azure", "eel", "Émilie", "Emma", "Zambia"]);
        let mut names = vec!["ياسمين", "باسم", "أحمد", "تامر"];
        sort_by_name("ar", &mut names, |n| n);
        assert_eq!(names, ["أحمد", "باسم", "تامر", "ياسمين"]);
    }

    #[test]
    fn a_language_is_found_by_its_code_or_its_own_name() {
        let i = &*I18N;
        assert_eq!(i.language_choice("sw"), "Kiswahili (sw)");
        for typed in ["sw", "SW", " Kiswahili (sw) ", "kiswahili", "KISWAHILI"] {
            assert_eq!(i.language_code_for(typed).as_deref(), Some("sw"), "{typed}");
        }
        assert_eq!(i.language_code_for("العربية").as_deref(), Some("ar"));
        assert_eq!(i.language_code_for("espanol").as_deref(), Some("es"));
        assert_eq!(i.language_code_for("Español").as_deref(), Some("es"));
        assert_eq!(i.language_code_for("हिन्दी").as_deref(), Some("hi"));
        assert_eq!(i.language_code_for("Klingonish"), None);
        assert_eq!(i.language_code_for(""), None);
    }

    #[test]
    fn the_chooser_groups_languages_by_where_they_are_spoken() {
        let groups = I18N.language_groups();
        let regions: Vec<&str> = groups.iter().map(|g| g.region.as_str()).collect();
        assert_eq!(regions[0], "ww", "worldwide languages come first");
        let in_region = |region: &str, code: &str| {
            groups
                .iter()
                .any(|g| g.region == region && g.languages.iter().any(|l| l.code == code))
        };
        assert!(in_region("af", "sw") && in_region("as", "hi") && in_region("me", "ar"));
        assert!(!in_region("eu", "sw"));
        for language in I18N.ui_languages() {
            assert!(
                groups
                    .iter()
                    .any(|g| g.languages.iter().any(|l| l.code == language.code)),
                "{} is in some region",
                language.code
            );
        }
    }

    #[test]
    fn negotiation_order_is_uselang_cookie_header() {
        let i = &*I18N;
        assert_eq!(i.negotiate(Some("fr"), Some("es"), Some("ar")), "fr");
        assert_eq!(i.negotiate(None, Some("es"), Some("ar")), "es");
        assert_eq!(
            i.negotiate(None, None, Some("de-CH, ar;q=0.8, fr;q=0.9")),
            "fr"
        );
        assert_eq!(i.negotiate(Some("zz"), None, Some("pt-PT")), "pt-br");
        assert_eq!(i.negotiate(None, None, Some("es-MX,es;q=0.9")), "es");
        assert_eq!(i.negotiate(None, None, None), "en");
    }

    #[test]
    fn directions_come_from_the_script() {
        let i = &*I18N;
        for rtl in ["ar", "he", "fa", "ur", "dv", "yi", "ckb", "arz"] {
            assert_eq!(i.dir(rtl), "rtl", "{rtl}");
        }
        for ltr in ["en", "fr", "pt-br", "zh", "hi", "sr"] {
            assert_eq!(i.dir(ltr), "ltr", "{ltr}");
        }
        assert_eq!(i.autonym("ar"), Some("العربية"));
        assert_eq!(i.autonym("pt-br"), Some("português do Brasil"));
    }

    #[test]
    fn missing_messages_fall_back_then_show_their_key() {
        let i = &*I18N;
        assert_eq!(
            i.text("de", "cxc-nav-home", &[]),
            i.text("en", "cxc-nav-home", &[])
        );
        assert_eq!(i.text("en", "cxc-no-such-key", &[]), "⧼cxc-no-such-key⧽");
    }

    #[test]
    fn every_shipped_catalog_is_loaded() {
        let i = &*I18N;
        assert_eq!(i.ui_languages().len(), SHIPPED.len());
        assert!(i.keys("en").len() > 50);
    }
}
