//! The connections pages: the lists, a request form, and one connection with its thread and
//! the moves open to the viewer. Every form posts back and comes back here, without JavaScript.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use cxc_core::connection::{ConnectionStatus, DeclineReason, Side, limits};

use super::api::mine;
use super::{ConnectionDoc, MessageDoc, connection_doc, message_doc};
use crate::AppState;
use crate::db::connections::{self, Role};
use crate::db::notifications;
use crate::error::AppError;
use crate::exchange::{self, Answer, RequestDraft, side_of};
use crate::http::context::RequestContext;
use crate::http::extract::{FormFields, Path};
use crate::http::page::{Page, render};
use crate::http::search::Params;

/// One list on the connections page: its heading, what it says when empty, and each
/// connection with the other person's name.
pub struct Group {
    pub heading: &'static str,
    pub empty: &'static str,
    pub items: Vec<(ConnectionDoc, String)>,
}

#[derive(Template)]
#[template(path = "connections.html")]
struct ListTemplate {
    page: Page,
    groups: Vec<Group>,
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/connections").into_response());
    };
    let all = connections::of_account(state.db.pool(), account.id, Role::Either, &[]).await?;
    let directory = state.directory();
    let mut groups = [
        ("cxc-connections-received", "cxc-connections-received-none"),
        ("cxc-connections-sent", "cxc-connections-sent-none"),
        ("cxc-connections-active", "cxc-connections-active-none"),
        ("cxc-connections-past", "cxc-connections-past-none"),
    ]
    .map(|(heading, empty)| Group {
        heading,
        empty,
        items: Vec::new(),
    });
    {
        let read = state.read_model();
        for c in &all {
            let doc = connection_doc(&read, &directory, c, ctx.lang);
            let received = c.to_id == Some(account.id);
            let other = if received {
                &doc.from_name
            } else {
                &doc.to_name
            };
            let other = other.clone().unwrap_or_default();
            let group = match c.state.status {
                s if s.is_pending() && received => 0,
                s if s.is_pending() => 1,
                ConnectionStatus::Accepted => 2,
                _ => 3,
            };
            groups[group].items.push((doc, other));
        }
    }
    Ok(render(&ListTemplate {
        page: Page::new(&state, &ctx, "cxc-connections-title"),
        groups: groups.into(),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "connection_new.html")]
struct NewTemplate {
    page: Page,
    to: String,
    to_name: String,
    capacity: String,
    capacity_label: Option<String>,
    post: String,
    message: String,
    error: Option<String>,
    limit: usize,
}

async fn new_form(
    state: &AppState,
    ctx: &RequestContext,
    to: String,
    capacity: String,
    post: String,
    message: String,
    error: Option<&AppError>,
) -> Result<Html<String>, AppError> {
    let page = Page::new(state, ctx, "cxc-connection-new-title");
    let recipient = crate::db::accounts::by_username(&state.db, &to).await?;
    let to_name = {
        let read = state.read_model();
        recipient
            .and_then(|a| read.model.slot_of(a.id))
            .and_then(|s| read.model.person(s))
            .filter(|p| p.visibility != cxc_core::Visibility::Hidden)
            .map_or_else(|| to.clone(), |p| p.display_name.clone())
    };
    let error = error.map(|e| error_text(state, ctx, e));
    render(&NewTemplate {
        capacity_label: state
            .directory()
            .capacity(&capacity)
            .map(|c| c.label(ctx.lang).to_owned()),
        limit: limits::REQUEST_MESSAGE,
        to_name,
        to,
        capacity,
        post,
        message,
        error,
        page,
    })
}

/// What an error says to the person who made it, on the page they are on.
fn error_text(state: &AppState, ctx: &RequestContext, e: &AppError) -> String {
    let report = e.report();
    let key = report.fields.first().map_or(report.key, |f| f.key);
    state.i18n.text(ctx.lang, key, &report.args())
}

pub(super) async fn new_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    if ctx.account.is_none() {
        let back = crate::http::page::url_component(&ctx.path);
        return Ok(Redirect::to(&format!("/login?return={back}")).into_response());
    }
    let params = Params::parse(raw.as_deref())?;
    let one = |name: &str| params.one(name).unwrap_or_default().to_owned();
    Ok(new_form(
        &state,
        &ctx,
        one("to"),
        one("capacity"),
        one("post"),
        String::new(),
        None,
    )
    .await?
    .into_response())
}

pub(super) async fn create_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let to = f.one("to");
    let capacity = f.get("capacity");
    let post = f.get("post");
    let message = f.one("message");
    let draft = RequestDraft {
        to: to.clone(),
        capacity: capacity.clone(),
        post: match post.as_deref().map(str::parse::<i64>) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => return Err(AppError::BadRequest("cxc-error-bad-form")),
        },
        message: message.clone(),
    };
    match exchange::request(&state, account, draft).await {
        Ok(id) => Ok(Redirect::to(&format!("/connections/{id}")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Away(_))) => {
            let html = new_form(
                &state,
                &ctx,
                to,
                capacity.unwrap_or_default(),
                post.unwrap_or_default(),
                message,
                Some(&e),
            )
            .await?;
            Ok((e.status(), html).into_response())
        }
        Err(e) => Err(e),
    }
}

/// A message in the thread as the page shows it.
pub struct ThreadEntry {
    pub message: MessageDoc,
    pub author_name: Option<String>,
    pub mine: bool,
}

