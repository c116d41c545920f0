//! The capacity taxonomy and organizations: loading them into the directory, and writing them.

use std::collections::BTreeMap;

use cxc_core::capacity::{join_codes, split_codes};
use cxc_core::catalog::{self as valid, Text};
use cxc_core::{CapacityEntry, Format, Method, Relation};
use sqlx::Row;

use super::profiles::KeyIds;
use super::{Tx, now};
use crate::directory::{Capacity, CapacityStatus, Directory, Organization, slugify};
use crate::error::AppError;

/// Reads the whole taxonomy and every organization.
pub async fn load_directory(pool: &sqlx::AnyPool) -> Result<Directory, AppError> {
    let rows = sqlx::query(
        "SELECT c.id, c.key, c.slug, p.key AS parent, c.qid, c.status, m.key AS merged_into \
         FROM capacities c \
         LEFT JOIN capacities p ON p.id = c.parent_id LEFT JOIN capacities m ON m.id = c.merged_into \
         ORDER BY c.position, c.id",
    )
    .fetch_all(pool)
    .await?;
    let mut capacities = Vec::with_capacity(rows.len());
    for r in rows {
        let status = match (
            r.try_get::<String, _>("status")?.as_str(),
            r.try_get::<Option<String>, _>("merged_into")?,
        ) {
            ("merged", Some(target)) => CapacityStatus::Merged(target),
            ("retired", _) | ("merged", None) => CapacityStatus::Retired,
            _ => CapacityStatus::Active,
        };
        capacities.push(Capacity {
            id: r.try_get("id")?,
            key: r.try_get("key")?,
            slug: r.try_get("slug")?,
            parent: r.try_get("parent")?,
            qid: r.try_get("qid")?,
            status,
            texts: BTreeMap::new(),
        });
    }
    let index: std::collections::HashMap<i64, usize> = capacities
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    for r in sqlx::query("SELECT capacity_id, lang, label, description FROM capacity_texts")
        .fetch_all(pool)
        .await?
    {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("capacity_id")?) {
            capacities[i].texts.insert(
                r.try_get("lang")?,
                Text {
                    label: r.try_get("label")?,
                    description: r.try_get("description")?,
                },
            );
        }
    }
    // Parents must come before children for the tree: order by depth, keeping position order.
    let depth = |c: &Capacity, all: &[Capacity]| {
        let mut d = 0;
        let mut parent = c.parent.clone();
        while let Some(p) = parent {
            d += 1;
            parent = all
                .iter()
                .find(|x| x.key == p)
                .and_then(|x| x.parent.clone());
            if d > 4 {
                break;
            }
        }
        d
    };
    let depths: Vec<usize> = capacities.iter().map(|c| depth(c, &capacities)).collect();
    let mut ordered: Vec<(usize, Capacity)> = depths.into_iter().zip(capacities).collect();
    ordered.sort_by_key(|(d, _)| *d);
    let capacities = ordered.into_iter().map(|(_, c)| c).collect();

    let mut organizations: Vec<Organization> = Vec::new();
    for r in sqlx::query("SELECT id, key, kind, website, meta_page FROM organizations ORDER BY key")
        .fetch_all(pool)
        .await?
    {
        organizations.push(Organization {
            id: r.try_get("id")?,
            key: r.try_get("key")?,
            kind: r.try_get("kind")?,
            website: r.try_get("website")?,
            meta_page: r.try_get("meta_page")?,
            texts: BTreeMap::new(),
            countries: Vec::new(),
            offered: Vec::new(),
            wanted: Vec::new(),
        });
    }
    let index: std::collections::HashMap<i64, usize> = organizations
        .iter()
        .enumerate()
        .map(|(i, o)| (o.id, i))
        .collect();
    for r in sqlx::query("SELECT organization_id, lang, name, description FROM organization_texts")
        .fetch_all(pool)
        .await?
    {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("organization_id")?) {
            organizations[i].texts.insert(
                r.try_get("lang")?,
                Text {
                    label: r.try_get("name")?,
                    description: r.try_get("description")?,
                },
            );
        }
    }
    for r in sqlx::query(
        "SELECT organization_id, country FROM organization_countries ORDER BY organization_id, country",
    )
    .fetch_all(pool)
    .await?
    {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("organization_id")?) {
            organizations[i].countries.push(r.try_get("country")?);
        }
    }
    for r in sqlx::query(
        "SELECT oc.organization_id, oc.relation, c.key FROM organization_capacities oc \
         JOIN capacities c ON c.id = oc.capacity_id WHERE oc.relation IN ('offered', 'wanted')",
    )
    .fetch_all(pool)
    .await?
    {
        if let Some(&i) = index.get(&r.try_get::<i64, _>("organization_id")?) {
            let key: String = r.try_get("key")?;
            match r.try_get::<String, _>("relation")?.as_str() {
                "offered" => organizations[i].offered.push(key),
                _ => organizations[i].wanted.push(key),
            }
        }
    }
    Ok(Directory::new(capacities, organizations))
}

