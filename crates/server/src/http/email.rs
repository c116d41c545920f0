//! E-mail settings: an address confirmed by a link, each notification or a weekly digest, in
//! the language chosen when saving; and unsubscribing in one click from any message.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use cxc_core::mail::{EmailMode, plausible_address};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::RequestContext;
use super::extract::{FormFields, Query, json_body};
use super::page::{Page, render};
use super::search::Params;
use crate::AppState;
use crate::auth::{random_secret, secret_hash};
use crate::db::accounts::Account;
use crate::db::mail::{self, EmailSettings};
use crate::error::AppError;

/// The one-click unsubscribe address (RFC 8058). Mail providers post to it without cookies
/// or a CSRF token; the token in its query is all it takes, and all it can do is turn e-mail
/// off, so the forgery check lets it through.
pub const ONE_CLICK: &str = "/api/v1/unsubscribe";

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/account/email", get(settings_page).post(settings_submit))
        .route("/account/email/confirm", get(confirm_page))
        .route(
            "/unsubscribe",
            get(unsubscribe_page).post(unsubscribe_submit),
        )
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(get_email, put_email))
        .routes(routes!(one_click_unsubscribe))
}

/// Your e-mail settings.
#[derive(Serialize, ToSchema)]
pub struct EmailDoc {
    address: Option<String>,
    /// Whether the address was confirmed; nothing but the confirmation goes to it before.
    verified: bool,
    /// `off`, `each` (every notification) or `weekly` (a digest).
    mode: &'static str,
    /// Whether this site sends e-mail at all.
    available: bool,
}

