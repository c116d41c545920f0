//! Asks and offers: the board (`/posts`, works without JavaScript), a page per post with the
//! people best placed to help, the forms, and the JSON API. Everything is read from the
//! board in the read model; writes go through one save path.

mod api;
mod helpers;
mod listing;
mod pages;
mod save;

pub use listing::{open_asks_for, recent_open};

use axum::routing::{get, post};
use cxc_core::Visibility;
use cxc_core::board::Listed;
use cxc_core::model::Model;
use cxc_core::profile::format_date;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::search::Labelled;
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::catalog;
use crate::directory::Directory;
use crate::error::AppError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/posts", get(pages::list_page))
        .route(
            "/posts/new",
            get(pages::new_page).post(pages::create_submit),
        )
        .route("/posts/{id}", get(pages::post_page))
        .route(
            "/posts/{id}/edit",
            get(pages::edit_page).post(pages::edit_submit),
        )
        .route("/posts/{id}/status", post(pages::status_submit))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(api::list_posts, api::create_post))
        .routes(routes!(api::get_post, api::patch_post))
        .routes(routes!(api::post_helpers))
}

/// An ask or an offer.
#[derive(Serialize, ToSchema, Clone)]
pub struct PostDoc {
    pub id: i64,
    /// `ask` or `offer`.
    #[schema(schema_with = super::api_schema::post_kind)]
    pub kind: &'static str,
    /// `open`, `in_progress`, `closed`, or `expired` (open past its expiry).
    #[schema(schema_with = super::api_schema::post_status)]
    pub status: &'static str,
    pub title: String,
    pub body: String,
    /// The author's username.
    pub author: String,
    /// The author's display name.
    pub author_name: String,
    /// The organization the post speaks for, if any.
    pub organization: Option<String>,
    pub organization_name: Option<String>,
    pub capacities: Vec<Labelled>,
    /// Language codes.
    pub languages: Vec<String>,
    /// ISO 3166-1 alpha-2, when the exchange can happen in one country.
    pub country: Option<String>,
    pub region: Option<String>,
    /// Whether it can happen online.
    pub online: bool,
    pub methods: Vec<String>,
    /// The last day the post is open (ISO 8601 date).
    #[schema(format = Date)]
    pub expires_at: String,
    /// Whether a moderator hid it (only its author and moderators see it then).
    pub hidden: bool,
    /// When it was posted and last changed (RFC 3339).
    #[schema(format = DateTime)]
    pub created: String,
    #[schema(format = DateTime)]
    pub updated: String,
}

/// Unix seconds as RFC 3339.
pub fn timestamp(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

pub fn post_doc(
    state: &AppState,
    directory: &Directory,
    model: &Model,
    p: &Listed,
    lang: &str,
) -> PostDoc {
    let author_name = model
        .slot_of(p.author)
        .and_then(|s| model.person(s))
        .map_or_else(|| p.author_username.clone(), |a| a.display_name.clone());
    PostDoc {
        id: p.id,
        kind: p.kind.as_str(),
        status: p
            .status
            .effective(p.expires_on, state.clock.today())
            .as_str(),
        title: p.title.clone(),
        body: p.body.clone(),
        author: p.author_username.clone(),
        author_name,
        organization_name: p
            .organization
            .as_deref()
            .and_then(|o| directory.organization(o))
            .map(|o| o.name(lang).to_owned()),
        organization: p.organization.clone(),
        capacities: p
            .capacities
            .iter()
            .map(|key| Labelled {
                value: key.as_str().into(),
                label: directory
                    .capacity(key)
                    .map_or(key.as_str(), |c| c.label(lang))
                    .into(),
                count: None,
            })
            .collect(),
        languages: p.languages.clone(),
        country: p.country.clone(),
        region: p.region.map(|r| r.code().to_owned()),
        online: p.online,
        methods: p.methods.iter().map(|m| m.as_str().to_owned()).collect(),
        expires_at: format_date(p.expires_on),
        hidden: p.hidden,
        created: timestamp(p.created),
        updated: timestamp(p.updated),
    }
}

/// The privacy rule for posts: a post is seen where its author's profile is, unless a
/// moderator hid it. Authors see their own posts, and moderators and administrators every
/// post, whatever the profile says.
pub fn may_see(model: &Model, viewer: Option<&Account>, post: &Listed) -> bool {
    if viewer.is_some_and(|v| v.id == post.author || v.moderates()) {
        return true;
    }
    if post.hidden {
        return false;
    }
    match model
        .slot_of(post.author)
        .and_then(|s| model.person(s))
        .map(|a| a.visibility)
    {
        Some(Visibility::Public) => true,
        Some(Visibility::Members) => viewer.is_some(),
        Some(Visibility::Hidden) | None => false,
    }
}

/// Whether `account` may edit, close or renew a post: its author, a manager of the
/// organization it speaks for, or an administrator.
pub async fn may_edit(
    state: &AppState,
    directory: &Directory,
    account: &Account,
    post: &Listed,
) -> Result<bool, AppError> {
    if account.is_admin || account.id == post.author {
        return Ok(true);
    }
    match post
        .organization
        .as_deref()
        .and_then(|o| directory.organization(o))
    {
        Some(o) => manages(state, account, o.id).await,
        None => Ok(false),
    }
}

/// Whether `account` runs something that `organizer_id` made for `organization`: its maker,
/// a manager of the organization, or an administrator (programmes and cohorts).
pub async fn runs(
    state: &AppState,
    account: &Account,
    organizer_id: Option<i64>,
    organization: Option<&str>,
) -> Result<bool, AppError> {
    if account.is_admin || organizer_id == Some(account.id) {
        return Ok(true);
    }
    let id = organization.and_then(|o| state.directory().organization(o).map(|o| o.id));
    match id {
        Some(id) => manages(state, account, id).await,
        None => Ok(false),
    }
}

/// Whether `account` manages the organization with database id `organization_id`.
pub async fn manages(
    state: &AppState,
    account: &Account,
    organization_id: i64,
) -> Result<bool, AppError> {
    Ok(
        catalog::organization_managers(state.db.pool(), organization_id)
            .await?
            .iter()
            .any(|m| m.0 == account.id),
    )
}

/// The organizations `account` may speak for: those they manage, or all for an administrator.
pub async fn speaking_for(
    state: &AppState,
    account: &Account,
    choices: &super::choices::Choices,
) -> Result<Vec<(String, String)>, AppError> {
    if account.is_admin {
        return Ok(choices.organizations.clone());
    }
    let (managed, _) = crate::db::accounts::personal_extras(&state.db, account.id).await?;
    Ok(choices
        .organizations
        .iter()
        .filter(|(key, _)| managed.contains(key))
        .cloned()
        .collect())
}

/// A post the viewer may see, from the board.
pub fn visible_post(
    state: &AppState,
    viewer: Option<&Account>,
    id: i64,
) -> Result<Listed, AppError> {
    let read = state.read_model();
    read.board
        .get(id)
        .filter(|p| may_see(&read.model, viewer, p))
        .cloned()
        .ok_or(AppError::NotFound)
}
