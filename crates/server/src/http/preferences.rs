//! The visitor's own choices, remembered in cookies: the interface language (with a page
//! listing every language, for browsers without JavaScript) and the light or dark theme.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use super::accounts::safe_return;
use super::context::{LANGUAGE_COOKIE, RequestContext, THEME_COOKIE, set_cookie};
use super::extract::Query;
use super::page::{Page, render};
use crate::AppState;
use crate::error::AppError;

const COOKIE_SECONDS: i64 = 365 * 24 * 3600;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/language", get(choose_language))
        .route("/theme", get(choose_theme))
}

#[derive(Deserialize)]
struct LanguageQuery {
    uselang: Option<String>,
    #[serde(rename = "return")]
    return_to: Option<String>,
}

#[derive(Template)]
#[template(path = "language.html")]
struct LanguageTemplate {
    page: Page,
}

/// With `uselang`, remembers the language and goes back where the person was; without it, the
/// list of every language the interface speaks, grouped by region.
async fn choose_language(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<LanguageQuery>,
) -> Result<Response, AppError> {
    let to = safe_return(q.return_to.as_deref());
    let Some(uselang) = q.uselang else {
        let mut page = Page::new(&state, &ctx, "cxc-language-page-title");
        // The list's links come back to where the person was, not to this page.
        page.path = to;
        return Ok(render(&LanguageTemplate { page })?.into_response());
    };
    Ok(match state.i18n.shipped_for(&uselang) {
        Some(lang) => {
            let cookie = set_cookie(
                LANGUAGE_COOKIE,
                lang,
                Some(COOKIE_SECONDS),
                state.config.secure_cookies(),
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response()
        }
        None => Redirect::to(&to).into_response(),
    })
}

#[derive(Deserialize)]
struct ThemeQuery {
    set: Option<String>,
    #[serde(rename = "return")]
    return_to: Option<String>,
}

/// `set=light` or `set=dark` is remembered over the system's preference; `set=auto` forgets
/// the choice and follows the system again; anything else is refused.
async fn choose_theme(
    State(state): State<AppState>,
    Query(q): Query<ThemeQuery>,
) -> Result<Response, AppError> {
    let to = safe_return(q.return_to.as_deref());
    let secure = state.config.secure_cookies();
    let cookie = match q.set.as_deref() {
        Some(theme @ ("light" | "dark")) => {
            set_cookie(THEME_COOKIE, theme, Some(COOKIE_SECONDS), secure)
        }
        Some("auto") => set_cookie(THEME_COOKIE, "", Some(0), secure),
        _ => return Err(AppError::BadRequest("cxc-error-invalid-theme")),
    };
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&to)).into_response())
}
