//! Mentorship programmes, their applications and their latest computed round. A round is
//! published once: [`mark_published`] only succeeds on a programme not yet published, in the
//! same transaction that makes its connections.

use std::collections::HashMap;

use cxc_core::assignment::Mode;
use cxc_core::capacity::split_codes;
use cxc_core::profile::{Region, format_date, parse_date};
use cxc_core::programme::{Application, Programme, Role};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Tx;
use super::profiles::KeyIds;
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct StoredProgramme {
    pub id: i64,
    pub organizer_id: Option<i64>,
    pub organizer: Option<String>,
    pub programme: Programme,
    pub published_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct StoredApplication {
    pub account_id: i64,
    pub username: String,
    pub application: Application,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A computed round: the organiser's choices, the pairs `(mentor, mentee, score)` and who is
/// left out, by account id.
#[derive(Debug, Clone)]
pub struct StoredRound {
    pub mode: Mode,
    pub pinned: Vec<(i64, i64)>,
    pub forbidden: Vec<(i64, i64)>,
    pub pairs: Vec<(i64, i64, f32)>,
    /// Who has no partner, by account id, with why (a [`cxc_core::programme::Why`] code).
    pub unmatched: Vec<(i64, String)>,
    /// The programme's applications revision it was computed from.
    pub revision: i64,
    pub computed_at: i64,
}

const COLUMNS: &str = "p.id, p.organizer_id, a.username, o.key AS organization, p.name, \
    p.description, p.languages, p.region, p.registration_opens, p.registration_closes, \
    p.mentor_questions, p.mentee_questions, p.mentor_limit, p.published_at, p.closed_at, \
    p.created_at";
const FROM: &str = "FROM programmes p LEFT JOIN accounts a ON a.id = p.organizer_id \
    LEFT JOIN organizations o ON o.id = p.organization_id";

fn decode(column: &str, value: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: value.into(),
    }
}

fn json_list<T: serde::de::DeserializeOwned>(r: &AnyRow, column: &str) -> Result<T, sqlx::Error> {
    let raw: String = r.try_get(column)?;
    serde_json::from_str(&raw).map_err(|_| decode(column, raw))
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

pub async fn create(
    tx: &mut Tx,
    organizer_id: i64,
    programme: &Programme,
    ids: &dyn KeyIds,
    now: i64,
) -> Result<i64, AppError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO programmes (organizer_id, organization_id, name, description, languages, \
         region, registration_opens, registration_closes, mentor_questions, mentee_questions, \
         mentor_limit, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(organizer_id)
    .bind(
        programme
            .organization
            .as_deref()
            .and_then(|o| ids.organization_id(o)),
    )
    .bind(&programme.name)
    .bind(&programme.description)
    .bind(programme.languages.join(","))
    .bind(programme.region.map(Region::code))
    .bind(format_date(programme.registration_opens))
    .bind(format_date(programme.registration_closes))
    .bind(json(&programme.mentor_questions))
    .bind(json(&programme.mentee_questions))
    .bind(i64::from(programme.mentor_limit))
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    for (position, key) in programme.capacities.iter().enumerate() {
        if let Some(capacity) = ids.capacity_id(key) {
            sqlx::query(
                "INSERT INTO programme_capacities (programme_id, position, capacity_id) \
                 VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(position as i64)
            .bind(capacity)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(id)
}

fn programme(r: &AnyRow) -> Result<StoredProgramme, sqlx::Error> {
    let date = |column: &str| {
        let raw: String = r.try_get(column)?;
        parse_date(&raw).ok_or_else(|| decode(column, raw))
    };
    let languages: String = r.try_get("languages")?;
    let region: Option<String> = r.try_get("region")?;
    Ok(StoredProgramme {
        id: r.try_get("id")?,
        organizer_id: r.try_get("organizer_id")?,
        organizer: r.try_get("username")?,
        programme: Programme {
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            capacities: Vec::new(),
            languages: split_codes(&languages, |s| Some(s.to_owned())),
            region: region.as_deref().and_then(Region::parse),
            registration_opens: date("registration_opens")?,
            registration_closes: date("registration_closes")?,
            mentor_questions: json_list(r, "mentor_questions")?,
            mentee_questions: json_list(r, "mentee_questions")?,
            mentor_limit: u8::try_from(r.try_get::<i64, _>("mentor_limit")?).unwrap_or(1),
            organization: r.try_get("organization")?,
        },
        published_at: r.try_get("published_at")?,
        closed_at: r.try_get("closed_at")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Programmes matching `condition` (on `p`, with `$1` bound to `value`), newest first, with
/// their capacities.
async fn select(
    pool: &sqlx::AnyPool,
    condition: &str,
    value: i64,
) -> Result<Vec<StoredProgramme>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE {condition} ORDER BY p.id DESC LIMIT 500"
    ))
    .bind(value)
    .fetch_all(pool)
    .await?;
    let mut list = Vec::with_capacity(rows.len());
    let mut index = HashMap::new();
    for r in &rows {
        let p = programme(r)?;
        index.insert(p.id, list.len());
        list.push(p);
    }
    let capacities = sqlx::query(&format!(
        "SELECT pc.programme_id, c.key FROM programme_capacities pc \
         JOIN capacities c ON c.id = pc.capacity_id WHERE pc.programme_id IN \
         (SELECT p.id FROM programmes p WHERE {condition} ORDER BY p.id DESC LIMIT 500) \
         ORDER BY pc.programme_id, pc.position"
    ))
    .bind(value)
    .fetch_all(pool)
    .await?;
    for r in capacities {
        let id: i64 = r.try_get("programme_id")?;
        if let Some(i) = index.get(&id) {
            list[*i].programme.capacities.push(r.try_get("key")?);
        }
    }
    Ok(list)
}

pub async fn load(pool: &sqlx::AnyPool, id: i64) -> Result<Option<StoredProgramme>, AppError> {
    Ok(select(pool, "p.id = $1", id).await?.pop())
}

/// The newest programmes.
pub async fn list(pool: &sqlx::AnyPool) -> Result<Vec<StoredProgramme>, AppError> {
    select(pool, "p.id > $1", 0).await
}

const APPLICATION_COLUMNS: &str = "pa.programme_id, pa.account_id, a.username, pa.role, \
    pa.answers, pa.slots, pa.created_at, pa.updated_at";

/// Which applications to read.
#[derive(Clone, Copy)]
enum Applications {
    OfProgramme(i64),
    OfAccount(i64),
    One { programme: i64, account: i64 },
}

impl Applications {
    fn condition(self) -> &'static str {
        match self {
            Applications::OfProgramme(_) => "pa.programme_id = $1",
            Applications::OfAccount(_) => "pa.account_id = $1",
            Applications::One { .. } => "pa.programme_id = $1 AND pa.account_id = $2",
        }
    }

    fn bind<'q>(
        self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        match self {
            Applications::OfProgramme(id) | Applications::OfAccount(id) => query.bind(id),
            Applications::One { programme, account } => query.bind(programme).bind(account),
        }
    }
}

/// The applications `which` names, oldest first, with their capacities.
async fn select_applications(
    conn: &mut sqlx::AnyConnection,
    which: Applications,
) -> Result<Vec<(i64, StoredApplication)>, AppError> {
    let condition = which.condition();
    let rows = which
        .bind(sqlx::query(&format!(
            "SELECT {APPLICATION_COLUMNS} FROM programme_applications pa \
         JOIN accounts a ON a.id = pa.account_id WHERE {condition} \
         ORDER BY pa.programme_id, pa.created_at, pa.account_id"
        )))
        .fetch_all(&mut *conn)
        .await?;
    let mut list = Vec::with_capacity(rows.len());
    let mut index = HashMap::new();
    for r in &rows {
        let role: String = r.try_get("role")?;
        let programme_id: i64 = r.try_get("programme_id")?;
        let account_id: i64 = r.try_get("account_id")?;
        index.insert((programme_id, account_id), list.len());
        list.push((
            programme_id,
            StoredApplication {
                account_id,
                username: r.try_get("username")?,
                application: Application {
                    role: Role::parse(&role).ok_or_else(|| decode("role", role.clone()))?,
                    answers: json_list(r, "answers")?,
                    capacities: Vec::new(),
                    slots: u8::try_from(r.try_get::<i64, _>("slots")?).unwrap_or(0),
                },
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            },
        ));
    }
    let capacities = which.bind(sqlx::query(&format!(
        "SELECT pac.programme_id, pac.account_id, c.key FROM programme_application_capacities pac \
         JOIN capacities c ON c.id = pac.capacity_id \
         JOIN programme_applications pa ON pa.programme_id = pac.programme_id \
         AND pa.account_id = pac.account_id WHERE {condition} \
         ORDER BY pac.programme_id, pac.account_id, pac.position"
    )))
    .fetch_all(&mut *conn)
    .await?;
    for r in capacities {
        let key = (r.try_get("programme_id")?, r.try_get("account_id")?);
        if let Some(i) = index.get(&key) {
            list[*i].1.application.capacities.push(r.try_get("key")?);
        }
    }
    Ok(list)
}

/// A programme's applications, oldest first.
pub async fn applications(
    pool: &sqlx::AnyPool,
    programme_id: i64,
) -> Result<Vec<StoredApplication>, AppError> {
    let mut conn = pool.acquire().await?;
    applications_on(&mut conn, programme_id).await
}

/// The same inside a write transaction, so that what is published is what is there.
pub async fn applications_in(
    tx: &mut Tx,
    programme_id: i64,
) -> Result<Vec<StoredApplication>, AppError> {
    applications_on(tx, programme_id).await
}

async fn applications_on(
    conn: &mut sqlx::AnyConnection,
    programme_id: i64,
) -> Result<Vec<StoredApplication>, AppError> {
    Ok(
        select_applications(conn, Applications::OfProgramme(programme_id))
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect(),
    )
}

/// How many applied as mentors and as mentees, without reading what they wrote.
pub async fn counts(pool: &sqlx::AnyPool, programme_id: i64) -> Result<(usize, usize), AppError> {
    let rows = sqlx::query(
        "SELECT role, COUNT(*) AS n FROM programme_applications WHERE programme_id = $1 \
         GROUP BY role",
    )
    .bind(programme_id)
    .fetch_all(pool)
    .await?;
    let (mut mentors, mut mentees) = (0, 0);
    for r in rows {
        let role: String = r.try_get("role")?;
        let n = usize::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0);
        match Role::parse(&role) {
            Some(Role::Mentor) => mentors = n,
            Some(Role::Mentee) => mentees = n,
            None => {}
        }
    }
    Ok((mentors, mentees))
}

pub async fn application_of(
    pool: &sqlx::AnyPool,
    programme_id: i64,
    account_id: i64,
) -> Result<Option<StoredApplication>, AppError> {
    let mut conn = pool.acquire().await?;
    Ok(select_applications(
        &mut conn,
        Applications::One {
            programme: programme_id,
            account: account_id,
        },
    )
    .await?
    .pop()
    .map(|(_, a)| a))
}

/// Someone's applications with the programme they are for, for their export.
pub async fn applications_of_account(
    pool: &sqlx::AnyPool,
    account_id: i64,
) -> Result<Vec<(i64, StoredApplication)>, AppError> {
    let mut conn = pool.acquire().await?;
    select_applications(&mut conn, Applications::OfAccount(account_id)).await
}

/// Writes someone's application, replacing an earlier one; says whether it is new.
pub async fn apply(
    tx: &mut Tx,
    programme_id: i64,
    account_id: i64,
    application: &Application,
    ids: &dyn KeyIds,
    now: i64,
) -> Result<bool, AppError> {
    let created: Option<i64> = sqlx::query_scalar(
        "DELETE FROM programme_applications WHERE programme_id = $1 AND account_id = $2 \
         RETURNING created_at",
    )
    .bind(programme_id)
    .bind(account_id)
    .fetch_optional(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO programme_applications (programme_id, account_id, role, answers, slots, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(programme_id)
    .bind(account_id)
    .bind(application.role.as_str())
    .bind(json(&application.answers))
    .bind(i64::from(application.slots))
    .bind(created.unwrap_or(now))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    for (position, key) in application.capacities.iter().enumerate() {
        if let Some(capacity) = ids.capacity_id(key) {
            sqlx::query(
                "INSERT INTO programme_application_capacities (programme_id, account_id, \
                 position, capacity_id) VALUES ($1, $2, $3, $4)",
            )
            .bind(programme_id)
            .bind(account_id)
            .bind(position as i64)
            .bind(capacity)
            .execute(&mut **tx)
            .await?;
        }
    }
    bump_revision(tx, programme_id).await?;
    Ok(created.is_none())
}

async fn bump_revision(tx: &mut Tx, programme_id: i64) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE programmes SET applications_revision = applications_revision + 1 WHERE id = $1",
    )
    .bind(programme_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The programme's applications revision: what a round is computed from.
pub async fn revision(pool: &sqlx::AnyPool, programme_id: i64) -> Result<i64, AppError> {
    Ok(
        sqlx::query_scalar("SELECT applications_revision FROM programmes WHERE id = $1")
            .bind(programme_id)
            .fetch_one(pool)
            .await?,
    )
}

/// Takes back someone's application; says whether there was one.
pub async fn withdraw(tx: &mut Tx, programme_id: i64, account_id: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "DELETE FROM programme_applications WHERE programme_id = $1 AND account_id = $2",
    )
    .bind(programme_id)
    .bind(account_id)
    .execute(&mut **tx)
    .await?;
    let withdrew = done.rows_affected() == 1;
    if withdrew {
        bump_revision(tx, programme_id).await?;
    }
    Ok(withdrew)
}

/// Keeps a computed round as the programme's proposal, unless the programme was published
/// meanwhile (the update takes the programme's row, as publishing does, so the two never
/// cross); says whether it did.
pub async fn save_round(
    tx: &mut Tx,
    programme_id: i64,
    round: &StoredRound,
) -> Result<bool, AppError> {
    let open =
        sqlx::query("UPDATE programmes SET updated_at = $2 WHERE id = $1 AND published_at IS NULL")
            .bind(programme_id)
            .bind(round.computed_at)
            .execute(&mut **tx)
            .await?;
    if open.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM programme_rounds WHERE programme_id = $1")
        .bind(programme_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO programme_rounds (programme_id, mode, pinned, forbidden, pairs, unmatched, \
         revision, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(programme_id)
    .bind(round.mode.as_str())
    .bind(json(&round.pinned))
    .bind(json(&round.forbidden))
    .bind(json(&round.pairs))
    .bind(json(&round.unmatched))
    .bind(round.revision)
    .bind(round.computed_at)
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

fn stored_round(r: &AnyRow) -> Result<StoredRound, sqlx::Error> {
    let mode: String = r.try_get("mode")?;
    Ok(StoredRound {
        mode: Mode::parse(&mode).ok_or_else(|| decode("mode", mode.clone()))?,
        pinned: json_list(r, "pinned")?,
        forbidden: json_list(r, "forbidden")?,
        pairs: json_list(r, "pairs")?,
        unmatched: json_list(r, "unmatched")?,
        revision: r.try_get("revision")?,
        computed_at: r.try_get("computed_at")?,
    })
}

const ROUND: &str = "SELECT mode, pinned, forbidden, pairs, unmatched, revision, computed_at \
    FROM programme_rounds WHERE programme_id = $1";

pub async fn round(
    pool: &sqlx::AnyPool,
    programme_id: i64,
) -> Result<Option<StoredRound>, AppError> {
    let row = sqlx::query(ROUND)
        .bind(programme_id)
        .fetch_optional(pool)
        .await?;
    Ok(row.as_ref().map(stored_round).transpose()?)
}

/// The round and the applications revision as they are inside a write transaction, so that
/// what is published is what was last computed, from the applications there are.
pub async fn round_in(
    tx: &mut Tx,
    programme_id: i64,
) -> Result<Option<(StoredRound, i64)>, AppError> {
    let row = sqlx::query(ROUND)
        .bind(programme_id)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(round) = row.as_ref().map(stored_round).transpose()? else {
        return Ok(None);
    };
    let revision: i64 =
        sqlx::query_scalar("SELECT applications_revision FROM programmes WHERE id = $1")
            .bind(programme_id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(Some((round, revision)))
}

/// Closes registration now, unless the programme was closed or published already; says
/// whether it did.
pub async fn close(tx: &mut Tx, id: i64, now: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE programmes SET closed_at = $2, updated_at = $2 \
         WHERE id = $1 AND closed_at IS NULL AND published_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a programme published, unless it already was; says whether it did.
pub async fn mark_published(tx: &mut Tx, id: i64, now: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE programmes SET published_at = $2, updated_at = $2 \
         WHERE id = $1 AND published_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How the connections a programme made stand: (status, how many).
pub async fn outcomes(pool: &sqlx::AnyPool, id: i64) -> Result<Vec<(String, i64)>, AppError> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) AS n FROM connections WHERE programme_id = $1 GROUP BY status",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}
