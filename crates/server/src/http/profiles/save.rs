//! Saving a profile: the API's input shape and the one save path the API and the edit form share.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use cxc_core::profile::{Profile, ProfileDraft};
use cxc_core::{CapacityEntry, Format, LanguageLevel, Method};
use serde::Deserialize;
use utoipa::ToSchema;

use super::doc::{LanguageDoc, ProfileDoc, profile_doc};
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::profiles;
use crate::error::{AppError, FieldError};
use crate::http::context::RequestContext;
use crate::http::extract::json_body;
use crate::interchange::CapacityRef;
use crate::state::Live;

/// A profile as submitted to `PUT /api/v1/me/profile`. Capacity lists take ids, or objects
/// with details; fields a GET returns but a PUT cannot change (`username`, `region`…) are
/// ignored.
#[derive(Deserialize, ToSchema)]
pub struct ProfileInput {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    display_name: String,
    pronouns: Option<String>,
    #[serde(default)]
    bio: String,
    bio_language: Option<String>,
    country: Option<String>,
    timezone: Option<String>,
    #[serde(default)]
    languages: Vec<LanguageDoc>,
    #[serde(default)]
    #[schema(schema_with = crate::http::api_schema::capacity_references)]
    known: Vec<CapacityRef>,
    #[serde(default)]
    #[schema(schema_with = crate::http::api_schema::capacity_references)]
    offered: Vec<CapacityRef>,
    #[serde(default)]
    #[schema(schema_with = crate::http::api_schema::capacity_references)]
    wanted: Vec<CapacityRef>,
    #[serde(default)]
    affiliations: Vec<String>,
    #[serde(default)]
    projects: Vec<String>,
    #[schema(schema_with = crate::http::api_schema::visibility)]
    visibility: Option<String>,
    recommendable: Option<bool>,
    away_until: Option<String>,
    max_connections: Option<i64>,
}

/// Turns capacity references into entries, naming the bad ones.
pub(super) fn api_entries(
    name: &str,
    list: &[CapacityRef],
    errors: &mut Vec<FieldError>,
) -> Vec<CapacityEntry> {
    let mut out = Vec::new();
    for (i, r) in list.iter().enumerate() {
        match r {
            CapacityRef::Key(k) => out.push(CapacityEntry::new(k.clone())),
            CapacityRef::Detailed {
                capacity,
                level,
                methods,
                formats,
            } => {
                let methods: Option<Vec<Method>> =
                    methods.iter().map(|m| Method::parse(m)).collect();
                let formats: Option<Vec<Format>> =
                    formats.iter().map(|f| Format::parse(f)).collect();
                match (methods, formats) {
                    (Some(methods), Some(formats)) => out.push(CapacityEntry {
                        capacity: capacity.clone(),
                        level: *level,
                        methods,
                        formats,
                    }),
                    (None, _) => errors.push(FieldError {
                        field: format!("{name}[{i}]"),
                        key: "cxc-error-invalid-method",
                    }),
                    (_, None) => errors.push(FieldError {
                        field: format!("{name}[{i}]"),
                        key: "cxc-error-invalid-format",
                    }),
                }
            }
        }
    }
    out
}

/// Validates and saves a whole profile in one transaction; nothing is saved when any field
/// is wrong.
pub(super) async fn save_profile(
    state: &AppState,
    account: &Account,
    draft: ProfileDraft,
    mut errors: Vec<FieldError>,
) -> Result<Profile, AppError> {
    let directory = state.refresh_directory().await?;
    let validated = draft.validate(&Live {
        state,
        directory: &directory,
    });
    let mut profile = match validated {
        Ok(p) if errors.is_empty() => p,
        Ok(_) => return Err(AppError::Invalid(errors)),
        Err(more) => {
            errors.extend(more);
            return Err(AppError::Invalid(errors));
        }
    };
    let existing = profiles::load(&state.db, account.id).await?;
    profile.joined = existing
        .and_then(|e| e.profile.joined)
        .or_else(|| Some(time::OffsetDateTime::now_utc().date()));
    let mut tx = state.db.begin_write().await?;
    profiles::save(
        &mut tx,
        account.id,
        &profile,
        &*directory,
        None,
        profiles::Origin::Edit,
    )
    .await?;
    tx.commit().await?;
    crate::read_model::sync(state).await?;
    Ok(profile)
}

/// Replaces the signed-in person's profile. Invalid input gets 422 with a code per field, and
/// nothing is saved.
#[utoipa::path(
    put,
    path = "/api/v1/me/profile",
    tag = "profiles",
    request_body = ProfileInput,
    responses(
        (status = 200, description = "The saved profile", body = ProfileDoc),
        (status = 400, description = "Not JSON of the expected shape", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = crate::http::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::http::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
pub(super) async fn put_my_profile(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Json<ProfileDoc>, AppError> {
    let account = ctx.require_account()?;
    let input: ProfileInput = json_body(&body)?;
    let mut errors = Vec::new();
    let draft = ProfileDraft {
        known: api_entries("known", &input.known, &mut errors),
        offered: api_entries("offered", &input.offered, &mut errors),
        wanted: api_entries("wanted", &input.wanted, &mut errors),
        display_name: input.display_name,
        pronouns: input.pronouns,
        bio: input.bio,
        bio_language: input.bio_language,
        country: input.country,
        timezone: input.timezone,
        languages: input
            .languages
            .iter()
            .map(|l| (l.code.clone(), LanguageLevel::from_json(&l.level)))
            .collect(),
        affiliations: input.affiliations,
        projects: input.projects,
        visibility: input.visibility,
        recommendable: input.recommendable.unwrap_or(true),
        away_until: input.away_until,
        max_connections: input.max_connections,
        joined: None,
    };
    let profile = save_profile(&state, account, draft, errors).await?;
    Ok(Json(profile_doc(
        &state,
        &state.directory(),
        &account.username,
        &profile,
        ctx.lang,
    )))
}
