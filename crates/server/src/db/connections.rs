//! Connections, their threads and thank-yous. A connection's status only changes through
//! [`set_state`], which checks that nobody changed it first, so that two answers to one request
//! give one outcome.

use std::collections::HashMap;

use cxc_core::connection::{ConnectionStatus, DeclineReason, State};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Tx;
use super::catalog::{ChangeKind, log_change};
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct StoredConnection {
    pub id: i64,
    /// The requester and the recipient: ids and usernames, `None` once their account is gone.
    pub from_id: Option<i64>,
    pub from: Option<String>,
    pub to_id: Option<i64>,
    pub to: Option<String>,
    /// The capacity it is about, by key.
    pub capacity: Option<String>,
    pub post_id: Option<i64>,
    pub state: State,
    pub decline_reason: Option<DeclineReason>,
    pub created_at: i64,
    pub updated_at: i64,
    pub waiting_since: i64,
    pub reminded_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: i64,
    pub author_id: Option<i64>,
    pub author: Option<String>,
    pub body: String,
    pub created_at: i64,
    /// Hidden by a moderator.
    pub hidden: bool,
}

#[derive(Debug, Clone)]
pub struct StoredThanks {
    pub connection_id: i64,
    pub author: String,
    pub body: String,
    pub public: bool,
    pub shown: bool,
    pub created_at: i64,
}

const COLUMNS: &str = "c.id, c.from_id, f.username AS from_name, c.to_id, t.username AS to_name, \
    cap.key AS capacity, c.post_id, c.status, c.decline_reason, c.from_completed, c.to_completed, \
    c.created_at, c.updated_at, c.waiting_since, c.reminded_at";
const FROM: &str = "FROM connections c LEFT JOIN accounts f ON f.id = c.from_id \
    LEFT JOIN accounts t ON t.id = c.to_id LEFT JOIN capacities cap ON cap.id = c.capacity_id";

fn connection(r: &AnyRow) -> Result<StoredConnection, sqlx::Error> {
    let status: String = r.try_get("status")?;
    let reason: Option<String> = r.try_get("decline_reason")?;
    Ok(StoredConnection {
        id: r.try_get("id")?,
        from_id: r.try_get("from_id")?,
        from: r.try_get("from_name")?,
        to_id: r.try_get("to_id")?,
        to: r.try_get("to_name")?,
        capacity: r.try_get("capacity")?,
        post_id: r.try_get("post_id")?,
        state: State {
            status: ConnectionStatus::parse(&status).ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "status".into(),
                source: status.clone().into(),
            })?,
            requester_completed: r.try_get::<i64, _>("from_completed")? != 0,
            recipient_completed: r.try_get::<i64, _>("to_completed")? != 0,
        },
        decline_reason: reason.as_deref().and_then(DeclineReason::parse),
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        waiting_since: r.try_get("waiting_since")?,
        reminded_at: r.try_get("reminded_at")?,
    })
}

/// A new request, with its first message; returns its id.
pub async fn create(
    tx: &mut Tx,
    from: i64,
    to: i64,
    capacity_id: Option<i64>,
    post_id: Option<i64>,
    message: &str,
    now: i64,
) -> Result<i64, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO connections (from_id, to_id, capacity_id, post_id, status, created_at, \
         updated_at, waiting_since) VALUES ($1, $2, $3, $4, $5, $6, $6, $6) RETURNING id",
    )
    .bind(from)
    .bind(to)
    .bind(capacity_id)
    .bind(post_id)
    .bind(ConnectionStatus::Requested.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    add_message(tx, id, from, message, now).await?;
    log_change(tx, ChangeKind::Connection, &id.to_string()).await?;
    Ok(id)
}

/// A connection a mentorship programme made: accepted from the start, from the mentee to the
/// mentor, with no first message (the programme introduced them).
pub async fn create_paired(
    tx: &mut Tx,
    mentee: i64,
    mentor: i64,
    capacity_id: Option<i64>,
    programme_id: i64,
    now: i64,
) -> Result<i64, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO connections (from_id, to_id, capacity_id, programme_id, status, created_at, \
         updated_at, waiting_since) VALUES ($1, $2, $3, $4, $5, $6, $6, $6) RETURNING id",
    )
    .bind(mentee)
    .bind(mentor)
    .bind(capacity_id)
    .bind(programme_id)
    .bind(ConnectionStatus::Accepted.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    log_change(tx, ChangeKind::Connection, &id.to_string()).await?;
    Ok(id)
}

/// One connection, read inside a write transaction (so that what is checked is what is
/// changed).
pub async fn load_in(tx: &mut Tx, id: i64) -> Result<Option<StoredConnection>, AppError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.as_ref().map(connection).transpose()?)
}

pub async fn load(pool: &sqlx::AnyPool, id: i64) -> Result<Option<StoredConnection>, AppError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.as_ref().map(connection).transpose()?)
}

