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

/// Writes a whole profile: the row, and its lists replaced. Capacity and organization keys
/// must be known to `ids` (validation has checked them).
pub async fn save(
    tx: &mut Tx,
    account_id: i64,
    p: &Profile,
    ids: &dyn KeyIds,
    content_hash: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO profiles (account_id, display_name, pronouns, bio, bio_language, country, timezone, \
         visibility, recommendable, away_until, max_connections, joined, content_hash, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (account_id) DO UPDATE SET display_name = excluded.display_name, \
         pronouns = excluded.pronouns, bio = excluded.bio, bio_language = excluded.bio_language, \
         country = excluded.country, timezone = excluded.timezone, visibility = excluded.visibility, \
         recommendable = excluded.recommendable, away_until = excluded.away_until, \
         max_connections = excluded.max_connections, joined = excluded.joined, \
         content_hash = excluded.content_hash, updated_at = excluded.updated_at",
    )
    .bind(account_id)
    .bind(&p.display_name)
    .bind(p.pronouns.as_deref())
    .bind(&p.bio)
    .bind(p.bio_language.as_deref())
    .bind(p.country.as_deref())
    .bind(p.timezone.as_deref())
    .bind(p.visibility.as_str())
    .bind(i64::from(p.recommendable))
    .bind(p.away_until.map(format_date))
    .bind(p.max_connections)
    .bind(p.joined.map(format_date))
    .bind(content_hash)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    super::catalog::log_change(tx, "profile", &account_id.to_string()).await?;
    for table in [
        "profile_languages",
        "profile_capacities",
        "profile_affiliations",
        "profile_projects",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE account_id = $1"))
            .bind(account_id)
            .execute(&mut **tx)
            .await?;
    }
    let languages: Vec<(i64, String, i64)> = p
        .languages
        .iter()
        .enumerate()
        .map(|(i, (code, level))| (i as i64, code.clone(), level.rank()))
        .collect();
    insert_rows(
        tx,
        "profile_languages",
        &["position", "code", "level"],
        account_id,
        &languages,
        |q, r| q.bind(r.0).bind(r.1.clone()).bind(r.2),
    )
    .await?;

    let mut capacities = Vec::new();
    for (relation, entries) in [
        (Relation::Known, &p.known),
        (Relation::Offered, &p.offered),
        (Relation::Wanted, &p.wanted),
    ] {
        for (i, e) in entries.iter().enumerate() {
            let id = ids
                .capacity_id(&e.capacity)
                .ok_or_else(|| anyhow::anyhow!("capacity {} vanished", e.capacity))?;
            capacities.push((
                relation.as_str(),
                i as i64,
                id,
                e.level.map(i64::from),
                join_codes(&e.methods, Method::as_str),
                join_codes(&e.formats, Format::as_str),
            ));
        }
    }
    insert_rows(
        tx,
        "profile_capacities",
        &[
            "relation",
            "position",
            "capacity_id",
            "level",
            "methods",
            "formats",
        ],
        account_id,
        &capacities,
        |q, r| {
            q.bind(r.0)
                .bind(r.1)
                .bind(r.2)
                .bind(r.3)
                .bind(r.4.clone())
                .bind(r.5.clone())
        },
    )
    .await?;

    let affiliations: Vec<(i64, i64)> = p
        .affiliations
        .iter()
        .enumerate()
        .filter_map(|(i, key)| Some((i as i64, ids.organization_id(key)?)))
        .collect();
    insert_rows(
        tx,
        "profile_affiliations",
        &["position", "organization_id"],
        account_id,
        &affiliations,
        |q, r| q.bind(r.0).bind(r.1),
    )
    .await?;
    let projects: Vec<(i64, String)> = p
        .projects
        .iter()
        .enumerate()
        .map(|(i, code)| (i as i64, code.clone()))
        .collect();
    insert_rows(
        tx,
        "profile_projects",
        &["position", "project"],
        account_id,
        &projects,
        |q, r| q.bind(r.0).bind(r.1.clone()),
    )
    .await
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Inserts many rows of one account in one statement (`$n` placeholders, which both engines
/// accept), so that a profile with thirty capacities costs one round trip, not thirty.
async fn insert_rows<'r, R>(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    account_id: i64,
    rows: &'r [R],
    bind: impl for<'q> Fn(AnyQuery<'q>, &'r R) -> AnyQuery<'q>,
) -> Result<(), AppError> {
    if rows.is_empty() {
        return Ok(());
    }
    let width = columns.len() + 1;
    let values: Vec<String> = (0..rows.len())
        .map(|r| {
            let cells: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} (account_id, {}) VALUES {}",
        columns.join(", "),
        values.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for row in rows {
        query = bind(query.bind(account_id), row);
    }
    query.execute(&mut **tx).await?;
    Ok(())
}

/// Loads one profile by account.
pub async fn load(db: &Db, account_id: i64) -> Result<Option<StoredProfile>, AppError> {
    Ok(load_many(db.pool(), Some(account_id)).await?.pop())
}

/// Loads one profile by any spelling of its username.
pub async fn by_username(db: &Db, username: &str) -> Result<Option<StoredProfile>, AppError> {
    match crate::db::accounts::by_username(db, username).await? {
        Some(account) => load(db, account.id).await,
        None => Ok(None),
    }
}

/// Loads one profile, or every profile (for export), in account id order.
pub async fn load_many(
    pool: &sqlx::AnyPool,
    only: Option<i64>,
) -> Result<Vec<StoredProfile>, AppError> {
    let filter = if only.is_some() {
        "WHERE p.account_id = $1"
    } else {
        "WHERE $1 = 0"
    };
    let id = only.unwrap_or(0);
    let rows = sqlx::query(&format!(
        "SELECT p.account_id, a.username, p.display_name, p.pronouns, p.bio, p.bio_language, p.country, \
         p.timezone, p.visibility, p.recommendable, p.away_until, p.max_connections, p.joined, p.updated_at \
         FROM profiles p JOIN accounts a ON a.id = p.account_id {filter} ORDER BY p.account_id"
    ))
    .bind(id)
    .fetch_all(pool)
    .await?;
    let mut profiles: Vec<StoredProfile> = Vec::with_capacity(rows.len());
    for r in &rows {
        let text = |i: usize| r.try_get::<Option<String>, _>(i);
        profiles.push(StoredProfile {
            account_id: r.try_get(0)?,
            username: r.try_get(1)?,
            updated_at: r.try_get(13)?,
            profile: Profile {
                display_name: r.try_get(2)?,
                pronouns: text(3)?,
                bio: r.try_get(4)?,
                bio_language: text(5)?,
                country: text(6)?,
                region: None,
                timezone: text(7)?,
                languages: Vec::new(),
                known: Vec::new(),
                offered: Vec::new(),
                wanted: Vec::new(),
                affiliations: Vec::new(),
                projects: Vec::new(),
                visibility: Visibility::parse(&r.try_get::<String, _>(8)?)
                    .unwrap_or(Visibility::Hidden),
                recommendable: r.try_get::<i64, _>(9)? != 0,
                away_until: text(10)?.as_deref().and_then(parse_date),
                max_connections: r.try_get(11)?,
                joined: text(12)?.as_deref().and_then(parse_date),
            },
        });
    }
    let index: BTreeMap<i64, usize> = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (p.account_id, i))
        .collect();
    let ordered = |sql: String| format!("{sql} ORDER BY x.account_id, x.position");
    let child_filter = if only.is_some() {
        "WHERE x.account_id = $1"
    } else {
        "WHERE $1 = 0"
    };
    for r in sqlx::query(&ordered(format!(
        "SELECT x.account_id, x.code, x.level FROM profile_languages x {child_filter}"
    )))
    .bind(id)
    .fetch_all(pool)
    .await?
    {
        if let (Some(&i), Some(level)) = (
            index.get(&r.try_get::<i64, _>(0)?),
            LanguageLevel::from_rank(r.try_get(2)?),
        ) {
            profiles[i].profile.languages.push((r.try_get(1)?, level));
        }
    }
    for r in sqlx::query(&ordered(format!(
        "SELECT x.account_id, x.relation, c.key, x.level, x.methods, x.formats FROM profile_capacities x \
         JOIN capacities c ON c.id = x.capacity_id {child_filter}"
    )))
    .bind(id)
    .fetch_all(pool)
    .await?
    {
        let Some(&i) = index.get(&r.try_get::<i64, _>(0)?) else { continue };
        let entry = CapacityEntry {
            capacity: r.try_get(2)?,
            level: r.try_get::<Option<i64>, _>(3)?.and_then(|l| u8::try_from(l).ok()),
            methods: split_codes(&r.try_get::<String, _>(4)?, Method::parse),
            formats: split_codes(&r.try_get::<String, _>(5)?, Format::parse),
        };
        let p = &mut profiles[i].profile;
        match Relation::parse(&r.try_get::<String, _>(1)?) {
            Some(Relation::Known) => p.known.push(entry),
            Some(Relation::Offered) => p.offered.push(entry),
            Some(Relation::Wanted) => p.wanted.push(entry),
            None => {}
        }
    }
    for r in sqlx::query(&ordered(format!(
        "SELECT x.account_id, o.key FROM profile_affiliations x JOIN organizations o ON o.id = x.organization_id {child_filter}"
    )))
    .bind(id)
    .fetch_all(pool)
    .await?
    {
        if let Some(&i) = index.get(&r.try_get::<i64, _>(0)?) {
            profiles[i].profile.affiliations.push(r.try_get(1)?);
        }
    }
    for r in sqlx::query(&ordered(format!(
        "SELECT x.account_id, x.project FROM profile_projects x {child_filter}"
    )))
    .bind(id)
    .fetch_all(pool)
    .await?
    {
        if let Some(&i) = index.get(&r.try_get::<i64, _>(0)?) {
            profiles[i].profile.projects.push(r.try_get(1)?);
        }
    }
    Ok(profiles)
}

/// Content hashes of imported profiles by username key, to skip unchanged records.
pub async fn hashes(pool: &sqlx::AnyPool) -> Result<BTreeMap<String, String>, AppError> {
    super::catalog::key_hashes(
        pool,
        "SELECT a.username_key, p.content_hash FROM profiles p JOIN accounts a ON a.id = p.account_id \
         WHERE p.content_hash IS NOT NULL",
    )
    .await
}

/// Public (and, for members, members-only) profiles holding a capacity in a relation.
pub async fn holders(
    pool: &sqlx::AnyPool,
    capacity_id: i64,
    relation: Relation,
    include_members: bool,
    limit: i64,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT a.username, p.display_name FROM profile_capacities pc JOIN profiles p ON p.account_id = pc.account_id \
         JOIN accounts a ON a.id = p.account_id WHERE pc.capacity_id = $1 AND pc.relation = $2 \
         AND (p.visibility = 'public' OR ($3 = 1 AND p.visibility = 'members')) ORDER BY p.updated_at DESC LIMIT $4",
    )
    .bind(capacity_id)
    .bind(relation.as_str())
    .bind(i64::from(include_members))
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
