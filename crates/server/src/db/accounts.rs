//! Accounts, sessions and API tokens.

use cxc_core::Username;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, now};
use crate::error::{AppError, is_unique_violation};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
    pub is_moderator: bool,
    pub wikimedia_sub: Option<String>,
    pub has_password: bool,
    /// When a suspension began, and until when it runs (`None`: indefinitely).
    pub suspended_at: Option<i64>,
    pub suspended_until: Option<i64>,
}

impl Account {
    /// Whether the account is suspended at `now` (Unix seconds).
    pub fn is_suspended(&self, now: i64) -> bool {
        self.suspended_at.is_some() && self.suspended_until.is_none_or(|until| until > now)
    }

    /// Moderators and administrators act on reports and suspensions.
    pub fn moderates(&self) -> bool {
        self.is_moderator || self.is_admin
    }

    pub fn roles(&self) -> Vec<cxc_core::Role> {
        cxc_core::Role::of(self.is_admin, self.is_moderator)
    }
}

const ACCOUNT_COLUMNS: &str = "a.id, a.username, a.is_admin, a.is_moderator, a.wikimedia_sub, \
    a.password_hash, a.suspended_at, a.suspended_until";

fn account(row: &AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        is_moderator: row.try_get::<i64, _>("is_moderator")? != 0,
        wikimedia_sub: row.try_get("wikimedia_sub")?,
        has_password: row.try_get::<Option<String>, _>("password_hash")?.is_some(),
        suspended_at: row.try_get("suspended_at")?,
        suspended_until: row.try_get("suspended_until")?,
    })
}

pub struct NewAccount<'a> {
    pub username: &'a Username,
    pub password_hash: Option<&'a str>,
    pub is_admin: bool,
    pub wikimedia_sub: Option<&'a str>,
}

/// Creates an account, unless its name is taken or only looks like one that is (a name with
/// the same skeleton but another key: `rоot` beside `root`). The check and the insert are one
/// write transaction, so two look-alike sign-ups at the same moment cannot both pass the check.
pub async fn create(db: &Db, new: NewAccount<'_>) -> Result<Account, AppError> {
    let skeleton = new.username.skeleton();
    let mut tx = db.begin_write().await?;
    let look_alike: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM accounts WHERE username_skeleton = $1 AND username_key <> $2 LIMIT 1",
    )
    .bind(&skeleton)
    .bind(new.username.key())
    .fetch_optional(&mut *tx)
    .await?;
    if look_alike.is_some() {
        return Err(AppError::Conflict("cxc-error-username-confusable"));
    }
    let sql = format!(
        "INSERT INTO accounts (username, username_key, username_skeleton, password_hash, is_admin, wikimedia_sub, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
        ACCOUNT_COLUMNS.replace("a.", "")
    );
    let result = sqlx::query(&sql)
        .bind(new.username.as_str())
        .bind(new.username.key())
        .bind(skeleton)
        .bind(new.password_hash)
        .bind(i64::from(new.is_admin))
        .bind(new.wikimedia_sub)
        .bind(now())
        .fetch_one(&mut *tx)
        .await;
    match result {
        Ok(row) => {
            let created = account(&row)?;
            tx.commit().await?;
            Ok(created)
        }
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict("cxc-error-username-taken")),
        Err(e) => Err(e.into()),
    }
}

/// Creates accounts without password or Wikimedia link (imported profiles'), inside a
/// transaction, in as few statements as possible. Returns each new account's username key
/// and id.
pub async fn create_many_in(
    tx: &mut super::Tx,
    usernames: &[&Username],
) -> Result<Vec<(String, i64)>, AppError> {
    let mut created = Vec::with_capacity(usernames.len());
    for chunk in usernames.chunks(140) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let n = i * 4;
                format!("(${}, ${}, ${}, 0, ${})", n + 1, n + 2, n + 3, n + 4)
            })
            .collect();
        let sql = format!(
            "INSERT INTO accounts (username, username_key, username_skeleton, is_admin, created_at) VALUES {} RETURNING username_key, id",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for name in chunk {
            query = query
                .bind(name.as_str())
                .bind(name.key())
                .bind(name.skeleton())
                .bind(now());
        }
        for row in query.fetch_all(&mut **tx).await? {
            created.push((row.try_get("username_key")?, row.try_get("id")?));
        }
    }
    Ok(created)
}