/// Moves a connection from `old` to `new`, unless its status changed meanwhile; says whether
/// it did. `waiting` restarts the recipient's clock (a request that comes back).
pub async fn set_state(
    tx: &mut Tx,
    id: i64,
    old: ConnectionStatus,
    new: State,
    reason: Option<DeclineReason>,
    waiting: bool,
    now: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE connections SET status = $3, from_completed = $4, to_completed = $5, \
         decline_reason = COALESCE($6, decline_reason), updated_at = $7, \
         waiting_since = COALESCE($8, waiting_since), \
         reminded_at = CASE WHEN $8 IS NULL THEN reminded_at END, \
         completed_at = COALESCE($9, completed_at) WHERE id = $1 AND status = $2",
    )
    .bind(id)
    .bind(old.as_str())
    .bind(new.status.as_str())
    .bind(i64::from(new.requester_completed))
    .bind(i64::from(new.recipient_completed))
    .bind(reason.map(DeclineReason::as_str))
    .bind(now)
    .bind(waiting.then_some(now))
    .bind((new.status == ConnectionStatus::Completed).then_some(now))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 {
        log_change(tx, ChangeKind::Connection, &id.to_string()).await?;
    }
    Ok(done.rows_affected() == 1)
}

pub async fn add_message(
    tx: &mut Tx,
    connection_id: i64,
    author_id: i64,
    body: &str,
    now: i64,
) -> Result<i64, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (connection_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(connection_id)
    .bind(author_id)
    .bind(body)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("UPDATE connections SET updated_at = $2 WHERE id = $1")
        .bind(connection_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// A thread, oldest first.
pub async fn messages(
    pool: &sqlx::AnyPool,
    connection_id: i64,
) -> Result<Vec<StoredMessage>, AppError> {
    let rows = sqlx::query(
        "SELECT m.id, m.author_id, a.username, m.body, m.created_at, m.hidden FROM messages m \
         LEFT JOIN accounts a ON a.id = m.author_id WHERE m.connection_id = $1 ORDER BY m.id",
    )
    .bind(connection_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredMessage {
                id: r.try_get("id")?,
                author_id: r.try_get("author_id")?,
                author: r.try_get("username")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
                hidden: r.try_get::<i64, _>("hidden")? != 0,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Everything someone wrote in threads, oldest first, with the connection of each.
pub async fn messages_by(
    pool: &sqlx::AnyPool,
    author_id: i64,
) -> Result<Vec<(i64, StoredMessage)>, AppError> {
    let rows = sqlx::query(
        "SELECT m.id, m.connection_id, m.author_id, a.username, m.body, m.created_at, m.hidden \
         FROM messages m JOIN accounts a ON a.id = m.author_id WHERE m.author_id = $1 ORDER BY m.id",
    )
    .bind(author_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("connection_id")?,
                StoredMessage {
                    id: r.try_get("id")?,
                    author_id: r.try_get("author_id")?,
                    author: r.try_get("username")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                    hidden: r.try_get::<i64, _>("hidden")? != 0,
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Whose connections: requests someone sent, received, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Sent,
    Received,
    Either,
}

/// Someone's connections, newest activity first, optionally of some statuses only.
pub async fn of_account(
    pool: &sqlx::AnyPool,
    account_id: i64,
    role: Role,
    statuses: &[ConnectionStatus],
) -> Result<Vec<StoredConnection>, AppError> {
    let whose = match role {
        Role::Sent => "c.from_id = $1",
        Role::Received => "c.to_id = $1",
        Role::Either => "(c.from_id = $1 OR c.to_id = $1)",
    };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE {whose} ORDER BY c.updated_at DESC, c.id DESC"
    ))
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    let all = rows
        .iter()
        .map(connection)
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(all
        .into_iter()
        .filter(|c| statuses.is_empty() || statuses.contains(&c.state.status))
        .collect())
}

/// Requests `account_id` sent that wait for an answer.
pub async fn pending_sent(tx: &mut Tx, account_id: i64) -> Result<usize, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM connections WHERE from_id = $1 AND status IN ($2, $3)",
    )
    .bind(account_id)
    .bind(ConnectionStatus::Requested.as_str())
    .bind(ConnectionStatus::InfoRequested.as_str())
    .fetch_one(&mut **tx)
    .await?;
    Ok(n as usize)
}

/// Open connections (pending or accepted) someone is part of.
pub async fn open_count(tx: &mut Tx, account_id: i64) -> Result<usize, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM connections WHERE (from_id = $1 OR to_id = $1) AND status IN ($2, $3, $4)",
    )
    .bind(account_id)
    .bind(ConnectionStatus::Requested.as_str())
    .bind(ConnectionStatus::InfoRequested.as_str())
    .bind(ConnectionStatus::Accepted.as_str())
    .fetch_one(&mut **tx)
    .await?;
    Ok(n as usize)
}

/// Whether two people already have an open connection, either way round.
pub async fn open_between(tx: &mut Tx, a: i64, b: i64) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM connections WHERE ((from_id = $1 AND to_id = $2) OR \
         (from_id = $2 AND to_id = $1)) AND status IN ($3, $4, $5)",
    )
    .bind(a)
    .bind(b)
    .bind(ConnectionStatus::Requested.as_str())
    .bind(ConnectionStatus::InfoRequested.as_str())
    .bind(ConnectionStatus::Accepted.as_str())
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

