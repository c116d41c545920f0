//! Cohorts, the people invited to them with their answers, their shared thread and the
//! events they meet at. An invitation is answered once: [`answer`] only changes a row still
//! `invited`.

use cxc_core::cohort::{Answer, Cohort, MemberRole, Status};
use cxc_core::profile::Region;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Tx;
use super::profiles::KeyIds;
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct StoredCohort {
    pub id: i64,
    pub organizer_id: Option<i64>,
    pub organizer: Option<String>,
    pub cohort: Cohort,
    pub status: Status,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub account_id: i64,
    pub username: String,
    pub role: MemberRole,
    pub answer: Answer,
}

/// A message in a cohort's thread; it goes with its author's account.
#[derive(Debug, Clone)]
pub struct CohortMessage {
    pub author: String,
    pub body: String,
    pub created_at: i64,
}

const COLUMNS: &str = "c.id, c.organizer_id, a.username, o.key AS organization, cap.key AS capacity, \
    c.name, c.description, c.language, c.region, c.status";
const FROM: &str = "FROM cohorts c LEFT JOIN accounts a ON a.id = c.organizer_id \
    LEFT JOIN organizations o ON o.id = c.organization_id JOIN capacities cap ON cap.id = c.capacity_id";

fn decode(column: &str, value: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: value.into(),
    }
}

fn cohort(r: &AnyRow) -> Result<StoredCohort, sqlx::Error> {
    let status: String = r.try_get("status")?;
    let region: Option<String> = r.try_get("region")?;
    Ok(StoredCohort {
        id: r.try_get("id")?,
        organizer_id: r.try_get("organizer_id")?,
        organizer: r.try_get("username")?,
        cohort: Cohort {
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            capacity: r.try_get("capacity")?,
            language: r.try_get("language")?,
            region: region.as_deref().and_then(Region::parse),
            organization: r.try_get("organization")?,
        },
        status: Status::parse(&status).ok_or_else(|| decode("status", status.clone()))?,
    })
}

/// Writes a new cohort, `forming`; returns its id.
pub async fn create(
    tx: &mut Tx,
    organizer_id: i64,
    cohort: &Cohort,
    ids: &dyn KeyIds,
    now: i64,
) -> Result<i64, AppError> {
    let capacity = ids
        .capacity_id(&cohort.capacity)
        .ok_or_else(|| AppError::invalid("capacity", "cxc-error-unknown-capacity"))?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cohorts (organizer_id, organization_id, capacity_id, name, description, \
         language, region, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(organizer_id)
    .bind(
        cohort
            .organization
            .as_deref()
            .and_then(|o| ids.organization_id(o)),
    )
    .bind(capacity)
    .bind(&cohort.name)
    .bind(&cohort.description)
    .bind(cohort.language.as_deref())
    .bind(cohort.region.map(Region::code))
    .bind(Status::Forming.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

pub async fn load(pool: &sqlx::AnyPool, id: i64) -> Result<Option<StoredCohort>, AppError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.as_ref().map(cohort).transpose()?)
}

/// Cohorts someone organises or was invited to, newest first, with their answer: the latest
/// 200 of those they did not decline for their list, or every one for their export.
pub async fn of_account(
    pool: &sqlx::AnyPool,
    account_id: i64,
    for_export: bool,
) -> Result<Vec<(StoredCohort, Option<Answer>)>, AppError> {
    let (declined, limit) = if for_export {
        ("", "")
    } else {
        ("AND answer <> 'declined'", "LIMIT 200")
    };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS}, m.answer AS my_answer {FROM} \
         LEFT JOIN cohort_members m ON m.cohort_id = c.id AND m.account_id = $1 \
         WHERE c.organizer_id = $1 OR c.id IN \
         (SELECT cohort_id FROM cohort_members WHERE account_id = $1 {declined}) \
         ORDER BY c.id DESC {limit}"
    ))
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let answer: Option<String> = r.try_get("my_answer")?;
            Ok((cohort(r)?, answer.as_deref().and_then(Answer::parse)))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

