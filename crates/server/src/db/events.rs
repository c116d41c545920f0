//! Learning activities and who comes. Registering and leaving are one transaction each, so
//! that seats are never given twice and a seat that frees up goes to the first who waited.

use std::collections::HashMap;

use cxc_core::capacity::split_codes;
use cxc_core::event::{
    Event, EventKind, EventStatus, Frequency, Place, Recurrence, format_local, parse_local,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Tx;
use super::profiles::KeyIds;
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: i64,
    pub organizer_id: Option<i64>,
    pub organizer: Option<String>,
    pub event: Event,
    pub starts_at: i64,
    pub ends_at: i64,
    pub sequence: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Seats taken, and people waiting or interested.
    pub registered: u32,
    pub waiting: u32,
    pub interested: u32,
}

const COLUMNS: &str = "e.id, e.organizer_id, a.username, o.key AS organization, e.kind, e.status, \
    e.title, e.description, e.languages, e.online, e.country, e.city, e.url, e.starts_local, \
    e.ends_local, e.timezone, e.starts_at, e.ends_at, e.frequency, e.occurrences, e.seat_limit, \
    e.sequence, e.created_at, e.updated_at";
const FROM: &str = "FROM events e LEFT JOIN accounts a ON a.id = e.organizer_id \
    LEFT JOIN organizations o ON o.id = e.organization_id";

/// When an event's first occurrence starts and its last ends, in Unix seconds.
pub struct Placed {
    pub starts_at: i64,
    pub ends_at: i64,
}

/// Writes a new event; returns its id.
pub async fn create(
    tx: &mut Tx,
    organizer_id: i64,
    event: &Event,
    placed: &Placed,
    ids: &dyn KeyIds,
    now: i64,
) -> Result<i64, AppError> {
    // The row is made with the columns only creation sets; `write` fills in the rest, as it
    // does for every edit, so that both go through one statement.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO events (organizer_id, created_at, updated_at, kind, title, starts_local, \
         ends_local, timezone, starts_at, ends_at) VALUES ($1, $2, $2, '', '', '', '', '', 0, 0) \
         RETURNING id",
    )
    .bind(organizer_id)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    write(tx, id, event, placed, ids, now, false).await?;
    Ok(id)
}

/// Replaces an event's content; its `sequence` counts the change for calendars.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    event: &Event,
    placed: &Placed,
    ids: &dyn KeyIds,
    now: i64,
) -> Result<(), AppError> {
    write(tx, id, event, placed, ids, now, true).await
}

