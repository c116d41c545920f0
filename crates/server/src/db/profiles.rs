//! People's profiles, stored across one row and four lists.

use std::collections::BTreeMap;

use cxc_core::capacity::{join_codes, split_codes};
use cxc_core::profile::{Profile, format_date, parse_date};
use cxc_core::{CapacityEntry, Format, LanguageLevel, Method, Relation, Visibility};
use sqlx::Row;

use super::{Db, Tx, now};
use crate::directory::Directory;
use crate::error::AppError;

/// A profile with the account it belongs to.
#[derive(Debug, Clone)]
pub struct StoredProfile {
    pub account_id: i64,
    pub username: String,
    pub profile: Profile,
    pub updated_at: i64,
    /// A suspended person is out of search, matching and public pages until the suspension
    /// is lifted.
    pub suspended: bool,
}

/// Finds the database ids of capacity and organization keys.
pub trait KeyIds: Sync {
    fn capacity_id(&self, key: &str) -> Option<i64>;
    fn organization_id(&self, key: &str) -> Option<i64>;
}

impl KeyIds for Directory {
    fn capacity_id(&self, key: &str) -> Option<i64> {
        self.capacity(key).map(|c| c.id)
    }
    fn organization_id(&self, key: &str) -> Option<i64> {
        self.organization(key).map(|o| o.id)
    }
}

/// Where a profile write comes from, which decides what else it must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// An edit: logged for other instances, lists replaced.
    Edit,
    /// An import creating the profile: nothing to replace; the import logs itself once.
    ImportNew,
    /// An import updating the profile.
    ImportUpdate,
}

/// One profile to write.
pub struct Write<'a> {
    pub account_id: i64,
    pub profile: &'a Profile,
    pub content_hash: Option<&'a str>,
    pub origin: Origin,
}

/// Writes one whole profile: the row, and its lists replaced. Capacity and organization keys
/// must be known to `ids` (validation has checked them).
pub async fn save(
    tx: &mut Tx,
    account_id: i64,
    p: &Profile,
    ids: &dyn KeyIds,
    content_hash: Option<&str>,
    origin: Origin,
) -> Result<(), AppError> {
    save_many(
        tx,
        &[Write {
            account_id,
            profile: p,
            content_hash,
            origin,
        }],
        ids,
    )
    .await
}

/// Writes many profiles with a few multi-row statements per table, rather than a dozen
/// statements per profile: what makes importing a hundred thousand profiles quick.
pub async fn save_many(
    tx: &mut Tx,
    writes: &[Write<'_>],
    ids: &dyn KeyIds,
) -> Result<(), AppError> {
    if writes.is_empty() {
        return Ok(());
    }
    let now = now();
    for w in writes.iter().filter(|w| w.origin == Origin::Edit) {
        super::catalog::log_change(
            tx,
            super::catalog::ChangeKind::Profile,
            &w.account_id.to_string(),
        )
        .await?;
    }
    let replaced: Vec<Cell> = writes
        .iter()
        .filter(|w| w.origin != Origin::ImportNew)
        .map(|w| Cell::Int(w.account_id))
        .collect();
    for table in [
        "profile_languages",
        "profile_capacities",
        "profile_affiliations",
        "profile_projects",
    ] {
        for chunk in replaced.chunks(MAX_BINDS) {
            let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "DELETE FROM {table} WHERE account_id IN ({})",
                list.join(", ")
            );
            bind_all(sqlx::query(&sql), chunk)
                .execute(&mut **tx)
                .await?;
        }
    }
    let mut rows = Vec::with_capacity(writes.len());
    let mut languages = Vec::new();
    let mut capacities = Vec::new();
    let mut affiliations = Vec::new();
    let mut projects = Vec::new();
    for w in writes {
        let (id, p) = (w.account_id, w.profile);
        let text = |s: &Option<String>| Cell::OptText(s.clone());
        rows.push(vec![
            Cell::Int(id),
            Cell::Text(p.display_name.clone()),
            text(&p.pronouns),
            Cell::Text(p.bio.clone()),
            text(&p.bio_language),
            text(&p.country),
            text(&p.timezone),
            Cell::Text(p.visibility.as_str().to_owned()),
            Cell::Int(i64::from(p.recommendable)),
            Cell::OptText(p.away_until.map(format_date)),
            Cell::OptInt(p.max_connections),
            Cell::OptText(p.joined.map(format_date)),
            Cell::OptText(w.content_hash.map(str::to_owned)),
            Cell::Int(now),
        ]);
        for (i, (code, level)) in p.languages.iter().enumerate() {
            languages.push(vec![
                Cell::Int(id),
                Cell::Int(i as i64),
                Cell::Text(code.clone()),
                Cell::Int(level.rank()),
            ]);
        }
        for (relation, entries) in [
            (Relation::Known, &p.known),
            (Relation::Offered, &p.offered),
            (Relation::Wanted, &p.wanted),
        ] {
            for (i, e) in entries.iter().enumerate() {
                let capacity = ids
                    .capacity_id(&e.capacity)
                    .ok_or_else(|| anyhow::anyhow!("capacity {} vanished", e.capacity))?;
                capacities.push(vec![
                    Cell::Int(id),
                    Cell::Text(relation.as_str().to_owned()),
                    Cell::Int(i as i64),
                    Cell::Int(capacity),
                    Cell::OptInt(e.level.map(i64::from)),
                    Cell::Text(join_codes(&e.methods, Method::as_str)),
                    Cell::Text(join_codes(&e.formats, Format::as_str)),
                ]);
            }
        }
        for (i, key) in p.affiliations.iter().enumerate() {
            if let Some(org) = ids.organization_id(key) {
                affiliations.push(vec![Cell::Int(id), Cell::Int(i as i64), Cell::Int(org)]);
            }
        }
        for (i, code) in p.projects.iter().enumerate() {
            projects.push(vec![
                Cell::Int(id),
                Cell::Int(i as i64),
                Cell::Text(code.clone()),
            ]);
        }
    }
    insert_many(
        tx,
        "profiles",
        &[
            "account_id", "display_name", "pronouns", "bio", "bio_language", "country", "timezone",
            "visibility", "recommendable", "away_until", "max_connections", "joined", "content_hash",
            "updated_at",
        ],
        &rows,
        "ON CONFLICT (account_id) DO UPDATE SET display_name = excluded.display_name, \
         pronouns = excluded.pronouns, bio = excluded.bio, bio_language = excluded.bio_language, \
         country = excluded.country, timezone = excluded.timezone, visibility = excluded.visibility, \
         recommendable = excluded.recommendable, away_until = excluded.away_until, \
         max_connections = excluded.max_connections, joined = excluded.joined, \
         content_hash = excluded.content_hash, updated_at = excluded.updated_at",
    )
    .await?;
    insert_many(
        tx,
        "profile_languages",
        &["account_id", "position", "code", "level"],
        &languages,
        "",
    )
    .await?;
    insert_many(
        tx,
        "profile_capacities",
        &[
            "account_id",
            "relation",
            "position",
            "capacity_id",
            "level",
            "methods",
            "formats",
        ],
        &capacities,
        "",
    )
    .await?;
    insert_many(
        tx,
        "profile_affiliations",
        &["account_id", "position", "organization_id"],
        &affiliations,
        "",
    )
    .await?;
    insert_many(
        tx,
        "profile_projects",
        &["account_id", "position", "project"],
        &projects,
        "",
    )
    .await
}

