//! Learning activities: `/events` (upcoming, filterable, without JavaScript), a page per
//! event with its times in the viewer's zone, registration with a waiting list, the JSON API,
//! and iCalendar feeds (`/events.ics`, `/capacities/{slug}/events.ics`) in UTC with stable
//! UIDs and SEQUENCE, cancelled events kept as `STATUS:CANCELLED`.

use std::collections::HashSet;

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cxc_core::Region;
use cxc_core::event::{EventDraft, EventKind, EventStatus, Place, format_local};
use cxc_core::model::Dimension;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::RequestContext;
use super::extract::{FormFields, Path, json_body, json_body_or_default};
use super::page::{FieldErrors, Page, render};
use super::search::Params;
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::events::{self, Placed, StoredEvent};
use crate::db::notifications::{self, About, Kind};
use crate::error::AppError;
use crate::reference::{local_to_unix, unix_in_zone};
use crate::state::Live;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/events", get(list_page))
        .route("/events/new", get(new_page).post(create_submit))
        .route("/events/{id}", get(event_page))
        .route("/events/{id}/registration", post(registration_submit))
        .route("/events/{id}/cancel", post(cancel_submit))
        .route("/events/{id}/edit", get(edit_page).post(edit_submit))
        .route("/events.ics", get(all_ics))
        .route("/capacities/{slug}/events.ics", get(capacity_ics))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(list_events, create_event))
        .routes(routes!(get_event, patch_event))
        .routes(routes!(register, unregister))
}

/// A learning activity.
#[derive(Serialize, ToSchema)]
pub struct EventDoc {
    pub id: i64,
    pub title: String,
    description: String,
    /// training, webinar, clinic, edit_a_thon, course, community_of_practice or other.
    kind: &'static str,
    capacities: Vec<String>,
    languages: Vec<String>,
    online: bool,
    country: Option<String>,
    city: Option<String>,
    url: Option<String>,
    /// Local date-times (`YYYY-MM-DDTHH:MM`) in `timezone`.
    start: String,
    end: String,
    /// An IANA time zone.
    timezone: String,
    /// The same instants in UTC (RFC 3339).
    #[schema(format = DateTime)]
    pub start_utc: String,
    #[schema(format = DateTime)]
    end_utc: String,
    /// `weekly` or `monthly`, and how many times in all.
    repeat: Option<&'static str>,
    occurrences: Option<u8>,
    /// Seats; null when anyone may come.
    limit: Option<u32>,
    organization: Option<String>,
    organizer: Option<String>,
    /// `scheduled` or `cancelled`.
    status: &'static str,
    registered: u32,
    waiting: u32,
    interested: u32,
}

/// When an event's first occurrence ends (its stored end is its last occurrence's).
fn first_end(e: &StoredEvent) -> i64 {
    local_to_unix(e.event.end, &e.event.timezone).unwrap_or(e.ends_at)
}

fn doc(e: &StoredEvent) -> EventDoc {
    let ev = &e.event;
    let first_end = first_end(e);
    EventDoc {
        id: e.id,
        title: ev.title.clone(),
        description: ev.description.clone(),
        kind: ev.kind.as_str(),
        capacities: ev.capacities.clone(),
        languages: ev.languages.clone(),
        online: ev.online,
        country: ev.country.clone(),
        city: ev.city.clone(),
        url: ev.url.clone(),
        start: format_local(ev.start),
        end: format_local(ev.end),
        timezone: ev.timezone.clone(),
        start_utc: super::posts::timestamp(e.starts_at),
        end_utc: super::posts::timestamp(first_end),
        repeat: ev.recurrence.map(|r| r.frequency.as_str()),
        occurrences: ev.recurrence.map(|r| r.occurrences),
        limit: ev.limit,
        organization: ev.organization.clone(),
        organizer: e.organizer.clone(),
        status: ev.status.as_str(),
        registered: e.registered,
        waiting: e.waiting,
        interested: e.interested,
    }
}

