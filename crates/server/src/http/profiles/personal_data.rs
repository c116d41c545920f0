//! One's own data: download it, or delete the account and everything with it.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::db::accounts::{self, Account};
use crate::db::profiles;
use crate::error::AppError;
use crate::http::context::{RequestContext, SESSION_COOKIE, set_cookie};
use crate::http::extract::Form;
use crate::interchange::ProfileRecord;

/// Everything cxc holds about the signed-in person.
#[derive(Serialize, ToSchema)]
pub struct PersonalData {
    username: String,
    roles: Vec<String>,
    /// Whether a Wikimedia account is linked (its id is kept only to recognise you).
    wikimedia_linked: bool,
    has_password: bool,
    /// The profile, as `GET /api/v1/me/profile` returns it; null before one is saved.
    #[schema(value_type = Option<Object>)]
    profile: Option<serde_json::Value>,
    /// Labels and dates of your API tokens (never the tokens).
    #[schema(value_type = Vec<Object>)]
    api_tokens: Vec<serde_json::Value>,
    /// Organizations you manage.
    manages: Vec<String>,
    /// People you blocked.
    blocked: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    capacity_suggestions: Vec<serde_json::Value>,
    /// Your asks and offers, whatever their status.
    posts: Vec<crate::http::posts::PostDoc>,
    /// Your connections, sent and received.
    connections: Vec<crate::http::connections::ConnectionDoc>,
    /// What you wrote in connections' threads, with the connection of each.
    #[schema(value_type = Vec<Object>)]
    messages: Vec<serde_json::Value>,
    /// Your notifications (the latest 100).
    #[schema(value_type = Vec<Object>)]
    notifications: Vec<serde_json::Value>,
    /// Where e-mail goes, if anywhere.
    #[schema(value_type = Object)]
    email: serde_json::Value,
    /// Events you announced or registered for.
    #[schema(value_type = Vec<Object>)]
    events: Vec<serde_json::Value>,
    /// The reports you made, and what became of them.
    #[schema(value_type = Vec<Object>)]
    reports: Vec<serde_json::Value>,
    /// Your applications to mentorship programmes, with your answers.
    #[schema(value_type = Vec<Object>)]
    programme_applications: Vec<serde_json::Value>,
    /// The learning groups you formed or were invited to, and what you wrote in them.
    #[schema(value_type = Vec<Object>)]
    cohorts: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    cohort_messages: Vec<serde_json::Value>,
}