/// What a change-log entry says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Capacity,
    Organization,
    /// A profile or account, by account id.
    Profile,
    /// Someone's blocks, by account id.
    Block,
    /// An ask or offer, by post id.
    Post,
    /// A connection's status, by connection id: it changes its people's load.
    Connection,
    /// A bulk import: followers rebuild rather than replay it.
    Import,
    /// Entries up to the id in the key were removed: a follower that had not read them
    /// rebuilds.
    Pruned,
}

impl ChangeKind {
    const ALL: [ChangeKind; 8] = [
        ChangeKind::Capacity,
        ChangeKind::Organization,
        ChangeKind::Profile,
        ChangeKind::Block,
        ChangeKind::Post,
        ChangeKind::Connection,
        ChangeKind::Import,
        ChangeKind::Pruned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Capacity => "capacity",
            ChangeKind::Organization => "organization",
            ChangeKind::Profile => "profile",
            ChangeKind::Block => "block",
            ChangeKind::Post => "post",
            ChangeKind::Connection => "connection",
            ChangeKind::Import => "import",
            ChangeKind::Pruned => "pruned",
        }
    }

    fn parse(s: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One change-log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub kind: ChangeKind,
    pub key: String,
}

/// The last change to the taxonomy or organizations, to notice changes made by another process
/// (an import, another instance) without reloading everything.
pub async fn directory_version(pool: &sqlx::AnyPool) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MAX(id), 0) FROM change_log WHERE entity IN ('capacity', 'organization')",
    )
    .fetch_one(pool)
    .await?)
}

/// The newest change-log entry.
pub async fn last_change(pool: &sqlx::AnyPool) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM change_log")
            .fetch_one(pool)
            .await?,
    )
}

