//! The JSON API of mentorship programmes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cxc_core::programme::{ApplicationDraft, ProgrammeDraft};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ProgrammeDoc, ProposalDoc, doc, proposal_doc};
use crate::AppState;
use crate::db::programmes as stored;
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::extract::{Path, json_body, json_body_or_default};
use crate::programmes::{self, RoundDraft};

/// A programme as the API takes it.
#[derive(Deserialize, ToSchema)]
pub struct ProgrammeInput {
    #[schema(min_length = 1, max_length = 150)]
    name: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    description: String,
    /// Capacity keys (at least one).
    capacities: Vec<String>,
    #[serde(default)]
    languages: Vec<String>,
    /// A Wikimedia region code.
    region: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    registration_opens: String,
    #[schema(format = Date)]
    registration_closes: String,
    #[serde(default)]
    mentor_questions: Vec<String>,
    #[serde(default)]
    mentee_questions: Vec<String>,
    /// The most mentees one mentor may take (1–10, default 3).
    #[schema(minimum = 1, maximum = 10)]
    mentor_limit: Option<i64>,
    /// The organization that runs it (required unless you are an administrator).
    organization: Option<String>,
}

impl ProgrammeInput {
    fn draft(self) -> ProgrammeDraft {
        ProgrammeDraft {
            name: self.name,
            description: self.description,
            capacities: self.capacities,
            languages: self.languages,
            region: self.region,
            registration_opens: self.registration_opens,
            registration_closes: self.registration_closes,
            mentor_questions: self.mentor_questions,
            mentee_questions: self.mentee_questions,
            mentor_limit: self.mentor_limit,
            organization: self.organization,
        }
    }
}

/// A programme in a list.
#[derive(Serialize, ToSchema)]
pub struct ProgrammeSummary {
    id: i64,
    name: String,
    capacities: Vec<String>,
    organization: Option<String>,
    /// `upcoming`, `open`, `closed` or `published`.
    phase: &'static str,
    #[schema(format = Date)]
    registration_opens: String,
    #[schema(format = Date)]
    registration_closes: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProgrammeList {
    items: Vec<ProgrammeSummary>,
}

/// Mentorship programmes, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/programmes",
    tag = "programmes",
    responses((status = 200, description = "Programmes", body = ProgrammeList))
)]
pub async fn list_programmes(
    State(state): State<AppState>,
) -> Result<Json<ProgrammeList>, AppError> {
    let items = stored::list(state.db.pool())
        .await?
        .iter()
        .map(|p| ProgrammeSummary {
            id: p.id,
            name: p.programme.name.clone(),
            capacities: p.programme.capacities.clone(),
            organization: p.programme.organization.clone(),
            phase: programmes::phase(&state, p).as_str(),
            registration_opens: cxc_core::profile::format_date(p.programme.registration_opens),
            registration_closes: cxc_core::profile::format_date(p.programme.registration_closes),
        })
        .collect();
    Ok(Json(ProgrammeList { items }))
}

/// Open a mentorship programme for an organization you manage (administrators may open one
/// without an organization).
#[utoipa::path(
    post,
    path = "/api/v1/programmes",
    tag = "programmes",
    request_body = ProgrammeInput,
    responses(
        (status = 201, description = "The programme", body = ProgrammeDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager of the organization", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn create_programme(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let input: ProgrammeInput = json_body(&body)?;
    let id = programmes::create(&state, account, input.draft()).await?;
    let p = programmes::load(&state, id).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/programmes/{id}"))],
        Json(doc(&state, &p, Some(account), ctx.lang).await?),
    )
        .into_response())
}

