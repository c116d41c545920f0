//! The profile page.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cxc_core::profile::format_date;
use cxc_core::{CapacityEntry, LanguageLevel, Region};

use super::may_see;
use crate::AppState;
use crate::directory::Directory;
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::extract::Path;
use crate::http::page::{Page, render};

pub struct LanguageView {
    pub code: String,
    pub autonym: String,
    pub level: String,
    pub dir: &'static str,
}

pub struct EntryView {
    pub slug: String,
    pub label: String,
    pub level: Option<u8>,
    pub methods: Vec<&'static str>,
    pub formats: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "profile.html")]
pub(super) struct ProfileTemplate {
    page: Page,
    username: String,
    display_name: String,
    pronouns: Option<String>,
    bio: String,
    bio_language: String,
    country: Option<String>,
    region: Option<&'static str>,
    timezone: Option<String>,
    languages: Vec<LanguageView>,
    known: Vec<EntryView>,
    offered: Vec<EntryView>,
    wanted: Vec<EntryView>,
    affiliations: Vec<(String, String)>,
    projects: Vec<String>,
    away_until: Option<String>,
    visibility: &'static str,
    own: bool,
    completeness: u8,
    /// Thank-yous both their authors and this person agreed to show: author, text.
    thanks: Vec<(String, String)>,
    /// Whether the viewer saved this person (none when signed out or on one's own page).
    saved: Option<bool>,
    save_kind: &'static str,
    save_key: String,
}

pub(super) fn entry_views(
    directory: &Directory,
    list: &[CapacityEntry],
    lang: &str,
) -> Vec<EntryView> {
    list.iter()
        .filter_map(|e| {
            let c = directory.capacity(&e.capacity)?;
            Some(EntryView {
                slug: c.slug.clone(),
                label: c.label(lang).to_owned(),
                level: e.level,
                methods: e.methods.iter().map(|m| m.as_str()).collect(),
                formats: e.formats.iter().map(|f| f.as_str()).collect(),
            })
        })
        .collect()
}

pub fn language_views(
    state: &AppState,
    languages: &[(String, LanguageLevel)],
) -> Vec<LanguageView> {
    languages
        .iter()
        .map(|(code, level)| LanguageView {
            code: code.clone(),
            autonym: state.i18n.autonym(code).unwrap_or(code).to_owned(),
            level: level.code(),
            dir: state.i18n.dir(code),
        })
        .collect()
}

pub(super) async fn profile_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let stored = super::cache::by_username(&state, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_see(&stored, ctx.account.as_ref()) {
        return Err(AppError::NotFound);
    }
    let directory = state.directory();
    let lang = ctx.lang;
    let p = &stored.profile;
    let mut page = Page::new(&state, &ctx, "cxc-profile-title");
    page.title = p.display_name.clone();
    let thanks = crate::db::connections::shown_thanks(state.db.pool(), stored.account_id)
        .await?
        .into_iter()
        .map(|t| (t.author, t.body))
        .collect();
    let saved = match &ctx.account {
        Some(a) if a.id != stored.account_id => {
            Some(crate::db::saved::is_saved(&state.db, a.id, "person", &stored.username).await?)
        }
        _ => None,
    };
    Ok(render(&ProfileTemplate {
        thanks,
        saved,
        save_kind: "person",
        save_key: stored.username.clone(),
        username: stored.username.clone(),
        display_name: p.display_name.clone(),
        pronouns: p.pronouns.clone(),
        bio: p.bio.clone(),
        bio_language: p.bio_language.clone().unwrap_or_default(),
        country: p
            .country
            .as_deref()
            .map(|c| state.reference.country_name(c, lang)),
        region: p
            .country
            .as_deref()
            .and_then(|c| state.reference.region_of(c))
            .map(Region::code),
        timezone: p.timezone.clone(),
        languages: language_views(&state, &p.languages),
        known: entry_views(&directory, &p.known, lang),
        offered: entry_views(&directory, &p.offered, lang),
        wanted: entry_views(&directory, &p.wanted, lang),
        affiliations: p
            .affiliations
            .iter()
            .filter_map(|k| directory.organization(k))
            .map(|o| (o.key.clone(), o.name(lang).to_owned()))
            .collect(),
        projects: p.projects.clone(),
        away_until: p
            .away_until
            .filter(|d| *d >= time::OffsetDateTime::now_utc().date())
            .map(format_date),
        visibility: p.visibility.as_str(),
        own: ctx
            .account
            .as_ref()
            .is_some_and(|a| a.id == stored.account_id),
        completeness: p.completeness(),
        page,
    })?
    .into_response())
}
