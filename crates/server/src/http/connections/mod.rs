//! Connections: asking someone for help, their answer, the private thread, completion and
//! thanks — as pages that work without JavaScript and as the JSON API. Every write goes
//! through `crate::exchange`.

mod api;
mod pages;

use axum::routing::{get, post};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::posts::timestamp;
use crate::AppState;
use crate::db::connections::{StoredConnection, StoredMessage};
use crate::directory::Directory;
use crate::read_model::ReadModel;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/connections", get(pages::list_page))
        .route(
            "/connections/new",
            get(pages::new_page).post(pages::create_submit),
        )
        .route("/connections/{id}", get(pages::connection_page))
        .route("/connections/{id}/answer", post(pages::answer_submit))
        .route("/connections/{id}/complete", post(pages::complete_submit))
        .route("/connections/{id}/withdraw", post(pages::withdraw_submit))
        .route("/connections/{id}/messages", post(pages::message_submit))
        .route("/connections/{id}/thanks", post(pages::thanks_submit))
        .route("/connections/{id}/thanks/shown", post(pages::shown_submit))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(api::list_connections, api::create_connection))
        .routes(routes!(api::get_connection))
        .routes(routes!(api::answer_connection))
        .routes(routes!(api::complete_connection))
        .routes(routes!(api::withdraw_connection))
        .routes(routes!(api::list_messages, api::post_message))
        .routes(routes!(api::thank))
        .routes(routes!(api::show_thanks))
}

/// A person on one side of a connection; null fields once their account is deleted.
#[derive(Serialize, ToSchema, Clone)]
pub struct Party {
    pub username: Option<String>,
    pub display_name: Option<String>,
}

/// A connection between two people, from request to completed exchange.
#[derive(Serialize, ToSchema, Clone)]
pub struct ConnectionDoc {
    pub id: i64,
    /// `requested`, `info_requested`, `accepted`, `declined`, `withdrawn`, `expired` or
    /// `completed`.
    #[schema(schema_with = super::api_schema::connection_status)]
    pub status: &'static str,
    /// Who asked (username), and who was asked.
    pub from: Option<String>,
    pub to: Option<String>,
    pub from_name: Option<String>,
    pub to_name: Option<String>,
    /// The capacity it is about, by id, and its label.
    pub capacity: Option<String>,
    pub capacity_label: Option<String>,
    /// The post it answers, by id.
    pub post: Option<i64>,
    /// Why it was declined, when it was: `no_time`, `not_my_area`, `language`,
    /// `already_helped` or `other`.
    pub decline_reason: Option<&'static str>,
    /// Usernames of those who confirmed the exchange happened.
    pub confirmed_by: Vec<String>,
    #[schema(format = DateTime)]
    pub created: String,
    #[schema(format = DateTime)]
    pub updated: String,
}

/// A message in a connection's thread.
#[derive(Serialize, ToSchema, Clone)]
pub struct MessageDoc {
    pub id: i64,
    /// The author's username; null once their account is deleted (their words go with it).
    pub author: Option<String>,
    /// Empty when a moderator hid the message.
    pub body: String,
    pub hidden: bool,
    #[schema(format = DateTime)]
    pub created: String,
}

fn display_name(read: &ReadModel, id: Option<i64>, username: Option<&String>) -> Option<String> {
    let id = id?;
    Some(
        read.model
            .slot_of(id)
            .and_then(|s| read.model.person(s))
            .map_or_else(
                || username.cloned().unwrap_or_default(),
                |p| p.display_name.clone(),
            ),
    )
}

pub fn connection_doc(
    read: &ReadModel,
    directory: &Directory,
    c: &StoredConnection,
    lang: &str,
) -> ConnectionDoc {
    let mut confirmed_by = Vec::new();
    if c.state.requester_completed
        && let Some(from) = &c.from
    {
        confirmed_by.push(from.clone());
    }
    if c.state.recipient_completed
        && let Some(to) = &c.to
    {
        confirmed_by.push(to.clone());
    }
    ConnectionDoc {
        id: c.id,
        status: c.state.status.as_str(),
        from_name: display_name(read, c.from_id, c.from.as_ref()),
        to_name: display_name(read, c.to_id, c.to.as_ref()),
        from: c.from.clone(),
        to: c.to.clone(),
        capacity_label: c
            .capacity
            .as_deref()
            .and_then(|k| directory.capacity(k))
            .map(|k| k.label(lang).to_owned()),
        capacity: c.capacity.clone(),
        post: c.post_id,
        decline_reason: c.decline_reason.map(|r| r.as_str()),
        confirmed_by,
        created: timestamp(c.created_at),
        updated: timestamp(c.updated_at),
    }
}

pub fn message_doc(m: &StoredMessage) -> MessageDoc {
    MessageDoc {
        id: m.id,
        author: m.author.clone(),
        body: if m.hidden {
            String::new()
        } else {
            m.body.clone()
        },
        hidden: m.hidden,
        created: timestamp(m.created_at),
    }
}