/// One programme. Its organisers also see the applications with their answers, the latest
/// round and the figures; an applicant sees their own application.
#[utoipa::path(
    get,
    path = "/api/v1/programmes/{id}",
    tag = "programmes",
    params(("id" = i64, Path, description = "The programme's id")),
    responses(
        (status = 200, description = "The programme", body = ProgrammeDoc),
        (status = 404, description = "No such programme", body = crate::http::api::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_programme(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<ProgrammeDoc>, AppError> {
    let p = programmes::load(&state, id).await?;
    Ok(Json(doc(&state, &p, ctx.account.as_ref(), ctx.lang).await?))
}

/// An application to a programme.
#[derive(Deserialize, ToSchema)]
pub struct ApplicationInput {
    /// `mentor` or `mentee`.
    #[schema(pattern = "^(mentor|mentee)$")]
    role: String,
    /// One answer per question for the role, in order.
    #[serde(default)]
    answers: Vec<String>,
    /// Among the programme's capacities; none means all of them.
    #[serde(default)]
    capacities: Vec<String>,
    /// How many mentees you take (mentors only; 1 up to the programme's limit, default 1).
    #[schema(minimum = 1, maximum = 10)]
    slots: Option<i64>,
}

/// Apply as a mentor or a mentee while registration is open; applying again replaces your
/// application. Your answers are seen only by the programme's organisers and you.
#[utoipa::path(
    post,
    path = "/api/v1/programmes/{id}/applications",
    tag = "programmes",
    params(("id" = i64, Path, description = "The programme's id")),
    request_body = ApplicationInput,
    responses(
        (status = 201, description = "Applied", body = ProgrammeDoc),
        (status = 200, description = "Application replaced", body = ProgrammeDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Registration is not open, or no profile yet", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn apply(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let input: ApplicationInput = json_body(&body)?;
    let draft = ApplicationDraft {
        role: input.role,
        answers: input.answers,
        capacities: input.capacities,
        slots: input.slots,
    };
    let created = programmes::apply(&state, account, id, draft).await?;
    let p = programmes::load(&state, id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(doc(&state, &p, Some(account), ctx.lang).await?),
    )
        .into_response())
}

/// Take back your application while registration is open.
#[utoipa::path(
    delete,
    path = "/api/v1/programmes/{id}/applications",
    tag = "programmes",
    params(("id" = i64, Path, description = "The programme's id")),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme or application", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Registration is not open", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn withdraw(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let account = ctx.require_account()?;
    programmes::withdraw(&state, account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a round is computed with.
#[derive(Deserialize, ToSchema, Default)]
pub struct RoundInput {
    /// `best_total` (the largest total score; the default), `max_matched` (the most mentees
    /// matched, then the best total) or `stable` (no mentor and mentee who would both rather
    /// have each other).
    #[schema(pattern = "^(best_total|max_matched|stable)$")]
    mode: Option<String>,
    /// Pairs kept whatever the computation says, as `[mentor, mentee]` usernames.
    #[serde(default)]
    pinned: Vec<[String; 2]>,
    /// Pairs never made, as `[mentor, mentee]` usernames.
    #[serde(default)]
    forbidden: Vec<[String; 2]>,
}

/// Compute the whole round (the programme's organisers; any time before publishing, as a
/// preview). The result is kept as the proposal that publishing makes real.
#[utoipa::path(
    post,
    path = "/api/v1/programmes/{id}/rounds",
    tag = "programmes",
    params(("id" = i64, Path, description = "The programme's id")),
    request_body = RoundInput,
    responses(
        (status = 200, description = "The proposal", body = ProposalDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an organiser", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already published", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid mode or pairs", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn compute_round(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<ProposalDoc>, AppError> {
    let account = ctx.require_account()?;
    let input: RoundInput = json_body_or_default(&body)?;
    let pairs = |list: Vec<[String; 2]>| {
        list.into_iter()
            .map(|[mentor, mentee]| (mentor, mentee))
            .collect()
    };
    let computed = programmes::compute(
        &state,
        account,
        id,
        RoundDraft {
            mode: input.mode.unwrap_or_else(|| "best_total".to_owned()),
            pinned: pairs(input.pinned),
            forbidden: pairs(input.forbidden),
        },
    )
    .await?;
    let applications: Vec<_> = computed
        .mentors
        .into_iter()
        .chain(computed.mentees)
        .collect();
    Ok(Json(proposal_doc(
        &state,
        &computed.round,
        &applications,
        ctx.lang,
    )))
}

/// Close registration now, before its last day (the programme's organisers), so that the
/// round can be published.
#[utoipa::path(
    post,
    path = "/api/v1/programmes/{id}/close",
    tag = "programmes",
    params(("id" = i64, Path, description = "The programme's id")),
    responses(
        (status = 200, description = "The programme, closed", body = ProgrammeDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an organiser", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already closed or published", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn close(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<ProgrammeDoc>, AppError> {
    let account = ctx.require_account()?;
    programmes::close(&state, account, id).await?;
    let p = programmes::load(&state, id).await?;
    Ok(Json(doc(&state, &p, Some(account), ctx.lang).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Published {
    /// How many accepted connections the round made.
    connections: usize,
}

/// Publish the latest round once registration has closed (the programme's organisers): each
/// pair becomes an accepted connection and both are notified.
#[utoipa::path(
    post,
    path = "/api/v1/programmes/{id}/publish",
    tag = "programmes",
    params(("id" = i64, Path, description = "The programme's id")),
    responses(
        (status = 200, description = "Published", body = Published),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an organiser", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such programme", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Registration still open, no round computed, or already published", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub async fn publish(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<Published>, AppError> {
    let account = ctx.require_account()?;
    let connections = programmes::publish(&state, account, id).await?;
    Ok(Json(Published { connections }))
}
