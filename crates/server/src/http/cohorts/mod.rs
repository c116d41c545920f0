//! Cohorts: proposals of learning groups for a capacity, a page per cohort (its members and
//! their answers, its thread, its events) and the JSON API. Writes go through
//! [`crate::cohorts`].

mod api;
mod pages;

use axum::routing::{get, post};
use cxc_core::cohort::{self, Answer, Place};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::cohorts::{in_thread, organises};
use crate::db::accounts::Account;
use crate::db::cohorts::{self as stored, StoredCohort};
use crate::error::AppError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/cohorts", get(pages::list_page))
        .route("/cohorts/proposals", get(pages::proposals_page))
        .route(
            "/cohorts/new",
            get(pages::new_page).post(pages::create_submit),
        )
        .route("/cohorts/{id}", get(pages::cohort_page))
        .route("/cohorts/{id}/answer", post(pages::answer_submit))
        .route("/cohorts/{id}/invitations", post(pages::invite_submit))
        .route("/cohorts/{id}/status", post(pages::status_submit))
        .route("/cohorts/{id}/messages", post(pages::message_submit))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(api::proposals))
        .routes(routes!(api::my_cohorts, api::create_cohort))
        .routes(routes!(api::get_cohort, api::patch_cohort))
        .routes(routes!(api::invite))
        .routes(routes!(api::answer))
        .routes(routes!(api::list_messages, api::write_message))
}