/// An event as the API takes it.
#[derive(Deserialize, ToSchema)]
pub struct EventInput {
    #[schema(min_length = 1, max_length = 150)]
    title: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    description: String,
    #[schema(
        pattern = "^(training|webinar|clinic|edit_a_thon|course|community_of_practice|other)$"
    )]
    kind: String,
    #[serde(default)]
    capacities: Vec<String>,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    online: bool,
    country: Option<String>,
    city: Option<String>,
    url: Option<String>,
    /// `YYYY-MM-DDTHH:MM`, local to `timezone`.
    start: String,
    end: String,
    timezone: String,
    /// `weekly` or `monthly`, with `occurrences` (2–52).
    repeat: Option<String>,
    occurrences: Option<i64>,
    limit: Option<i64>,
    /// An organization you manage, to announce it on its behalf.
    organization: Option<String>,
    /// `scheduled` or `cancelled`.
    status: Option<String>,
}

impl EventInput {
    fn draft(self) -> EventDraft {
        EventDraft {
            title: self.title,
            description: self.description,
            kind: self.kind,
            capacities: self.capacities,
            languages: self.languages,
            online: self.online,
            country: self.country,
            city: self.city,
            url: self.url,
            start: self.start,
            end: self.end,
            timezone: self.timezone,
            repeat: self.repeat,
            occurrences: self.occurrences,
            limit: self.limit,
            organization: self.organization,
            status: self.status,
        }
    }
}

/// Whether `account` may change an event: its organizer, a manager of its organization, or
/// an administrator.
async fn may_edit(state: &AppState, account: &Account, e: &StoredEvent) -> Result<bool, AppError> {
    if account.is_admin || e.organizer_id == Some(account.id) {
        return Ok(true);
    }
    let directory = state.directory();
    match e
        .event
        .organization
        .as_deref()
        .and_then(|o| directory.organization(o))
    {
        Some(o) => super::posts::manages(state, account, o.id).await,
        None => Ok(false),
    }
}