pub async fn members(pool: &sqlx::AnyPool, cohort_id: i64) -> Result<Vec<Member>, AppError> {
    let rows = sqlx::query(
        "SELECT m.account_id, a.username, m.role, m.answer FROM cohort_members m \
         JOIN accounts a ON a.id = m.account_id WHERE m.cohort_id = $1 \
         ORDER BY CASE m.role WHEN 'facilitator' THEN 0 ELSE 1 END, m.invited_at, a.username",
    )
    .bind(cohort_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("role")?;
            let answer: String = r.try_get("answer")?;
            Ok(Member {
                account_id: r.try_get("account_id")?,
                username: r.try_get("username")?,
                role: MemberRole::parse(&role).ok_or_else(|| decode("role", role.clone()))?,
                answer: Answer::parse(&answer).ok_or_else(|| decode("answer", answer.clone()))?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Invites someone; says whether they were new to the cohort (someone already invited,
/// whatever they answered, is left as they are).
pub async fn invite(
    tx: &mut Tx,
    cohort_id: i64,
    account_id: i64,
    role: MemberRole,
    now: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "INSERT INTO cohort_members (cohort_id, account_id, role, answer, invited_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (cohort_id, account_id) DO NOTHING",
    )
    .bind(cohort_id)
    .bind(account_id)
    .bind(role.as_str())
    .bind(Answer::Invited.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records an answer to a pending invitation; false when there was none.
pub async fn answer(
    tx: &mut Tx,
    cohort_id: i64,
    account_id: i64,
    answer: Answer,
    now: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE cohort_members SET answer = $1, answered_at = $2 \
         WHERE cohort_id = $3 AND account_id = $4 AND answer = 'invited'",
    )
    .bind(answer.as_str())
    .bind(now)
    .bind(cohort_id)
    .bind(account_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_status(
    tx: &mut Tx,
    cohort_id: i64,
    status: Status,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query("UPDATE cohorts SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(cohort_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn add_message(
    tx: &mut Tx,
    cohort_id: i64,
    author_id: i64,
    body: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO cohort_messages (cohort_id, author_id, body, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(cohort_id)
    .bind(author_id)
    .bind(body)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The thread, oldest first (the latest 500).
pub async fn messages(
    pool: &sqlx::AnyPool,
    cohort_id: i64,
) -> Result<Vec<CohortMessage>, AppError> {
    let rows = sqlx::query(
        "SELECT * FROM (SELECT m.id, a.username, m.body, m.created_at \
         FROM cohort_messages m JOIN accounts a ON a.id = m.author_id \
         WHERE m.cohort_id = $1 ORDER BY m.id DESC LIMIT 500) t ORDER BY id",
    )
    .bind(cohort_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CohortMessage {
                author: r.try_get("username")?,
                body: r.try_get("body")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// What someone wrote in cohorts' threads, for their export: cohort, text and when.
pub async fn messages_by(
    pool: &sqlx::AnyPool,
    account_id: i64,
) -> Result<Vec<(i64, String, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT cohort_id, body, created_at FROM cohort_messages WHERE author_id = $1 ORDER BY id",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("cohort_id")?,
                r.try_get("body")?,
                r.try_get("created_at")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

pub async fn link_event(tx: &mut Tx, cohort_id: i64, event_id: i64) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO cohort_events (cohort_id, event_id) VALUES ($1, $2) \
         ON CONFLICT (cohort_id, event_id) DO NOTHING",
    )
    .bind(cohort_id)
    .bind(event_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The events a cohort meets at: id and title, soonest first.
pub async fn events(pool: &sqlx::AnyPool, cohort_id: i64) -> Result<Vec<(i64, String)>, AppError> {
    let rows = sqlx::query(
        "SELECT e.id, e.title FROM cohort_events ce JOIN events e ON e.id = ce.event_id \
         WHERE ce.cohort_id = $1 ORDER BY e.starts_at",
    )
    .bind(cohort_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("title")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}