async fn write(
    tx: &mut Tx,
    id: i64,
    event: &Event,
    placed: &Placed,
    ids: &dyn KeyIds,
    now: i64,
    changed: bool,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE events SET organization_id = $2, kind = $3, status = $4, title = $5, \
         description = $6, languages = $7, online = $8, country = $9, city = $10, url = $11, \
         starts_local = $12, ends_local = $13, timezone = $14, starts_at = $15, ends_at = $16, \
         frequency = $17, occurrences = $18, seat_limit = $19, updated_at = $20, \
         sequence = sequence + $21 WHERE id = $1",
    )
    .bind(id)
    .bind(
        event
            .organization
            .as_deref()
            .and_then(|o| ids.organization_id(o)),
    )
    .bind(event.kind.as_str())
    .bind(event.status.as_str())
    .bind(&event.title)
    .bind(&event.description)
    .bind(event.languages.join(","))
    .bind(i64::from(event.online))
    .bind(event.country.as_deref())
    .bind(event.city.as_deref())
    .bind(event.url.as_deref())
    .bind(format_local(event.start))
    .bind(format_local(event.end))
    .bind(&event.timezone)
    .bind(placed.starts_at)
    .bind(placed.ends_at)
    .bind(event.recurrence.map(|r| r.frequency.as_str()))
    .bind(event.recurrence.map(|r| i64::from(r.occurrences)))
    .bind(event.limit.map(i64::from))
    .bind(now)
    .bind(i64::from(changed))
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM event_capacities WHERE event_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for (position, key) in event.capacities.iter().enumerate() {
        if let Some(capacity) = ids.capacity_id(key) {
            sqlx::query(
                "INSERT INTO event_capacities (event_id, position, capacity_id) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(position as i64)
            .bind(capacity)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

fn event(r: &AnyRow) -> Result<(i64, StoredEvent), sqlx::Error> {
    let decode = |column: &str, value: String| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: value.into(),
    };
    let text = |column: &str| r.try_get::<String, _>(column);
    let kind = text("kind")?;
    let status = text("status")?;
    let start = text("starts_local")?;
    let end = text("ends_local")?;
    let languages = text("languages")?;
    let frequency: Option<String> = r.try_get("frequency")?;
    let occurrences: Option<i64> = r.try_get("occurrences")?;
    let id: i64 = r.try_get("id")?;
    Ok((
        id,
        StoredEvent {
            id,
            organizer_id: r.try_get("organizer_id")?,
            organizer: r.try_get("username")?,
            event: Event {
                title: text("title")?,
                description: text("description")?,
                kind: EventKind::parse(&kind).ok_or_else(|| decode("kind", kind.clone()))?,
                capacities: Vec::new(),
                languages: split_codes(&languages, |s| Some(s.to_owned())),
                online: r.try_get::<i64, _>("online")? != 0,
                country: r.try_get("country")?,
                region: None,
                city: r.try_get("city")?,
                url: r.try_get("url")?,
                start: parse_local(&start).ok_or_else(|| decode("starts_local", start.clone()))?,
                end: parse_local(&end).ok_or_else(|| decode("ends_local", end.clone()))?,
                timezone: text("timezone")?,
                recurrence: frequency
                    .as_deref()
                    .and_then(Frequency::parse)
                    .map(|f| Recurrence {
                        frequency: f,
                        occurrences: u8::try_from(occurrences.unwrap_or(1)).unwrap_or(1),
                    }),
                limit: r
                    .try_get::<Option<i64>, _>("seat_limit")?
                    .and_then(|n| u32::try_from(n).ok()),
                organization: r.try_get("organization")?,
                status: EventStatus::parse(&status)
                    .ok_or_else(|| decode("status", status.clone()))?,
            },
            starts_at: r.try_get("starts_at")?,
            ends_at: r.try_get("ends_at")?,
            sequence: r.try_get("sequence")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            registered: 0,
            waiting: 0,
            interested: 0,
        },
    ))
}

/// Events matching `condition` (on `e`, with `$1` bound to `value`), in start order, with
/// their capacities and how many come.
async fn select(
    pool: &sqlx::AnyPool,
    condition: &str,
    value: i64,
) -> Result<Vec<StoredEvent>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE {condition} ORDER BY e.starts_at, e.id LIMIT 1000"
    ))
    .bind(value)
    .fetch_all(pool)
    .await?;
    let mut events = Vec::with_capacity(rows.len());
    let mut index = HashMap::new();
    for r in &rows {
        let (id, e) = event(r)?;
        index.insert(id, events.len());
        events.push(e);
    }
    let capacities = sqlx::query(&format!(
        "SELECT ec.event_id, c.key FROM event_capacities ec JOIN capacities c ON c.id = ec.capacity_id \
         WHERE ec.event_id IN (SELECT e.id FROM events e WHERE {condition}) ORDER BY ec.event_id, ec.position"
    ))
    .bind(value)
    .fetch_all(pool)
    .await?;
    for r in capacities {
        let id: i64 = r.try_get("event_id")?;
        if let Some(i) = index.get(&id) {
            events[*i].event.capacities.push(r.try_get("key")?);
        }
    }
    let counts = sqlx::query(&format!(
        "SELECT er.event_id, er.place, COUNT(*) AS n FROM event_registrations er \
         WHERE er.event_id IN (SELECT e.id FROM events e WHERE {condition}) GROUP BY er.event_id, er.place"
    ))
    .bind(value)
    .fetch_all(pool)
    .await?;
    for r in counts {
        let id: i64 = r.try_get("event_id")?;
        let place: String = r.try_get("place")?;
        let n = u32::try_from(r.try_get::<i64, _>("n")?).unwrap_or(u32::MAX);
        if let Some(i) = index.get(&id) {
            match Place::parse(&place) {
                Some(Place::Registered) => events[*i].registered = n,
                Some(Place::Waiting) => events[*i].waiting = n,
                Some(Place::Interested) => events[*i].interested = n,
                None => {}
            }
        }
    }
    Ok(events)
}

pub async fn load(pool: &sqlx::AnyPool, id: i64) -> Result<Option<StoredEvent>, AppError> {
    Ok(select(pool, "e.id = $1", id).await?.pop())
}

