//! Reading records into the database: validated by the same drafts as the forms, written in
//! one transaction, with the change log told once.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use anyhow::Context;
use cxc_core::{FieldError, Taxonomy, Username};

use super::{CapacityRecord, OrganizationRecord, ProfileRecord, Record, content_hash};
use crate::db::catalog;
use crate::db::profiles::{self, KeyIds};
use crate::db::{Db, accounts};
use crate::directory::Directory;
use crate::i18n::I18n;
use crate::reference::{Reference, project_family, timezone_exists};

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportReport {
    pub capacities: usize,
    pub organizations: usize,
    pub profiles: usize,
    pub unchanged: usize,
}

/// Keys known so far: in the database, and earlier in this import.
struct Known<'a> {
    capacities: HashMap<String, i64>,
    /// Every capacity's place in the tree, retired ones included, so that a record may name
    /// any stored parent.
    taxonomy: Taxonomy,
    organizations: HashMap<String, i64>,
    accounts: HashMap<String, i64>,
    reference: &'a Reference,
    i18n: &'a I18n,
}

impl KeyIds for Known<'_> {
    fn capacity_id(&self, key: &str) -> Option<i64> {
        self.capacities.get(key).copied()
    }
    fn organization_id(&self, key: &str) -> Option<i64> {
        self.organizations.get(key).copied()
    }
}

impl cxc_core::profile::Reference for Known<'_> {
    fn capacity_exists(&self, key: &str) -> bool {
        self.capacities.contains_key(key)
    }
    fn language_exists(&self, code: &str) -> bool {
        self.i18n.language_known(code)
    }
    fn region_of(&self, country: &str) -> Option<cxc_core::Region> {
        self.reference.region_of(country)
    }
    fn organization_exists(&self, key: &str) -> bool {
        self.organizations.contains_key(key)
    }
    fn project_exists(&self, code: &str) -> bool {
        project_family(code, self.i18n).is_some()
    }
    fn timezone_exists(&self, name: &str) -> bool {
        timezone_exists(name)
    }
}

/// The taxonomy that ships with cxc, loaded into an empty database.
const DEFAULT_TAXONOMY: &str = include_str!("../../../../taxonomy/default.jsonl");

/// A named source of records: a file, or the embedded default taxonomy.
pub type Source = (String, Box<dyn BufRead + Send>);

pub fn open_file(path: &Path) -> anyhow::Result<Source> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok((
        path.display().to_string(),
        Box::new(std::io::BufReader::new(file)),
    ))
}

/// The tree of every stored capacity. The directory lists parents before children.
fn stored_shape(directory: &Directory) -> Taxonomy {
    let mut taxonomy = Taxonomy::default();
    for c in directory.capacities() {
        // A stored tree is already valid; a capacity under a missing parent cannot be named.
        let _ = taxonomy.insert(&c.key, c.parent.as_deref());
    }
    taxonomy
}

/// Imports sources in order, in one transaction: any bad line leaves the database as it was,
/// and the error names the file, the line and what is wrong. `progress` is told about every
/// line read.
pub async fn import(
    db: &Db,
    reference: &Reference,
    i18n: &I18n,
    sources: Vec<Source>,
    progress: &dyn Fn(u64),
) -> anyhow::Result<ImportReport> {
    let directory = catalog::load_directory(db.pool()).await?;
    let mut known = Known {
        capacities: directory
            .capacities()
            .iter()
            .map(|c| (c.key.clone(), c.id))
            .collect(),
        taxonomy: stored_shape(&directory),
        organizations: directory
            .organizations()
            .iter()
            .map(|o| (o.key.clone(), o.id))
            .collect(),
        accounts: accounts::list(db)
            .await?
            .into_iter()
            .map(|a| (Username::key_of(&a.username), a.id))
            .collect(),
        reference,
        i18n,
    };
    let capacity_hashes = catalog::capacity_hashes(db.pool()).await?;
    let organization_hashes = catalog::organization_hashes(db.pool()).await?;
    let profile_hashes = profiles::hashes(db.pool()).await?;
    let mut report = ImportReport::default();
    let mut pending: Vec<Pending> = Vec::with_capacity(BATCH);
    let mut tx = db.begin_write().await?;
    for (name, reader) in sources {
        for (n, line) in reader.lines().enumerate() {
            let line = line.with_context(|| format!("{name}:{}: cannot read", n + 1))?;
            progress(1);
            if line.trim().is_empty() {
                continue;
            }
            let at = || format!("{name}:{}", n + 1);
            let record: Record = serde_json::from_str(&line)
                .map_err(|e| anyhow::anyhow!("{}: not a valid record: {e}", at()))?;
            let hash = content_hash(&record);
            if !matches!(record, Record::Profile(_)) && !pending.is_empty() {
                // Profiles before this line may refer to nothing after it: write them now.
                flush(&mut tx, &mut known, &mut pending).await?;
            }
            match &record {
                Record::Capacity(c) => {
                    if capacity_hashes.get(&c.key) == Some(&hash) {
                        report.unchanged += 1;
                        continue;
                    }
                    import_capacity(&mut tx, &mut known, c, &hash)
                        .await
                        .map_err(|e| anyhow::anyhow!("{}: capacity {:?}: {e}", at(), c.key))?;
                    report.capacities += 1;
                }
                Record::Organization(o) => {
                    if organization_hashes.get(&o.key) == Some(&hash) {
                        report.unchanged += 1;
                        continue;
                    }
                    import_organization(&mut tx, &mut known, o, &hash)
                        .await
                        .map_err(|e| anyhow::anyhow!("{}: organization {:?}: {e}", at(), o.key))?;
                    report.organizations += 1;
                }
                Record::Profile(p) => {
                    if profile_hashes.get(&Username::key_of(&p.username)) == Some(&hash) {
                        report.unchanged += 1;
                        continue;
                    }
                    let checked = check_profile(&known, p, &hash)
                        .map_err(|e| anyhow::anyhow!("{}: profile {:?}: {e}", at(), p.username))?;
                    // The same person twice in a batch: the later line wins, after the earlier.
                    if pending.iter().any(|x| x.key == checked.key) {
                        flush(&mut tx, &mut known, &mut pending).await?;
                    }
                    pending.push(checked);
                    if pending.len() >= BATCH {
                        flush(&mut tx, &mut known, &mut pending).await?;
                    }
                    report.profiles += 1;
                }
            }
        }
    }
    flush(&mut tx, &mut known, &mut pending).await?;
    if report.profiles > 0 {
        // One entry for the whole import: other instances rebuild rather than replay it.
        catalog::log_change(&mut tx, catalog::ChangeKind::Import, "*").await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Field errors of a draft as one line of English, for the import's error message.
fn describe(errors: &[FieldError], i18n: &I18n) -> anyhow::Error {
    let text: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, i18n.text("en", e.key, &[])))
        .collect();
    anyhow::anyhow!(text.join("; "))
}

