//! Blocking: people you blocked are never suggested to you, nor you to them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::db::accounts::{self, Account};
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::extract::Path;

/// The people you blocked: they are never suggested to you, nor you to them.
#[utoipa::path(
    get,
    path = "/api/v1/me/blocks",
    tag = "profiles",
    responses(
        (status = 200, description = "Usernames you blocked", body = [String]),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn list_blocks(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<String>>, AppError> {
    let account = ctx.require_account()?;
    Ok(Json(accounts::blocked_by(&state.db, account.id).await?))
}

pub(super) async fn other(
    state: &AppState,
    me: &Account,
    username: &str,
) -> Result<Account, AppError> {
    let target = accounts::by_username(&state.db, username)
        .await?
        .ok_or(AppError::NotFound)?;
    if target.id == me.id {
        return Err(AppError::BadRequest("cxc-error-block-self"));
    }
    Ok(target)
}

/// Block someone: neither of you is suggested to the other any more.
#[utoipa::path(
    put,
    path = "/api/v1/me/blocks/{username}",
    tag = "profiles",
    params(("username" = String, Path, description = "Whom to block")),
    responses(
        (status = 204, description = "Blocked"),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn block_person(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
) -> Result<StatusCode, AppError> {
    set_block(&state, ctx.require_account()?, &username, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Blocks or unblocks someone, and brings the read model up to date at once.
pub(super) async fn set_block(
    state: &AppState,
    me: &Account,
    username: &str,
    blocked: bool,
) -> Result<(), AppError> {
    let target = other(state, me, username).await?;
    if blocked {
        accounts::block(&state.db, me.id, target.id).await?;
    } else {
        accounts::unblock(&state.db, me.id, target.id).await?;
    }
    crate::read_model::sync(state).await
}

/// Unblock someone.
#[utoipa::path(
    delete,
    path = "/api/v1/me/blocks/{username}",
    tag = "profiles",
    params(("username" = String, Path, description = "Whom to unblock")),
    responses(
        (status = 204, description = "Unblocked"),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such person", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn unblock_person(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
) -> Result<StatusCode, AppError> {
    set_block(&state, ctx.require_account()?, &username, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn block_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let Some(me) = &ctx.account else {
        return Ok(Redirect::to("/login").into_response());
    };
    set_block(&state, me, &username, true).await?;
    Ok(Redirect::to("/matches").into_response())
}
