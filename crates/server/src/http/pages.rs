//! The public pages: home, about, privacy.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

use super::context::RequestContext;
use super::page::{Page, render};
use crate::AppState;
use crate::db::accounts;
use crate::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/about", get(about))
        .route("/privacy", get(privacy))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTemplate {
    page: Page,
    members: i64,
    /// The completeness of the visitor's profile, while it is less than half done.
    nudge: Option<u8>,
    deleted: bool,
    suggestions: Vec<super::matches::MatchItem>,
    /// Open asks the signed-in person could help with.
    asks: Vec<super::posts::PostDoc>,
    /// Upcoming events on what they want to learn.
    events: Vec<super::events::EventView>,
    /// Life on the exchange right now, for everyone: the newest open asks and offers, the
    /// capacities most needed, and what the regions with most needs need.
    recent: Vec<super::posts::PostDoc>,
    most_needed: Vec<super::stats::Need>,
    regions: Vec<(String, super::stats::Need)>,
}

async fn home(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Html<String>, AppError> {
    let nudge = match &ctx.account {
        Some(account) => {
            let completeness = super::profiles::stored_profile(&state, &account.username)
                .await?
                .map_or(0, |p| p.profile.completeness());
            (completeness < 50).then_some(completeness)
        }
        None => None,
    };
    let events = match &ctx.account {
        Some(a) => super::events::suggested_for(&state, a, 3).await?,
        None => Vec::new(),
    };
    let (most_needed, regions) = super::stats::right_now(&state, ctx.lang);
    render(&HomeTemplate {
        recent: super::posts::recent_open(&state, ctx.account.as_ref(), 4, ctx.lang),
        most_needed,
        regions,
        events,
        page: Page::new(&state, &ctx, "cxc-site-name"),
        members: accounts::count(&state.db).await?,
        nudge,
        deleted: ctx.path.contains("deleted=1"),
        suggestions: ctx
            .account
            .as_ref()
            .map(|a| super::matches::for_account(&state, a, 3, ctx.lang))
            .unwrap_or_default(),
        asks: ctx
            .account
            .as_ref()
            .map(|a| super::posts::open_asks_for(&state, a, 4, ctx.lang))
            .unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "about.html")]
struct AboutTemplate {
    page: Page,
}

async fn about(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Html<String>, AppError> {
    render(&AboutTemplate {
        page: Page::new(&state, &ctx, "cxc-about-title"),
    })
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyTemplate {
    page: Page,
}

async fn privacy(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Html<String>, AppError> {
    render(&PrivacyTemplate {
        page: Page::new(&state, &ctx, "cxc-privacy-title"),
    })
}
