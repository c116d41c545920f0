//! The connections API: `/api/v1/connections` and what can be done to one.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cxc_core::connection::ConnectionStatus;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ConnectionDoc, MessageDoc, connection_doc, message_doc};
use crate::AppState;
use crate::db::connections::{self, Role, StoredConnection};
use crate::error::AppError;
use crate::exchange::{self, Answer, RequestDraft, side_of};
use crate::http::context::RequestContext;
use crate::http::extract::{Path, Query, json_body};

fn doc(state: &AppState, c: &StoredConnection, lang: &str) -> ConnectionDoc {
    let read = state.read_model();
    connection_doc(&read, &state.directory(), c, lang)
}

/// A connection `account` is part of; anyone else is told there is none.
pub(super) async fn mine(
    state: &AppState,
    ctx: &RequestContext,
    id: i64,
) -> Result<StoredConnection, AppError> {
    let account = ctx.require_account()?;
    let c = connections::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    side_of(&c, account)?;
    Ok(c)
}

/// A request for a connection.
#[derive(Deserialize, ToSchema)]
pub struct ConnectionInput {
    /// The username of the person asked.
    #[schema(min_length = 1)]
    to: String,
    /// The capacity it is about (an id), or null.
    capacity: Option<String>,
    /// The post it answers, or null.
    post: Option<i64>,
    /// A short note: who you are and what you hope for (up to 1,000 characters).
    #[schema(min_length = 1, max_length = 1000)]
    message: String,
}

/// Ask someone for a connection about a capacity, a post or a suggestion. Refused when they
/// are away (`away`, with the date they return), blocked either way, at their own limit, or
/// when you already have as many requests waiting as the site allows.
#[utoipa::path(
    post,
    path = "/api/v1/connections",
    tag = "connections",
    request_body = ConnectionInput,
    responses(
        (status = 201, description = "The request", body = ConnectionDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A block stands between you", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Away, at their limit, already connected, or too many requests waiting", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests lately", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn create_connection(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let input: ConnectionInput = json_body(&body)?;
    let id = exchange::request(
        &state,
        account,
        RequestDraft {
            to: input.to,
            capacity: input.capacity,
            post: input.post,
            message: input.message,
        },
    )
    .await?;
    let c = mine(&state, &ctx, id).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/connections/{id}"))],
        Json(doc(&state, &c, ctx.lang)),
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
pub(super) struct ListQuery {
    /// `sent` or `received`; both when missing.
    #[param(pattern = "^(sent|received)?$")]
    role: Option<String>,
    /// Only connections with this status.
    #[param(
        pattern = "^(requested|info_requested|accepted|declined|withdrawn|expired|completed)?$"
    )]
    status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ConnectionList {
    items: Vec<ConnectionDoc>,
}

/// Your connections, newest activity first.
#[utoipa::path(
    get,
    path = "/api/v1/connections",
    tag = "connections",
    params(ListQuery),
    responses(
        (status = 200, description = "Your connections", body = ConnectionList),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown role or status", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn list_connections(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<ListQuery>,
) -> Result<Json<ConnectionList>, AppError> {
    let account = ctx.require_account()?;
    let role = match q.role.as_deref().filter(|r| !r.is_empty()) {
        None => Role::Either,
        Some("sent") => Role::Sent,
        Some("received") => Role::Received,
        Some(_) => return Err(AppError::invalid("role", "cxc-error-invalid-role")),
    };
    let statuses: Vec<ConnectionStatus> = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => Vec::new(),
        Some(raw) => vec![
            ConnectionStatus::parse(raw)
                .ok_or_else(|| AppError::invalid("status", "cxc-error-invalid-status"))?,
        ],
    };
    let found = connections::of_account(state.db.pool(), account.id, role, &statuses).await?;
    Ok(Json(ConnectionList {
        items: found.iter().map(|c| doc(&state, c, ctx.lang)).collect(),
    }))
}

