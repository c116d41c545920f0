//! Notifications: the list page, the unread count in the header (see the request context),
//! and `GET /api/v1/me/notifications`, `POST /api/v1/me/notifications/read`. Texts are written
//! when read, in the reader's language.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::RequestContext;
use super::extract::{Query, json_body_or_default};
use super::page::{Page, render};
use super::posts::timestamp;
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::notifications::{self, Kind, StoredNotification};
use crate::error::AppError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/notifications", get(list_page))
        .route("/notifications/read", post(read_submit))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(my_notifications))
        .routes(routes!(mark_read))
}

/// Something that happened that you should know about.
#[derive(Serialize, ToSchema)]
pub struct NotificationDoc {
    id: i64,
    /// `connection_requested`, `info_requested`, `info_given`, `connection_accepted`,
    /// `connection_declined`, `connection_withdrawn`, `message`, `reminder`,
    /// `connection_expired`, `completion_asked`, `connection_completed`, `thanks`,
    /// `suggestion_accepted`, `suggestion_declined`, `event_suggested`, `seat_given`,
    /// `mentor_assigned`, `mentee_assigned` or `cohort_invited`.
    kind: &'static str,
    #[schema(format = DateTime)]
    created: String,
    read: bool,
    /// Where to see what it is about.
    link: String,
    /// What happened, in your language.
    text: String,
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    /// How many are unread, in all.
    unread: i64,
    items: Vec<NotificationDoc>,
}

/// What a notification says, in `lang`, and the page it is about.
pub fn describe(state: &AppState, n: &StoredNotification, lang: &str) -> (String, String) {
    let actor = match (n.actor_id, n.actor.as_deref()) {
        (Some(id), Some(username)) => {
            let read = state.read_model();
            read.model
                .slot_of(id)
                .and_then(|s| read.model.person(s))
                .map_or_else(|| username.to_owned(), |p| p.display_name.clone())
        }
        _ => state.i18n.text(lang, "cxc-connection-deleted-person", &[]),
    };
    let key = format!("cxc-notification-{}", n.kind.as_str().replace('_', "-"));
    let link = match (n.kind, n.connection_id, n.post_id, n.event_id, n.cohort_id) {
        (Kind::SuggestionAccepted | Kind::SuggestionDeclined, ..) => "/capacities".to_owned(),
        (_, Some(c), ..) => format!("/connections/{c}"),
        (_, None, Some(p), ..) => format!("/posts/{p}"),
        (_, None, None, Some(e), _) => format!("/events/{e}"),
        (_, None, None, None, Some(c)) => format!("/cohorts/{c}"),
        _ => "/notifications".to_owned(),
    };
    (state.i18n.text(lang, &key, &[&actor]), link)
}

fn doc(state: &AppState, n: &StoredNotification, lang: &str) -> NotificationDoc {
    let (text, link) = describe(state, n, lang);
    NotificationDoc {
        id: n.id,
        kind: n.kind.as_str(),
        created: timestamp(n.created_at),
        read: n.read_at.is_some(),
        link,
        text,
    }
}

async fn list(
    state: &AppState,
    account: &Account,
    unread_only: bool,
    lang: &str,
) -> Result<NotificationList, AppError> {
    let found = notifications::of_account(&state.db, account.id, unread_only, 100).await?;
    Ok(NotificationList {
        unread: notifications::unread_count(&state.db, account.id).await?,
        items: found.iter().map(|n| doc(state, n, lang)).collect(),
    })
}

#[derive(Deserialize, IntoParams)]
struct UnreadQuery {
    /// Only those not read yet.
    unread: Option<bool>,
}

/// Your latest notifications (up to 100), newest first, with how many are unread.
#[utoipa::path(
    get,
    path = "/api/v1/me/notifications",
    tag = "notifications",
    params(UnreadQuery),
    responses(
        (status = 200, description = "Your notifications", body = NotificationList),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn my_notifications(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<UnreadQuery>,
) -> Result<Json<NotificationList>, AppError> {
    let account = ctx.require_account()?;
    Ok(Json(
        list(&state, account, q.unread.unwrap_or(false), ctx.lang).await?,
    ))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ReadInput {
    /// The notifications to mark read (at most 200); all of yours when missing.
    #[schema(max_items = 200)]
    ids: Option<Vec<i64>>,
}

#[derive(Serialize, ToSchema)]
pub struct UnreadCount {
    unread: i64,
}

/// Mark notifications read: those given, or all of yours.
#[utoipa::path(
    post,
    path = "/api/v1/me/notifications/read",
    tag = "notifications",
    request_body(content = Option<ReadInput>, description = "Which to mark; all when the body is empty"),
    responses(
        (status = 200, description = "How many are still unread", body = UnreadCount),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn mark_read(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Json<UnreadCount>, AppError> {
    let account = ctx.require_account()?;
    let input: ReadInput = json_body_or_default(&body)?;
    if input
        .ids
        .as_ref()
        .is_some_and(|ids| ids.len() > notifications::MAX_MARKED)
    {
        return Err(AppError::invalid("ids", "cxc-error-too-many"));
    }
    notifications::mark_read(
        &state.db,
        account.id,
        input.ids.as_deref(),
        state.clock.unix(),
    )
    .await?;
    Ok(Json(UnreadCount {
        unread: notifications::unread_count(&state.db, account.id).await?,
    }))
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct ListTemplate {
    page: Page,
    list: NotificationList,
}

async fn list_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/notifications").into_response());
    };
    let list = list(&state, account, false, ctx.lang).await?;
    let page = render(&ListTemplate {
        page: Page::new(&state, &ctx, "cxc-notifications-title"),
        list,
    })?;
    // Seen now: the page shows them as new this once, and the header stops counting them.
    notifications::mark_read(&state.db, account.id, None, state.clock.unix()).await?;
    Ok(page.into_response())
}

async fn read_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    notifications::mark_read(&state.db, account.id, None, state.clock.unix()).await?;
    Ok(Redirect::to("/notifications").into_response())
}
