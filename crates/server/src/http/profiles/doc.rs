//! The API's view of a profile, and the routes that read one.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use cxc_core::profile::{Profile, format_date};
use cxc_core::{CapacityEntry, Visibility};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json_ld::{person_json_ld, wants_json_ld};
use super::may_see;
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::profiles;
use crate::directory::Directory;
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::extract::Path;

/// An entry of `known`, `offered` or `wanted` in the API.
#[derive(Serialize, ToSchema)]
pub struct EntryDoc {
    capacity: String,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    methods: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    formats: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct LanguageDoc {
    /// A Wikimedia language code such as `pt-br`.
    pub(super) code: String,
    #[schema(schema_with = crate::http::api_schema::language_level)]
    pub(super) level: serde_json::Value,
}

/// A person's profile.
#[derive(Serialize, ToSchema)]
pub struct ProfileDoc {
    username: String,
    display_name: String,
    pronouns: Option<String>,
    bio: String,
    bio_language: Option<String>,
    /// ISO 3166-1 alpha-2.
    country: Option<String>,
    /// The Wikimedia region, derived from the country: SSA, NWE, ESEAP, LAC, CEECA, SA, MENA or NA.
    region: Option<String>,
    /// IANA time zone.
    timezone: Option<String>,
    languages: Vec<LanguageDoc>,
    known: Vec<EntryDoc>,
    offered: Vec<EntryDoc>,
    wanted: Vec<EntryDoc>,
    /// Organization keys.
    affiliations: Vec<String>,
    /// Wikimedia project codes (`wikidata`, `enwiki`…).
    projects: Vec<String>,
    /// `public`, `members` or `hidden`.
    visibility: String,
    recommendable: bool,
    away_until: Option<String>,
    max_connections: Option<i64>,
    joined: Option<String>,
    /// How complete the profile is, 0–100.
    completeness: u8,
}

pub fn profile_doc(
    state: &AppState,
    directory: &Directory,
    username: &str,
    p: &Profile,
    lang: &str,
) -> ProfileDoc {
    let entries = |list: &[CapacityEntry], known: bool| -> Vec<EntryDoc> {
        list.iter()
            .map(|e| EntryDoc {
                capacity: e.capacity.clone(),
                label: directory
                    .capacity(&e.capacity)
                    .map_or(e.capacity.as_str(), |c| c.label(lang))
                    .to_owned(),
                level: if known { e.level } else { None },
                methods: (!known)
                    .then(|| e.methods.iter().map(|m| m.as_str().to_owned()).collect()),
                formats: (!known)
                    .then(|| e.formats.iter().map(|f| f.as_str().to_owned()).collect()),
            })
            .collect()
    };
    ProfileDoc {
        username: username.to_owned(),
        display_name: p.display_name.clone(),
        pronouns: p.pronouns.clone(),
        bio: p.bio.clone(),
        bio_language: p.bio_language.clone(),
        country: p.country.clone(),
        region: p
            .country
            .as_deref()
            .and_then(|c| state.reference.region_of(c))
            .map(|r| r.code().to_owned()),
        timezone: p.timezone.clone(),
        languages: p
            .languages
            .iter()
            .map(|(code, level)| LanguageDoc {
                code: code.clone(),
                level: level.to_json(),
            })
            .collect(),
        known: entries(&p.known, true),
        offered: entries(&p.offered, false),
        wanted: entries(&p.wanted, false),
        affiliations: p.affiliations.clone(),
        projects: p.projects.clone(),
        visibility: p.visibility.as_str().to_owned(),
        recommendable: p.recommendable,
        away_until: p.away_until.map(format_date),
        max_connections: p.max_connections,
        joined: p.joined.map(format_date),
        completeness: p.completeness(),
    }
}

/// The profile of someone who has not filled one in yet.
pub(super) fn empty_profile(account: &Account) -> Profile {
    Profile {
        display_name: account.username.clone(),
        pronouns: None,
        bio: String::new(),
        bio_language: None,
        country: None,
        region: None,
        timezone: None,
        languages: Vec::new(),
        known: Vec::new(),
        offered: Vec::new(),
        wanted: Vec::new(),
        affiliations: Vec::new(),
        projects: Vec::new(),
        visibility: Visibility::Public,
        recommendable: true,
        away_until: None,
        max_connections: None,
        joined: None,
    }
}

/// Someone's profile, as JSON, or as a schema.org Person with `Accept: application/ld+json`.
#[utoipa::path(
    get,
    path = "/api/v1/profiles/{username}",
    tag = "profiles",
    params(("username" = String, Path, description = "The username")),
    responses(
        (status = 200, description = "The profile", body = ProfileDoc),
        (status = 404, description = "No such profile, or not visible to the caller", body = crate::http::api::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn get_profile(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let stored = super::cache::by_username(&state, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    if !may_see(&stored, ctx.account.as_ref()) {
        return Err(AppError::NotFound);
    }
    let directory = state.directory();
    let mut response = if wants_json_ld(&headers) {
        let doc = person_json_ld(
            &state,
            &directory,
            &stored.username,
            &stored.profile,
            ctx.lang,
        );
        ([(header::CONTENT_TYPE, "application/ld+json")], Json(doc)).into_response()
    } else {
        Json(profile_doc(
            &state,
            &directory,
            &stored.username,
            &stored.profile,
            ctx.lang,
        ))
        .into_response()
    };
    crate::http::context::vary_on_accept(&mut response);
    Ok(response)
}

/// The signed-in person's profile (defaults when none was saved yet).
#[utoipa::path(
    get,
    path = "/api/v1/me/profile",
    tag = "profiles",
    responses(
        (status = 200, description = "Your profile", body = ProfileDoc),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn get_my_profile(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<ProfileDoc>, AppError> {
    let account = ctx.require_account()?;
    let profile = profiles::load(&state.db, account.id)
        .await?
        .map_or_else(|| empty_profile(account), |s| s.profile);
    Ok(Json(profile_doc(
        &state,
        &state.directory(),
        &account.username,
        &profile,
        ctx.lang,
    )))
}