async fn find_where(db: &Db, condition: &str, value: &str) -> Result<Option<Account>, AppError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE {condition}");
    let row = sqlx::query(&sql)
        .bind(value)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.as_ref().map(account).transpose()?)
}

/// Finds an account by any spelling of its username.
pub async fn by_username(db: &Db, username: &str) -> Result<Option<Account>, AppError> {
    find_where(db, "a.username_key = $1", &Username::key_of(username)).await
}

pub async fn by_wikimedia_sub(db: &Db, sub: &str) -> Result<Option<Account>, AppError> {
    find_where(db, "a.wikimedia_sub = $1", sub).await
}

/// The stored password hash of an account, for signing in.
pub async fn password_hash(db: &Db, account_id: i64) -> Result<Option<String>, AppError> {
    let hash = sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(account_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(hash.flatten())
}

/// Replaces the password and ends every other session of the account, so that a password
/// changed after a theft locks the thief out.
pub async fn set_password(
    db: &Db,
    account_id: i64,
    hash: &str,
    keep_session: Option<&str>,
) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
        .bind(account_id)
        .bind(keep_session.unwrap_or(""))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Links a Wikimedia identity to an account, and follows a rename on Wikimedia's side.
pub async fn link_wikimedia(
    db: &Db,
    account_id: i64,
    sub: &str,
    username: &Username,
) -> Result<(), AppError> {
    let result = sqlx::query(
        "UPDATE accounts SET wikimedia_sub = $1, username = $2, username_key = $3, username_skeleton = $4 WHERE id = $5",
    )
    .bind(sub)
    .bind(username.as_str())
    .bind(username.key())
    .bind(username.skeleton())
    .bind(account_id)
    .execute(db.pool())
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict("cxc-error-username-taken")),
        Err(e) => Err(e.into()),
    }
}

/// Gives accounts made before skeletons were stored theirs; does nothing once all have one.
pub async fn fill_in_skeletons(db: &Db) -> Result<u64, AppError> {
    let mut filled = 0;
    loop {
        let rows = sqlx::query(
            "SELECT id, username FROM accounts WHERE username_skeleton IS NULL ORDER BY id LIMIT 1000",
        )
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>("id")?, r.try_get::<String, _>("username")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let mut tx = db.begin_write().await?;
        for (id, username) in &rows {
            sqlx::query("UPDATE accounts SET username_skeleton = $1 WHERE id = $2")
                .bind(Username::skeleton_of(username))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        filled += rows.len() as u64;
    }
}

pub async fn list(db: &Db) -> Result<Vec<Account>, AppError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a ORDER BY a.username_key");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(account).collect::<Result<_, _>>()?)
}

/// How many accounts there are, from the count triggers keep (migration 0016).
pub async fn count(db: &Db) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT n FROM account_count WHERE id = 1")
            .fetch_one(db.pool())
            .await?,
    )
}

pub async fn create_session(
    db: &Db,
    id_hash: &str,
    account_id: i64,
    expires_at: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id_hash)
    .bind(account_id)
    .bind(now())
    .bind(expires_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn by_session(db: &Db, id_hash: &str) -> Result<Option<Account>, AppError> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2"
    );
    let row = sqlx::query(&sql)
        .bind(id_hash)
        .bind(now())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.as_ref().map(account).transpose()?)
}

pub async fn delete_session(db: &Db, id_hash: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Removes expired sessions.
pub async fn delete_expired(db: &Db) -> Result<u64, AppError> {
    let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now())
        .execute(db.pool())
        .await?;
    Ok(sessions.rows_affected())
}

