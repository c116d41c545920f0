//! The taxonomy's labels and descriptions as a Banana message group, the format translatewiki.net
//! carries: one JSON file per language (`en.json` the source, `qqq.json` saying what each
//! message is), keys `cxc-capacity-label-KEY` and `cxc-capacity-description-KEY`. Importing a
//! group writes its translations through the same import as capacity records.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde_json::{Map, Value, json};

use super::{CapacityRecord, Record, Source, import};
use crate::db::{Db, catalog};
use crate::i18n::I18n;
use crate::reference::Reference;

const LABEL: &str = "cxc-capacity-label-";
const DESCRIPTION: &str = "cxc-capacity-description-";

/// The message group of the active capacities: by language code, its file's messages.
pub fn group(records: &[CapacityRecord]) -> BTreeMap<String, Map<String, Value>> {
    let mut files: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let english = |r: &CapacityRecord| r.labels.get("en").cloned().unwrap_or_default();
    let label_of = |key: &str| {
        records
            .iter()
            .find(|r| r.key == key)
            .map(english)
            .unwrap_or_default()
    };
    for r in records.iter().filter(|r| r.status.is_none()) {
        for (lang, label) in &r.labels {
            files
                .entry(lang.clone())
                .or_default()
                .insert(format!("{LABEL}{}", r.key), json!(label));
        }
        for (lang, description) in &r.descriptions {
            files
                .entry(lang.clone())
                .or_default()
                .insert(format!("{DESCRIPTION}{}", r.key), json!(description));
        }
        let place = match &r.parent {
            Some(parent) => format!(" It is part of \"{}\".", label_of(parent)),
            None => " It is one of the taxonomy's top-level areas.".to_owned(),
        };
        let doc = files.entry("qqq".to_owned()).or_default();
        doc.insert(
            format!("{LABEL}{}", r.key),
            json!(format!(
                "The name of a capacity (a skill or area of knowledge) in the Capacity Exchange taxonomy: \"{}\".{place} Shown in profiles, search filters and the map; keep it short.",
                english(r)
            )),
        );
        if r.descriptions.contains_key("en") {
            doc.insert(
                format!("{DESCRIPTION}{}", r.key),
                json!(format!(
                    "The description of the capacity \"{}\", shown on its page and in pickers.",
                    english(r)
                )),
            );
        }
    }
    for messages in files.values_mut() {
        messages.insert("@metadata".to_owned(), json!({"authors": []}));
    }
    files
}

/// Writes the message group of the database's taxonomy into `dir`; returns the files written.
pub async fn export(db: &Db, dir: &Path) -> anyhow::Result<usize> {
    let directory = catalog::load_directory(db.pool()).await?;
    let files = group(&super::capacity_records(&directory));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (lang, messages) in &files {
        let path = dir.join(format!("{lang}.json"));
        let mut text = serde_json::to_string_pretty(messages)?;
        text.push('\n');
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(files.len())
}

/// The capacity records that carry a group's translations: every active capacity whose texts
/// the files change, with the files' labels and descriptions over its own. A message for a
/// capacity that is not there, or a file not named by a known language, is an error naming it.
pub fn translated(
    records: &[CapacityRecord],
    files: &BTreeMap<String, Map<String, Value>>,
    i18n: &I18n,
) -> anyhow::Result<Vec<CapacityRecord>> {
    let mut changed: BTreeMap<String, CapacityRecord> = BTreeMap::new();
    for (lang, messages) in files.iter().filter(|(lang, _)| *lang != "qqq") {
        anyhow::ensure!(
            i18n.language_known(lang),
            "{lang}.json: {lang:?} is not a language code Wikimedia knows"
        );
        for (key, value) in messages.iter().filter(|(k, _)| *k != "@metadata") {
            let text = value
                .as_str()
                .with_context(|| format!("{lang}.json: {key} is not a string"))?
                .trim();
            let (capacity, is_label) =
                match (key.strip_prefix(LABEL), key.strip_prefix(DESCRIPTION)) {
                    (Some(c), _) => (c, true),
                    (_, Some(c)) => (c, false),
                    _ => anyhow::bail!("{lang}.json: {key} is not a capacity message"),
                };
            let record = records
                .iter()
                .find(|r| r.key == capacity && r.status.is_none())
                .with_context(|| format!("{lang}.json: {key} names no active capacity"))?;
            // An empty message is one not translated yet.
            if text.is_empty() {
                continue;
            }
            let entry = changed
                .entry(capacity.to_owned())
                .or_insert_with(|| record.clone());
            let texts = if is_label {
                &mut entry.labels
            } else {
                &mut entry.descriptions
            };
            texts.insert(lang.clone(), text.to_owned());
        }
    }
    Ok(changed.into_values().collect())
}

/// What a message import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessagesReport {
    pub files: usize,
    /// Capacities whose texts changed.
    pub capacities: usize,
}

