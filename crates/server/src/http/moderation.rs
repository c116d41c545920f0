//! Reports and moderation: the report form (linked from profiles, posts, messages and
//! organizations), the moderators' queue and audit log, suspensions, and their API. Writes go
//! through `crate::moderation`.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cxc_core::moderation::{Decision, ReportDraft, ReportReason, ReportStatus, ReportTarget};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::RequestContext;
use super::extract::{FormFields, Path, Query, json_body};
use super::page::{Page, render};
use super::posts::timestamp;
use super::search::Params;
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::moderation::{self, AuditEntry, StoredReport};
use crate::error::AppError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/report", get(report_page).post(report_submit))
        .route("/admin/reports", get(queue_page))
        .route("/admin/reports/{id}", post(decide_submit))
        .route("/admin/audit", get(audit_page))
        .route(
            "/admin/accounts/{username}/suspension",
            post(suspension_submit),
        )
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(create_report))
        .routes(routes!(list_reports))
        .routes(routes!(decide_report))
        .routes(routes!(suspend_account, reinstate_account))
        .routes(routes!(audit_log))
}

fn moderator(ctx: &RequestContext) -> Result<&Account, AppError> {
    let account = ctx.require_account()?;
    if !account.moderates() {
        return Err(AppError::Forbidden("cxc-error-moderators-only"));
    }
    Ok(account)
}

/// A report, as moderators see it.
#[derive(Serialize, ToSchema)]
pub struct ReportDoc {
    id: i64,
    /// The reporter's username (null once their account is gone).
    reporter: Option<String>,
    /// `profile`, `post`, `message` or `organization`.
    target: &'static str,
    /// The username, post id, message id or organization key reported.
    id_reported: String,
    /// Whose content it is, when it is someone's.
    account: Option<String>,
    reason: &'static str,
    details: String,
    /// What the reported content said when it was reported.
    excerpt: String,
    /// `open`, `dismissed` or `actioned`.
    status: &'static str,
    #[schema(format = DateTime)]
    created: String,
    note: Option<String>,
}