/// Change-log entries after `since`, oldest first.
pub async fn changes_since(pool: &sqlx::AnyPool, since: i64) -> Result<Vec<Change>, AppError> {
    let rows = sqlx::query(
        "SELECT id, entity, entity_key FROM change_log WHERE id > $1 ORDER BY id LIMIT 10000",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    let mut changes = Vec::with_capacity(rows.len());
    for r in rows {
        let entity: String = r.try_get("entity")?;
        // An entry of a kind this version does not know (written by a newer one) changes
        // nothing it holds.
        if let Some(kind) = ChangeKind::parse(&entity) {
            changes.push(Change {
                id: r.try_get("id")?,
                kind,
                key: r.try_get("entity_key")?,
            });
        }
    }
    Ok(changes)
}

/// Records a change, in the same transaction as the change itself.
pub async fn log_change(tx: &mut Tx, kind: ChangeKind, key: &str) -> Result<(), AppError> {
    sqlx::query("INSERT INTO change_log (entity, entity_key, created_at) VALUES ($1, $2, $3)")
        .bind(kind.as_str())
        .bind(key)
        .bind(now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes entries written before `before` (a Unix time) but the newest, and says how far it
/// went with a `Pruned` entry, so that a follower still behind that point rebuilds. Returns
/// how many entries went.
pub async fn prune_changes(db: &super::Db, before: i64) -> Result<u64, AppError> {
    let mut tx = db.begin_write().await?;
    let horizon: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(id), 0) FROM change_log WHERE created_at < $1 \
         AND id < (SELECT MAX(id) FROM change_log)",
    )
    .bind(before)
    .fetch_one(&mut *tx)
    .await?;
    if horizon == 0 {
        return Ok(0);
    }
    let removed = sqlx::query("DELETE FROM change_log WHERE id <= $1")
        .bind(horizon)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    log_change(&mut tx, ChangeKind::Pruned, &horizon.to_string()).await?;
    tx.commit().await?;
    Ok(removed)
}

/// Writes a validated capacity by key, with all its texts. A new capacity gets a slug from its
/// English label that no other capacity has; an existing one keeps its slug, so its address
/// does not change. Returns the capacity's id.
pub async fn save_capacity(
    tx: &mut Tx,
    c: &valid::Capacity,
    ids: &dyn KeyIds,
    content_hash: Option<&str>,
) -> Result<i64, AppError> {
    let parent_id = match &c.parent {
        Some(p) => Some(
            ids.capacity_id(p)
                .ok_or(AppError::invalid("parent", "cxc-error-unknown-parent"))?,
        ),
        None => None,
    };
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM capacities WHERE key = $1")
        .bind(&c.key)
        .fetch_optional(&mut **tx)
        .await?;
    let id = match existing {
        Some(id) => {
            sqlx::query(
                "UPDATE capacities SET parent_id = $1, qid = $2, content_hash = $3, updated_at = $4 WHERE id = $5",
            )
            .bind(parent_id)
            .bind(&c.qid)
            .bind(content_hash)
            .bind(now())
            .bind(id)
            .execute(&mut **tx)
            .await?;
            id
        }
        None => {
            let base = slugify(c.english_label());
            let mut slug = base.clone();
            let mut n = 2;
            while slug_taken(tx, &slug).await? {
                slug = format!("{base}-{n}");
                n += 1;
            }
            let position: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM capacities")
                    .fetch_one(&mut **tx)
                    .await?;
            sqlx::query_scalar(
                "INSERT INTO capacities (key, slug, parent_id, qid, position, content_hash, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(&c.key)
            .bind(&slug)
            .bind(parent_id)
            .bind(&c.qid)
            .bind(position)
            .bind(content_hash)
            .bind(now())
            .fetch_one(&mut **tx)
            .await?
        }
    };
    log_change(tx, ChangeKind::Capacity, &c.key).await?;
    sqlx::query("DELETE FROM capacity_texts WHERE capacity_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for (lang, text) in &c.texts {
        sqlx::query(
            "INSERT INTO capacity_texts (capacity_id, lang, label, description) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(lang)
        .bind(&text.label)
        .bind(&text.description)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Retires a capacity, or merges it into another (`merged_into`); `active` brings it back.
pub async fn set_status(
    tx: &mut Tx,
    capacity_id: i64,
    status: &str,
    merged_into: Option<i64>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE capacities SET status = $1, merged_into = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(status)
    .bind(merged_into)
    .bind(now())
    .bind(capacity_id)
    .execute(&mut **tx)
    .await?;
    log_change(tx, ChangeKind::Capacity, &capacity_id.to_string()).await
}

/// Whether a slug is free (for a new capacity).
pub async fn slug_taken(tx: &mut Tx, slug: &str) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM capacities WHERE slug = $1")
        .bind(slug)
        .fetch_one(&mut **tx)
        .await?;
    Ok(n > 0)
}

pub async fn capacity_hashes(pool: &sqlx::AnyPool) -> Result<BTreeMap<String, String>, AppError> {
    key_hashes(
        pool,
        "SELECT key, content_hash FROM capacities WHERE content_hash IS NOT NULL",
    )
    .await
}

pub async fn organization_hashes(
    pool: &sqlx::AnyPool,
) -> Result<BTreeMap<String, String>, AppError> {
    key_hashes(
        pool,
        "SELECT key, content_hash FROM organizations WHERE content_hash IS NOT NULL",
    )
    .await
}

/// The `key` → `content_hash` map of the rows `sql` selects.
pub(super) async fn key_hashes(
    pool: &sqlx::AnyPool,
    sql: &str,
) -> Result<BTreeMap<String, String>, AppError> {
    sqlx::query(sql)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("key")?, r.try_get("content_hash")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Writes a validated organization by key: its texts, countries and capacities replace the
/// stored ones. Returns the organization's id.
pub async fn save_organization(
    tx: &mut Tx,
    o: &valid::Organization,
    ids: &dyn KeyIds,
    content_hash: Option<&str>,
) -> Result<i64, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO organizations (key, kind, website, meta_page, content_hash, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, \
         website = excluded.website, meta_page = excluded.meta_page, content_hash = excluded.content_hash, \
         updated_at = excluded.updated_at RETURNING id",
    )
    .bind(&o.key)
    .bind(&o.kind)
    .bind(&o.website)
    .bind(&o.meta_page)
    .bind(content_hash)
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    log_change(tx, ChangeKind::Organization, &o.key).await?;
    for table in [
        "organization_texts",
        "organization_countries",
        "organization_capacities",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE organization_id = $1"))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    for (lang, text) in &o.texts {
        sqlx::query(
            "INSERT INTO organization_texts (organization_id, lang, name, description) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(lang)
        .bind(&text.label)
        .bind(&text.description)
        .execute(&mut **tx)
        .await?;
    }
    for country in &o.countries {
        sqlx::query(
            "INSERT INTO organization_countries (organization_id, country) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(country)
        .execute(&mut **tx)
        .await?;
    }
    for (relation, entry) in o.capacities() {
        let capacity_id = ids.capacity_id(&entry.capacity).ok_or(AppError::invalid(
            relation.as_str(),
            "cxc-error-unknown-capacity",
        ))?;
        sqlx::query(
            "INSERT INTO organization_capacities (organization_id, capacity_id, relation, level, methods, formats) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(capacity_id)
        .bind(relation.as_str())
        .bind(entry.level.map(i64::from))
        .bind(join_codes(&entry.methods, Method::as_str))
        .bind(join_codes(&entry.formats, Format::as_str))
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// An organization's capacities, per relation, as capacity keys with details.
pub async fn organization_capacities(
    pool: &sqlx::AnyPool,
    organization_id: i64,
) -> Result<Vec<(Relation, CapacityEntry)>, AppError> {
    let rows = sqlx::query(
        "SELECT oc.relation, c.key, oc.level, oc.methods, oc.formats FROM organization_capacities oc \
         JOIN capacities c ON c.id = oc.capacity_id WHERE oc.organization_id = $1 ORDER BY c.position, c.id",
    )
    .bind(organization_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let relation =
                Relation::parse(&r.try_get::<String, _>("relation")?).unwrap_or(Relation::Known);
            Ok((
                relation,
                CapacityEntry {
                    capacity: r.try_get("key")?,
                    level: r
                        .try_get::<Option<i64>, _>("level")?
                        .and_then(|l| u8::try_from(l).ok()),
                    methods: split_codes(&r.try_get::<String, _>("methods")?, Method::parse),
                    formats: split_codes(&r.try_get::<String, _>("formats")?, Format::parse),
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn organization_managers(
    pool: &sqlx::AnyPool,
    organization_id: i64,
) -> Result<Vec<(i64, String)>, AppError> {
    sqlx::query(
        "SELECT a.id, a.username FROM organization_managers m JOIN accounts a ON a.id = m.account_id \
         WHERE m.organization_id = $1 ORDER BY a.username_key",
    )
    .bind(organization_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("username")?)))
    .collect::<Result<_, sqlx::Error>>()
    .map_err(Into::into)
}

/// Replaces the managers of an organization.
pub async fn set_managers(
    tx: &mut Tx,
    organization_id: i64,
    account_ids: &[i64],
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM organization_managers WHERE organization_id = $1")
        .bind(organization_id)
        .execute(&mut **tx)
        .await?;
    for account_id in account_ids {
        sqlx::query(
            "INSERT INTO organization_managers (organization_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(organization_id)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// How many organizations hold any of `capacity_ids` (a capacity and those under it), by
/// relation; an organization holding two of them counts once.
pub async fn organizations_holding(
    pool: &sqlx::AnyPool,
    capacity_ids: &[i64],
) -> Result<BTreeMap<Relation, i64>, AppError> {
    let mut counts = BTreeMap::new();
    if capacity_ids.is_empty() {
        return Ok(counts);
    }
    let placeholders: Vec<String> = (1..=capacity_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT relation, COUNT(DISTINCT organization_id) AS holders FROM organization_capacities \
         WHERE capacity_id IN ({}) GROUP BY relation",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in capacity_ids {
        query = query.bind(*id);
    }
    for r in query.fetch_all(pool).await? {
        if let Some(rel) = Relation::parse(&r.try_get::<String, _>("relation")?) {
            counts.insert(rel, r.try_get("holders")?);
        }
    }
    Ok(counts)
}

/// Moves every holder of capacity `from` to `to` (or drops them when `to` is `None`), for a
/// merge or a retirement. Profiles touched lose their import hash: they changed.
pub async fn move_holders(tx: &mut Tx, from: i64, to: Option<i64>) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE profiles SET content_hash = NULL, updated_at = $2 WHERE account_id IN \
         (SELECT account_id FROM profile_capacities WHERE capacity_id = $1)",
    )
    .bind(from)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    for (table, owner, same) in [
        (
            "profile_capacities",
            "account_id",
            "AND x.relation = profile_capacities.relation",
        ),
        (
            "organization_capacities",
            "organization_id",
            "AND x.relation = organization_capacities.relation",
        ),
        ("post_capacities", "post_id", ""),
    ] {
        if let Some(to) = to {
            sqlx::query(&format!(
                "UPDATE {table} SET capacity_id = $2 WHERE capacity_id = $1 AND NOT EXISTS \
                 (SELECT 1 FROM {table} x WHERE x.{owner} = {table}.{owner} {same} \
                 AND x.capacity_id = $2)"
            ))
            .bind(from)
            .bind(to)
            .execute(&mut **tx)
            .await?;
        }
        sqlx::query(&format!("DELETE FROM {table} WHERE capacity_id = $1"))
            .bind(from)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Suggestion {
    pub id: i64,
    pub username: String,
    pub parent: Option<String>,
    pub lang: String,
    pub label: String,
    pub description: String,
}

pub async fn add_suggestion(
    pool: &sqlx::AnyPool,
    account_id: i64,
    parent_id: Option<i64>,
    lang: &str,
    label: &str,
    description: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO capacity_suggestions (account_id, parent_id, lang, label, description, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id)
    .bind(parent_id)
    .bind(lang)
    .bind(label)
    .bind(description)
    .bind(now())
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn pending_suggestions(pool: &sqlx::AnyPool) -> Result<Vec<Suggestion>, AppError> {
    let rows = sqlx::query(
        "SELECT s.id, a.username, c.key, s.lang, s.label, s.description FROM capacity_suggestions s \
         JOIN accounts a ON a.id = s.account_id LEFT JOIN capacities c ON c.id = s.parent_id \
         WHERE s.status = 'pending' ORDER BY s.id",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Suggestion {
                id: r.try_get("id")?,
                username: r.try_get("username")?,
                parent: r.try_get("key")?,
                lang: r.try_get("lang")?,
                label: r.try_get("label")?,
                description: r.try_get("description")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Marks a pending suggestion accepted or rejected, and tells its author. False when it was
/// not pending.
pub async fn decide_suggestion(tx: &mut Tx, id: i64, accepted: bool) -> Result<bool, AppError> {
    let author: Option<i64> = sqlx::query_scalar(
        "UPDATE capacity_suggestions SET status = $1, decided_at = $2 WHERE id = $3 \
         AND status = 'pending' RETURNING account_id",
    )
    .bind(if accepted { "accepted" } else { "rejected" })
    .bind(now())
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(author) = author else {
        return Ok(false);
    };
    let kind = if accepted {
        super::notifications::Kind::SuggestionAccepted
    } else {
        super::notifications::Kind::SuggestionDeclined
    };
    super::notifications::notify(tx, author, kind, Default::default(), now()).await?;
    Ok(true)
}
