//! Reports, moderators' decisions, suspensions, hidden content and the audit log. Every
//! moderator action writes its audit entry in the same transaction as the action.

use cxc_core::moderation::{Report, ReportReason, ReportStatus, ReportTarget};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::catalog::{ChangeKind, log_change};
use super::{Db, Tx};
use crate::db::accounts::Account;
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct StoredReport {
    pub id: i64,
    pub reporter: Option<String>,
    pub target: ReportTarget,
    pub target_id: String,
    /// The account behind what was reported (its author, or the person reported).
    pub target_account_id: Option<i64>,
    pub target_account: Option<String>,
    pub reason: ReportReason,
    pub details: String,
    pub excerpt: String,
    pub status: ReportStatus,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    pub moderator: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub note: String,
    pub created_at: i64,
}

const REPORT_COLUMNS: &str = "SELECT r.id, rep.username AS reporter, r.target_kind, r.target_id, \
    r.target_account_id, t.username AS target_account, r.reason, r.details, r.excerpt, r.status, \
    r.created_at, r.decided_at, r.note FROM reports r \
    LEFT JOIN accounts rep ON rep.id = r.reporter_id LEFT JOIN accounts t ON t.id = r.target_account_id";

fn report(r: &AnyRow) -> Result<StoredReport, sqlx::Error> {
    let decode = |column: &str, value: String| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: value.into(),
    };
    let target: String = r.try_get("target_kind")?;
    let reason: String = r.try_get("reason")?;
    let status: String = r.try_get("status")?;
    Ok(StoredReport {
        id: r.try_get("id")?,
        reporter: r.try_get("reporter")?,
        target: ReportTarget::parse(&target)
            .ok_or_else(|| decode("target_kind", target.clone()))?,
        target_id: r.try_get("target_id")?,
        target_account_id: r.try_get("target_account_id")?,
        target_account: r.try_get("target_account")?,
        reason: ReportReason::parse(&reason).ok_or_else(|| decode("reason", reason.clone()))?,
        details: r.try_get("details")?,
        excerpt: r.try_get("excerpt")?,
        status: ReportStatus::parse(&status).ok_or_else(|| decode("status", status.clone()))?,
        created_at: r.try_get("created_at")?,
        decided_at: r.try_get("decided_at")?,
        note: r.try_get("note")?,
    })
}