/// One of your connections.
#[utoipa::path(
    get,
    path = "/api/v1/connections/{id}",
    tag = "connections",
    params(("id" = i64, Path, description = "The connection's id")),
    responses(
        (status = 200, description = "The connection", body = ConnectionDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection of yours", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn get_connection(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<ConnectionDoc>, AppError> {
    let c = mine(&state, &ctx, id).await?;
    Ok(Json(doc(&state, &c, ctx.lang)))
}

/// An answer to a request.
#[derive(Deserialize, ToSchema)]
pub struct AnswerInput {
    #[schema(pattern = "^(accept|decline|ask_info)$")]
    action: String,
    /// For `decline`: `no_time`, `not_my_area`, `language`, `already_helped` or `other`.
    reason: Option<String>,
    /// Required for `ask_info` (what you would like to know); optional otherwise.
    #[schema(max_length = 5000)]
    message: Option<String>,
}

/// Accept, decline or ask for more information: the person asked only, once.
#[utoipa::path(
    post,
    path = "/api/v1/connections/{id}/answer",
    tag = "connections",
    params(("id" = i64, Path, description = "The connection's id")),
    request_body = AnswerInput,
    responses(
        (status = 200, description = "The connection after the answer", body = ConnectionDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection of yours", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already answered, or not yours to answer", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn answer_connection(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<ConnectionDoc>, AppError> {
    let account = ctx.require_account()?;
    let input: AnswerInput = json_body(&body)?;
    let answer = match input.action.as_str() {
        "accept" => Answer::Accept,
        "decline" => Answer::Decline(input.reason),
        "ask_info" => Answer::AskInfo,
        _ => return Err(AppError::invalid("action", "cxc-error-invalid-action")),
    };
    let c = exchange::answer(&state, account, id, answer, input.message.as_deref()).await?;
    Ok(Json(doc(&state, &c, ctx.lang)))
}

/// Confirm the exchange happened; it is `completed` once both sides have.
#[utoipa::path(
    post,
    path = "/api/v1/connections/{id}/complete",
    tag = "connections",
    params(("id" = i64, Path, description = "The connection's id")),
    responses(
        (status = 200, description = "The connection", body = ConnectionDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection of yours", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not accepted, or already confirmed", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn complete_connection(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<ConnectionDoc>, AppError> {
    let account = ctx.require_account()?;
    let c = exchange::complete(&state, account, id).await?;
    Ok(Json(doc(&state, &c, ctx.lang)))
}

/// Withdraw a request not yet accepted: its requester only.
#[utoipa::path(
    post,
    path = "/api/v1/connections/{id}/withdraw",
    tag = "connections",
    params(("id" = i64, Path, description = "The connection's id")),
    responses(
        (status = 200, description = "The connection", body = ConnectionDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection of yours", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already answered, or not yours to withdraw", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn withdraw_connection(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<ConnectionDoc>, AppError> {
    let account = ctx.require_account()?;
    let c = exchange::withdraw(&state, account, id).await?;
    Ok(Json(doc(&state, &c, ctx.lang)))
}

#[derive(Serialize, ToSchema)]
pub struct MessageList {
    items: Vec<MessageDoc>,
}

/// The private thread of one of your connections, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/connections/{id}/messages",
    tag = "connections",
    params(("id" = i64, Path, description = "The connection's id")),
    responses(
        (status = 200, description = "The thread", body = MessageList),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection of yours", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn list_messages(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<MessageList>, AppError> {
    let c = mine(&state, &ctx, id).await?;
    let messages = connections::messages(state.db.pool(), c.id).await?;
    Ok(Json(MessageList {
        items: messages.iter().map(message_doc).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct MessageInput {
    #[schema(min_length = 1, max_length = 5000)]
    body: String,
}

/// Write in the thread: once accepted, or to answer a request for more information (which
/// brings the request back to the person asked).
#[utoipa::path(
    post,
    path = "/api/v1/connections/{id}/messages",
    tag = "connections",
    params(("id" = i64, Path, description = "The connection's id")),
    request_body = MessageInput,
    responses(
        (status = 201, description = "The message, stored", body = MessageDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A block stands between you", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection of yours", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The thread is closed", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many messages lately", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn post_message(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let input: MessageInput = json_body(&body)?;
    let written = exchange::post_message(&state, account, id, &input.body).await?;
    let messages = connections::messages(state.db.pool(), id).await?;
    let message = messages
        .iter()
        .find(|m| m.id == written)
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(message_doc(message))).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct ThanksInput {
    #[schema(min_length = 1, max_length = 500)]
    body: String,
    /// Whether you agree to it being shown on the other's profile (they decide whether it is).
    #[serde(default)]
    public: bool,
}

/// Say thank you after a completed exchange, once.
#[utoipa::path(
    post,
    path = "/api/v1/connections/{id}/thanks",
    tag = "connections",
    params(("id" = i64, Path, description = "The connection's id")),
    request_body = ThanksInput,
    responses(
        (status = 201, description = "Thanked"),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such connection of yours", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not completed, or already thanked", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn thank(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let account = ctx.require_account()?;
    let input: ThanksInput = json_body(&body)?;
    exchange::thank(&state, account, id, &input.body, input.public).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize, ToSchema)]
pub struct ShownInput {
    shown: bool,
}

/// Show the thank-you you received in this connection on your profile, or stop showing it
/// (only thank-yous their authors made public are ever shown).
#[utoipa::path(
    post,
    path = "/api/v1/connections/{id}/thanks/shown",
    tag = "connections",
    params(("id" = i64, Path, description = "The connection's id")),
    request_body = ShownInput,
    responses(
        (status = 204, description = "Saved"),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No thank-you to you here", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn show_thanks(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let account = ctx.require_account()?;
    let input: ShownInput = json_body(&body)?;
    exchange::show_thanks(&state, account, id, input.shown).await?;
    Ok(StatusCode::NO_CONTENT)
}
