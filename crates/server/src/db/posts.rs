//! Asks and offers, stored as one row and the list of their capacities.

use std::collections::HashMap;

use cxc_core::Method;
use cxc_core::capacity::{join_codes, split_codes};
use cxc_core::post::{Post, PostKind, PostStatus};
use cxc_core::profile::{format_date, parse_date};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Tx;
use super::catalog::{ChangeKind, log_change};
use super::profiles::KeyIds;
use crate::error::AppError;

/// A post with who wrote it and when.
#[derive(Debug, Clone)]
pub struct StoredPost {
    pub id: i64,
    pub author_id: i64,
    pub author: String,
    pub post: Post,
    pub created_at: i64,
    pub updated_at: i64,
    /// Hidden by a moderator.
    pub hidden: bool,
}

const COLUMNS: &str = "p.id, p.author_id, a.username, o.key AS organization, p.kind, p.status, \
    p.title, p.body, p.languages, p.country, p.online, p.methods, p.expires_on, p.created_at, \
    p.updated_at, p.hidden";
const FROM: &str = "FROM posts p JOIN accounts a ON a.id = p.author_id \
    LEFT JOIN organizations o ON o.id = p.organization_id";

/// Writes a new post and logs it; returns its id.
pub async fn create(
    tx: &mut Tx,
    author_id: i64,
    post: &Post,
    ids: &dyn KeyIds,
    now: i64,
) -> Result<i64, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO posts (author_id, organization_id, kind, status, title, body, languages, \
         country, online, methods, expires_on, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(author_id)
    .bind(
        post.organization
            .as_deref()
            .and_then(|o| ids.organization_id(o)),
    )
    .bind(post.kind.as_str())
    .bind(post.status.as_str())
    .bind(&post.title)
    .bind(&post.body)
    .bind(post.languages.join(","))
    .bind(post.country.as_deref())
    .bind(i64::from(post.online))
    .bind(join_codes(&post.methods, Method::as_str))
    .bind(format_date(post.expires_on))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    write_capacities(tx, id, post, ids).await?;
    log_change(tx, ChangeKind::Post, &id.to_string()).await?;
    Ok(id)
}

/// Replaces a post's content (its author and creation stay) and logs it.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    post: &Post,
    ids: &dyn KeyIds,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE posts SET organization_id = $2, kind = $3, status = $4, title = $5, body = $6, \
         languages = $7, country = $8, online = $9, methods = $10, expires_on = $11, \
         updated_at = $12 WHERE id = $1",
    )
    .bind(id)
    .bind(
        post.organization
            .as_deref()
            .and_then(|o| ids.organization_id(o)),
    )
    .bind(post.kind.as_str())
    .bind(post.status.as_str())
    .bind(&post.title)
    .bind(&post.body)
    .bind(post.languages.join(","))
    .bind(post.country.as_deref())
    .bind(i64::from(post.online))
    .bind(join_codes(&post.methods, Method::as_str))
    .bind(format_date(post.expires_on))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM post_capacities WHERE post_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    write_capacities(tx, id, post, ids).await?;
    log_change(tx, ChangeKind::Post, &id.to_string()).await?;
    Ok(())
}

async fn write_capacities(
    tx: &mut Tx,
    id: i64,
    post: &Post,
    ids: &dyn KeyIds,
) -> Result<(), AppError> {
    for (position, key) in post.capacities.iter().enumerate() {
        let Some(capacity_id) = ids.capacity_id(key) else {
            continue;
        };
        sqlx::query(
            "INSERT INTO post_capacities (post_id, position, capacity_id) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(capacity_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// One post, if it exists.
pub async fn load(pool: &sqlx::AnyPool, id: i64) -> Result<Option<StoredPost>, AppError> {
    Ok(select(pool, "WHERE p.id = $1", id).await?.pop())
}

/// Every post, oldest first, for building the board.
pub async fn all(pool: &sqlx::AnyPool) -> Result<Vec<StoredPost>, AppError> {
    select(pool, "WHERE p.id > $1", 0).await
}

/// The posts of one author, oldest first, for their export.
pub async fn by_author(pool: &sqlx::AnyPool, author_id: i64) -> Result<Vec<StoredPost>, AppError> {
    select(pool, "WHERE p.author_id = $1", author_id).await
}

async fn select(
    pool: &sqlx::AnyPool,
    condition: &str,
    value: i64,
) -> Result<Vec<StoredPost>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} {condition} ORDER BY p.id"
    ))
    .bind(value)
    .fetch_all(pool)
    .await?;
    let capacity_rows = sqlx::query(&format!(
        "SELECT pc.post_id, c.key FROM post_capacities pc JOIN capacities c ON c.id = pc.capacity_id \
         WHERE pc.post_id IN (SELECT p.id {FROM} {condition}) ORDER BY pc.post_id, pc.position"
    ))
    .bind(value)
    .fetch_all(pool)
    .await?;
    let mut capacities: HashMap<i64, Vec<String>> = HashMap::new();
    for r in capacity_rows {
        capacities
            .entry(r.try_get("post_id")?)
            .or_default()
            .push(r.try_get("key")?);
    }
    rows.iter()
        .map(|r| stored(r, &mut capacities))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// The region is left to the reader, who knows the reference data (as for profiles).
fn stored(
    r: &AnyRow,
    capacities: &mut HashMap<i64, Vec<String>>,
) -> Result<StoredPost, sqlx::Error> {
    let id: i64 = r.try_get("id")?;
    let decode = |column: &str, message: String| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: message.into(),
    };
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    let expires_on: String = r.try_get("expires_on")?;
    let languages: String = r.try_get("languages")?;
    let methods: String = r.try_get("methods")?;
    let country: Option<String> = r.try_get("country")?;
    Ok(StoredPost {
        id,
        author_id: r.try_get("author_id")?,
        author: r.try_get("username")?,
        post: Post {
            kind: PostKind::parse(&kind).ok_or_else(|| decode("kind", kind.clone()))?,
            status: PostStatus::parse(&status).ok_or_else(|| decode("status", status.clone()))?,
            title: r.try_get("title")?,
            body: r.try_get("body")?,
            capacities: capacities.remove(&id).unwrap_or_default(),
            languages: split_codes(&languages, |s| Some(s.to_owned())),
            region: None,
            country,
            online: r.try_get::<i64, _>("online")? != 0,
            methods: split_codes(&methods, Method::parse),
            organization: r.try_get("organization")?,
            expires_on: parse_date(&expires_on)
                .ok_or_else(|| decode("expires_on", expires_on.clone()))?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        hidden: r.try_get::<i64, _>("hidden")? != 0,
    })
}