/// How many open connections (pending or accepted) each person is part of: the load that
/// counts against the limit they set.
pub async fn loads(pool: &sqlx::AnyPool) -> Result<HashMap<i64, u16>, AppError> {
    let rows = sqlx::query(
        "SELECT person, COUNT(*) AS open FROM (SELECT from_id AS person FROM connections \
         WHERE status IN ($1, $2, $3) UNION ALL SELECT to_id AS person FROM connections \
         WHERE status IN ($1, $2, $3)) sides WHERE person IS NOT NULL GROUP BY person",
    )
    .bind(ConnectionStatus::Requested.as_str())
    .bind(ConnectionStatus::InfoRequested.as_str())
    .bind(ConnectionStatus::Accepted.as_str())
    .fetch_all(pool)
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        let n: i64 = r.try_get("open")?;
        out.insert(r.try_get("person")?, u16::try_from(n).unwrap_or(u16::MAX));
    }
    Ok(out)
}

/// Requests waiting since before `since` of the given status, for reminders and expiry.
pub async fn waiting_since_before(
    pool: &sqlx::AnyPool,
    since: i64,
) -> Result<Vec<StoredConnection>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE c.status IN ($1, $2) AND c.waiting_since < $3 ORDER BY c.id"
    ))
    .bind(ConnectionStatus::Requested.as_str())
    .bind(ConnectionStatus::InfoRequested.as_str())
    .bind(since)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(connection)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Notes that the recipient was reminded, unless someone else did it first.
pub async fn mark_reminded(tx: &mut Tx, id: i64, now: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE connections SET reminded_at = $2 WHERE id = $1 AND reminded_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Leaves a thank-you; false when its author already left one.
pub async fn add_thanks(
    tx: &mut Tx,
    connection_id: i64,
    author_id: i64,
    recipient_id: i64,
    body: &str,
    public: bool,
    now: i64,
) -> Result<bool, AppError> {
    let exists: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM thanks WHERE connection_id = $1 AND author_id = $2",
    )
    .bind(connection_id)
    .bind(author_id)
    .fetch_one(&mut **tx)
    .await?;
    if exists > 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO thanks (connection_id, author_id, recipient_id, body, public, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(connection_id)
    .bind(author_id)
    .bind(recipient_id)
    .bind(body)
    .bind(i64::from(public))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// The recipient shows a thank-you on their profile, or stops showing it.
pub async fn show_thanks(
    tx: &mut Tx,
    connection_id: i64,
    recipient_id: i64,
    shown: bool,
) -> Result<bool, AppError> {
    let done =
        sqlx::query("UPDATE thanks SET shown = $3 WHERE connection_id = $1 AND recipient_id = $2")
            .bind(connection_id)
            .bind(recipient_id)
            .bind(i64::from(shown))
            .execute(&mut **tx)
            .await?;
    Ok(done.rows_affected() > 0)
}

const THANKS_COLUMNS: &str = "SELECT th.connection_id, a.username, th.body, th.public, th.shown, \
    th.created_at FROM thanks th JOIN accounts a ON a.id = th.author_id";

fn thanks(r: &AnyRow) -> Result<StoredThanks, sqlx::Error> {
    Ok(StoredThanks {
        connection_id: r.try_get("connection_id")?,
        author: r.try_get("username")?,
        body: r.try_get("body")?,
        public: r.try_get::<i64, _>("public")? != 0,
        shown: r.try_get::<i64, _>("shown")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

/// The thank-yous of one connection.
pub async fn thanks_of(
    pool: &sqlx::AnyPool,
    connection_id: i64,
) -> Result<Vec<StoredThanks>, AppError> {
    let rows = sqlx::query(&format!(
        "{THANKS_COLUMNS} WHERE th.connection_id = $1 ORDER BY th.created_at"
    ))
    .bind(connection_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(thanks)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Thank-yous a person received that both sides agreed to show, newest first.
pub async fn shown_thanks(
    pool: &sqlx::AnyPool,
    recipient_id: i64,
) -> Result<Vec<StoredThanks>, AppError> {
    let rows = sqlx::query(&format!(
        "{THANKS_COLUMNS} WHERE th.recipient_id = $1 AND th.public = 1 AND th.shown = 1 \
         ORDER BY th.created_at DESC LIMIT 20"
    ))
    .bind(recipient_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(thanks)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// When each connection was opened, and completed if it was, for the dashboard.
pub async fn timeline(pool: &sqlx::AnyPool) -> Result<Vec<(i64, Option<i64>)>, AppError> {
    let rows = sqlx::query("SELECT created_at, completed_at FROM connections ORDER BY id")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("created_at")?, r.try_get("completed_at")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}