/// Parameters per statement. SQLite accepts 32,766, but sqlx looks each `$n` up among all of
/// a statement's parameters, so the cost grows with the square of their number: a few hundred
/// keeps statements few and binding cheap.
const MAX_BINDS: usize = 420;

/// A value to bind, of one of the types both engines decode.
#[derive(Debug, Clone)]
pub enum Cell {
    Int(i64),
    OptInt(Option<i64>),
    Text(String),
    OptText(Option<String>),
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_all<'q>(mut query: AnyQuery<'q>, cells: &[Cell]) -> AnyQuery<'q> {
    for cell in cells {
        query = match cell {
            Cell::Int(v) => query.bind(*v),
            Cell::OptInt(v) => query.bind(*v),
            Cell::Text(v) => query.bind(v.clone()),
            Cell::OptText(v) => query.bind(v.clone()),
        };
    }
    query
}

/// Inserts rows with multi-row `VALUES` lists (`$n` placeholders, which both engines accept),
/// as few statements as the parameter limit allows.
pub async fn insert_many(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Cell>],
    conflict: &str,
) -> Result<(), AppError> {
    let width = columns.len();
    for chunk in rows.chunks((MAX_BINDS / width).max(1)) {
        let values: Vec<String> = (0..chunk.len())
            .map(|r| {
                let cells: Vec<String> =
                    (1..=width).map(|c| format!("${}", r * width + c)).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {} {conflict}",
            columns.join(", "),
            values.join(", ")
        );
        let cells: Vec<Cell> = chunk.iter().flatten().cloned().collect();
        bind_all(sqlx::query(&sql), &cells)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Loads one profile by account.
pub async fn load(db: &Db, account_id: i64) -> Result<Option<StoredProfile>, AppError> {
    Ok(load_range(db.pool(), account_id, account_id).await?.pop())
}

/// Calls `each` with every profile, a few thousand at a time, so that memory stays bounded
/// however many there are.
pub async fn for_each(
    pool: &sqlx::AnyPool,
    mut each: impl FnMut(StoredProfile) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    const STEP: i64 = 5000;
    let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(account_id), 0) FROM profiles")
        .fetch_one(pool)
        .await?;
    let mut first = 0;
    while first <= last {
        for p in load_range(pool, first, first + STEP - 1).await? {
            each(p)?;
        }
        first += STEP;
    }
    Ok(())
}

/// Loads one profile by any spelling of its username.
pub async fn by_username(db: &Db, username: &str) -> Result<Option<StoredProfile>, AppError> {
    match crate::db::accounts::by_username(db, username).await? {
        Some(account) => load(db, account.id).await,
        None => Ok(None),
    }
}

/// Loads the profiles of accounts `first` to `last`, in account id order.
pub async fn load_range(
    pool: &sqlx::AnyPool,
    first: i64,
    last: i64,
) -> Result<Vec<StoredProfile>, AppError> {
    let filter = "WHERE p.account_id BETWEEN $1 AND $2";
    let rows = sqlx::query(&format!(
        "SELECT p.account_id, a.username, p.display_name, p.pronouns, p.bio, p.bio_language, p.country, \
         p.timezone, p.visibility, p.recommendable, p.away_until, p.max_connections, p.joined, p.updated_at, \
         a.suspended_at FROM profiles p JOIN accounts a ON a.id = p.account_id {filter} ORDER BY p.account_id"
    ))
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?;
    let mut profiles: Vec<StoredProfile> = Vec::with_capacity(rows.len());
    for r in &rows {
        let text = |column: &str| r.try_get::<Option<String>, _>(column);
        profiles.push(StoredProfile {
            account_id: r.try_get("account_id")?,
            username: r.try_get("username")?,
            updated_at: r.try_get("updated_at")?,
            suspended: r.try_get::<Option<i64>, _>("suspended_at")?.is_some(),
            profile: Profile {
                display_name: r.try_get("display_name")?,
                pronouns: text("pronouns")?,
                bio: r.try_get("bio")?,
                bio_language: text("bio_language")?,
                country: text("country")?,
                region: None,
                timezone: text("timezone")?,
                languages: Vec::new(),
                known: Vec::new(),
                offered: Vec::new(),
                wanted: Vec::new(),
                affiliations: Vec::new(),
                projects: Vec::new(),
                visibility: Visibility::parse(&r.try_get::<String, _>("visibility")?)
                    .unwrap_or(Visibility::Hidden),
                recommendable: r.try_get::<i64, _>("recommendable")? != 0,
                away_until: text("away_until")?.as_deref().and_then(parse_date),
                max_connections: r.try_get("max_connections")?,
                joined: text("joined")?.as_deref().and_then(parse_date),
            },
        });
    }
    let index: BTreeMap<i64, usize> = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (p.account_id, i))
        .collect();
    let ordered = |sql: String| format!("{sql} ORDER BY x.account_id, x.position");
    let child_filter = "WHERE x.account_id BETWEEN $1 AND $2";
    for r in sqlx::query(&ordered(format!(
        "SELECT x.account_id, x.code, x.level FROM profile_languages x {child_filter}"
    )))
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?
    {
        if let (Some(&i), Some(level)) = (
            index.get(&r.try_get::<i64, _>("account_id")?),
            LanguageLevel::from_rank(r.try_get("level")?),
        ) {
            profiles[i]
                .profile
                .languages
                .push((r.try_get("code")?, level));
        }
    }
    for r in sqlx::query(&ordered(format!(
        "SELECT x.account_id, x.relation, c.key, x.level, x.methods, x.formats FROM profile_capacities x \
         JOIN capacities c ON c.id = x.capacity_id {child_filter}"
    )))
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?
    {
        let Some(&i) = index.get(&r.try_get::<i64, _>("account_id")?) else { continue };
        let entry = CapacityEntry {
            capacity: r.try_get("key")?,
            level: r.try_get::<Option<i64>, _>("level")?.and_then(|l| u8::try_from(l).ok()),
            methods: split_codes(&r.try_get::<String, _>("methods")?, Method::parse),
            formats: split_codes(&r.try_get::<String, _>("formats")?, Format::parse),
        };
        let p = &mut profiles[i].profile;
        match Relation::parse(&r.try_get::<String, _>("relation")?) {
            Some(Relation::Known) => p.known.push(entry),
            Some(Relation::Offered) => p.offered.push(entry),
            Some(Relation::Wanted) => p.wanted.push(entry),
            None => {}
        }
    }
    for r in sqlx::query(&ordered(format!(
        "SELECT x.account_id, o.key FROM profile_affiliations x JOIN organizations o ON o.id = x.organization_id {child_filter}"
    )))
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?
    {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("account_id")?) {
            profiles[i].profile.affiliations.push(r.try_get("key")?);
        }
    }
    for r in sqlx::query(&ordered(format!(
        "SELECT x.account_id, x.project FROM profile_projects x {child_filter}"
    )))
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?
    {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("account_id")?) {
            profiles[i].profile.projects.push(r.try_get("project")?);
        }
    }
    Ok(profiles)
}

/// Content hashes of imported profiles by username key, to skip unchanged records.
pub async fn hashes(pool: &sqlx::AnyPool) -> Result<BTreeMap<String, String>, AppError> {
    super::catalog::key_hashes(
        pool,
        "SELECT a.username_key AS key, p.content_hash FROM profiles p JOIN accounts a ON a.id = p.account_id \
         WHERE p.content_hash IS NOT NULL",
    )
    .await
}