fn report_doc(r: &StoredReport) -> ReportDoc {
    ReportDoc {
        id: r.id,
        reporter: r.reporter.clone(),
        target: r.target.as_str(),
        id_reported: r.target_id.clone(),
        account: r.target_account.clone(),
        reason: r.reason.as_str(),
        details: r.details.clone(),
        excerpt: r.excerpt.clone(),
        status: r.status.as_str(),
        created: timestamp(r.created_at),
        note: r.note.clone(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ReportInput {
    /// `profile`, `post`, `message` or `organization`.
    #[schema(pattern = "^(profile|post|message|organization)$")]
    target: String,
    /// The username, post id, message id or organization key.
    #[schema(min_length = 1)]
    id: String,
    /// `harassment`, `hate`, `spam`, `privacy`, `impersonation`, `unsafe` or `other`.
    #[schema(pattern = "^(harassment|hate|spam|privacy|impersonation|unsafe|other)$")]
    reason: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    details: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportCreated {
    id: i64,
    status: &'static str,
}

/// Report a person, a post, a message of one of your threads or an organization to the
/// moderators. Reports follow the Universal Code of Conduct.
#[utoipa::path(
    post,
    path = "/api/v1/reports",
    tag = "moderation",
    request_body = ReportInput,
    responses(
        (status = 201, description = "Filed", body = ReportCreated),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "You already reported this", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or nothing of that id you can see", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn create_report(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let input: ReportInput = json_body(&body)?;
    let id = crate::moderation::report(
        &state,
        account,
        ReportDraft {
            target: input.target,
            id: input.id,
            reason: input.reason,
            details: input.details,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ReportCreated { id, status: "open" }),
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
struct StatusQuery {
    /// `open` (default), `dismissed` or `actioned`.
    #[param(pattern = "^(open|dismissed|actioned)?$")]
    status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportList {
    items: Vec<ReportDoc>,
}

fn status_of(raw: Option<&str>) -> Result<ReportStatus, AppError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(ReportStatus::Open),
        Some(s) => ReportStatus::parse(s)
            .ok_or_else(|| AppError::invalid("status", "cxc-error-invalid-status")),
    }
}

/// The moderators' queue: reports of one status, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/reports",
    tag = "moderation",
    params(StatusQuery),
    responses(
        (status = 200, description = "Reports", body = ReportList),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a moderator", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown status", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn list_reports(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<StatusQuery>,
) -> Result<Json<ReportList>, AppError> {
    moderator(&ctx)?;
    let status = status_of(q.status.as_deref())?;
    let found = moderation::reports(state.db.pool(), Some(status)).await?;
    Ok(Json(ReportList {
        items: found.iter().map(report_doc).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct DecisionInput {
    /// `dismiss`, `hide` (posts and messages) or `suspend` (the person behind it).
    #[schema(pattern = "^(dismiss|hide|suspend)$")]
    action: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
    note: String,
    /// For `suspend`: the day it ends (ISO 8601); indefinitely when missing.
    #[schema(format = Date)]
    until: Option<String>,
}

/// Decide an open report. Every decision is written to the audit log.
#[utoipa::path(
    post,
    path = "/api/v1/admin/reports/{id}",
    tag = "moderation",
    params(("id" = i64, Path, description = "The report's id")),
    request_body = DecisionInput,
    responses(
        (status = 204, description = "Decided"),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a moderator", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided already", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or an action that does not fit what was reported", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn decide_report(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let account = moderator(&ctx)?;
    let input: DecisionInput = json_body(&body)?;
    let decision = Decision::parse(&input.action)
        .ok_or_else(|| AppError::invalid("action", "cxc-error-invalid-action"))?;
    crate::moderation::decide(
        &state,
        account,
        id,
        decision,
        &input.note,
        input.until.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema, Default)]
pub struct SuspensionInput {
    /// The day it ends (ISO 8601); indefinitely when missing or null.
    #[schema(format = Date)]
    until: Option<String>,
    #[serde(default)]
    #[schema(max_length = 1000)]
    note: String,
}

/// Suspend an account: it cannot sign in, post or write, and leaves search and matching.
#[utoipa::path(
    put,
    path = "/api/v1/admin/accounts/{username}/suspension",
    tag = "moderation",
    params(("username" = String, Path, description = "The account's username")),
    request_body = SuspensionInput,
    responses(
        (status = 204, description = "Suspended"),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a moderator", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Your own account", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn suspend_account(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let account = moderator(&ctx)?;
    let input: SuspensionInput = json_body(&body)?;
    crate::moderation::suspend(
        &state.db,
        Some(account),
        &username,
        input.until.as_deref(),
        &input.note,
        state.clock.unix(),
    )
    .await?;
    crate::read_model::sync(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a suspension.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/accounts/{username}/suspension",
    tag = "moderation",
    params(("username" = String, Path, description = "The account's username")),
    responses(
        (status = 204, description = "Lifted"),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a moderator", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account, or not suspended", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn reinstate_account(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
) -> Result<StatusCode, AppError> {
    let account = moderator(&ctx)?;
    if !crate::moderation::reinstate(&state.db, Some(account), &username, "", state.clock.unix())
        .await?
    {
        return Err(AppError::NotFound);
    }
    crate::read_model::sync(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A moderator action.
#[derive(Serialize, ToSchema)]
pub struct AuditDoc {
    id: i64,
    /// The moderator's username, or `cxc` for what happened by itself.
    moderator: String,
    /// `dismiss`, `hide`, `suspend`, `reinstate` or `suspension_ended`.
    action: String,
    target: String,
    id_acted_on: String,
    note: String,
    #[schema(format = DateTime)]
    created: String,
}

fn audit_doc(e: &AuditEntry) -> AuditDoc {
    AuditDoc {
        id: e.id,
        moderator: e.moderator.clone(),
        action: e.action.clone(),
        target: e.target_kind.clone(),
        id_acted_on: e.target_id.clone(),
        note: e.note.clone(),
        created: timestamp(e.created_at),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    items: Vec<AuditDoc>,
}

/// Every moderator action, newest first (the latest 500).
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "moderation",
    responses(
        (status = 200, description = "The audit log", body = AuditList),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a moderator", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn audit_log(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<AuditList>, AppError> {
    moderator(&ctx)?;
    let entries = moderation::audit_log(state.db.pool(), 500).await?;
    Ok(Json(AuditList {
        items: entries.iter().map(audit_doc).collect(),
    }))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportTemplate {
    page: Page,
    target: String,
    id: String,
    reasons: &'static [ReportReason],
    details: String,
    error: Option<String>,
    done: bool,
}

fn report_form(
    state: &AppState,
    ctx: &RequestContext,
    target: String,
    id: String,
    details: String,
    error: Option<String>,
    done: bool,
) -> Result<Html<String>, AppError> {
    render(&ReportTemplate {
        page: Page::new(state, ctx, "cxc-report-title"),
        reasons: ReportReason::ALL,
        target,
        id,
        details,
        error,
        done,
    })
}

async fn report_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    if ctx.account.is_none() {
        let back = super::page::url_component(&ctx.path);
        return Ok(Redirect::to(&format!("/login?return={back}")).into_response());
    }
    let params = Params::parse(raw.as_deref())?;
    let target = params.one("target").unwrap_or_default().to_owned();
    if ReportTarget::parse(&target).is_none() {
        return Err(AppError::NotFound);
    }
    let id = params.one("id").unwrap_or_default().to_owned();
    Ok(report_form(&state, &ctx, target, id, String::new(), None, false)?.into_response())
}

async fn report_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let draft = ReportDraft {
        target: f.one("target"),
        id: f.one("id"),
        reason: f.one("reason"),
        details: f.one("details"),
    };
    let (target, id, details) = (
        draft.target.clone(),
        draft.id.clone(),
        draft.details.clone(),
    );
    match crate::moderation::report(&state, account, draft).await {
        Ok(_) => {
            Ok(report_form(&state, &ctx, target, id, String::new(), None, true)?.into_response())
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let report = e.report();
            let key = report.fields.first().map_or(report.key, |f| f.key);
            let message = state.i18n.text(ctx.lang, key, &[]);
            let html = report_form(&state, &ctx, target, id, details, Some(message), false)?;
            Ok((e.status(), html).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "admin_reports.html")]
struct QueueTemplate {
    page: Page,
    status: &'static str,
    reports: Vec<ReportDoc>,
    decisions: &'static [Decision],
}

async fn queue_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<StatusQuery>,
) -> Result<Response, AppError> {
    if ctx.account.is_none() {
        return Ok(Redirect::to("/login?return=/admin/reports").into_response());
    }
    moderator(&ctx)?;
    let status = status_of(q.status.as_deref())?;
    let reports = moderation::reports(state.db.pool(), Some(status)).await?;
    Ok(render(&QueueTemplate {
        page: Page::new(&state, &ctx, "cxc-moderation-title"),
        status: status.as_str(),
        reports: reports.iter().map(report_doc).collect(),
        decisions: Decision::ALL,
    })?
    .into_response())
}

async fn decide_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = moderator(&ctx)?;
    let f = FormFields::parse(&body)?;
    let decision =
        Decision::parse(&f.one("action")).ok_or(AppError::BadRequest("cxc-error-bad-form"))?;
    let until = f.one("until");
    crate::moderation::decide(
        &state,
        account,
        id,
        decision,
        &f.one("note"),
        Some(until.as_str()),
    )
    .await?;
    Ok(Redirect::to("/admin/reports").into_response())
}

async fn suspension_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = moderator(&ctx)?;
    let f = FormFields::parse(&body)?;
    let now = state.clock.unix();
    if f.one("action") == "reinstate" {
        crate::moderation::reinstate(&state.db, Some(account), &username, &f.one("note"), now)
            .await?;
    } else {
        let until = f.one("until");
        crate::moderation::suspend(
            &state.db,
            Some(account),
            &username,
            Some(until.as_str()),
            &f.one("note"),
            now,
        )
        .await?;
    }
    crate::read_model::sync(&state).await?;
    Ok(Redirect::to("/admin/audit").into_response())
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditTemplate {
    page: Page,
    entries: Vec<AuditDoc>,
}

async fn audit_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    if ctx.account.is_none() {
        return Ok(Redirect::to("/login?return=/admin/audit").into_response());
    }
    moderator(&ctx)?;
    let entries = moderation::audit_log(state.db.pool(), 500).await?;
    Ok(render(&AuditTemplate {
        page: Page::new(&state, &ctx, "cxc-audit-title"),
        entries: entries.iter().map(audit_doc).collect(),
    })?
    .into_response())
}
