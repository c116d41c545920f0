//! Bookmarks: people, organizations and posts saved to find again, on one page and in the
//! API. An item is saved only if its saver can see it, and listed only while they still can.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::RequestContext;
use super::extract::{FormFields, Path};
use super::page::{Page, render};
use super::posts::timestamp;
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::{profiles, saved};
use crate::error::AppError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/saved", get(saved_page))
        .route("/saved/{kind}/{key}", post(toggle_submit))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(list_saved))
        .routes(routes!(save_item, remove_item))
}

const KINDS: [&str; 3] = ["person", "organization", "post"];

/// A saved item as its saver sees it now.
#[derive(Serialize, ToSchema, Clone)]
pub struct SavedItem {
    /// `person`, `organization` or `post`.
    kind: String,
    /// A username, an organization key or a post id.
    key: String,
    /// The name or title, in the caller's language.
    label: String,
    /// Its page.
    link: String,
    #[schema(format = DateTime)]
    saved: String,
}

#[derive(Serialize, ToSchema)]
pub struct SavedList {
    items: Vec<SavedItem>,
}

/// The label and page of an item `viewer` may see, or `None`.
async fn resolve(
    state: &AppState,
    viewer: &Account,
    kind: &str,
    key: &str,
    lang: &str,
) -> Result<Option<(String, String)>, AppError> {
    Ok(match kind {
        "person" => profiles::by_username(&state.db, key)
            .await?
            .filter(|p| super::profiles::may_see(p, Some(viewer)))
            .map(|p| {
                (
                    p.profile.display_name.clone(),
                    format!("/people/{}", super::page::url_component(&p.username)),
                )
            }),
        "organization" => state
            .directory()
            .organization(key)
            .map(|o| (o.name(lang).to_owned(), format!("/organizations/{}", o.key))),
        "post" => match key.parse::<i64>() {
            Ok(id) => super::posts::visible_post(state, Some(viewer), id)
                .ok()
                .map(|p| (p.title.clone(), format!("/posts/{}", p.id))),
            Err(_) => None,
        },
        _ => None,
    })
}

async fn items(
    state: &AppState,
    account: &Account,
    lang: &str,
) -> Result<Vec<SavedItem>, AppError> {
    let mut out = Vec::new();
    for (kind, key, at) in saved::of_account(&state.db, account.id).await? {
        if let Some((label, link)) = resolve(state, account, &kind, &key, lang).await? {
            out.push(SavedItem {
                kind,
                key,
                label,
                link,
                saved: timestamp(at),
            });
        }
    }
    Ok(out)
}

fn kind_of(kind: &str) -> Result<&'static str, AppError> {
    KINDS
        .into_iter()
        .find(|k| *k == kind)
        .ok_or(AppError::NotFound)
}

/// What you saved, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/me/saved",
    tag = "saved",
    responses(
        (status = 200, description = "Your saved people, organizations and posts", body = SavedList),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn list_saved(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<SavedList>, AppError> {
    let account = ctx.require_account()?;
    Ok(Json(SavedList {
        items: items(&state, account, ctx.lang).await?,
    }))
}

/// Save a person (by username), an organization (by key) or a post (by id).
#[utoipa::path(
    put,
    path = "/api/v1/me/saved/{kind}/{key}",
    tag = "saved",
    params(
        ("kind" = String, Path, description = "person, organization or post", pattern = "^(person|organization|post)$"),
        ("key" = String, Path, description = "A username, an organization key or a post id"),
    ),
    responses(
        (status = 204, description = "Saved"),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Nothing of that kind and key that you can see", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn save_item(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((kind, key)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let account = ctx.require_account()?;
    let kind = kind_of(&kind)?;
    if resolve(&state, account, kind, &key, ctx.lang)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    saved::save(&state.db, account.id, kind, &key, state.clock.unix()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Forget a saved item (nothing happens if it was not saved).
#[utoipa::path(
    delete,
    path = "/api/v1/me/saved/{kind}/{key}",
    tag = "saved",
    params(
        ("kind" = String, Path, description = "person, organization or post", pattern = "^(person|organization|post)$"),
        ("key" = String, Path, description = "A username, an organization key or a post id"),
    ),
    responses(
        (status = 204, description = "Not saved any more"),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "An unknown kind", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn remove_item(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((kind, key)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let account = ctx.require_account()?;
    let kind = kind_of(&kind)?;
    saved::remove(&state.db, account.id, kind, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "saved.html")]
struct SavedTemplate {
    page: Page,
    items: Vec<SavedItem>,
}

async fn saved_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/saved").into_response());
    };
    Ok(render(&SavedTemplate {
        items: items(&state, account, ctx.lang).await?,
        page: Page::new(&state, &ctx, "cxc-saved-title"),
    })?
    .into_response())
}

/// The save and forget buttons on pages: `action` is `save` or `remove`; back to the page.
async fn toggle_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((kind, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let kind = kind_of(&kind)?;
    let action = FormFields::parse(&body)?.get("action");
    let Some((_, link)) = resolve(&state, account, kind, &key, ctx.lang).await? else {
        return Err(AppError::NotFound);
    };
    match action.as_deref() {
        Some("save") => saved::save(&state.db, account.id, kind, &key, state.clock.unix()).await?,
        Some("remove") => saved::remove(&state.db, account.id, kind, &key).await?,
        _ => return Err(AppError::BadRequest("cxc-error-bad-form")),
    }
    Ok(Redirect::to(&link).into_response())
}