/// Reads every `*.json` of `dir` and writes the translations, all or nothing, through the
/// import of capacity records (so the same checks apply, and unchanged capacities are left).
pub async fn import_group(
    db: &Db,
    reference: &Reference,
    i18n: &I18n,
    dir: &Path,
) -> anyhow::Result<MessagesReport> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let Some(lang) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let messages: Map<String, Value> = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a Banana message file", path.display()))?;
        files.insert(lang.to_owned(), messages);
    }
    let directory = catalog::load_directory(db.pool()).await?;
    let records = translated(&super::capacity_records(&directory), &files, i18n)?;
    let mut lines = Vec::new();
    for record in records {
        serde_json::to_writer(&mut lines, &Record::Capacity(record))?;
        lines.push(b'\n');
    }
    let source: Source = (
        dir.display().to_string(),
        Box::new(std::io::Cursor::new(lines)),
    );
    let report = import(db, reference, i18n, vec![source], &|_| {}).await?;
    Ok(MessagesReport {
        files: files.len(),
        capacities: report.capacities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, parent: Option<&str>, labels: &[(&str, &str)]) -> CapacityRecord {
        CapacityRecord {
            key: key.to_owned(),
            parent: parent.map(str::to_owned),
            labels: labels
                .iter()
                .map(|(l, t)| ((*l).to_owned(), (*t).to_owned()))
                .collect(),
            descriptions: [("en".to_owned(), format!("About {key}"))].into(),
            qid: None,
            status: None,
            merged_into: None,
        }
    }

    #[test]
    fn a_group_has_a_file_per_language_and_documents_every_message() {
        let records = [
            record("tech", None, &[("en", "Technology"), ("sw", "Teknolojia")]),
            record("bots", Some("tech"), &[("en", "Bots")]),
        ];
        let files = group(&records);
        assert_eq!(files.keys().collect::<Vec<_>>(), ["en", "qqq", "sw"]);
        assert_eq!(files["sw"]["cxc-capacity-label-tech"], "Teknolojia");
        assert!(!files["sw"].contains_key("cxc-capacity-label-bots"));
        assert_eq!(files["en"]["cxc-capacity-description-bots"], "About bots");
        let doc = files["qqq"]["cxc-capacity-label-bots"].as_str().unwrap();
        assert!(
            doc.contains("\"Bots\"") && doc.contains("part of \"Technology\""),
            "{doc}"
        );
        let documented: Vec<&String> = files["qqq"].keys().collect();
        let english: Vec<&String> = files["en"].keys().collect();
        assert_eq!(documented, english, "every English message is documented");
    }

    #[test]
    fn translations_read_back_onto_their_capacities() {
        let i18n = I18n::load().unwrap();
        let records = [record("tech", None, &[("en", "Technology")])];
        let mut files = group(&records);
        files.entry("ha".to_owned()).or_default().extend([
            ("cxc-capacity-label-tech".to_owned(), json!(" Fasaha ")),
            ("cxc-capacity-description-tech".to_owned(), json!("")),
        ]);
        let changed = translated(&records, &files, &i18n).unwrap();
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].labels["ha"], "Fasaha");
        assert_eq!(
            changed[0].labels["en"], "Technology",
            "other languages stay"
        );
        assert!(
            !changed[0].descriptions.contains_key("ha"),
            "an empty message is not a translation"
        );

        files
            .get_mut("ha")
            .unwrap()
            .insert("cxc-capacity-label-nothing".to_owned(), json!("x"));
        let error = translated(&records, &files, &i18n).unwrap_err().to_string();
        assert!(
            error.contains("ha.json") && error.contains("cxc-capacity-label-nothing"),
            "{error}"
        );
        let mut odd = BTreeMap::new();
        odd.insert("klingon".to_owned(), Map::new());
        assert!(
            translated(&records, &odd, &i18n).is_err(),
            "a file must be named by a language"
        );
    }
}