/// A proposed learning group.
#[derive(Serialize, ToSchema, Clone)]
pub struct CohortProposalDoc {
    /// The capacity's id.
    capacity: String,
    /// The language its members share at an advanced level or better.
    language: String,
    /// The Wikimedia region they live in; null for a group formed by time zone.
    region: Option<&'static str>,
    /// For a group formed by time zone: the hours from UTC it spans.
    utc_offsets: Option<[f32; 2]>,
    /// Usernames of those who want the capacity, the most recently active first.
    members: Vec<String>,
    /// Usernames of those who offer it and speak the language, the nearest first.
    facilitators: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProposalList {
    items: Vec<CohortProposalDoc>,
}

/// A proposal with the display names of its people, in the same order, for pages.
pub struct Proposed {
    pub doc: CohortProposalDoc,
    pub member_names: Vec<String>,
    pub facilitator_names: Vec<String>,
}

/// Learning groups for `capacity` among the people a signed-in member may see, leaving out
/// who is away or opted out of recommendations.
pub fn proposals(state: &AppState, capacity: &str) -> Result<Vec<Proposed>, AppError> {
    let read = state.read_model();
    let model = &read.model;
    let c = model
        .capacities
        .get(capacity)
        .filter(|_| state.directory().capacity(capacity).is_some())
        .ok_or_else(|| AppError::invalid("capacity", "cxc-error-unknown-capacity"))?;
    let visible = model.visible(true);
    let candidates = visible - model.away_today(visible, state.clock.today());
    let people = |slots: &[u32]| -> (Vec<String>, Vec<String>) {
        slots
            .iter()
            .filter_map(|s| model.person(*s))
            .map(|p| (p.username.clone(), p.display_name.clone()))
            .unzip()
    };
    Ok(cohort::propose(model, c, &candidates)
        .into_iter()
        .map(|p| {
            let (region, utc_offsets) = match p.place {
                Place::Region(r) => (Some(r.code()), None),
                Place::Hours { from, to } => (None, Some([from, to])),
            };
            let (members, member_names) = people(&p.members);
            let (facilitators, facilitator_names) = people(&p.facilitators);
            Proposed {
                doc: CohortProposalDoc {
                    capacity: capacity.to_owned(),
                    language: model.languages.name(p.language).to_owned(),
                    region,
                    utc_offsets,
                    members,
                    facilitators,
                },
                member_names,
                facilitator_names,
            }
        })
        .collect())
}

/// Someone invited to a cohort.
#[derive(Serialize, ToSchema, Clone)]
pub struct MemberDoc {
    username: String,
    display_name: String,
    /// `member` or `facilitator`.
    role: &'static str,
    /// `invited`, `accepted` or `declined`.
    answer: &'static str,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct LinkedEvent {
    id: i64,
    title: String,
}

/// A message in a cohort's thread.
#[derive(Serialize, ToSchema, Clone)]
pub struct CohortMessageDoc {
    /// The author's username.
    author: String,
    body: String,
    #[schema(format = DateTime)]
    created: String,
}

/// A learning group in the caller's list.
#[derive(Serialize, ToSchema)]
pub struct CohortSummary {
    pub id: i64,
    pub name: String,
    pub capacity: String,
    /// `forming`, `active` or `finished`.
    pub status: &'static str,
    /// Whether you formed it.
    pub organiser: bool,
    /// Your invitation's answer, if you were invited.
    pub my_answer: Option<&'static str>,
}

/// The cohorts `account` formed or was invited to (and did not decline), newest first.
pub async fn mine(state: &AppState, account: &Account) -> Result<Vec<CohortSummary>, AppError> {
    Ok(stored::of_account(state.db.pool(), account.id, false)
        .await?
        .into_iter()
        .map(|(c, answer)| CohortSummary {
            id: c.id,
            organiser: c.organizer_id == Some(account.id),
            name: c.cohort.name,
            capacity: c.cohort.capacity,
            status: c.status.as_str(),
            my_answer: answer.map(|a| a.as_str()),
        })
        .collect())
}

/// A learning group.
#[derive(Serialize, ToSchema)]
pub struct CohortDoc {
    id: i64,
    name: String,
    description: String,
    capacity: String,
    language: Option<String>,
    region: Option<&'static str>,
    organization: Option<String>,
    organizer: Option<String>,
    /// `forming`, `active` or `finished`.
    status: &'static str,
    /// Who accepted; its organisers also see who is invited or declined, and each invited
    /// person sees their own invitation.
    members: Vec<MemberDoc>,
    events: Vec<LinkedEvent>,
    /// Whether you run it.
    organiser: bool,
    /// Your invitation's answer, if you were invited.
    my_answer: Option<&'static str>,
    /// Whether you may read and write its thread (its organisers and those who accepted).
    in_thread: bool,
}

/// A cohort as `viewer` may see it.
pub async fn doc(
    state: &AppState,
    c: &StoredCohort,
    viewer: &Account,
) -> Result<CohortDoc, AppError> {
    let members = stored::members(state.db.pool(), c.id).await?;
    let organiser = organises(state, viewer, c).await?;
    let in_thread = in_thread(state, viewer, c, &members).await?;
    let my_answer = members
        .iter()
        .find(|m| m.account_id == viewer.id)
        .map(|m| m.answer.as_str());
    let shown = {
        let read = state.read_model();
        // Others see who joined, except those who hid their profile; organisers see everyone
        // invited, and each invited person their own invitation.
        let listed = |m: &&stored::Member| {
            organiser
                || m.account_id == viewer.id
                || (m.answer == Answer::Accepted
                    && read
                        .model
                        .slot_of(m.account_id)
                        .and_then(|s| read.model.person(s))
                        .is_some_and(|p| p.visibility != cxc_core::Visibility::Hidden))
        };
        members
            .iter()
            .filter(listed)
            .map(|m| MemberDoc {
                username: m.username.clone(),
                display_name: read
                    .model
                    .slot_of(m.account_id)
                    .and_then(|s| read.model.person(s))
                    .map_or_else(|| m.username.clone(), |p| p.display_name.clone()),
                role: m.role.as_str(),
                answer: m.answer.as_str(),
            })
            .collect()
    };
    let events = stored::events(state.db.pool(), c.id)
        .await?
        .into_iter()
        .map(|(id, title)| LinkedEvent { id, title })
        .collect();
    let co = &c.cohort;
    Ok(CohortDoc {
        id: c.id,
        name: co.name.clone(),
        description: co.description.clone(),
        capacity: co.capacity.clone(),
        language: co.language.clone(),
        region: co.region.map(cxc_core::Region::code),
        organization: co.organization.clone(),
        organizer: c.organizer.clone(),
        status: c.status.as_str(),
        members: shown,
        events,
        organiser,
        my_answer,
        in_thread,
    })
}

/// The thread, for those in it.
pub async fn thread(
    state: &AppState,
    c: &StoredCohort,
    viewer: &Account,
) -> Result<Vec<CohortMessageDoc>, AppError> {
    let members = stored::members(state.db.pool(), c.id).await?;
    if !in_thread(state, viewer, c, &members).await? {
        return Err(AppError::Forbidden("cxc-error-not-in-cohort"));
    }
    Ok(stored::messages(state.db.pool(), c.id)
        .await?
        .into_iter()
        .map(|m| CohortMessageDoc {
            author: m.author,
            body: m.body,
            created: super::posts::timestamp(m.created_at),
        })
        .collect())
}
