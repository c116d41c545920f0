//! E-mail settings and the outgoing queue. A message to send is a row written in the same
//! transaction as what it tells of, and marked sent only after the SMTP server took it: a
//! crash or an outage loses nothing. A sender claims a row for a while before sending, so that
//! two instances never send the same row at once.

use cxc_core::mail::EmailMode;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, Tx};
use crate::error::AppError;

/// Someone's e-mail settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    pub address: Option<String>,
    pub verified: bool,
    pub mode: EmailMode,
    /// The language e-mails are written in.
    pub lang: Option<String>,
    /// Put in every e-mail's unsubscribe link; it can only turn e-mail off.
    pub unsubscribe_token: Option<String>,
}

/// What a queued message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// The link that confirms an address.
    Confirm,
    /// One notification.
    Notification,
    /// The week's unread notifications.
    Digest,
}

impl JobKind {
    fn as_str(self) -> &'static str {
        match self {
            JobKind::Confirm => "confirm",
            JobKind::Notification => "notification",
            JobKind::Digest => "digest",
        }
    }

    fn parse(s: &str) -> Option<JobKind> {
        [JobKind::Confirm, JobKind::Notification, JobKind::Digest]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub account_id: i64,
    pub kind: JobKind,
    pub notification_id: Option<i64>,
    /// For a confirmation: the address and the link.
    pub to_address: Option<String>,
    pub link: Option<String>,
    /// For a digest: notifications after this time.
    pub since: Option<i64>,
    pub attempts: i64,
}

pub async fn settings(pool: &sqlx::AnyPool, account_id: i64) -> Result<EmailSettings, AppError> {
    let row = sqlx::query(
        "SELECT email, email_verified_at, email_mode, email_lang, unsubscribe_token \
         FROM accounts WHERE id = $1",
    )
    .bind(account_id)
    .fetch_one(pool)
    .await?;
    let mode: String = row.try_get("email_mode")?;
    Ok(EmailSettings {
        address: row.try_get("email")?,
        verified: row
            .try_get::<Option<i64>, _>("email_verified_at")?
            .is_some(),
        mode: EmailMode::parse(&mode).unwrap_or(EmailMode::Off),
        lang: row.try_get("email_lang")?,
        unsubscribe_token: row.try_get("unsubscribe_token")?,
    })
}

