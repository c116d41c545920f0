//! `GET`/`POST /api/v1/posts`, `GET`/`PATCH /api/v1/posts/{id}` and the helpers of a post.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::listing::{self, PostList};
use super::save::{Action, draft_of, save_post};
use super::{PostDoc, may_edit, post_doc, visible_post};
use crate::AppState;
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::extract::{Path, Query, json_body};
use crate::http::matches::{LimitQuery, MatchList, limit};
use crate::http::search::Params;
use cxc_core::post::PostDraft;

/// A new ask or offer.
#[derive(Deserialize, ToSchema)]
pub struct PostInput {
    #[schema(schema_with = crate::http::api_schema::post_kind)]
    kind: String,
    #[schema(min_length = 1, max_length = 150)]
    title: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    body: String,
    /// Capacity ids, at most 10.
    #[serde(default)]
    capacities: Vec<String>,
    /// Language codes, at most 10.
    #[serde(default)]
    languages: Vec<String>,
    /// ISO 3166-1 alpha-2, or null.
    country: Option<String>,
    #[serde(default)]
    online: bool,
    #[serde(default)]
    #[schema(schema_with = crate::http::api_schema::methods)]
    methods: Vec<String>,
    /// The key of an organization you manage, to post on its behalf.
    organization: Option<String>,
    /// The last day it is open: from today to a year ahead; 30 days when missing.
    #[schema(format = Date)]
    expires_at: Option<String>,
}

/// Changes to a post: only the fields given change. `renew` opens it for another 30 days.
#[derive(Deserialize, ToSchema)]
pub struct PostPatch {
    #[schema(min_length = 1, max_length = 150)]
    title: Option<String>,
    #[schema(max_length = 5000)]
    body: Option<String>,
    capacities: Option<Vec<String>>,
    languages: Option<Vec<String>>,
    #[serde(default, deserialize_with = "given")]
    country: Option<Option<String>>,
    online: Option<bool>,
    #[schema(schema_with = crate::http::api_schema::methods_or_null)]
    methods: Option<Vec<String>>,
    #[serde(default, deserialize_with = "given")]
    organization: Option<Option<String>>,
    #[schema(format = Date)]
    expires_at: Option<String>,
    /// `open`, `in_progress` or `closed`.
    #[schema(schema_with = crate::http::api_schema::post_status_input)]
    status: Option<String>,
    #[serde(default)]
    renew: bool,
}

/// Tells a field given as `null` (`Some(None)`) from a field left out (`None`).
fn given<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Ask for help or offer it. Posting takes a profile; posting for an organization takes
/// managing it.
#[utoipa::path(
    post,
    path = "/api/v1/posts",
    tag = "posts",
    request_body = PostInput,
    responses(
        (status = 201, description = "The new post", body = PostDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a manager of the organization", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 409, description = "No profile yet", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn create_post(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let input: PostInput = json_body(&body)?;
    let draft = PostDraft {
        kind: input.kind,
        title: input.title,
        body: input.body,
        capacities: input.capacities,
        languages: input.languages,
        country: input.country,
        online: input.online,
        methods: input.methods,
        organization: input.organization,
        expires_on: input.expires_at,
        status: None,
        kept_expiry: None,
    };
    let saved = save_post(&state, account, None, draft, Vec::new()).await?;
    let doc = {
        let read = state.read_model();
        post_doc(&state, &state.directory(), &read.model, &saved, ctx.lang)
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/posts/{}", doc.id))],
        Json(doc),
    )
        .into_response())
}

