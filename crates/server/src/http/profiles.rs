//! People's profiles: the page, the edit form (which works without JavaScript), the JSON and
//! JSON-LD API, and one's own data: download and deletion.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use cxc_core::profile::{Profile, ProfileDraft, format_date};
use cxc_core::{CapacityEntry, Format, LanguageLevel, Method, Region, Visibility};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::{RequestContext, SESSION_COOKIE, set_cookie};
use super::extract::{Form, Path};
use super::page::{FieldErrors, Page, render};
use crate::AppState;
use crate::db::accounts::{self, Account};
use crate::db::profiles::{self, StoredProfile};
use crate::directory::Directory;
use crate::error::{AppError, FieldError};
use crate::interchange::{CapacityRef, ProfileRecord};
use crate::reference::{project_family, timezone_exists};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/people/{username}", get(profile_page))
        .route("/profile/edit", get(edit_page).post(edit_submit))
        .route("/account/export.json", get(export_download))
        .route("/account/delete", post(delete_submit))
        .route("/people/{username}/block", post(block_submit))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(get_profile))
        .routes(routes!(get_my_profile, put_my_profile))
        .routes(routes!(export_mine))
        .routes(routes!(delete_me))
        .routes(routes!(list_blocks))
        .routes(routes!(block_person, unblock_person))
}

/// Validation against the live directory and the reference data.
pub struct Live<'a> {
    pub state: &'a AppState,
    pub directory: &'a Directory,
}

impl cxc_core::profile::Reference for Live<'_> {
    fn capacity_exists(&self, key: &str) -> bool {
        self.directory.taxonomy().contains(key)
    }
    fn language_exists(&self, code: &str) -> bool {
        self.state.i18n.language_known(code)
    }
    fn region_of(&self, country: &str) -> Option<Region> {
        self.state.reference.region_of(country)
    }
    fn organization_exists(&self, key: &str) -> bool {
        self.directory.organization(key).is_some()
    }
    fn project_exists(&self, code: &str) -> bool {
        project_family(code, &self.state.i18n).is_some()
    }
    fn timezone_exists(&self, name: &str) -> bool {
        timezone_exists(name)
    }
}

/// Who may see a profile: everyone (public), signed-in members, or only its owner (hidden).
fn may_see(profile: &StoredProfile, viewer: Option<&Account>) -> bool {
    match profile.profile.visibility {
        Visibility::Public => true,
        Visibility::Members => viewer.is_some(),
        Visibility::Hidden => viewer.is_some_and(|v| v.id == profile.account_id || v.is_admin),
    }
}

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
    code: String,
    #[schema(schema_with = super::api_schema::language_level)]
    level: serde_json::Value,
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
fn empty_profile(account: &Account) -> Profile {
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

fn wants_json_ld(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/ld+json"))
}

fn capacity_term(
    state: &AppState,
    directory: &Directory,
    key: &str,
    lang: &str,
) -> serde_json::Value {
    let base = &state.config.base_url;
    let mut term = serde_json::json!({
        "@type": "DefinedTerm",
        "@id": format!("{base}/capacities/{key}"),
        "termCode": key,
        "name": directory.capacity(key).map_or(key, |c| c.label(lang)),
        "inDefinedTermSet": format!("{base}/capacities"),
    });
    if let Some(qid) = directory.capacity(key).and_then(|c| c.qid.as_ref()) {
        term["sameAs"] = serde_json::json!(format!("http://www.wikidata.org/entity/{qid}"));
    }
    term
}

/// A profile as a schema.org Person.
pub fn person_json_ld(
    state: &AppState,
    directory: &Directory,
    username: &str,
    p: &Profile,
    lang: &str,
) -> serde_json::Value {
    let base = &state.config.base_url;
    let service = |e: &CapacityEntry| {
        serde_json::json!({
            "@type": "Service",
            "serviceType": e.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            "availableChannel": e.formats.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            "about": capacity_term(state, directory, &e.capacity, lang),
        })
    };
    let mut person = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Person",
        "@id": format!("{base}/people/{}", super::page::url_component(username)),
        "url": format!("{base}/people/{}", super::page::url_component(username)),
        "name": p.display_name,
        "alternateName": username,
        "knowsLanguage": p.languages.iter().map(|(code, _)| code).collect::<Vec<_>>(),
        "knowsAbout": p.known.iter().map(|e| capacity_term(state, directory, &e.capacity, lang)).collect::<Vec<_>>(),
        "makesOffer": p.offered.iter().map(|e| serde_json::json!({"@type": "Offer", "itemOffered": service(e)})).collect::<Vec<_>>(),
        "seeks": p.wanted.iter().map(|e| serde_json::json!({"@type": "Demand", "itemOffered": service(e)})).collect::<Vec<_>>(),
        "memberOf": p.affiliations.iter().filter_map(|k| directory.organization(k)).map(|o| serde_json::json!({
            "@type": "Organization",
            "@id": format!("{base}/organizations/{}", o.key),
            "name": o.name(lang),
        })).collect::<Vec<_>>(),
    });
    if !p.bio.is_empty() {
        person["description"] = serde_json::json!({"@value": p.bio, "@language": p.bio_language.clone().unwrap_or_else(|| "und".into())});
    }
    if let Some(country) = &p.country {
        person["homeLocation"] = serde_json::json!({"@type": "Country", "identifier": country});
    }
    person
}