/// A new address (unconfirmed until its link is followed): the hash of the confirmation
/// token is kept, and the link queued to that address.
pub async fn set_address(
    tx: &mut Tx,
    account_id: i64,
    address: &str,
    token_hash: &str,
    link: &str,
    now: i64,
) -> Result<(), AppError> {
    forget_queued(tx, account_id).await?;
    sqlx::query(
        "UPDATE accounts SET email = $2, email_verified_at = NULL, email_token_hash = $3 \
         WHERE id = $1",
    )
    .bind(account_id)
    .bind(address)
    .bind(token_hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO mail_queue (account_id, kind, to_address, link, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(account_id)
    .bind(JobKind::Confirm.as_str())
    .bind(address)
    .bind(link)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Drops what was queued for someone and not sent yet, and the addresses kept with what was:
/// an address given up is not kept anywhere.
async fn forget_queued(tx: &mut Tx, account_id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM mail_queue WHERE account_id = $1 AND sent_at IS NULL")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE mail_queue SET to_address = NULL WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets the address: no e-mail any more.
pub async fn clear_address(tx: &mut Tx, account_id: i64) -> Result<(), AppError> {
    forget_queued(tx, account_id).await?;
    sqlx::query(
        "UPDATE accounts SET email = NULL, email_verified_at = NULL, email_token_hash = NULL, \
         email_mode = 'off' WHERE id = $1",
    )
    .bind(account_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// How often and in which language; the unsubscribe token is made once.
pub async fn set_mode(
    tx: &mut Tx,
    account_id: i64,
    mode: EmailMode,
    lang: &str,
    unsubscribe_token: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE accounts SET email_mode = $2, email_lang = $3, \
         unsubscribe_token = COALESCE(unsubscribe_token, $4), \
         digest_sent_at = COALESCE(digest_sent_at, $5) WHERE id = $1",
    )
    .bind(account_id)
    .bind(mode.as_str())
    .bind(lang)
    .bind(unsubscribe_token)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Confirms the address whose token hashes to `token_hash`; returns its account.
pub async fn confirm(db: &Db, token_hash: &str, now: i64) -> Result<Option<i64>, AppError> {
    let mut tx = db.begin_write().await?;
    let account: Option<i64> = sqlx::query_scalar(
        "UPDATE accounts SET email_verified_at = $2, email_token_hash = NULL \
         WHERE email_token_hash = $1 RETURNING id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(account)
}

/// Turns e-mail off for the holder of an unsubscribe token; false when nobody holds it.
pub async fn unsubscribe(db: &Db, token: &str) -> Result<bool, AppError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query("UPDATE accounts SET email_mode = 'off' WHERE unsubscribe_token = $1")
        .bind(token)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() > 0)
}

/// Queues a notification for its reader, if they asked for each one by e-mail at a confirmed
/// address. Called in the notification's own transaction.
pub async fn queue_notification(
    tx: &mut Tx,
    account_id: i64,
    notification_id: i64,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO mail_queue (account_id, kind, notification_id, created_at, next_attempt_at) \
         SELECT id, $2, $3, $4, $4 FROM accounts WHERE id = $1 AND email_mode = 'each' \
         AND email_verified_at IS NOT NULL",
    )
    .bind(account_id)
    .bind(JobKind::Notification.as_str())
    .bind(notification_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues a digest for everyone on a weekly digest whose last one is a week old and who has
/// unread notifications since (from the second it went: one told of twice beats one never
/// told); returns how many were queued.
pub async fn queue_digests(db: &Db, now: i64, week: i64) -> Result<usize, AppError> {
    let mut tx = db.begin_write().await?;
    let due: Vec<(i64, i64)> = sqlx::query(
        "SELECT a.id, a.digest_sent_at FROM accounts a WHERE a.email_mode = 'weekly' \
         AND a.email_verified_at IS NOT NULL AND a.digest_sent_at <= $1 AND EXISTS \
         (SELECT 1 FROM notifications n WHERE n.account_id = a.id AND n.read_at IS NULL \
         AND n.created_at >= a.digest_sent_at)",
    )
    .bind(now - week)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("digest_sent_at")?)))
    .collect::<Result<_, sqlx::Error>>()?;
    for (account, since) in &due {
        sqlx::query(
            "INSERT INTO mail_queue (account_id, kind, since, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(account)
        .bind(JobKind::Digest.as_str())
        .bind(since)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE accounts SET digest_sent_at = $2 WHERE id = $1")
            .bind(account)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(due.len())
}

fn job(r: &AnyRow) -> Result<Job, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok(Job {
        id: r.try_get("id")?,
        account_id: r.try_get("account_id")?,
        kind: JobKind::parse(&kind).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "kind".into(),
            source: kind.clone().into(),
        })?,
        notification_id: r.try_get("notification_id")?,
        to_address: r.try_get("to_address")?,
        link: r.try_get("link")?,
        since: r.try_get("since")?,
        attempts: r.try_get("attempts")?,
    })
}

/// Messages due to be sent, oldest first.
pub async fn due(pool: &sqlx::AnyPool, now: i64, limit: i64) -> Result<Vec<Job>, AppError> {
    let rows = sqlx::query(
        "SELECT id, account_id, kind, notification_id, to_address, link, since, attempts \
         FROM mail_queue WHERE sent_at IS NULL AND next_attempt_at <= $1 \
         AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(job)
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Takes a message to send until `until`, unless another sender holds it.
pub async fn claim(db: &Db, id: i64, now: i64, until: i64) -> Result<bool, AppError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE mail_queue SET claimed_until = $3 WHERE id = $1 AND sent_at IS NULL \
         AND (claimed_until IS NULL OR claimed_until < $2)",
    )
    .bind(id)
    .bind(now)
    .bind(until)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// The SMTP server took the message (or there was nothing left to send: `note` says why).
pub async fn mark_sent(db: &Db, id: i64, now: i64, note: Option<&str>) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    // A confirmation link and its address are not kept once they have gone out.
    sqlx::query(
        "UPDATE mail_queue SET sent_at = $2, claimed_until = NULL, link = NULL, \
         to_address = NULL, last_error = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .bind(note)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sending failed: try again at `next`.
pub async fn mark_failed(db: &Db, id: i64, next: i64, error: &str) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = $2, \
         claimed_until = NULL, last_error = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(next)
    .bind(error)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