/// Asks and offers, newest first. Each filter may repeat: values of one filter are OR-ed,
/// different filters AND-ed; a capacity includes those under it. Only open posts unless
/// `status` says otherwise. Posts are seen where their authors' profiles are.
#[utoipa::path(
    get,
    path = "/api/v1/posts",
    tag = "posts",
    params(
        ("kind" = Option<Vec<String>>, Query, description = "ask or offer"),
        ("capacity" = Option<Vec<String>>, Query, description = "Capacity ids"),
        ("language" = Option<Vec<String>>, Query, description = "Language codes"),
        ("country" = Option<Vec<String>>, Query, description = "ISO 3166-1 alpha-2 codes"),
        ("region" = Option<Vec<String>>, Query, description = "Wikimedia regions: SSA, NWE, ESEAP, LAC, CEECA, SA, MENA, NA"),
        ("method" = Option<Vec<String>>, Query, description = "Learning methods"),
        ("status" = Option<Vec<String>>, Query, description = "open (default), in_progress, closed or expired"),
        ("q" = Option<String>, Query, description = "Words in titles and descriptions (any script; case and accents ignored)"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "1–100, default 20"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses(
        (status = 200, description = "Posts, facet counts and the next page's cursor", body = PostList),
        (status = 422, description = "Unknown filter values", body = crate::http::api::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn list_posts(
    State(state): State<AppState>,
    ctx: RequestContext,
    RawQuery(raw): RawQuery,
) -> Result<Json<PostList>, AppError> {
    let params = Params::parse(raw.as_deref())?;
    Ok(Json(listing::run(
        &state,
        &params,
        ctx.account.as_ref(),
        ctx.lang,
    )?))
}

/// One post.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}",
    tag = "posts",
    params(("id" = i64, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post", body = PostDoc),
        (status = 404, description = "No such post, or not yours to see", body = crate::http::api::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn get_post(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Json<PostDoc>, AppError> {
    let post = visible_post(&state, ctx.account.as_ref(), id)?;
    let read = state.read_model();
    Ok(Json(post_doc(
        &state,
        &state.directory(),
        &read.model,
        &post,
        ctx.lang,
    )))
}

/// Edit, close or renew a post: its author, a manager of its organization, or an
/// administrator.
#[utoipa::path(
    patch,
    path = "/api/v1/posts/{id}",
    tag = "posts",
    params(("id" = i64, Path, description = "The post's id")),
    request_body = PostPatch,
    responses(
        (status = 200, description = "The post as saved", body = PostDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not yours to edit", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn patch_post(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<PostDoc>, AppError> {
    let account = ctx.require_account()?;
    let existing = visible_post(&state, Some(account), id)?;
    let directory = state.refresh_directory().await?;
    if !may_edit(&state, &directory, account, &existing).await? {
        return Err(AppError::Forbidden("cxc-error-not-post-owner"));
    }
    let patch: PostPatch = json_body(&body)?;
    let mut draft = draft_of(&existing);
    if let Some(v) = patch.title {
        draft.title = v;
    }
    if let Some(v) = patch.body {
        draft.body = v;
    }
    if let Some(v) = patch.capacities {
        draft.capacities = v;
    }
    if let Some(v) = patch.languages {
        draft.languages = v;
    }
    if let Some(v) = patch.country {
        draft.country = v;
    }
    if let Some(v) = patch.online {
        draft.online = v;
    }
    if let Some(v) = patch.methods {
        draft.methods = v;
    }
    if let Some(v) = patch.organization {
        draft.organization = v;
    }
    if let Some(v) = patch.expires_at {
        draft.expires_on = Some(v);
    }
    if let Some(v) = patch.status {
        draft.status = Some(v);
    }
    if patch.renew {
        Action::Renew.apply(&mut draft, &state);
    }
    let saved = save_post(&state, account, Some(&existing), draft, Vec::new()).await?;
    let read = state.read_model();
    Ok(Json(post_doc(
        &state,
        &directory,
        &read.model,
        &saved,
        ctx.lang,
    )))
}

/// People best placed to help with an ask (they offer what it asks for), or to take up an
/// offer (they want what it offers), each with the reasons, best first.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}/helpers",
    tag = "posts",
    params(("id" = i64, Path, description = "The post's id"), LimitQuery),
    responses(
        (status = 200, description = "Suggestions, shaped like matches", body = MatchList),
        (status = 404, description = "No such post, or not yours to see", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A limit outside 1–100", body = crate::http::api::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn post_helpers(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    Query(q): Query<LimitQuery>,
) -> Result<Json<MatchList>, AppError> {
    let limit = limit(&q)?;
    let post = visible_post(&state, ctx.account.as_ref(), id)?;
    Ok(Json(MatchList {
        items: super::helpers::helpers(&state, ctx.account.as_ref(), &post, limit, ctx.lang),
    }))
}