pub(super) async fn personal_data(
    state: &AppState,
    account: &Account,
    lang: &str,
) -> Result<PersonalData, AppError> {
    let profile = profiles::load(&state.db, account.id).await?;
    let tokens = accounts::list_tokens(&state.db, Some(account.id)).await?;
    let (manages, suggestions) = accounts::personal_extras(&state.db, account.id).await?;
    let connections = crate::db::connections::of_account(
        state.db.pool(),
        account.id,
        crate::db::connections::Role::Either,
        &[],
    )
    .await?;
    let messages = crate::db::connections::messages_by(state.db.pool(), account.id).await?;
    let notifications =
        crate::db::notifications::of_account(&state.db, account.id, false, 100).await?;
    let reports = crate::db::moderation::reports_by(state.db.pool(), account.id).await?;
    let email = crate::db::mail::settings(state.db.pool(), account.id).await?;
    let events = crate::db::events::of_account(state.db.pool(), account.id).await?;
    let mut programme_applications = Vec::new();
    for (programme, a) in
        crate::db::programmes::applications_of_account(state.db.pool(), account.id).await?
    {
        let name = crate::db::programmes::load(state.db.pool(), programme)
            .await?
            .map(|p| p.programme.name);
        programme_applications.push(serde_json::json!({"programme": programme, "name": name, "role": a.application.role.as_str(), "answers": a.application.answers, "capacities": a.application.capacities, "slots": a.application.slots, "applied": crate::http::posts::timestamp(a.created_at), "updated": crate::http::posts::timestamp(a.updated_at)}));
    }
    let mut cohorts = Vec::new();
    for (c, answer) in crate::db::cohorts::of_account(state.db.pool(), account.id, true).await? {
        cohorts.push(serde_json::json!({"cohort": c.id, "name": c.cohort.name, "organiser": c.organizer_id == Some(account.id), "answer": answer.map(|a| a.as_str())}));
    }
    let cohort_messages = crate::db::cohorts::messages_by(state.db.pool(), account.id)
        .await?
        .into_iter()
        .map(|(cohort, body, created)| serde_json::json!({"cohort": cohort, "body": body, "created": crate::http::posts::timestamp(created)}))
        .collect();
    Ok(PersonalData {
        username: account.username.clone(),
        roles: account.roles().iter().map(|r| format!("{r:?}").to_lowercase()).collect(),
        wikimedia_linked: account.wikimedia_sub.is_some(),
        has_password: account.has_password,
        profile: profile.map(|p| serde_json::to_value(ProfileRecord::from_stored(&p)).unwrap_or_default()),
        api_tokens: tokens
            .iter()
            .map(|t| serde_json::json!({"id": t.id, "label": t.label, "created_at": t.created_at, "last_used_at": t.last_used_at, "revoked_at": t.revoked_at}))
            .collect(),
        manages,
        blocked: accounts::blocked_by(&state.db, account.id).await?,
        capacity_suggestions: suggestions,
        posts: {
            let directory = state.directory();
            let read = state.read_model();
            read.board
                .by_author(account.id)
                .map(|p| crate::http::posts::post_doc(state, &directory, &read.model, p, lang))
                .collect()
        },
        connections: {
            let directory = state.directory();
            let read = state.read_model();
            connections
                .iter()
                .map(|c| crate::http::connections::connection_doc(&read, &directory, c, lang))
                .collect()
        },
        messages: messages
            .iter()
            .map(|(connection, m)| serde_json::json!({"connection": connection, "body": m.body, "created": crate::http::posts::timestamp(m.created_at)}))
            .collect(),
        notifications: notifications
            .iter()
            .map(|n| serde_json::json!({"kind": n.kind.as_str(), "created": crate::http::posts::timestamp(n.created_at), "read": n.read_at.is_some(), "connection": n.connection_id, "post": n.post_id}))
            .collect(),
        email: serde_json::json!({"address": email.address, "verified": email.verified, "mode": email.mode.as_str(), "language": email.lang}),
        events: events
            .iter()
            .map(|(id, title, role)| serde_json::json!({"event": id, "title": title, "role": role}))
            .collect(),
        reports: reports
            .iter()
            .map(|r| serde_json::json!({"target": r.target.as_str(), "id": r.target_id, "reason": r.reason.as_str(), "details": r.details, "status": r.status.as_str(), "created": crate::http::posts::timestamp(r.created_at)}))
            .collect(),
        programme_applications,
        cohorts,
        cohort_messages,
    })
}

/// Download everything cxc holds about you.
#[utoipa::path(
    get,
    path = "/api/v1/me/export",
    tag = "profiles",
    responses(
        (status = 200, description = "Your data", body = PersonalData),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn export_mine(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<PersonalData>, AppError> {
    let account = ctx.require_account()?;
    Ok(Json(personal_data(&state, account, ctx.lang).await?))
}

pub(super) async fn export_download(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/account").into_response());
    };
    let data = personal_data(&state, account, ctx.lang).await?;
    let body = serde_json::to_string_pretty(&data).map_err(anyhow::Error::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cxc-my-data.json\"".to_owned(),
            ),
        ],
        body,
    )
        .into_response())
}

/// Delete your account and every piece of personal data cxc holds about you.
#[utoipa::path(
    delete,
    path = "/api/v1/me",
    tag = "profiles",
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn delete_me(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<StatusCode, AppError> {
    let account = ctx.require_account()?;
    accounts::delete(&state.db, account.id).await?;
    crate::read_model::sync(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(super) struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

pub(super) async fn delete_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/account").into_response());
    };
    if cxc_core::Username::key_of(&form.confirm) != cxc_core::Username::key_of(&account.username) {
        return Err(AppError::invalid("confirm", "cxc-error-delete-confirm"));
    }
    accounts::delete(&state.db, account.id).await?;
    crate::read_model::sync(&state).await?;
    let clear = set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies());
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/?deleted=1")).into_response())
}