fn email_doc(state: &AppState, s: &EmailSettings) -> EmailDoc {
    EmailDoc {
        address: s.address.clone(),
        verified: s.verified,
        mode: s.mode.as_str(),
        available: state.mailer.is_some(),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct EmailInput {
    /// The address to send to; null to forget it. A new address gets a confirmation link.
    address: Option<String>,
    /// `off`, `each` or `weekly`.
    #[schema(pattern = "^(off|each|weekly)$")]
    mode: String,
}

/// Saves someone's settings in one transaction: a changed address is unconfirmed and gets a
/// confirmation link; e-mails will be in `lang`.
async fn save(
    state: &AppState,
    account: &Account,
    address: Option<&str>,
    mode: &str,
    lang: &str,
) -> Result<EmailSettings, AppError> {
    if state.mailer.is_none() {
        return Err(AppError::Conflict("cxc-error-mail-off"));
    }
    let mode = EmailMode::parse(mode.trim())
        .ok_or_else(|| AppError::invalid("mode", "cxc-error-invalid-email-mode"))?;
    let address = address.map(str::trim).filter(|a| !a.is_empty());
    if address.is_some_and(|a| !plausible_address(a)) {
        return Err(AppError::invalid("address", "cxc-error-invalid-email"));
    }
    let current = mail::settings(state.db.pool(), account.id).await?;
    let now = state.clock.unix();
    let mut tx = state.db.begin_write().await?;
    match address {
        None => mail::clear_address(&mut tx, account.id).await?,
        Some(a) if current.address.as_deref() != Some(a) => {
            let token = random_secret();
            let link = format!(
                "{}/account/email/confirm?token={token}",
                state.config.base_url
            );
            mail::set_address(&mut tx, account.id, a, &secret_hash(&token), &link, now).await?;
        }
        Some(_) => {}
    }
    if address.is_some() {
        mail::set_mode(&mut tx, account.id, mode, lang, &random_secret(), now).await?;
    }
    tx.commit().await?;
    mail::settings(state.db.pool(), account.id).await
}

/// Your e-mail settings.
#[utoipa::path(
    get,
    path = "/api/v1/me/email",
    tag = "notifications",
    responses(
        (status = 200, description = "Your e-mail settings", body = EmailDoc),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn get_email(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<EmailDoc>, AppError> {
    let account = ctx.require_account()?;
    let settings = mail::settings(state.db.pool(), account.id).await?;
    Ok(Json(email_doc(&state, &settings)))
}

/// Choose whether to get e-mail: each notification, or a weekly digest, in the language of
/// this request. A new address is confirmed by a link sent to it first.
#[utoipa::path(
    put,
    path = "/api/v1/me/email",
    tag = "notifications",
    request_body = EmailInput,
    responses(
        (status = 200, description = "Saved", body = EmailDoc),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "This site sends no e-mail", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn put_email(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Json<EmailDoc>, AppError> {
    let account = ctx.require_account()?;
    let input: EmailInput = json_body(&body)?;
    let settings = save(
        &state,
        account,
        input.address.as_deref(),
        &input.mode,
        ctx.lang,
    )
    .await?;
    Ok(Json(email_doc(&state, &settings)))
}

#[derive(Deserialize, IntoParams)]
struct TokenQuery {
    /// The token in the unsubscribe link.
    token: String,
}

/// Unsubscribe in one click (RFC 8058), as mail programs do from the `List-Unsubscribe`
/// header: no sign-in, only the token every message carries.
#[utoipa::path(
    post,
    path = "/api/v1/unsubscribe",
    tag = "notifications",
    params(TokenQuery),
    responses(
        (status = 204, description = "No more e-mail"),
        (status = 404, description = "An unknown token", body = super::api::Problem, content_type = "application/problem+json"),
    )
)]
async fn one_click_unsubscribe(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Result<StatusCode, AppError> {
    if mail::unsubscribe(&state.db, &q.token).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}

#[derive(Template)]
#[template(path = "email.html")]
struct SettingsTemplate {
    page: Page,
    settings: EmailSettings,
    available: bool,
    modes: &'static [EmailMode],
    message: Option<String>,
    error: Option<String>,
}

async fn settings_view(
    state: &AppState,
    ctx: &RequestContext,
    account: &Account,
    message: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let settings = mail::settings(state.db.pool(), account.id).await?;
    Ok(render(&SettingsTemplate {
        page: Page::new(state, ctx, "cxc-email-title"),
        available: state.mailer.is_some(),
        modes: EmailMode::ALL,
        settings,
        message,
        error,
    })?
    .into_response())
}

async fn settings_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/account/email").into_response());
    };
    settings_view(&state, &ctx, account, None, None).await
}

async fn settings_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let address = f.one("address");
    match save(&state, account, Some(&address), &f.one("mode"), ctx.lang).await {
        Ok(saved) => {
            let key = if saved.verified || saved.address.is_none() {
                "cxc-email-saved"
            } else {
                "cxc-email-check-inbox"
            };
            let message = state.i18n.text(ctx.lang, key, &[]);
            settings_view(&state, &ctx, account, Some(message), None).await
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let report = e.report();
            let key = report.fields.first().map_or(report.key, |f| f.key);
            let error = state.i18n.text(ctx.lang, key, &[]);
            let mut response = settings_view(&state, &ctx, account, None, Some(error)).await?;
            *response.status_mut() = e.status();
            Ok(response)
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "email_done.html")]
struct DoneTemplate {
    page: Page,
    message: String,
    /// For the unsubscribe page: the token its button posts.
    token: Option<String>,
}

async fn confirm_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(raw.as_deref())?;
    let token = params.one("token").unwrap_or_default();
    let confirmed = mail::confirm(&state.db, &secret_hash(token), state.clock.unix()).await?;
    let key = if confirmed.is_some() {
        "cxc-email-confirmed"
    } else {
        "cxc-email-confirm-unknown"
    };
    let status = if confirmed.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((
        status,
        render(&DoneTemplate {
            message: state.i18n.text(ctx.lang, key, &[]),
            page: Page::new(&state, &ctx, "cxc-email-title"),
            token: None,
        })?,
    )
        .into_response())
}

/// The link in every e-mail: a page with one button, so that a link checker that follows it
/// does not unsubscribe anybody.
async fn unsubscribe_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(raw.as_deref())?;
    Ok(render(&DoneTemplate {
        message: state.i18n.text(ctx.lang, "cxc-email-unsubscribe-ask", &[]),
        page: Page::new(&state, &ctx, "cxc-email-unsubscribe-title"),
        token: Some(params.one("token").unwrap_or_default().to_owned()),
    })?
    .into_response())
}

async fn unsubscribe_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let token = FormFields::parse(&body)?.one("token");
    let done = mail::unsubscribe(&state.db, &token).await?;
    let key = if done {
        "cxc-email-unsubscribed"
    } else {
        "cxc-email-confirm-unknown"
    };
    Ok((
        if done {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        },
        render(&DoneTemplate {
            message: state.i18n.text(ctx.lang, key, &[]),
            page: Page::new(&state, &ctx, "cxc-email-unsubscribe-title"),
            token: None,
        })?,
    )
        .into_response())
}
