//! The capacity picker that profile, organization and search forms share: one row per
//! capacity with its relations and details, read from and written to form fields.

use cxc_core::{CapacityEntry, Format, Method};

use crate::directory::Directory;
use crate::error::FieldError;

/// One capacity row of the edit form.
pub struct CapacityRow {
    pub key: String,
    pub label: String,
    pub known: bool,
    pub offered: bool,
    pub wanted: bool,
    pub level: String,
    pub methods: Vec<String>,
    pub formats: Vec<String>,
}

impl CapacityRow {
    pub fn has_method(&self, method: &str) -> bool {
        self.methods.iter().any(|m| m == method)
    }

    pub fn has_format(&self, format: &str) -> bool {
        self.formats.iter().any(|f| f == format)
    }
}

/// One row per capacity held in any relation, for an edit form.
pub fn capacity_rows(
    known: &[CapacityEntry],
    offered: &[CapacityEntry],
    wanted: &[CapacityEntry],
    directory: &Directory,
    lang: &str,
) -> Vec<CapacityRow> {
    let mut rows: Vec<CapacityRow> = Vec::new();
    let mut row = |e: &CapacityEntry, set: &dyn Fn(&mut CapacityRow)| {
        let existing = rows.iter_mut().position(|r| r.key == e.capacity);
        let i = existing.unwrap_or_else(|| {
            rows.push(CapacityRow {
                key: e.capacity.clone(),
                label: directory
                    .capacity(&e.capacity)
                    .map_or(e.capacity.as_str(), |c| c.label(lang))
                    .to_owned(),
                known: false,
                offered: false,
                wanted: false,
                level: String::new(),
                methods: Vec::new(),
                formats: Vec::new(),
            });
            rows.len() - 1
        });
        let r = &mut rows[i];
        set(r);
        if let Some(l) = e.level {
            r.level = l.to_string();
        }
        for m in &e.methods {
            if !r.methods.iter().any(|x| x == m.as_str()) {
                r.methods.push(m.as_str().to_owned());
            }
        }
        for f in &e.formats {
            if !r.formats.iter().any(|x| x == f.as_str()) {
                r.formats.push(f.as_str().to_owned());
            }
        }
    };
    for e in known {
        row(e, &|r| r.known = true);
    }
    for e in offered {
        row(e, &|r| r.offered = true);
    }
    for e in wanted {
        row(e, &|r| r.wanted = true);
    }
    rows
}

/// Capacity rows of a submitted form: `cap` names each row's capacity, `rel_KEY`, `level_KEY`,
/// `method_KEY` and `format_KEY` its details; `new_cap` with `rel_new` adds one.
pub fn capacity_rows_from_pairs(
    pairs: &[(String, String)],
    directory: &Directory,
    lang: &str,
) -> Vec<CapacityRow> {
    let one = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let all = |name: &str| {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let mut keys = all("cap");
    // Several capacities can be added at once, all with the relations ticked for new ones; one
    // already listed keeps its own.
    let mut added: Vec<String> = Vec::new();
    for key in all("new_cap") {
        if !key.is_empty() && !keys.contains(&key) && !added.contains(&key) {
            added.push(key);
        }
    }
    keys.extend(added.iter().cloned());
    keys.into_iter()
        .map(|key| {
            let rel = if added.contains(&key) {
                all("rel_new")
            } else {
                all(&format!("rel_{key}"))
            };
            CapacityRow {
                label: directory
                    .capacity(&key)
                    .map_or(key.as_str(), |c| c.label(lang))
                    .to_owned(),
                known: rel.iter().any(|r| r == "known"),
                offered: rel.iter().any(|r| r == "offered"),
                wanted: rel.iter().any(|r| r == "wanted"),
                level: one(&format!("level_{key}")),
                methods: all(&format!("method_{key}")),
                formats: all(&format!("format_{key}")),
                key,
            }
        })
        .collect()
}

/// The known, offered and wanted entries of capacity rows; offering implies knowing.
pub fn entries_from_rows(
    rows: &[CapacityRow],
) -> (
    Vec<CapacityEntry>,
    Vec<CapacityEntry>,
    Vec<CapacityEntry>,
    Vec<FieldError>,
) {
    let mut errors = Vec::new();
    let mut known = Vec::new();
    let mut offered = Vec::new();
    let mut wanted = Vec::new();
    for row in rows {
        let level = match row.level.trim() {
            "" => None,
            l => match l.parse::<u8>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(FieldError {
                        field: format!("level_{}", row.key),
                        key: "cxc-error-invalid-level",
                    });
                    None
                }
            },
        };
        let methods: Vec<Method> = row
            .methods
            .iter()
            .filter_map(|m| Method::parse(m))
            .collect();
        let formats: Vec<Format> = row
            .formats
            .iter()
            .filter_map(|f| Format::parse(f))
            .collect();
        if row.known || row.offered {
            known.push(CapacityEntry {
                level,
                ..CapacityEntry::new(row.key.clone())
            });
        }
        if row.offered {
            offered.push(CapacityEntry {
                capacity: row.key.clone(),
                level: None,
                methods: methods.clone(),
                formats: formats.clone(),
            });
        }
        if row.wanted {
            wanted.push(CapacityEntry {
                capacity: row.key.clone(),
                level: None,
                methods,
                formats,
            });
        }
    }
    (known, offered, wanted, errors)
}

/// Capacities grouped by area, indented by depth, for pickers.
pub fn capacity_groups(directory: &Directory, lang: &str) -> Vec<(String, Vec<(String, String)>)> {
    let taxonomy = directory.taxonomy();
    taxonomy
        .roots()
        .into_iter()
        .filter_map(|area| {
            let a = directory.capacity(area)?;
            let mut items = Vec::new();
            for key in taxonomy.subtree(area) {
                let c = directory.capacity(key)?;
                let indent =
                    "\u{a0}\u{a0}".repeat(taxonomy.depth(key).unwrap_or(1).saturating_sub(1));
                items.push((key.to_owned(), format!("{indent}{}", c.label(lang))));
            }
            Some((a.label(lang).to_owned(), items))
        })
        .collect()
}