async fn import_capacity(
    tx: &mut crate::db::Tx,
    known: &mut Known<'_>,
    c: &CapacityRecord,
    hash: &str,
) -> anyhow::Result<()> {
    let capacity = c
        .draft()
        .validate(&*known, &known.taxonomy)
        .map_err(|errors| describe(&errors, known.i18n))?;
    let id = catalog::save_capacity(tx, &capacity, &*known, Some(hash)).await?;
    known
        .taxonomy
        .place(&capacity.key, capacity.parent.as_deref())
        .map_err(|e| anyhow::anyhow!(known.i18n.text("en", e.0, &[])))?;
    known.capacities.insert(capacity.key.clone(), id);
    if let Some(status) = &c.status {
        let target = match (status.as_str(), &c.merged_into) {
            ("retired", _) => None,
            ("merged", Some(t)) => Some(
                known
                    .capacity_id(t)
                    .ok_or_else(|| anyhow::anyhow!("merged into an unknown capacity {t:?}"))?,
            ),
            _ => anyhow::bail!("status must be \"retired\", or \"merged\" with merged_into"),
        };
        catalog::set_status(tx, id, status, target).await?;
    }
    Ok(())
}

async fn import_organization(
    tx: &mut crate::db::Tx,
    known: &mut Known<'_>,
    o: &OrganizationRecord,
    hash: &str,
) -> anyhow::Result<()> {
    let organization = o
        .draft()
        .map_err(|e| anyhow::anyhow!(e))?
        .validate(&*known)
        .map_err(|errors| describe(&errors, known.i18n))?;
    let id = catalog::save_organization(tx, &organization, &*known, Some(hash)).await?;
    known.organizations.insert(organization.key, id);
    Ok(())
}

/// A validated profile waiting to be written with others.
struct Pending {
    key: String,
    username: Username,
    profile: cxc_core::profile::Profile,
    hash: String,
}

/// How many profiles are written together.
const BATCH: usize = 500;

fn check_profile(known: &Known<'_>, p: &ProfileRecord, hash: &str) -> anyhow::Result<Pending> {
    let username = Username::parse(&p.username)
        .map_err(|e| anyhow::anyhow!("username: {}", known.i18n.text("en", e.0, &[])))?;
    let draft = p.draft().map_err(|e| anyhow::anyhow!(e))?;
    let profile = draft
        .validate(known)
        .map_err(|errors| describe(&errors, known.i18n))?;
    Ok(Pending {
        key: username.key(),
        username,
        profile,
        hash: hash.to_owned(),
    })
}

/// Writes pending profiles: new accounts first, then the profiles, in a few statements.
async fn flush(
    tx: &mut crate::db::Tx,
    known: &mut Known<'_>,
    pending: &mut Vec<Pending>,
) -> anyhow::Result<()> {
    let new: Vec<&Username> = pending
        .iter()
        .filter(|p| !known.accounts.contains_key(&p.key))
        .map(|p| &p.username)
        .collect();
    let created = accounts::create_many_in(tx, &new).await?;
    let fresh: std::collections::HashSet<i64> = created.iter().map(|(_, id)| *id).collect();
    known.accounts.extend(created);
    let writes: Vec<profiles::Write> = pending
        .iter()
        .map(|p| {
            let account_id = known.accounts[&p.key];
            profiles::Write {
                account_id,
                profile: &p.profile,
                content_hash: Some(&p.hash),
                origin: if fresh.contains(&account_id) {
                    profiles::Origin::ImportNew
                } else {
                    profiles::Origin::ImportUpdate
                },
            }
        })
        .collect();
    profiles::save_many(tx, &writes, &*known).await?;
    pending.clear();
    Ok(())
}

/// Loads the taxonomy that ships with cxc into a database that has none.
pub async fn load_default_taxonomy(
    db: &Db,
    reference: &Reference,
    i18n: &I18n,
) -> anyhow::Result<bool> {
    let has_capacities: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM capacities")
        .fetch_one(db.pool())
        .await?;
    if has_capacities > 0 {
        return Ok(false);
    }
    let source: Source = (
        "taxonomy/default.jsonl".to_owned(),
        Box::new(DEFAULT_TAXONOMY.as_bytes()),
    );
    import(db, reference, i18n, vec![source], &|_| {}).await?;
    Ok(true)
}
