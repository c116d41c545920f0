//! What happened that someone should know about. Written in the same transaction as what
//! it tells of, so that nobody is told of something that did not happen, nor left untold —
//! and so is the e-mail, for those who asked for one.

use sqlx::Row;

use super::{Db, Tx};
use crate::error::AppError;

/// The kinds of notification, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Requested,
    InfoRequested,
    InfoGiven,
    Accepted,
    Declined,
    Withdrawn,
    Message,
    Reminder,
    Expired,
    CompletionAsked,
    Completed,
    Thanks,
    SuggestionAccepted,
    SuggestionDeclined,
    EventSuggested,
    SeatGiven,
    /// A published mentorship round gave the mentee a mentor (the actor), and the mentor a
    /// mentee.
    MentorAssigned,
    MenteeAssigned,
    /// Someone (the actor) invited the person to a cohort.
    CohortInvited,
}

impl Kind {
    pub const ALL: [Kind; 19] = [
        Kind::Requested,
        Kind::InfoRequested,
        Kind::InfoGiven,
        Kind::Accepted,
        Kind::Declined,
        Kind::Withdrawn,
        Kind::Message,
        Kind::Reminder,
        Kind::Expired,
        Kind::CompletionAsked,
        Kind::Completed,
        Kind::Thanks,
        Kind::SuggestionAccepted,
        Kind::SuggestionDeclined,
        Kind::EventSuggested,
        Kind::SeatGiven,
        Kind::MentorAssigned,
        Kind::MenteeAssigned,
        Kind::CohortInvited,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Requested => "connection_requested",
            Kind::InfoRequested => "info_requested",
            Kind::InfoGiven => "info_given",
            Kind::Accepted => "connection_accepted",
            Kind::Declined => "connection_declined",
            Kind::Withdrawn => "connection_withdrawn",
            Kind::Message => "message",
            Kind::Reminder => "reminder",
            Kind::Expired => "connection_expired",
            Kind::CompletionAsked => "completion_asked",
            Kind::Completed => "connection_completed",
            Kind::Thanks => "thanks",
            Kind::SuggestionAccepted => "suggestion_accepted",
            Kind::SuggestionDeclined => "suggestion_declined",
            Kind::EventSuggested => "event_suggested",
            Kind::SeatGiven => "seat_given",
            Kind::MentorAssigned => "mentor_assigned",
            Kind::MenteeAssigned => "mentee_assigned",
            Kind::CohortInvited => "cohort_invited",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, Default)]
pub struct About {
    pub actor_id: Option<i64>,
    pub connection_id: Option<i64>,
    pub post_id: Option<i64>,
    pub event_id: Option<i64>,
    pub cohort_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct StoredNotification {
    pub id: i64,
    pub kind: Kind,
    /// Who did what it tells of: their account and username.
    pub actor_id: Option<i64>,
    pub actor: Option<String>,
    pub connection_id: Option<i64>,
    pub post_id: Option<i64>,
    pub event_id: Option<i64>,
    pub cohort_id: Option<i64>,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

pub async fn notify(
    tx: &mut Tx,
    account_id: i64,
    kind: Kind,
    about: About,
    now: i64,
) -> Result<(), AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notifications (account_id, kind, actor_id, connection_id, post_id, event_id, \
         cohort_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .bind(about.actor_id)
    .bind(about.connection_id)
    .bind(about.post_id)
    .bind(about.event_id)
    .bind(about.cohort_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    super::mail::queue_notification(tx, account_id, id, now).await
}

/// Someone's notifications, newest first.
pub async fn of_account(
    db: &Db,
    account_id: i64,
    unread_only: bool,
    limit: i64,
) -> Result<Vec<StoredNotification>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT n.id, n.kind, n.actor_id, a.username, n.connection_id, n.post_id, n.event_id, n.cohort_id, n.created_at, n.read_at \
         FROM notifications n LEFT JOIN accounts a ON a.id = n.actor_id \
         WHERE n.account_id = $1 {} ORDER BY n.id DESC LIMIT $2",
        if unread_only {
            "AND n.read_at IS NULL"
        } else {
            ""
        }
    ))
    .bind(account_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let kind: String = r.try_get("kind")?;
        // A kind a newer version wrote says nothing this one can tell.
        let Some(kind) = Kind::parse(&kind) else {
            continue;
        };
        out.push(StoredNotification {
            id: r.try_get("id")?,
            kind,
            actor_id: r.try_get("actor_id")?,
            actor: r.try_get("username")?,
            connection_id: r.try_get("connection_id")?,
            post_id: r.try_get("post_id")?,
            event_id: r.try_get("event_id")?,
            cohort_id: r.try_get("cohort_id")?,
            created_at: r.try_get("created_at")?,
            read_at: r.try_get("read_at")?,
        });
    }
    Ok(out)
}

/// How many notifications one call may mark read by id.
pub const MAX_MARKED: usize = 200;

pub async fn unread_count(db: &Db, account_id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL",
    )
    .bind(account_id)
    .fetch_one(db.pool())
    .await?)
}

/// Marks some of someone's notifications read (all of them when `ids` is `None`; at most
/// [`MAX_MARKED`] ids at once, which the caller checks); returns how many changed.
pub async fn mark_read(
    db: &Db,
    account_id: i64,
    ids: Option<&[i64]>,
    now: i64,
) -> Result<u64, AppError> {
    let mut tx = db.begin_write().await?;
    let mut changed = 0;
    match ids {
        None => {
            changed += sqlx::query(
                "UPDATE notifications SET read_at = $2 WHERE account_id = $1 AND read_at IS NULL",
            )
            .bind(account_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        Some(ids) => {
            if ids.is_empty() {
                return Ok(0);
            }
            let list = (0..ids.len())
                .map(|i| format!("${}", i + 3))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "UPDATE notifications SET read_at = $2 WHERE account_id = $1 AND read_at IS NULL \
                 AND id IN ({list})"
            );
            let mut query = sqlx::query(&sql).bind(account_id).bind(now);
            for id in ids {
                query = query.bind(*id);
            }
            changed += query.execute(&mut *tx).await?.rows_affected();
        }
    }
    tx.commit().await?;
    Ok(changed)
}

/// Marks read what someone was told about one connection, once they have seen it.
pub async fn mark_connection_read(
    db: &Db,
    account_id: i64,
    connection_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let unread: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND connection_id = $2 \
         AND read_at IS NULL",
    )
    .bind(account_id)
    .bind(connection_id)
    .fetch_one(db.pool())
    .await?;
    // Reading a page should not take the write lock when there is nothing to mark.
    if unread == 0 {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE notifications SET read_at = $3 WHERE account_id = $1 AND connection_id = $2 \
         AND read_at IS NULL",
    )
    .bind(account_id)
    .bind(connection_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
