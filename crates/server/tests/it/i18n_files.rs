//! The message files: documented, complete, with the same placeholders as English; and no
//! user-visible English in templates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every translation: each `i18n/<code>.json` but English and the documentation.
fn translations() -> Vec<String> {
    let mut codes: Vec<String> = std::fs::read_dir(root().join("i18n"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".json").map(str::to_owned)
        })
        .filter(|code| code != "en" && code != "qqq")
        .collect();
    codes.sort();
    codes
}

#[test]
fn every_message_file_is_a_language_cxc_speaks() {
    let i18n = cxc::i18n::I18n::load().unwrap();
    for code in translations() {
        assert_eq!(
            i18n.shipped_for(&code),
            Some(code.as_str()),
            "i18n/{code}.json is served without code changes"
        );
    }
}

fn messages(lang: &str) -> BTreeMap<String, String> {
    let path = root().join(format!("i18n/{lang}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut map: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let metadata = map.remove("@metadata").expect("@metadata");
    assert!(metadata["authors"].is_array(), "{lang}: @metadata.authors");
    map.into_iter()
        .map(|(k, v)| (k, v.as_str().expect("messages are strings").to_owned()))
        .collect()
}

fn placeholders(message: &str) -> BTreeSet<String> {
    let bytes = message.as_bytes();
    let mut found = BTreeSet::new();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'$' {
            let digits: String = message[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !digits.is_empty() {
                found.insert(format!("${digits}"));
            }
        }
    }
    found
}

#[test]
fn every_key_is_documented_in_qqq() {
    let en = messages("en");
    let qqq = messages("qqq");
    let undocumented: Vec<_> = en.keys().filter(|k| !qqq.contains_key(*k)).collect();
    assert!(
        undocumented.is_empty(),
        "keys without qqq documentation: {undocumented:?}"
    );
    let stale: Vec<_> = qqq.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        stale.is_empty(),
        "qqq documents keys en.json lacks: {stale:?}"
    );
    let empty: Vec<_> = qqq
        .iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(k, _)| k)
        .collect();
    assert!(empty.is_empty(), "empty documentation: {empty:?}");
}

#[test]
fn keys_follow_the_cxc_prefix() {
    for key in messages("en").keys() {
        assert!(key.starts_with("cxc-"), "{key}");
    }
}

#[test]
fn shipped_translations_are_complete_with_the_same_placeholders() {
    let en = messages("en");
    for lang in &translations() {
        let translated = messages(lang);
        let missing: Vec<_> = en.keys().filter(|k| !translated.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        let unknown: Vec<_> = translated.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(
            unknown.is_empty(),
            "{lang} has keys en.json lacks: {unknown:?}"
        );
        for (key, english) in &en {
            assert_eq!(
                placeholders(&translated[key]),
                placeholders(english),
                "{lang}/{key}: placeholders differ from English"
            );
        }
    }
}

#[test]
fn the_default_taxonomy_is_labelled_in_every_shipped_language() {
    let path = root().join("taxonomy/default.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut languages = translations();
    languages.push("en".to_owned());
    for line in text.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        for lang in &languages {
            for field in ["labels", "descriptions"] {
                let value = entry[field][lang.as_str()].as_str().unwrap_or_default();
                assert!(
                    !value.trim().is_empty(),
                    "{}: no {field} in {lang}",
                    entry["key"]
                );
            }
        }
    }
}

#[test]
fn templates_hold_no_hard_coded_text() {
    for path in crate::common::template_files() {
        let source = std::fs::read_to_string(&path).unwrap();
        let mut text = String::new();
        let mut rest = source.as_str();
        // Drop template expressions and tags; what stays is text a person would read.
        while !rest.is_empty() {
            let next = ["{{", "{%", "<"]
                .iter()
                .filter_map(|open| rest.find(open).map(|i| (i, *open)))
                .min();
            match next {
                Some((i, open)) => {
                    text.push_str(&rest[..i]);
                    let close = match open {
                        "{{" => "}}",
                        "{%" => "%}",
                        _ => ">",
                    };
                    let after = &rest[i + open.len()..];
                    let end = if open == "<" {
                        tag_end(after)
                    } else {
                        after.find(close).map(|e| e + close.len())
                    };
                    rest = &after[end.unwrap_or(after.len())..];
                }
                None => {
                    text.push_str(rest);
                    break;
                }
            }
        }
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
            .collect();
        let allowed = ["AGPL", "or", "later"];
        let stray: Vec<_> = words.iter().filter(|w| !allowed.contains(w)).collect();
        assert!(
            stray.is_empty(),
            "{}: hard-coded text {stray:?}",
            path.display()
        );
        for attribute in ["aria-label=\"", "title=\"", "alt=\"", "placeholder=\""] {
            for (i, _) in source.match_indices(attribute) {
                let value = &source[i + attribute.len()..];
                assert!(
                    value.starts_with("{{"),
                    "{}: {attribute}… must be a message",
                    path.display()
                );
            }
        }
    }
}

/// The end of a tag, skipping `>` inside template expressions in its attributes.
fn tag_end(after: &str) -> Option<usize> {
    let mut depth = 0;
    let bytes = after.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1).is_some_and(|b| *b == b'{' || *b == b'%') => depth += 1,
            b'}' | b'%' if bytes.get(i + 1) == Some(&b'}') && depth > 0 => depth -= 1,
            b'>' if depth == 0 => return Some(i + 1),
            _ => {}
        }
    }
    None
}