/// Files a report; `None` when the reporter already has an open report on the same target.
pub async fn file(
    db: &Db,
    reporter_id: i64,
    report: &Report,
    target_account_id: Option<i64>,
    excerpt: &str,
    now: i64,
) -> Result<Option<i64>, AppError> {
    let mut tx = db.begin_write().await?;
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM reports WHERE reporter_id = $1 AND target_kind = $2 \
         AND target_id = $3 AND status = 'open'",
    )
    .bind(reporter_id)
    .bind(report.target.as_str())
    .bind(&report.id)
    .fetch_one(&mut *tx)
    .await?;
    if open > 0 {
        return Ok(None);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reports (reporter_id, target_kind, target_id, target_account_id, reason, \
         details, excerpt, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(reporter_id)
    .bind(report.target.as_str())
    .bind(&report.id)
    .bind(target_account_id)
    .bind(report.reason.as_str())
    .bind(&report.details)
    .bind(excerpt)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Reports of one status (all when `None`), oldest first: the queue.
pub async fn reports(
    pool: &sqlx::AnyPool,
    status: Option<ReportStatus>,
) -> Result<Vec<StoredReport>, AppError> {
    let rows = match status {
        Some(s) => {
            sqlx::query(&format!(
                "{REPORT_COLUMNS} WHERE r.status = $1 ORDER BY r.id"
            ))
            .bind(s.as_str())
            .fetch_all(pool)
            .await?
        }
        None => {
            sqlx::query(&format!("{REPORT_COLUMNS} ORDER BY r.id"))
                .fetch_all(pool)
                .await?
        }
    };
    rows.iter()
        .map(report)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Reports someone filed, for their export.
pub async fn reports_by(
    pool: &sqlx::AnyPool,
    reporter_id: i64,
) -> Result<Vec<StoredReport>, AppError> {
    let rows = sqlx::query(&format!(
        "{REPORT_COLUMNS} WHERE r.reporter_id = $1 ORDER BY r.id"
    ))
    .bind(reporter_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(report)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

pub async fn load_report_in(tx: &mut Tx, id: i64) -> Result<Option<StoredReport>, AppError> {
    let row = sqlx::query(&format!("{REPORT_COLUMNS} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row.as_ref().map(report).transpose()?)
}

/// Closes an open report with a decision; false when it was decided already.
pub async fn decide(
    tx: &mut Tx,
    id: i64,
    status: ReportStatus,
    moderator: &Account,
    note: &str,
    now: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE reports SET status = $2, decided_at = $3, decided_by = $4, note = $5 \
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(now)
    .bind(moderator.id)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Writes what a moderator did. `moderator` is `None` for what cxc does by itself (a
/// suspension running out).
pub async fn audit(
    tx: &mut Tx,
    moderator: Option<&Account>,
    action: &str,
    target_kind: &str,
    target_id: &str,
    note: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO audit_log (moderator_id, moderator, action, target_kind, target_id, note, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(moderator.map(|m| m.id))
    .bind(moderator.map_or("cxc", |m| m.username.as_str()))
    .bind(action)
    .bind(target_kind)
    .bind(target_id)
    .bind(note)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The audit log, newest first.
pub async fn audit_log(pool: &sqlx::AnyPool, limit: i64) -> Result<Vec<AuditEntry>, AppError> {
    let rows = sqlx::query(
        "SELECT id, moderator, action, target_kind, target_id, note, created_at FROM audit_log \
         ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                moderator: r.try_get("moderator")?,
                action: r.try_get("action")?,
                target_kind: r.try_get("target_kind")?,
                target_id: r.try_get("target_id")?,
                note: r.try_get("note")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Suspends an account until `until` (Unix seconds) or indefinitely, and signs it out
/// everywhere. The read side drops the person from search and matching.
pub async fn suspend(
    tx: &mut Tx,
    account_id: i64,
    until: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query("UPDATE accounts SET suspended_at = $2, suspended_until = $3 WHERE id = $1")
        .bind(account_id)
        .bind(now)
        .bind(until)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    log_change(tx, ChangeKind::Profile, &account_id.to_string()).await
}

/// Lifts a suspension; false when the account was not suspended.
pub async fn lift(tx: &mut Tx, account_id: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE accounts SET suspended_at = NULL, suspended_until = NULL \
         WHERE id = $1 AND suspended_at IS NOT NULL",
    )
    .bind(account_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 1 {
        log_change(tx, ChangeKind::Profile, &account_id.to_string()).await?;
    }
    Ok(done.rows_affected() == 1)
}

/// Lifts the suspensions that have run out, writing each to the audit log; returns how many.
pub async fn lift_expired(db: &Db, now: i64) -> Result<usize, AppError> {
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM accounts WHERE suspended_at IS NOT NULL AND suspended_until <= $1",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut lifted = 0;
    for id in due {
        let mut tx = db.begin_write().await?;
        // Still run out? A moderator may have suspended the account anew meanwhile.
        let still_due: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM accounts WHERE id = $1 AND suspended_at IS NOT NULL \
             AND suspended_until <= $2",
        )
        .bind(id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if still_due == 1 && lift(&mut tx, id).await? {
            audit(
                &mut tx,
                None,
                "suspension_ended",
                "profile",
                &id.to_string(),
                "",
                now,
            )
            .await?;
            lifted += 1;
        }
        tx.commit().await?;
    }
    Ok(lifted)
}

/// Hides a post or a message from everyone but moderators; false when there is none.
pub async fn hide(tx: &mut Tx, target: ReportTarget, id: i64) -> Result<bool, AppError> {
    let table = match target {
        ReportTarget::Post => "posts",
        ReportTarget::Message => "messages",
        _ => return Ok(false),
    };
    let done = sqlx::query(&format!("UPDATE {table} SET hidden = 1 WHERE id = $1"))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    if target == ReportTarget::Post && done.rows_affected() == 1 {
        log_change(tx, ChangeKind::Post, &id.to_string()).await?;
    }
    Ok(done.rows_affected() == 1)
}

/// The author of a message and its text, for a report about it.
pub async fn message_author(
    pool: &sqlx::AnyPool,
    message_id: i64,
) -> Result<Option<(i64, Option<i64>, String)>, AppError> {
    let row = sqlx::query("SELECT connection_id, author_id, body FROM messages WHERE id = $1")
        .bind(message_id)
        .fetch_optional(pool)
        .await?;
    match row {
        Some(r) => Ok(Some((
            r.try_get("connection_id")?,
            r.try_get("author_id")?,
            r.try_get("body")?,
        ))),
        None => Ok(None),
    }
}