#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: i64,
    pub username: String,
    pub label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn create_token(
    db: &Db,
    account_id: i64,
    label: &str,
    token_hash: &str,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (account_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(account_id)
    .bind(label)
    .bind(token_hash)
    .bind(now())
    .fetch_one(db.pool())
    .await?)
}

pub async fn by_token(db: &Db, token_hash: &str) -> Result<Option<Account>, AppError> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS}, t.id AS token_id, t.last_used_at AS token_last_used FROM api_tokens t \
         JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
    );
    let Some(row) = sqlx::query(&sql)
        .bind(token_hash)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    // Recorded at most once a minute, so that busy API clients do not turn reads into writes:
    // the request that finds the last use recent enough writes nothing.
    let now = now();
    let last_used: Option<i64> = row.try_get("token_last_used")?;
    if last_used.is_none_or(|t| t < now - 60) {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(row.try_get::<i64, _>("token_id")?)
        .bind(now - 60)
        .execute(db.pool())
        .await?;
    }
    Ok(Some(account(&row)?))
}

pub async fn list_tokens(db: &Db, account_id: Option<i64>) -> Result<Vec<ApiToken>, AppError> {
    let rows = sqlx::query(
        "SELECT t.id, a.username, t.label, t.created_at, t.last_used_at, t.revoked_at \
         FROM api_tokens t JOIN accounts a ON a.id = t.account_id \
         WHERE $1 = 0 OR t.account_id = $1 ORDER BY t.id",
    )
    .bind(account_id.unwrap_or(0))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ApiToken {
                id: r.try_get("id")?,
                username: r.try_get("username")?,
                label: r.try_get("label")?,
                created_at: r.try_get("created_at")?,
                last_used_at: r.try_get("last_used_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Revokes a token; false when no live token has that id.
pub async fn revoke_token(db: &Db, token_id: i64) -> Result<bool, AppError> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now())
            .bind(token_id)
            .execute(db.pool())
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets an account's roles: administrator, moderator, both or neither.
pub async fn set_roles(
    db: &Db,
    account_id: i64,
    admin: bool,
    moderator: bool,
) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE accounts SET is_admin = $2, is_moderator = $3 WHERE id = $1")
        .bind(account_id)
        .bind(i64::from(admin))
        .bind(i64::from(moderator))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes an account and everything personal attached to it: posts, messages, thank-yous,
/// notifications, profile, languages, capacities, affiliations, projects, sessions, tokens,
/// suggestions and management roles.
pub async fn delete(db: &Db, account_id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let posts: Vec<i64> = sqlx::query_scalar("SELECT id FROM posts WHERE author_id = $1")
        .bind(account_id)
        .fetch_all(&mut *tx)
        .await?;
    for post in &posts {
        sqlx::query("DELETE FROM post_capacities WHERE post_id = $1")
            .bind(post)
            .execute(&mut *tx)
            .await?;
        super::catalog::log_change(&mut tx, super::catalog::ChangeKind::Post, &post.to_string())
            .await?;
    }
    sqlx::query("DELETE FROM posts WHERE author_id = $1")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    // Others' bookmarks of the person and their posts go too: a username set free may be
    // taken by someone else, whom they never saved.
    let username: Option<String> =
        sqlx::query_scalar("SELECT username FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(username) = username {
        sqlx::query("DELETE FROM saved WHERE kind = 'person' AND item_key = $1")
            .bind(username)
            .execute(&mut *tx)
            .await?;
    }
    for post in &posts {
        sqlx::query("DELETE FROM saved WHERE kind = 'post' AND item_key = $1")
            .bind(post.to_string())
            .execute(&mut *tx)
            .await?;
    }
    // The other party keeps their side of each connection: the thread without the deleted
    // person's words, and a request that can no longer be answered is withdrawn.
    let connections: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM connections WHERE from_id = $1 OR to_id = $1")
            .bind(account_id)
            .fetch_all(&mut *tx)
            .await?;
    sqlx::query(
        "UPDATE connections SET status = 'withdrawn' WHERE (from_id = $1 OR to_id = $1) \
         AND status IN ('requested', 'info_requested', 'accepted')",
    )
    .bind(account_id)
    .execute(&mut *tx)
    .await?;
    for sql in [
        "DELETE FROM messages WHERE author_id = $1",
        "DELETE FROM thanks WHERE author_id = $1",
        "UPDATE thanks SET recipient_id = NULL WHERE recipient_id = $1",
        "DELETE FROM notifications WHERE account_id = $1",
        "UPDATE notifications SET actor_id = NULL WHERE actor_id = $1",
        "UPDATE connections SET from_id = NULL WHERE from_id = $1",
        "UPDATE connections SET to_id = NULL WHERE to_id = $1",
    ] {
        sqlx::query(sql).bind(account_id).execute(&mut *tx).await?;
    }
    for connection in &connections {
        super::catalog::log_change(
            &mut tx,
            super::catalog::ChangeKind::Connection,
            &connection.to_string(),
        )
        .await?;
    }
    for table in [
        "profile_languages",
        "profile_capacities",
        "profile_affiliations",
        "profile_projects",
        "profiles",
        "sessions",
        "api_tokens",
        "capacity_suggestions",
        "organization_managers",
        "blocks",
        "saved",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE account_id = $1"))
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM blocks WHERE blocked_id = $1")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM accounts WHERE id = $1")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    super::catalog::log_change(
        &mut tx,
        super::catalog::ChangeKind::Profile,
        &account_id.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The organizations someone manages and the capacities they suggested, for their data export.
pub async fn personal_extras(
    db: &Db,
    account_id: i64,
) -> Result<(Vec<String>, Vec<serde_json::Value>), AppError> {
    let manages: Vec<String> = sqlx::query_scalar(
        "SELECT o.key FROM organization_managers m JOIN organizations o ON o.id = m.organization_id \
         WHERE m.account_id = $1 ORDER BY o.key",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    let rows = sqlx::query(
        "SELECT lang, label, description, status, created_at FROM capacity_suggestions WHERE account_id = $1 ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?;
    let suggestions = rows
        .iter()
        .map(|r| {
            Ok(serde_json::json!({
                "lang": r.try_get::<String, _>("lang")?,
                "label": r.try_get::<String, _>("label")?,
                "description": r.try_get::<String, _>("description")?,
                "status": r.try_get::<String, _>("status")?,
                "created_at": r.try_get::<i64, _>("created_at")?,
            }))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((manages, suggestions))
}

/// Records that `account_id` never wants to be matched with `blocked_id`.
pub async fn block(db: &Db, account_id: i64, blocked_id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO blocks (account_id, blocked_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(blocked_id)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    super::catalog::log_change(
        &mut tx,
        super::catalog::ChangeKind::Block,
        &account_id.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn unblock(db: &Db, account_id: i64, blocked_id: i64) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM blocks WHERE account_id = $1 AND blocked_id = $2")
        .bind(account_id)
        .bind(blocked_id)
        .execute(&mut *tx)
        .await?;
    super::catalog::log_change(
        &mut tx,
        super::catalog::ChangeKind::Block,
        &account_id.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every block, as (who blocked, whom).
pub async fn all_blocks(pool: &sqlx::AnyPool) -> Result<Vec<(i64, i64)>, AppError> {
    sqlx::query("SELECT account_id, blocked_id FROM blocks")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("account_id")?, r.try_get("blocked_id")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The usernames someone blocked.
pub async fn blocked_by(db: &Db, account_id: i64) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT a.username FROM blocks b JOIN accounts a ON a.id = b.blocked_id WHERE b.account_id = $1 ORDER BY a.username_key",
    )
    .bind(account_id)
    .fetch_all(db.pool())
    .await?)
}