/// Events not over at `now`, cancelled ones included (calendars need to hear of them), but
/// not those of a suspended organizer.
pub async fn upcoming(pool: &sqlx::AnyPool, now: i64) -> Result<Vec<StoredEvent>, AppError> {
    ending_after(pool, now).await
}

/// Events whose last occurrence ends at `from` or later, as [`upcoming`] lists them.
pub async fn ending_after(pool: &sqlx::AnyPool, from: i64) -> Result<Vec<StoredEvent>, AppError> {
    select(
        pool,
        "e.ends_at >= $1 AND e.organizer_id NOT IN \
         (SELECT id FROM accounts WHERE suspended_at IS NOT NULL)",
        from,
    )
    .await
}

/// Where someone stands for an event, if anywhere.
pub async fn place_of(
    pool: &sqlx::AnyPool,
    event_id: i64,
    account_id: i64,
) -> Result<Option<Place>, AppError> {
    let place: Option<String> = sqlx::query_scalar(
        "SELECT place FROM event_registrations WHERE event_id = $1 AND account_id = $2",
    )
    .bind(event_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    Ok(place.as_deref().and_then(Place::parse))
}

/// Registers someone: interest, or a seat (a place on the waiting list when the event is
/// full). Asking again for the same keeps one's place; asking for a seat after interest takes
/// one if there is one.
pub async fn register(
    tx: &mut Tx,
    event_id: i64,
    account_id: i64,
    wants_seat: bool,
    limit: Option<u32>,
    now: i64,
) -> Result<Place, AppError> {
    let current: Option<String> = sqlx::query_scalar(
        "SELECT place FROM event_registrations WHERE event_id = $1 AND account_id = $2",
    )
    .bind(event_id)
    .bind(account_id)
    .fetch_optional(&mut **tx)
    .await?;
    let current = current.as_deref().and_then(Place::parse);
    let place = match (current, wants_seat) {
        (Some(p @ (Place::Registered | Place::Waiting)), true) => return Ok(p),
        (_, false) => Place::Interested,
        (_, true) => {
            let taken: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM event_registrations WHERE event_id = $1 AND place = 'registered'",
            )
            .bind(event_id)
            .fetch_one(&mut **tx)
            .await?;
            Place::for_seat(u32::try_from(taken).unwrap_or(u32::MAX), limit)
        }
    };
    sqlx::query("DELETE FROM event_registrations WHERE event_id = $1 AND account_id = $2")
        .bind(event_id)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO event_registrations (event_id, account_id, place, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(event_id)
    .bind(account_id)
    .bind(place.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(place)
}

/// Takes someone off an event; a seat that frees up goes to who has waited longest, whose id
/// is returned.
pub async fn leave(tx: &mut Tx, event_id: i64, account_id: i64) -> Result<Option<i64>, AppError> {
    let was: Option<String> = sqlx::query_scalar(
        "DELETE FROM event_registrations WHERE event_id = $1 AND account_id = $2 RETURNING place",
    )
    .bind(event_id)
    .bind(account_id)
    .fetch_optional(&mut **tx)
    .await?;
    if was.as_deref() != Some(Place::Registered.as_str()) {
        return Ok(None);
    }
    let next: Option<i64> = sqlx::query_scalar(
        "SELECT account_id FROM event_registrations WHERE event_id = $1 AND place = 'waiting' \
         ORDER BY created_at, account_id LIMIT 1",
    )
    .bind(event_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(next) = next {
        sqlx::query(
            "UPDATE event_registrations SET place = 'registered' WHERE event_id = $1 AND account_id = $2",
        )
        .bind(event_id)
        .bind(next)
        .execute(&mut **tx)
        .await?;
    }
    Ok(next)
}

/// Someone's events and registrations, for their export: (event id, title, `organizer` or
/// their place).
pub async fn of_account(
    pool: &sqlx::AnyPool,
    account_id: i64,
) -> Result<Vec<(i64, String, String)>, AppError> {
    let rows = sqlx::query(
        "SELECT e.id, e.title, 'organizer' AS role FROM events e WHERE e.organizer_id = $1 \
         UNION ALL SELECT e.id, e.title, r.place AS role FROM event_registrations r \
         JOIN events e ON e.id = r.event_id WHERE r.account_id = $1 ORDER BY 1",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("title")?, r.try_get("role")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}