#[derive(Template)]
#[template(path = "connection.html")]
struct ConnectionTemplate {
    page: Page,
    c: ConnectionDoc,
    /// `requester` or `recipient`.
    side: &'static str,
    thread: Vec<ThreadEntry>,
    may_write: bool,
    may_answer: bool,
    may_ask_info: bool,
    may_withdraw: bool,
    may_complete: bool,
    may_thank: bool,
    /// A thank-you to the viewer: its text, whether its author made it public, whether shown.
    thanks_to_me: Option<(String, bool, bool)>,
    thanks_from_me: Option<String>,
    reasons: &'static [DeclineReason],
    error: Option<String>,
}

async fn connection_view(
    state: &AppState,
    ctx: &RequestContext,
    id: i64,
    error: Option<&AppError>,
) -> Result<Html<String>, AppError> {
    let stored = mine(state, ctx, id).await?;
    let account = ctx.require_account()?;
    let side = side_of(&stored, account)?;
    let messages = connections::messages(state.db.pool(), id).await?;
    let thanks = connections::thanks_of(state.db.pool(), id).await?;
    notifications::mark_connection_read(&state.db, account.id, id, state.clock.unix()).await?;
    let directory = state.directory();
    let (c, thread) = {
        let read = state.read_model();
        let name = |author_id: Option<i64>| {
            author_id
                .and_then(|a| read.model.slot_of(a))
                .and_then(|s| read.model.person(s))
                .map(|p| p.display_name.clone())
        };
        let thread = messages
            .iter()
            .map(|m| ThreadEntry {
                message: message_doc(m),
                author_name: name(m.author_id).or_else(|| m.author.clone()),
                mine: m.author_id == Some(account.id),
            })
            .collect();
        (connection_doc(&read, &directory, &stored, ctx.lang), thread)
    };
    let st = stored.state;
    let status = st.status;
    let confirmed = match side {
        Side::Requester => st.requester_completed,
        Side::Recipient => st.recipient_completed,
    };
    let thanks_from_me = thanks
        .iter()
        .find(|t| t.author == account.username)
        .map(|t| t.body.clone());
    let thanks_to_me = thanks
        .iter()
        .find(|t| t.author != account.username)
        .map(|t| (t.body.clone(), t.public, t.shown));
    let mut page = Page::new(state, ctx, "cxc-connection-title");
    page.title = state.i18n.text(
        ctx.lang,
        "cxc-connection-with",
        &[match side {
            Side::Requester => c.to_name.as_deref().unwrap_or(""),
            Side::Recipient => c.from_name.as_deref().unwrap_or(""),
        }],
    );
    render(&ConnectionTemplate {
        side: match side {
            Side::Requester => "requester",
            Side::Recipient => "recipient",
        },
        may_write: st.may_write(side),
        may_answer: side == Side::Recipient && status.is_pending(),
        may_ask_info: side == Side::Recipient && status == ConnectionStatus::Requested,
        may_withdraw: side == Side::Requester && status.is_pending(),
        may_complete: status == ConnectionStatus::Accepted && !confirmed,
        may_thank: status == ConnectionStatus::Completed && thanks_from_me.is_none(),
        thanks_to_me,
        thanks_from_me,
        reasons: DeclineReason::ALL,
        error: error.map(|e| error_text(state, ctx, e)),
        thread,
        c,
        page,
    })
}

pub(super) async fn connection_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    if ctx.account.is_none() {
        return Ok(Redirect::to(&format!("/login?return=/connections/{id}")).into_response());
    }
    Ok(connection_view(&state, &ctx, id, None)
        .await?
        .into_response())
}

/// After a move from a form: back to the connection, or the connection with what went wrong.
async fn after<T>(
    state: &AppState,
    ctx: &RequestContext,
    id: i64,
    done: Result<T, AppError>,
) -> Result<Response, AppError> {
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/connections/{id}")).into_response()),
        Err(
            e @ (AppError::Invalid(_)
            | AppError::Conflict(_)
            | AppError::RateLimited { .. }
            | AppError::Forbidden(_)),
        ) => {
            let html = connection_view(state, ctx, id, Some(&e)).await?;
            let status = e.status();
            let mut response = (status, html).into_response();
            if let AppError::RateLimited { retry_after_secs } = e {
                response.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(retry_after_secs),
                );
            }
            Ok(response)
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn answer_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let answer = match f.get("action").as_deref() {
        Some("accept") => Answer::Accept,
        Some("decline") => Answer::Decline(f.get("reason")),
        Some("ask_info") => Answer::AskInfo,
        _ => return Err(AppError::BadRequest("cxc-error-bad-form")),
    };
    let message = f.get("message");
    let done = exchange::answer(&state, account, id, answer, message.as_deref()).await;
    after(&state, &ctx, id, done).await
}

pub(super) async fn complete_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let done = exchange::complete(&state, account, id).await;
    after(&state, &ctx, id, done).await
}

pub(super) async fn withdraw_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let done = exchange::withdraw(&state, account, id).await;
    after(&state, &ctx, id, done).await
}

pub(super) async fn message_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let text = f.one("body");
    let done = exchange::post_message(&state, account, id, &text).await;
    after(&state, &ctx, id, done).await
}

pub(super) async fn thanks_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let text = f.one("body");
    let public = f.get("public").is_some();
    let done = exchange::thank(&state, account, id, &text, public).await;
    after(&state, &ctx, id, done).await
}

pub(super) async fn shown_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let shown = f.get("shown").as_deref() == Some("1");
    let done = exchange::show_thanks(&state, account, id, shown).await;
    after(&state, &ctx, id, done).await
}