/// The one save path of events: validate, check who may speak for the organization, place
/// the times on the world's clock, write in one transaction.
pub(crate) async fn save(
    state: &AppState,
    account: &Account,
    existing: Option<&StoredEvent>,
    draft: EventDraft,
) -> Result<i64, AppError> {
    let directory = state.refresh_directory().await?;
    let event = draft
        .validate(
            &Live {
                state,
                directory: &directory,
            },
            state.clock.today(),
            existing.map(|e| e.event.start),
        )
        .map_err(AppError::Invalid)?;
    let unchanged = existing.is_some_and(|e| e.event.organization == event.organization);
    if let Some(o) = event
        .organization
        .as_deref()
        .and_then(|o| directory.organization(o))
        && !unchanged
        && !account.is_admin
        && !super::posts::manages(state, account, o.id).await?
    {
        return Err(AppError::Forbidden("cxc-error-not-manager"));
    }
    let starts_at = local_to_unix(event.start, &event.timezone)
        .ok_or_else(|| AppError::invalid("start", "cxc-error-invalid-datetime"))?;
    let first_end = local_to_unix(event.end, &event.timezone)
        .ok_or_else(|| AppError::invalid("end", "cxc-error-invalid-datetime"))?;
    // The last occurrence's end, for knowing when an event is over: in local time, as the
    // occurrences keep their time of day across clock changes.
    let last_start = event
        .recurrence
        .and_then(|r| r.starts(event.start).last().copied())
        .unwrap_or(event.start);
    let ends_at =
        local_to_unix(last_start + (event.end - event.start), &event.timezone).unwrap_or(first_end);
    let placed = Placed { starts_at, ends_at };
    let now = state.clock.unix();
    let told = match existing {
        None => who_wants(state, account.id, &event.capacities),
        Some(_) => Vec::new(),
    };
    let mut tx = state.db.begin_write().await?;
    let id = match existing {
        Some(e) => {
            events::update(&mut tx, e.id, &event, &placed, &*directory, now).await?;
            e.id
        }
        None => events::create(&mut tx, account.id, &event, &placed, &*directory, now).await?,
    };
    let about = About {
        actor_id: Some(account.id),
        event_id: Some(id),
        ..About::default()
    };
    for person in told {
        notifications::notify(&mut tx, person, Kind::EventSuggested, about, now).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// How many people a new event is suggested to at most: those who want its capacities (or
/// ones above them) and take suggestions, never the organizer or someone a block separates
/// from them. A popular capacity would otherwise mean thousands of notifications per event.
const SUGGESTED_TO: usize = 200;

fn who_wants(state: &AppState, organizer: i64, capacities: &[String]) -> Vec<i64> {
    let read = state.read_model();
    let model = &read.model;
    // Those who want an event's capacity or one above it, as the home page suggests: the
    // candidates are those who want anything in the capacity's area, then each is checked.
    let mut wanted = std::collections::HashSet::new();
    let mut candidates = roaring::RoaringBitmap::new();
    for key in capacities {
        if let Some(c) = model.capacities.get(key) {
            let line = model.with_ancestors(c);
            if let Some(area) = line.last() {
                candidates |= model.posting(Dimension::Wants, *area, 0);
            }
            wanted.extend(line);
        }
    }
    candidates
        .iter()
        .filter_map(|slot| model.person(slot))
        .filter(|p| {
            p.recommendable
                && p.account_id != organizer
                && p.wanted.iter().any(|i| wanted.contains(&i.capacity))
                && !read.blocks.contains(&(p.account_id, organizer))
                && !read.blocks.contains(&(organizer, p.account_id))
        })
        .map(|p| p.account_id)
        .take(SUGGESTED_TO)
        .collect()
}

/// Takes someone off an event, and tells whoever the freed seat goes to.
async fn leave(state: &AppState, account: &Account, id: i64) -> Result<(), AppError> {
    let now = state.clock.unix();
    let mut tx = state.db.begin_write().await?;
    if let Some(next) = events::leave(&mut tx, id, account.id).await? {
        let about = About {
            event_id: Some(id),
            ..About::default()
        };
        notifications::notify(&mut tx, next, Kind::SeatGiven, about, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn with_profile(state: &AppState, account: &Account) -> Result<(), AppError> {
    if state.read_model().model.slot_of(account.id).is_none() {
        return Err(AppError::Conflict("cxc-error-profile-required"));
    }
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct EventList {
    items: Vec<EventDoc>,
}

/// Upcoming events, soonest first: filters `capacity` (and those under it), `kind`,
/// `language`, `online`, `country` and `region` (where an event in a place is held).
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "events",
    params(
        ("capacity" = Option<String>, Query, description = "A capacity id"),
        ("kind" = Option<String>, Query, description = "An event kind"),
        ("language" = Option<String>, Query, description = "A language code"),
        ("online" = Option<bool>, Query, description = "Only online events"),
        ("country" = Option<String>, Query, description = "An ISO 3166-1 alpha-2 code: events held there"),
        ("region" = Option<String>, Query, description = "A Wikimedia region code: events held in one of its countries"),
    ),
    responses(
        (status = 200, description = "Upcoming events", body = EventList),
        (status = 422, description = "Unknown filter values", body = super::api::Problem, content_type = "application/problem+json"),
    )
)]
async fn list_events(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EventList>, AppError> {
    let params = Params::parse(raw.as_deref())?;
    let found = upcoming(&state, &params).await?;
    Ok(Json(EventList {
        items: found.iter().map(doc).collect(),
    }))
}

async fn upcoming(state: &AppState, params: &Params) -> Result<Vec<StoredEvent>, AppError> {
    let directory = state.directory();
    let capacities: Option<HashSet<String>> = match params.one("capacity") {
        None => None,
        Some(raw) => Some(
            directory
                .capacity(raw)
                .map(|c| {
                    directory
                        .taxonomy()
                        .subtree(&c.key)
                        .into_iter()
                        .map(str::to_owned)
                        .collect()
                })
                .ok_or_else(|| AppError::invalid("capacity", "cxc-error-unknown-capacity"))?,
        ),
    };
    let kind = match params.one("kind") {
        None => None,
        Some(raw) => Some(
            EventKind::parse(raw)
                .ok_or_else(|| AppError::invalid("kind", "cxc-error-invalid-event-kind"))?,
        ),
    };
    let language = params.one("language");
    let online = match params.one("online") {
        None | Some("false" | "0") => false,
        Some("true" | "1" | "on") => true,
        Some(_) => return Err(AppError::invalid("online", "cxc-error-invalid-available")),
    };
    let country = match params.one("country") {
        None => None,
        Some(raw) => {
            let code = raw.to_ascii_uppercase();
            if state.reference.country(&code).is_none() {
                return Err(AppError::invalid("country", "cxc-error-unknown-country"));
            }
            Some(code)
        }
    };
    let region = match params.one("region") {
        None => None,
        Some(raw) => Some(
            Region::parse(&raw.to_ascii_uppercase())
                .ok_or_else(|| AppError::invalid("region", "cxc-error-unknown-region"))?,
        ),
    };
    Ok(events::upcoming(state.db.pool(), state.clock.unix())
        .await?
        .into_iter()
        .filter(|e| {
            capacities
                .as_ref()
                .is_none_or(|cs| e.event.capacities.iter().any(|c| cs.contains(c)))
                && kind.is_none_or(|k| e.event.kind == k)
                && language.is_none_or(|l| e.event.languages.iter().any(|x| x == l))
                && (!online || e.event.online)
                && country
                    .as_deref()
                    .is_none_or(|c| e.event.country.as_deref() == Some(c))
                && region.is_none_or(|r| {
                    e.event
                        .country
                        .as_deref()
                        .and_then(|c| state.reference.region_of(c))
                        == Some(r)
                })
        })
        .collect())
}

/// Announce an event, as yourself or for an organization you manage. Takes a profile.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    tag = "events",
    request_body = EventInput,
    responses(
        (status = 201, description = "The event", body = EventDoc),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager of the organization", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "No profile yet", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn create_event(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    with_profile(&state, account)?;
    let input: EventInput = json_body(&body)?;
    let id = save(&state, account, None, input.draft()).await?;
    let e = events::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/events/{id}"))],
        Json(doc(&e)),
    )
        .into_response())
}

/// One event.
#[utoipa::path(
    get,
    path = "/api/v1/events/{id}",
    tag = "events",
    params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 200, description = "The event", body = EventDoc),
        (status = 404, description = "No such event", body = super::api::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_event(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<EventDoc>, AppError> {
    let e = events::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(doc(&e)))
}

/// Change an event (its organizer, a manager of its organization, or an administrator); the
/// whole event is sent again. Cancelling is `status: cancelled`.
#[utoipa::path(
    patch,
    path = "/api/v1/events/{id}",
    tag = "events",
    params(("id" = i64, Path, description = "The event's id")),
    request_body = EventInput,
    responses(
        (status = 200, description = "The event as saved", body = EventDoc),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not yours to change", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn patch_event(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<EventDoc>, AppError> {
    let account = ctx.require_account()?;
    let existing = editable(&state, account, id).await?;
    let input: EventInput = json_body(&body)?;
    save(&state, account, Some(&existing), input.draft()).await?;
    let e = events::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(doc(&e)))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct RegistrationInput {
    /// `place` (a seat, or the waiting list when full; the default) or `interest`.
    #[schema(pattern = "^(place|interest)$")]
    want: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationDoc {
    /// `registered`, `waiting` or `interested`.
    place: &'static str,
}

async fn take_place(
    state: &AppState,
    account: &Account,
    id: i64,
    wants_seat: bool,
) -> Result<Place, AppError> {
    let e = events::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if e.event.status == EventStatus::Cancelled || e.ends_at < state.clock.unix() {
        return Err(AppError::Conflict("cxc-error-event-closed"));
    }
    let mut tx = state.db.begin_write().await?;
    let place = events::register(
        &mut tx,
        id,
        account.id,
        wants_seat,
        e.event.limit,
        state.clock.unix(),
    )
    .await?;
    tx.commit().await?;
    Ok(place)
}

/// Register for an event: a seat (or the waiting list when it is full), or interest.
#[utoipa::path(
    put,
    path = "/api/v1/events/{id}/registration",
    tag = "events",
    params(("id" = i64, Path, description = "The event's id")),
    request_body = RegistrationInput,
    responses(
        (status = 200, description = "Where you stand", body = RegistrationDoc),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Cancelled or over", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn register(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<RegistrationDoc>, AppError> {
    let account = ctx.require_account()?;
    let input: RegistrationInput = json_body_or_default(&body)?;
    let wants_seat = match input.want.as_deref() {
        None | Some("place") => true,
        Some("interest") => false,
        Some(_) => return Err(AppError::invalid("want", "cxc-error-invalid-action")),
    };
    let place = take_place(&state, account, id, wants_seat).await?;
    Ok(Json(RegistrationDoc {
        place: place.as_str(),
    }))
}

/// Leave an event; a seat that frees up goes to whoever waited longest.
#[utoipa::path(
    delete,
    path = "/api/v1/events/{id}/registration",
    tag = "events",
    params(("id" = i64, Path, description = "The event's id")),
    responses(
        (status = 204, description = "Not registered any more"),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn unregister(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let account = ctx.require_account()?;
    events::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    leave(&state, account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The iCalendar text of some events: UTC times, one stable UID per event, SEQUENCE for
/// changes, cancelled ones kept.
fn calendar(state: &AppState, name: &str, list: &[StoredEvent]) -> Response {
    use icalendar::{Calendar, Component, EventLike};
    let base = &state.config.base_url;
    let host = base.split("://").nth(1).unwrap_or("cxc");
    let utc = |unix: i64| {
        time::OffsetDateTime::from_unix_timestamp(unix)
            .ok()
            .and_then(|t| {
                t.format(time::macros::format_description!(
                    "[year][month][day]T[hour][minute][second]Z"
                ))
                .ok()
            })
            .unwrap_or_default()
    };
    let mut cal = Calendar::new();
    cal.name(name);
    for e in list {
        let ev = &e.event;
        let first_end = first_end(e);
        let mut item = icalendar::Event::new();
        item.uid(&format!("event-{}@{host}", e.id))
            .summary(&ev.title)
            .description(&ev.description)
            .url(&format!("{base}/events/{}", e.id))
            .add_property("DTSTAMP", utc(e.updated_at))
            .add_property("DTSTART", utc(e.starts_at))
            .add_property("DTEND", utc(first_end))
            .add_property("SEQUENCE", e.sequence.to_string())
            .status(match ev.status {
                EventStatus::Scheduled => icalendar::EventStatus::Confirmed,
                EventStatus::Cancelled => icalendar::EventStatus::Cancelled,
            });
        // Each later occurrence as a UTC instant of its own (RDATE): a rule over a UTC start
        // would move the local time by an hour at every clock change.
        if let Some(r) = ev.recurrence {
            let later: Vec<String> = r
                .starts(ev.start)
                .into_iter()
                .skip(1)
                .filter_map(|local| local_to_unix(local, &ev.timezone))
                .map(utc)
                .collect();
            if !later.is_empty() {
                item.add_property("RDATE", later.join(","));
            }
        }
        let place: Vec<String> = ev
            .city
            .iter()
            .cloned()
            .chain(
                ev.country
                    .iter()
                    .map(|c| state.reference.country_name(c, "en")),
            )
            .chain(ev.online.then(|| "Online".to_owned()))
            .collect();
        if !place.is_empty() {
            item.location(&place.join(", "));
        }
        cal.push(item.done());
    }
    (
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        cal.done().to_string(),
    )
        .into_response()
}

async fn all_ics(State(state): State<AppState>) -> Result<Response, AppError> {
    let list = events::upcoming(state.db.pool(), state.clock.unix()).await?;
    Ok(calendar(&state, "Capacity Exchange", &list))
}

async fn capacity_ics(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let directory = state.directory();
    let capacity = directory
        .active_capacities()
        .find(|c| c.slug == slug || c.key == slug)
        .ok_or(AppError::NotFound)?;
    let under: HashSet<&str> = directory
        .taxonomy()
        .subtree(&capacity.key)
        .into_iter()
        .collect();
    let list: Vec<StoredEvent> = events::upcoming(state.db.pool(), state.clock.unix())
        .await?
        .into_iter()
        .filter(|e| {
            e.event
                .capacities
                .iter()
                .any(|c| under.contains(c.as_str()))
        })
        .collect();
    Ok(calendar(&state, capacity.label("en"), &list))
}

/// Upcoming events on what `account` wants to learn (or the capacities under it), for their
/// home page, soonest first.
pub async fn suggested_for(
    state: &AppState,
    account: &Account,
    limit: usize,
) -> Result<Vec<EventView>, AppError> {
    let wanted: HashSet<String> = {
        let directory = state.directory();
        let read = state.read_model();
        let Some(me) = read
            .model
            .slot_of(account.id)
            .and_then(|s| read.model.person(s))
        else {
            return Ok(Vec::new());
        };
        me.wanted
            .iter()
            .flat_map(|i| {
                directory
                    .taxonomy()
                    .subtree(read.model.capacities.name(i.capacity))
            })
            .map(str::to_owned)
            .collect()
    };
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let zone = viewer_zone(state, Some(account)).await?;
    Ok(events::upcoming(state.db.pool(), state.clock.unix())
        .await?
        .iter()
        .filter(|e| e.event.status == EventStatus::Scheduled && e.organizer_id != Some(account.id))
        .filter(|e| e.event.capacities.iter().any(|c| wanted.contains(c)))
        .take(limit)
        .map(|e| view(e, zone.as_deref()))
        .collect())
}

/// An event as the pages show it, with its times in the viewer's zone.
pub struct EventView {
    pub doc: EventDoc,
    /// Start and end in the viewer's zone (their profile's, else the event's), and that zone.
    pub when: String,
    pub zone: String,
}

/// The viewer's own time zone, from their profile.
async fn viewer_zone(
    state: &AppState,
    viewer: Option<&Account>,
) -> Result<Option<String>, AppError> {
    Ok(match viewer {
        Some(v) => crate::db::profiles::load(&state.db, v.id)
            .await?
            .and_then(|p| p.profile.timezone),
        None => None,
    })
}

fn view(e: &StoredEvent, viewer_zone: Option<&str>) -> EventView {
    let zone = viewer_zone.unwrap_or(&e.event.timezone).to_owned();
    let first_end = first_end(e);
    let when = format!(
        "{} – {}",
        unix_in_zone(e.starts_at, &zone).unwrap_or_default(),
        unix_in_zone(first_end, &zone).unwrap_or_default()
    );
    EventView {
        doc: doc(e),
        when,
        zone,
    }
}

#[derive(Template)]
#[template(path = "events.html")]
struct ListTemplate {
    page: Page,
    events: Vec<EventView>,
    kinds: &'static [EventKind],
    choices: crate::http::choices::Choices,
    regions: Vec<&'static str>,
    /// The filters as the page was asked, to show them chosen.
    params: Params,
}

async fn list_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(raw.as_deref())?;
    let found = upcoming(&state, &params).await?;
    let zone = viewer_zone(&state, ctx.account.as_ref()).await?;
    let directory = state.directory();
    Ok(render(&ListTemplate {
        events: found.iter().map(|e| view(e, zone.as_deref())).collect(),
        kinds: EventKind::ALL,
        choices: crate::http::choices::choices(&state, &directory, ctx.lang),
        regions: Region::ALL.iter().map(|r| r.code()).collect(),
        params,
        page: Page::new(&state, &ctx, "cxc-events-title"),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventTemplate {
    page: Page,
    e: EventView,
    place: Option<&'static str>,
    signed_in: bool,
    can_edit: bool,
}

async fn event_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let e = events::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let place = match &ctx.account {
        Some(a) => events::place_of(state.db.pool(), id, a.id)
            .await?
            .map(Place::as_str),
        None => None,
    };
    let mut page = Page::new(&state, &ctx, "cxc-events-title");
    page.title = e.event.title.clone();
    let zone = viewer_zone(&state, ctx.account.as_ref()).await?;
    let can_edit = match &ctx.account {
        Some(a) => may_edit(&state, a, &e).await?,
        None => false,
    };
    Ok(render(&EventTemplate {
        e: view(&e, zone.as_deref()),
        can_edit,
        signed_in: ctx.account.is_some(),
        place,
        page,
    })?
    .into_response())
}

async fn registration_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    match f.get("want").as_deref() {
        Some("leave") => leave(&state, account, id).await?,
        Some("interest") => {
            take_place(&state, account, id, false).await?;
        }
        _ => {
            take_place(&state, account, id, true).await?;
        }
    }
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}

/// The draft that stores an event again as it is, for changes of one field (cancelling) and
/// for filling in its form.
fn draft_of(e: &StoredEvent) -> EventDraft {
    let ev = &e.event;
    EventDraft {
        title: ev.title.clone(),
        description: ev.description.clone(),
        kind: ev.kind.as_str().to_owned(),
        capacities: ev.capacities.clone(),
        languages: ev.languages.clone(),
        online: ev.online,
        country: ev.country.clone(),
        city: ev.city.clone(),
        url: ev.url.clone(),
        start: format_local(ev.start),
        end: format_local(ev.end),
        timezone: ev.timezone.clone(),
        repeat: ev.recurrence.map(|r| r.frequency.as_str().to_owned()),
        occurrences: ev.recurrence.map(|r| i64::from(r.occurrences)),
        limit: ev.limit.map(i64::from),
        organization: ev.organization.clone(),
        status: Some(ev.status.as_str().to_owned()),
    }
}

/// The organizer's cancel button: the event stays, marked, so that calendars hear of it.
async fn cancel_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let e = editable(&state, account, id).await?;
    let mut draft = draft_of(&e);
    draft.status = Some(EventStatus::Cancelled.as_str().to_owned());
    save(&state, account, Some(&e), draft).await?;
    Ok(Redirect::to(&format!("/events/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "event_edit.html")]
struct EditTemplate {
    page: Page,
    /// Where the form posts: `/events/new` or the event's edit address.
    action: String,
    f: FormFields,
    errors: FieldErrors,
    kinds: &'static [EventKind],
    choices: super::choices::Choices,
}

async fn new_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    if ctx.account.is_none() {
        return Ok(Redirect::to("/login?return=/events/new").into_response());
    }
    let directory = state.directory();
    Ok(render(&EditTemplate {
        choices: super::choices::choices(&state, &directory, ctx.lang),
        page: Page::new(&state, &ctx, "cxc-event-new-title"),
        action: "/events/new".into(),
        f: FormFields(vec![
            ("kind".into(), "training".into()),
            ("online".into(), "1".into()),
        ]),
        errors: FieldErrors::default(),
        kinds: EventKind::ALL,
    })?
    .into_response())
}

/// The event's form, filled in as it stands.
fn fields_of(e: &StoredEvent) -> FormFields {
    let d = draft_of(e);
    let mut fields = vec![
        ("title".to_owned(), d.title),
        ("description".to_owned(), d.description),
        ("kind".to_owned(), d.kind),
        ("start".to_owned(), d.start),
        ("end".to_owned(), d.end),
        ("timezone".to_owned(), d.timezone),
        ("country".to_owned(), d.country.unwrap_or_default()),
        ("city".to_owned(), d.city.unwrap_or_default()),
        ("url".to_owned(), d.url.unwrap_or_default()),
        (
            "limit".to_owned(),
            d.limit.map(|n| n.to_string()).unwrap_or_default(),
        ),
    ];
    if d.online {
        fields.push(("online".to_owned(), "1".to_owned()));
    }
    fields.extend(d.capacities.into_iter().map(|c| ("capacity".to_owned(), c)));
    fields.extend(d.languages.into_iter().map(|l| ("language".to_owned(), l)));
    FormFields(fields)
}

/// The draft a submitted form makes; an edit keeps what the form does not show (status,
/// repetition, organization).
fn draft_from(f: &FormFields, existing: Option<&StoredEvent>) -> EventDraft {
    let number = |name: &str| f.get(name).and_then(|v| v.parse::<i64>().ok());
    let kept = existing.map(draft_of);
    EventDraft {
        title: f.one("title"),
        description: f.one("description"),
        kind: f.one("kind"),
        capacities: f.all("capacity"),
        languages: f.all("language"),
        online: f.get("online").is_some(),
        country: f.get("country"),
        city: f.get("city"),
        url: f.get("url"),
        start: f.one("start"),
        end: f.one("end"),
        timezone: f.one("timezone"),
        repeat: f
            .get("repeat")
            .or_else(|| kept.as_ref().and_then(|k| k.repeat.clone())),
        occurrences: number("occurrences").or_else(|| kept.as_ref().and_then(|k| k.occurrences)),
        limit: number("limit"),
        organization: f
            .get("organization")
            .or_else(|| kept.as_ref().and_then(|k| k.organization.clone())),
        status: existing.map(|e| e.event.status.as_str().to_owned()),
    }
}

/// Saves a submitted form, new or edited; the form comes back with its errors.
async fn submit(
    state: &AppState,
    ctx: &RequestContext,
    account: &Account,
    existing: Option<&StoredEvent>,
    f: FormFields,
) -> Result<Response, AppError> {
    let draft = draft_from(&f, existing);
    match save(state, account, existing, draft).await {
        Ok(id) => Ok(Redirect::to(&format!("/events/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => {
            let (title, action) = match existing {
                Some(e) => ("cxc-event-edit-title", format!("/events/{}/edit", e.id)),
                None => ("cxc-event-new-title", "/events/new".to_owned()),
            };
            let page = Page::new(state, ctx, title);
            let mut shown = FieldErrors::default();
            for e in &errors {
                shown.add(&page, &e.field, e.key);
            }
            let directory = state.directory();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&EditTemplate {
                    choices: super::choices::choices(state, &directory, ctx.lang),
                    page,
                    action,
                    f,
                    errors: shown,
                    kinds: EventKind::ALL,
                })?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

async fn create_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    with_profile(&state, account)?;
    let f = FormFields::parse(&body)?;
    submit(&state, &ctx, account, None, f).await
}

/// The event, when `account` may change it.
async fn editable(state: &AppState, account: &Account, id: i64) -> Result<StoredEvent, AppError> {
    let e = events::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_edit(state, account, &e).await? {
        return Err(AppError::Forbidden("cxc-error-not-event-organizer"));
    }
    Ok(e)
}

async fn edit_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to(&format!("/login?return=/events/{id}/edit")).into_response());
    };
    let e = editable(&state, account, id).await?;
    let directory = state.directory();
    Ok(render(&EditTemplate {
        choices: super::choices::choices(&state, &directory, ctx.lang),
        page: Page::new(&state, &ctx, "cxc-event-edit-title"),
        action: format!("/events/{id}/edit"),
        f: fields_of(&e),
        errors: FieldErrors::default(),
        kinds: EventKind::ALL,
    })?
    .into_response())
}

async fn edit_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let e = editable(&state, account, id).await?;
    let f = FormFields::parse(&body)?;
    submit(&state, &ctx, account, Some(&e), f).await
}
