//! Bookmarks.

use sqlx::Row;

use super::Db;
use crate::error::AppError;

/// Saves an item; saving it again changes nothing.
pub async fn save(
    db: &Db,
    account_id: i64,
    kind: &str,
    key: &str,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let exists: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM saved WHERE account_id = $1 AND kind = $2 AND item_key = $3",
    )
    .bind(account_id)
    .bind(kind)
    .bind(key)
    .fetch_one(&mut *tx)
    .await?;
    if exists == 0 {
        sqlx::query(
            "INSERT INTO saved (account_id, kind, item_key, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(account_id)
        .bind(kind)
        .bind(key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn remove(db: &Db, account_id: i64, kind: &str, key: &str) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM saved WHERE account_id = $1 AND kind = $2 AND item_key = $3")
        .bind(account_id)
        .bind(kind)
        .bind(key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Someone's bookmarks, newest first: kind, key and when.
pub async fn of_account(db: &Db, account_id: i64) -> Result<Vec<(String, String, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT kind, item_key, created_at FROM saved WHERE account_id = $1 \
         ORDER BY created_at DESC, kind, item_key",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("kind")?,
                r.try_get("item_key")?,
                r.try_get("created_at")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Whether someone saved an item, for the button on its page.
pub async fn is_saved(db: &Db, account_id: i64, kind: &str, key: &str) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM saved WHERE account_id = $1 AND kind = $2 AND item_key = $3",
    )
    .bind(account_id)
    .bind(kind)
    .bind(key)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}