/// Someone's profile, as JSON, or as a schema.org Person with `Accept: application/ld+json`.
#[utoipa::path(
    get,
    path = "/api/v1/profiles/{username}",
    tag = "profiles",
    params(("username" = String, Path, description = "The username")),
    responses(
        (status = 200, description = "The profile", body = ProfileDoc),
        (status = 404, description = "No such profile, or not visible to the caller", body = super::api::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_profile(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let stored = profiles::by_username(&state.db, &username)
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
    super::context::vary_on_accept(&mut response);
    Ok(response)
}

/// The signed-in person's profile (defaults when none was saved yet).
#[utoipa::path(
    get,
    path = "/api/v1/me/profile",
    tag = "profiles",
    responses(
        (status = 200, description = "Your profile", body = ProfileDoc),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn get_my_profile(
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

/// A profile as submitted to `PUT /api/v1/me/profile`. Capacity lists take ids, or objects
/// with details; fields a GET returns but a PUT cannot change (`username`, `region`…) are
/// ignored.
#[derive(Deserialize, ToSchema)]
pub struct ProfileInput {
    #[serde(default)]
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
    #[schema(schema_with = super::api_schema::capacity_references)]
    known: Vec<CapacityRef>,
    #[serde(default)]
    #[schema(schema_with = super::api_schema::capacity_references)]
    offered: Vec<CapacityRef>,
    #[serde(default)]
    #[schema(schema_with = super::api_schema::capacity_references)]
    wanted: Vec<CapacityRef>,
    #[serde(default)]
    affiliations: Vec<String>,
    #[serde(default)]
    projects: Vec<String>,
    visibility: Option<String>,
    recommendable: Option<bool>,
    away_until: Option<String>,
    max_connections: Option<i64>,
}

/// Turns capacity references into entries, naming the bad ones.
fn api_entries(
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
async fn save_profile(
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
        (status = 400, description = "Not JSON of the expected shape", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn put_my_profile(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Json<ProfileDoc>, AppError> {
    let account = ctx.require_account()?;
    let input: ProfileInput =
        serde_json::from_slice(&body).map_err(|_| AppError::BadRequest("cxc-error-bad-json"))?;
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

/// Everything cxc holds about the signed-in person.
#[derive(Serialize, ToSchema)]
pub struct PersonalData {
    username: String,
    roles: Vec<String>,
    /// Whether a Wikimedia account is linked (its id is kept only to recognise you).
    wikimedia_linked: bool,
    has_password: bool,
    /// The profile, as `GET /api/v1/me/profile` returns it; null before one is saved.
    #[schema(value_type = Option<Object>)]
    profile: Option<serde_json::Value>,
    /// Labels and dates of your API tokens (never the tokens).
    #[schema(value_type = Vec<Object>)]
    api_tokens: Vec<serde_json::Value>,
    /// Organizations you manage.
    manages: Vec<String>,
    /// People you blocked.
    blocked: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    capacity_suggestions: Vec<serde_json::Value>,
}

async fn personal_data(state: &AppState, account: &Account) -> Result<PersonalData, AppError> {
    let profile = profiles::load(&state.db, account.id).await?;
    let tokens = accounts::list_tokens(&state.db, Some(account.id)).await?;
    let (manages, suggestions) = accounts::personal_extras(&state.db, account.id).await?;
    Ok(PersonalData {
        username: account.username.clone(),
        roles: cxc_core::Role::of(account.is_admin).iter().map(|r| format!("{r:?}").to_lowercase()).collect(),
        wikimedia_linked: account.wikimedia_sub.is_some(),
        has_password: account.has_password,
        profile: profile.map(|p| serde_json::to_value(ProfileRecord::from_stored(&p)).unwrap_or_default()),
        api_tokens: tokens
            .iter()
            .map(|t| serde_json::json!({"id": t.id, "label": t.label, "created_at": t.created_at, "last_used_at": t.last_used_at, "revoked_at": t.revoked_at}))
            .collect(),
        manages,
        blocked: accounts::blocked_by(&state.db, account.id).await?,
        capacity_suggestions: suggestions,
    })
}

/// Download everything cxc holds about you.
#[utoipa::path(
    get,
    path = "/api/v1/me/export",
    tag = "profiles",
    responses(
        (status = 200, description = "Your data", body = PersonalData),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn export_mine(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<PersonalData>, AppError> {
    let account = ctx.require_account()?;
    Ok(Json(personal_data(&state, account).await?))
}

async fn export_download(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/account").into_response());
    };
    let data = personal_data(&state, account).await?;
    let body = serde_json::to_string_pretty(&data).map_err(anyhow::Error::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"cxc-my-data.json\"".to_owned(),
            ),
        ],
        body,
    )
        .into_response())
}

/// Delete your account and every piece of personal data cxc holds about you.
#[utoipa::path(
    delete,
    path = "/api/v1/me",
    tag = "profiles",
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn delete_me(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<StatusCode, AppError> {
    let account = ctx.require_account()?;
    accounts::delete(&state.db, account.id).await?;
    crate::read_model::sync(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

async fn delete_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/account").into_response());
    };
    if cxc_core::Username::key_of(&form.confirm) != cxc_core::Username::key_of(&account.username) {
        return Err(AppError::invalid("confirm", "cxc-error-delete-confirm"));
    }
    accounts::delete(&state.db, account.id).await?;
    crate::read_model::sync(&state).await?;
    let clear = set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies());
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/?deleted=1")).into_response())
}

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
struct ProfileTemplate {
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
}

fn entry_views(directory: &Directory, list: &[CapacityEntry], lang: &str) -> Vec<EntryView> {
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

async fn profile_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let stored = profiles::by_username(&state.db, &username)
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
    Ok(render(&ProfileTemplate {
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

/// One capacity row of the edit form.
pub struct CapacityRow {
    pub key: String,
    pub label: String,
    pub known: bool,
    pub offered: bool,
    pub wanted: bool,
    pub level: String,
    pub methods: Vec<String>,
    pub formats: Vec<String>,
}

impl CapacityRow {
    pub fn has_method(&self, method: &str) -> bool {
        self.methods.iter().any(|m| m == method)
    }

    pub fn has_format(&self, format: &str) -> bool {
        self.formats.iter().any(|f| f == format)
    }
}

/// What the edit form shows: the stored profile, or what was just submitted.
#[derive(Default)]
pub struct EditForm {
    pub display_name: String,
    pub pronouns: String,
    pub bio: String,
    pub bio_language: String,
    pub country: String,
    pub timezone: String,
    pub visibility: String,
    pub recommendable: bool,
    pub away_until: String,
    pub max_connections: String,
    pub languages: Vec<(String, String)>,
    pub capacities: Vec<CapacityRow>,
    pub affiliations: Vec<String>,
    pub projects: String,
}

impl EditForm {
    fn from_profile(p: &Profile, directory: &Directory, lang: &str) -> EditForm {
        let rows = capacity_rows(&p.known, &p.offered, &p.wanted, directory, lang);
        EditForm {
            display_name: p.display_name.clone(),
            pronouns: p.pronouns.clone().unwrap_or_default(),
            bio: p.bio.clone(),
            bio_language: p.bio_language.clone().unwrap_or_default(),
            country: p.country.clone().unwrap_or_default(),
            timezone: p.timezone.clone().unwrap_or_default(),
            visibility: p.visibility.as_str().to_owned(),
            recommendable: p.recommendable,
            away_until: p.away_until.map(format_date).unwrap_or_default(),
            max_connections: p.max_connections.map(|n| n.to_string()).unwrap_or_default(),
            languages: p
                .languages
                .iter()
                .map(|(c, l)| (c.clone(), l.code()))
                .collect(),
            capacities: rows,
            affiliations: p.affiliations.clone(),
            projects: p.projects.join(", "),
        }
    }

    /// Reads the submitted form (repeated fields keep their order).
    fn from_pairs(pairs: &[(String, String)], directory: &Directory, lang: &str) -> EditForm {
        let one = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let all = |name: &str| {
            pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        };
        let codes = all("lang");
        let levels = all("lang_level");
        let languages = codes
            .into_iter()
            .zip(levels)
            .map(|(c, l)| (c.trim().to_owned(), l))
            .filter(|(c, _)| !c.is_empty())
            .collect();
        let capacities = capacity_rows_from_pairs(pairs, directory, lang);
        EditForm {
            display_name: one("display_name"),
            pronouns: one("pronouns"),
            bio: one("bio"),
            bio_language: one("bio_language"),
            country: one("country"),
            timezone: one("timezone"),
            visibility: one("visibility"),
            recommendable: one("recommendable") == "1",
            away_until: one("away_until"),
            max_connections: one("max_connections"),
            languages,
            capacities,
            affiliations: all("org").into_iter().filter(|o| !o.is_empty()).collect(),
            projects: one("projects"),
        }
    }

    /// The draft to validate, and the errors found while reading the form itself.
    fn draft(&self) -> (ProfileDraft, Vec<FieldError>) {
        let (known, offered, wanted, mut errors) = entries_from_rows(&self.capacities);
        let max_connections = match self.max_connections.trim() {
            "" => None,
            n => match n.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(FieldError {
                        field: "max_connections".into(),
                        key: "cxc-error-invalid-number",
                    });
                    None
                }
            },
        };
        let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let draft = ProfileDraft {
            display_name: self.display_name.clone(),
            pronouns: optional(&self.pronouns),
            bio: self.bio.clone(),
            bio_language: optional(&self.bio_language),
            country: optional(&self.country),
            timezone: optional(&self.timezone),
            languages: self
                .languages
                .iter()
                .map(|(c, l)| (c.clone(), LanguageLevel::parse(l)))
                .collect(),
            known,
            offered,
            wanted,
            affiliations: self.affiliations.clone(),
            projects: self
                .projects
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            visibility: optional(&self.visibility),
            recommendable: self.recommendable,
            away_until: optional(&self.away_until),
            max_connections,
            joined: None,
        };
        (draft, errors)
    }
}

/// One row per capacity held in any relation, for an edit form.
pub fn capacity_rows(
    known: &[CapacityEntry],
    offered: &[CapacityEntry],
    wanted: &[CapacityEntry],
    directory: &Directory,
    lang: &str,
) -> Vec<CapacityRow> {
    let mut rows: Vec<CapacityRow> = Vec::new();
    let mut row = |e: &CapacityEntry, set: &dyn Fn(&mut CapacityRow)| {
        let existing = rows.iter_mut().position(|r| r.key == e.capacity);
        let i = existing.unwrap_or_else(|| {
            rows.push(CapacityRow {
                key: e.capacity.clone(),
                label: directory
                    .capacity(&e.capacity)
                    .map_or(e.capacity.as_str(), |c| c.label(lang))
                    .to_owned(),
                known: false,
                offered: false,
                wanted: false,
                level: String::new(),
                methods: Vec::new(),
                formats: Vec::new(),
            });
            rows.len() - 1
        });
        let r = &mut rows[i];
        set(r);
        if let Some(l) = e.level {
            r.level = l.to_string();
        }
        for m in &e.methods {
            if !r.methods.iter().any(|x| x == m.as_str()) {
                r.methods.push(m.as_str().to_owned());
            }
        }
        for f in &e.formats {
            if !r.formats.iter().any(|x| x == f.as_str()) {
                r.formats.push(f.as_str().to_owned());
            }
        }
    };
    for e in known {
        row(e, &|r| r.known = true);
    }
    for e in offered {
        row(e, &|r| r.offered = true);
    }
    for e in wanted {
        row(e, &|r| r.wanted = true);
    }
    rows
}

/// Capacity rows of a submitted form: `cap` names each row's capacity, `rel_KEY`, `level_KEY`,
/// `method_KEY` and `format_KEY` its details; `new_cap` with `rel_new` adds one.
pub fn capacity_rows_from_pairs(
    pairs: &[(String, String)],
    directory: &Directory,
    lang: &str,
) -> Vec<CapacityRow> {
    let one = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let all = |name: &str| {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let mut keys = all("cap");
    let new = one("new_cap");
    if !new.is_empty() && !keys.contains(&new) {
        keys.push(new.clone());
    }
    keys.into_iter()
        .map(|key| {
            let rel = if key == new {
                all("rel_new")
            } else {
                all(&format!("rel_{key}"))
            };
            CapacityRow {
                label: directory
                    .capacity(&key)
                    .map_or(key.as_str(), |c| c.label(lang))
                    .to_owned(),
                known: rel.iter().any(|r| r == "known"),
                offered: rel.iter().any(|r| r == "offered"),
                wanted: rel.iter().any(|r| r == "wanted"),
                level: one(&format!("level_{key}")),
                methods: all(&format!("method_{key}")),
                formats: all(&format!("format_{key}")),
                key,
            }
        })
        .collect()
}

/// The known, offered and wanted entries of capacity rows; offering implies knowing.
pub fn entries_from_rows(
    rows: &[CapacityRow],
) -> (
    Vec<CapacityEntry>,
    Vec<CapacityEntry>,
    Vec<CapacityEntry>,
    Vec<FieldError>,
) {
    let mut errors = Vec::new();
    let mut known = Vec::new();
    let mut offered = Vec::new();
    let mut wanted = Vec::new();
    for row in rows {
        let level = match row.level.trim() {
            "" => None,
            l => match l.parse::<u8>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(FieldError {
                        field: format!("level_{}", row.key),
                        key: "cxc-error-invalid-level",
                    });
                    None
                }
            },
        };
        let methods: Vec<Method> = row
            .methods
            .iter()
            .filter_map(|m| Method::parse(m))
            .collect();
        let formats: Vec<Format> = row
            .formats
            .iter()
            .filter_map(|f| Format::parse(f))
            .collect();
        if row.known || row.offered {
            known.push(CapacityEntry {
                level,
                ..CapacityEntry::new(row.key.clone())
            });
        }
        if row.offered {
            offered.push(CapacityEntry {
                capacity: row.key.clone(),
                level: None,
                methods: methods.clone(),
                formats: formats.clone(),
            });
        }
        if row.wanted {
            wanted.push(CapacityEntry {
                capacity: row.key.clone(),
                level: None,
                methods,
                formats,
            });
        }
    }
    (known, offered, wanted, errors)
}

/// Capacities grouped by area, indented by depth, for pickers.
pub fn capacity_groups(directory: &Directory, lang: &str) -> Vec<(String, Vec<(String, String)>)> {
    let taxonomy = directory.taxonomy();
    taxonomy
        .roots()
        .into_iter()
        .filter_map(|area| {
            let a = directory.capacity(area)?;
            let mut items = Vec::new();
            for key in taxonomy.subtree(area) {
                let c = directory.capacity(key)?;
                let indent =
                    "\u{a0}\u{a0}".repeat(taxonomy.depth(key).unwrap_or(1).saturating_sub(1));
                items.push((key.to_owned(), format!("{indent}{}", c.label(lang))));
            }
            Some((a.label(lang).to_owned(), items))
        })
        .collect()
}

/// Choices the edit form offers.
pub struct Choices {
    pub countries: Vec<(String, String)>,
    pub languages: Vec<(String, String)>,
    pub timezones: Vec<String>,
    /// Areas with their capacities (depth shown by indentation).
    pub capacity_groups: Vec<(String, Vec<(String, String)>)>,
    pub organizations: Vec<(String, String)>,
    pub methods: Vec<&'static str>,
    pub formats: Vec<&'static str>,
}

pub fn choices(state: &AppState, directory: &Directory, lang: &str) -> Choices {
    let mut countries: Vec<(String, String)> = state
        .reference
        .countries()
        .map(|(code, _)| (code.to_owned(), state.reference.country_name(code, lang)))
        .collect();
    countries.sort_by(|a, b| a.1.cmp(&b.1));
    let mut languages: Vec<(String, String)> = state
        .i18n
        .known_languages()
        .map(|(c, a)| (c.to_owned(), a.to_owned()))
        .collect();
    languages.sort();
    let capacity_groups = capacity_groups(directory, lang);
    let mut organizations: Vec<(String, String)> = directory
        .organizations()
        .iter()
        .map(|o| (o.key.clone(), o.name(lang).to_owned()))
        .collect();
    organizations.sort_by(|a, b| a.1.cmp(&b.1));
    Choices {
        countries,
        languages,
        timezones: crate::reference::timezone_names(),
        capacity_groups,
        organizations,
        methods: Method::ALL.iter().map(|m| m.as_str()).collect(),
        formats: Format::ALL.iter().map(|f| f.as_str()).collect(),
    }
}

#[derive(Template)]
#[template(path = "profile_edit.html")]
struct EditTemplate {
    page: Page,
    form: EditForm,
    errors: FieldErrors,
    choices: Choices,
    saved: bool,
    completeness: u8,
}

async fn edit_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/profile/edit").into_response());
    };
    let directory = state.refresh_directory().await?;
    let profile = profiles::load(&state.db, account.id)
        .await?
        .map_or_else(|| empty_profile(account), |s| s.profile);
    Ok(render(&EditTemplate {
        form: EditForm::from_profile(&profile, &directory, ctx.lang),
        errors: FieldErrors::default(),
        choices: choices(&state, &directory, ctx.lang),
        saved: ctx.path.contains("saved=1"),
        completeness: profile.completeness(),
        page: Page::new(&state, &ctx, "cxc-profile-edit-title"),
    })?
    .into_response())
}

async fn edit_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/profile/edit").into_response());
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::BadRequest("cxc-error-bad-form"))?;
    let directory = state.refresh_directory().await?;
    let form = EditForm::from_pairs(&pairs, &directory, ctx.lang);
    let (draft, form_errors) = form.draft();
    match save_profile(&state, account, draft, form_errors).await {
        Ok(_) => Ok(Redirect::to("/profile/edit?saved=1").into_response()),
        Err(AppError::Invalid(errors)) => {
            let page = Page::new(&state, &ctx, "cxc-profile-edit-title");
            let mut shown = FieldErrors::default();
            for e in &errors {
                shown.add(&page, &field_group(&e.field), e.key);
            }
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&EditTemplate {
                    choices: choices(&state, &directory, ctx.lang),
                    errors: shown,
                    saved: false,
                    completeness: 0,
                    form,
                    page,
                })?,
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// Errors on list items show beside the list: `languages[2]` → `languages`.
fn field_group(field: &str) -> String {
    field.split('[').next().unwrap_or(field).to_owned()
}

/// The people you blocked: they are never suggested to you, nor you to them.
#[utoipa::path(
    get,
    path = "/api/v1/me/blocks",
    tag = "profiles",
    responses(
        (status = 200, description = "Usernames you blocked", body = [String]),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn list_blocks(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<String>>, AppError> {
    let account = ctx.require_account()?;
    Ok(Json(accounts::blocked_by(&state.db, account.id).await?))
}

async fn other(state: &AppState, me: &Account, username: &str) -> Result<Account, AppError> {
    let target = accounts::by_username(&state.db, username)
        .await?
        .ok_or(AppError::NotFound)?;
    if target.id == me.id {
        return Err(AppError::BadRequest("cxc-error-block-self"));
    }
    Ok(target)
}

/// Block someone: neither of you is suggested to the other any more.
#[utoipa::path(
    put,
    path = "/api/v1/me/blocks/{username}",
    tag = "profiles",
    params(("username" = String, Path, description = "Whom to block")),
    responses(
        (status = 204, description = "Blocked"),
        (status = 404, description = "No such person", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn block_person(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
) -> Result<StatusCode, AppError> {
    set_block(&state, ctx.require_account()?, &username, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Blocks or unblocks someone, and brings the read model up to date at once.
async fn set_block(
    state: &AppState,
    me: &Account,
    username: &str,
    blocked: bool,
) -> Result<(), AppError> {
    let target = other(state, me, username).await?;
    if blocked {
        accounts::block(&state.db, me.id, target.id).await?;
    } else {
        accounts::unblock(&state.db, me.id, target.id).await?;
    }
    crate::read_model::sync(state).await
}

/// Unblock someone.
#[utoipa::path(
    delete,
    path = "/api/v1/me/blocks/{username}",
    tag = "profiles",
    params(("username" = String, Path, description = "Whom to unblock")),
    responses(
        (status = 204, description = "Unblocked"),
        (status = 404, description = "No such person", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn unblock_person(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
) -> Result<StatusCode, AppError> {
    set_block(&state, ctx.require_account()?, &username, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn block_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let Some(me) = &ctx.account else {
        return Ok(Redirect::to("/login").into_response());
    };
    set_block(&state, me, &username, true).await?;
    Ok(Redirect::to("/matches").into_response())
}
