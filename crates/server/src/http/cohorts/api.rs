//! The JSON API of cohorts.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cxc_core::cohort::CohortDraft;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{CohortDoc, CohortMessageDoc, CohortSummary, ProposalList, doc, thread};
use crate::AppState;
use crate::cohorts::{self, Invitations};
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::extract::{Path, Query, json_body};

#[derive(Deserialize, IntoParams)]
pub struct ProposalQuery {
    /// The capacity's id; people who want it or one under it are proposed.
    capacity: String,
}

/// Learning groups for a capacity: people who want it and share a language at an advanced
/// level and a region or nearby time zones, with candidate facilitators who offer it. People
/// who opted out of recommendations, or are away, are never proposed.
#[utoipa::path(
    get,
    path = "/api/v1/cohorts/proposals",
    tag = "cohorts",
    params(ProposalQuery),
    responses(
        (status = 200, description = "Proposed groups, the largest first", body = ProposalList),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown capacity", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn proposals(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<ProposalQuery>,
) -> Result<Json<ProposalList>, AppError> {
    ctx.require_account()?;
    Ok(Json(ProposalList {
        items: super::proposals(&state, q.capacity.trim())?
            .into_iter()
            .map(|p| p.doc)
            .collect(),
    }))
}

/// A cohort as the API takes it.
#[derive(Deserialize, ToSchema)]
pub struct CohortInput {
    #[schema(min_length = 1, max_length = 150)]
    name: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    description: String,
    /// The capacity's id.
    capacity: String,
    /// A language code.
    language: Option<String>,
    /// A Wikimedia region code.
    region: Option<String>,
    /// An organization you manage, if it runs the cohort.
    organization: Option<String>,
    /// Usernames to invite as members and as facilitators.
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    facilitators: Vec<String>,
    /// Ids of events the cohort meets at.
    #[serde(default)]
    events: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CohortList {
    items: Vec<CohortSummary>,
}

/// The cohorts you run or were invited to (and did not decline), newest first.
#[utoipa::path(
    get,
    path = "/api/v1/cohorts",
    tag = "cohorts",
    responses(
        (status = 200, description = "Your cohorts", body = CohortList),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn my_cohorts(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<CohortList>, AppError> {
    let account = ctx.require_account()?;
    Ok(Json(CohortList {
        items: super::mine(&state, account).await?,
    }))
}

/// Form a cohort, from a proposal or by hand: those named are invited and told.
#[utoipa::path(
    post,
    path = "/api/v1/cohorts",
    tag = "cohorts",
    request_body = CohortInput,
    responses(
        (status = 201, description = "The cohort", body = CohortDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager of the organization", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "No profile yet", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invitations lately", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create_cohort(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let input: CohortInput = json_body(&body)?;
    let draft = CohortDraft {
        name: input.name,
        description: input.description,
        capacity: input.capacity,
        language: input.language,
        region: input.region,
        organization: input.organization,
    };
    let invitations = Invitations {
        members: input.members,
        facilitators: input.facilitators,
    };
    let id = cohorts::create(&state, account, draft, &invitations, &input.events).await?;
    let c = cohorts::load(&state, id).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/cohorts/{id}"))],
        Json(doc(&state, &c, account).await?),
    )
        .into_response())
}

/// One cohort.
#[utoipa::path(
    get,
    path = "/api/v1/cohorts/{id}",
    tag = "cohorts",
    params(("id" = i64, Path, description = "The cohort's id")),
    responses(
        (status = 200, description = "The cohort", body = CohortDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cohort", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn get_cohort(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<CohortDoc>, AppError> {
    let account = ctx.require_account()?;
    let c = cohorts::load(&state, id).await?;
    Ok(Json(doc(&state, &c, account).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct CohortPatch {
    /// `forming`, `active` or `finished`.
    #[schema(pattern = "^(forming|active|finished)$")]
    status: String,
}

/// Change a cohort's status (its organisers).
#[utoipa::path(
    patch,
    path = "/api/v1/cohorts/{id}",
    tag = "cohorts",
    params(("id" = i64, Path, description = "The cohort's id")),
    request_body = CohortPatch,
    responses(
        (status = 200, description = "The cohort", body = CohortDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an organiser", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cohort", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid status", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn patch_cohort(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<CohortDoc>, AppError> {
    let account = ctx.require_account()?;
    let input: CohortPatch = json_body(&body)?;
    cohorts::set_status(&state, account, id, &input.status).await?;
    let c = cohorts::load(&state, id).await?;
    Ok(Json(doc(&state, &c, account).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct InvitationInput {
    /// Usernames to invite as members and as facilitators.
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    facilitators: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Invited {
    /// How many were new to the cohort (someone invited before is left as they are).
    invited: usize,
}

/// Invite people to a cohort (its organisers, until it is finished); each is told.
#[utoipa::path(
    post,
    path = "/api/v1/cohorts/{id}/invitations",
    tag = "cohorts",
    params(("id" = i64, Path, description = "The cohort's id")),
    request_body = InvitationInput,
    responses(
        (status = 200, description = "Invited", body = Invited),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an organiser", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cohort", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The cohort is finished", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Someone unknown", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many invitations lately", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn invite(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Invited>, AppError> {
    let account = ctx.require_account()?;
    let input: InvitationInput = json_body(&body)?;
    let invitations = Invitations {
        members: input.members,
        facilitators: input.facilitators,
    };
    let invited = cohorts::invite(&state, account, id, &invitations).await?;
    Ok(Json(Invited { invited }))
}

#[derive(Deserialize, ToSchema)]
pub struct AnswerInput {
    /// `accept` or `decline`.
    #[schema(pattern = "^(accept|decline)$")]
    action: String,
}

/// Accept or decline your invitation to a cohort.
#[utoipa::path(
    post,
    path = "/api/v1/cohorts/{id}/answer",
    tag = "cohorts",
    params(("id" = i64, Path, description = "The cohort's id")),
    request_body = AnswerInput,
    responses(
        (status = 200, description = "The cohort", body = CohortDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cohort, or you were not invited", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already answered", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid action", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn answer(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<CohortDoc>, AppError> {
    let account = ctx.require_account()?;
    let input: AnswerInput = json_body(&body)?;
    cohorts::answer(&state, account, id, &input.action).await?;
    let c = cohorts::load(&state, id).await?;
    Ok(Json(doc(&state, &c, account).await?))
}

#[derive(Serialize, ToSchema)]
pub struct CohortThread {
    items: Vec<CohortMessageDoc>,
}

/// A cohort's thread, oldest first (its organisers and those who accepted).
#[utoipa::path(
    get,
    path = "/api/v1/cohorts/{id}/messages",
    tag = "cohorts",
    params(("id" = i64, Path, description = "The cohort's id")),
    responses(
        (status = 200, description = "The thread", body = CohortThread),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not in the cohort", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cohort", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn list_messages(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<CohortThread>, AppError> {
    let account = ctx.require_account()?;
    let c = cohorts::load(&state, id).await?;
    Ok(Json(CohortThread {
        items: thread(&state, &c, account).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct MessageInput {
    #[schema(min_length = 1, max_length = 5000)]
    body: String,
}

/// Write in a cohort's thread (its organisers and those who accepted).
#[utoipa::path(
    post,
    path = "/api/v1/cohorts/{id}/messages",
    tag = "cohorts",
    params(("id" = i64, Path, description = "The cohort's id")),
    request_body = MessageInput,
    responses(
        (status = 201, description = "The thread", body = CohortThread),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not in the cohort", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such cohort", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many messages lately", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn write_message(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let input: MessageInput = json_body(&body)?;
    cohorts::write(&state, account, id, &input.body).await?;
    let c = cohorts::load(&state, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(CohortThread {
            items: thread(&state, &c, account).await?,
        }),
    )
        .into_response())
}
