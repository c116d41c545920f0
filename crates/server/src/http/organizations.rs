//! Affiliates and groups: pages, the JSON and JSON-LD API, and editing by their managers.

use std::collections::BTreeMap;

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use cxc_core::catalog::{OrganizationDraft, Text};
use cxc_core::{CapacityEntry, Relation};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::capacity_picker::{
    CapacityRow, capacity_rows, capacity_rows_from_pairs, entries_from_rows,
};
use super::choices::{Choices, choices};
use super::context::RequestContext;
use super::extract::{FormFields, Path};
use super::page::{FieldErrors, Page, render};
use crate::AppState;
use crate::db::accounts::{self, Account};
use crate::db::catalog;
use crate::directory::{Directory, ORGANIZATION_KINDS, Organization};
use crate::error::{AppError, FieldError};
use crate::state::Live;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/organizations", get(list_page))
        .route("/organizations/new", get(new_page).post(create))
        .route("/organizations/{key}", get(organization_page))
        .route(
            "/organizations/{key}/edit",
            get(edit_page).post(edit_submit),
        )
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(list_organizations))
        .routes(routes!(get_organization))
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationEntry {
    capacity: String,
    label: String,
}

/// An affiliate or group.
#[derive(Serialize, ToSchema)]
pub struct OrganizationDoc {
    key: String,
    /// chapter, thematic_organization, user_group, hub, informal_group or other.
    kind: String,
    /// The name in the requested language.
    name: String,
    /// Names per language.
    names: BTreeMap<String, String>,
    description: String,
    countries: Vec<String>,
    website: Option<String>,
    meta_page: Option<String>,
    /// Usernames of the managers.
    managers: Vec<String>,
    known: Vec<OrganizationEntry>,
    offered: Vec<OrganizationEntry>,
    wanted: Vec<OrganizationEntry>,
}

async fn organization_doc(
    state: &AppState,
    directory: &Directory,
    o: &Organization,
    lang: &str,
) -> Result<OrganizationDoc, AppError> {
    let mut doc = OrganizationDoc {
        key: o.key.clone(),
        kind: o.kind.clone(),
        name: o.name(lang).to_owned(),
        names: o
            .texts
            .iter()
            .map(|(l, t)| (l.clone(), t.label.clone()))
            .collect(),
        description: o.description(lang).to_owned(),
        countries: o.countries.clone(),
        website: o.website.clone(),
        meta_page: o.meta_page.clone(),
        managers: catalog::organization_managers(state.db.pool(), o.id)
            .await?
            .into_iter()
            .map(|m| m.1)
            .collect(),
        known: Vec::new(),
        offered: Vec::new(),
        wanted: Vec::new(),
    };
    for (relation, entry) in catalog::organization_capacities(state.db.pool(), o.id).await? {
        let item = OrganizationEntry {
            label: directory
                .capacity(&entry.capacity)
                .map_or(entry.capacity.as_str(), |c| c.label(lang))
                .to_owned(),
            capacity: entry.capacity,
        };
        match relation {
            Relation::Known => doc.known.push(item),
            Relation::Offered => doc.offered.push(item),
            Relation::Wanted => doc.wanted.push(item),
        }
    }
    Ok(doc)
}

fn json_ld(state: &AppState, doc: &OrganizationDoc) -> serde_json::Value {
    let base = &state.config.base_url;
    let term = |e: &OrganizationEntry| serde_json::json!({"@type": "DefinedTerm", "@id": format!("{base}/capacities/{}", e.capacity), "termCode": e.capacity, "name": e.label});
    let mut org = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": format!("{base}/organizations/{}", doc.key),
        "identifier": doc.key,
        "name": doc.name,
        "additionalType": doc.kind,
        "areaServed": doc.countries.iter().map(|c| serde_json::json!({"@type": "Country", "identifier": c})).collect::<Vec<_>>(),
        "knowsAbout": doc.known.iter().map(term).collect::<Vec<_>>(),
        "makesOffer": doc.offered.iter().map(|e| serde_json::json!({"@type": "Offer", "itemOffered": {"@type": "Service", "about": term(e)}})).collect::<Vec<_>>(),
        "seeks": doc.wanted.iter().map(|e| serde_json::json!({"@type": "Demand", "itemOffered": {"@type": "Service", "about": term(e)}})).collect::<Vec<_>>(),
    });
    if !doc.description.is_empty() {
        org["description"] = serde_json::json!(doc.description);
    }
    let same_as: Vec<&String> = doc.website.iter().chain(doc.meta_page.iter()).collect();
    if !same_as.is_empty() {
        org["sameAs"] = serde_json::json!(same_as);
    }
    org
}

/// Every organization, named in the requested language.
#[utoipa::path(
    get,
    path = "/api/v1/organizations",
    tag = "organizations",
    responses((status = 200, description = "Organizations", body = [OrganizationDoc]))
)]
async fn list_organizations(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Json<Vec<OrganizationDoc>>, AppError> {
    let directory = state.directory();
    let mut docs = Vec::new();
    for o in directory.organizations() {
        docs.push(organization_doc(&state, &directory, o, ctx.lang).await?);
    }
    Ok(Json(docs))
}

/// One organization, as JSON, or as a schema.org Organization with `Accept: application/ld+json`.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{key}",
    tag = "organizations",
    params(("key" = String, Path, description = "The organization's key")),
    responses(
        (status = 200, description = "The organization", body = OrganizationDoc),
        (status = 404, description = "No such organization", body = super::api::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_organization(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let directory = state.directory();
    let o = directory.organization(&key).ok_or(AppError::NotFound)?;
    let doc = organization_doc(&state, &directory, o, ctx.lang).await?;
    let ld = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/ld+json"));
    let mut response = if ld {
        (
            [(header::CONTENT_TYPE, "application/ld+json")],
            Json(json_ld(&state, &doc)),
        )
            .into_response()
    } else {
        Json(doc).into_response()
    };
    super::context::vary_on_accept(&mut response);
    Ok(response)
}

#[derive(Template)]
#[template(path = "organizations.html")]
struct ListTemplate {
    page: Page,
    organizations: Vec<(String, String, String)>,
    is_admin: bool,
}

async fn list_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let directory = state.directory();
    let mut organizations: Vec<(String, String, String)> = directory
        .organizations()
        .iter()
        .map(|o| (o.key.clone(), o.name(ctx.lang).to_owned(), o.kind.clone()))
        .collect();
    crate::i18n::sort_by_name(ctx.lang, &mut organizations, |o| &o.1);
    Ok(render(&ListTemplate {
        is_admin: ctx.account.as_ref().is_some_and(|a| a.is_admin),
        page: Page::new(&state, &ctx, "cxc-organizations-title"),
        organizations,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "organization.html")]
struct OrganizationTemplate {
    page: Page,
    org: OrganizationDoc,
    countries: Vec<String>,
    slugs: BTreeMap<String, String>,
    can_edit: bool,
    saved: Option<bool>,
    save_kind: &'static str,
    save_key: String,
}

async fn may_manage(
    state: &AppState,
    account: Option<&Account>,
    o: &Organization,
) -> Result<bool, AppError> {
    let Some(account) = account else {
        return Ok(false);
    };
    if account.is_admin {
        return Ok(true);
    }
    Ok(catalog::organization_managers(state.db.pool(), o.id)
        .await?
        .iter()
        .any(|m| m.0 == account.id))
}

async fn organization_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let directory = state.directory();
    let o = directory.organization(&key).ok_or(AppError::NotFound)?;
    let doc = organization_doc(&state, &directory, o, ctx.lang).await?;
    let mut page = Page::new(&state, &ctx, "cxc-organizations-title");
    page.title = doc.name.clone();
    let saved = match &ctx.account {
        Some(a) => Some(crate::db::saved::is_saved(&state.db, a.id, "organization", &o.key).await?),
        None => None,
    };
    Ok(render(&OrganizationTemplate {
        saved,
        save_kind: "organization",
        save_key: o.key.clone(),
        can_edit: may_manage(&state, ctx.account.as_ref(), o).await?,
        countries: o
            .countries
            .iter()
            .map(|c| state.reference.country_name(c, ctx.lang))
            .collect(),
        slugs: directory
            .active_capacities()
            .map(|c| (c.key.clone(), c.slug.clone()))
            .collect(),
        org: doc,
        page,
    })?
    .into_response())
}

/// What the organization form shows.
#[derive(Default)]
pub struct OrganizationForm {
    pub key: String,
    pub kind: String,
    pub name: String,
    pub description: String,
    pub website: String,
    pub meta_page: String,
    pub countries: Vec<String>,
    pub managers: String,
    pub capacities: Vec<CapacityRow>,
}

#[derive(Template)]
#[template(path = "organization_edit.html")]
struct EditTemplate {
    page: Page,
    form: OrganizationForm,
    errors: FieldErrors,
    choices: Choices,
    kinds: &'static [&'static str],
    creating: bool,
    is_admin: bool,
}

async fn edit_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let directory = state.refresh_directory().await?;
    let o = directory.organization(&key).ok_or(AppError::NotFound)?;
    if ctx.account.is_none() {
        return Ok(
            Redirect::to(&format!("/login?return=/organizations/{key}/edit")).into_response(),
        );
    }
    if !may_manage(&state, ctx.account.as_ref(), o).await? {
        return Err(AppError::Forbidden("cxc-error-not-manager"));
    }
    let entries = catalog::organization_capacities(state.db.pool(), o.id).await?;
    let pick = |r: Relation| {
        entries
            .iter()
            .filter(|(rel, _)| *rel == r)
            .map(|(_, e)| e.clone())
            .collect::<Vec<CapacityEntry>>()
    };
    let form = OrganizationForm {
        key: o.key.clone(),
        kind: o.kind.clone(),
        name: o
            .texts
            .get(ctx.lang)
            .map(|t| t.label.clone())
            .unwrap_or_else(|| o.name(ctx.lang).to_owned()),
        description: o
            .texts
            .get(ctx.lang)
            .map(|t| t.description.clone())
            .unwrap_or_default(),
        website: o.website.clone().unwrap_or_default(),
        meta_page: o.meta_page.clone().unwrap_or_default(),
        countries: o.countries.clone(),
        managers: catalog::organization_managers(state.db.pool(), o.id)
            .await?
            .into_iter()
            .map(|m| m.1)
            .collect::<Vec<_>>()
            .join(", "),
        capacities: capacity_rows(
            &pick(Relation::Known),
            &pick(Relation::Offered),
            &pick(Relation::Wanted),
            &directory,
            ctx.lang,
        ),
    };
    Ok(render(&EditTemplate {
        choices: choices(&state, &directory, ctx.lang),
        is_admin: ctx.account.as_ref().is_some_and(|a| a.is_admin),
        page: Page::new(&state, &ctx, "cxc-organization-edit-title"),
        form,
        errors: FieldErrors::default(),
        kinds: ORGANIZATION_KINDS,
        creating: false,
    })?
    .into_response())
}

async fn new_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    if !account.is_admin {
        return Err(AppError::Forbidden("cxc-error-admin-only"));
    }
    let directory = state.directory();
    Ok(render(&EditTemplate {
        choices: choices(&state, &directory, ctx.lang),
        is_admin: true,
        page: Page::new(&state, &ctx, "cxc-organization-new-title"),
        form: OrganizationForm {
            kind: "user_group".into(),
            ..OrganizationForm::default()
        },
        errors: FieldErrors::default(),
        kinds: ORGANIZATION_KINDS,
        creating: true,
    })?
    .into_response())
}

async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    if !account.is_admin {
        return Err(AppError::Forbidden("cxc-error-admin-only"));
    }
    save(&state, &ctx, None, body).await
}

async fn edit_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let directory = state.refresh_directory().await?;
    let o = directory.organization(&key).ok_or(AppError::NotFound)?;
    ctx.require_account()?;
    if !may_manage(&state, ctx.account.as_ref(), o).await? {
        return Err(AppError::Forbidden("cxc-error-not-manager"));
    }
    save(&state, &ctx, Some(o.clone()), body).await
}

/// Validates and writes an organization in one transaction; re-renders the form on errors.
async fn save(
    state: &AppState,
    ctx: &RequestContext,
    existing: Option<Organization>,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = FormFields::parse(&body)?;
    let directory = state.refresh_directory().await?;
    let is_admin = ctx.account.as_ref().is_some_and(|a| a.is_admin);
    let form = OrganizationForm {
        key: existing
            .as_ref()
            .map_or_else(|| f.one("key"), |o| o.key.clone()),
        kind: f.one("kind"),
        name: f.one("name"),
        description: f.one("description"),
        website: f.one("website"),
        meta_page: f.one("meta_page"),
        countries: f.all("country"),
        managers: f.one("managers"),
        capacities: capacity_rows_from_pairs(&f.0, &directory, ctx.lang),
    };
    let (known, offered, wanted, mut errors) = entries_from_rows(&form.capacities);
    if existing.is_none() && directory.organization(&form.key).is_some() {
        errors.push(FieldError {
            field: "key".into(),
            key: "cxc-error-key-taken",
        });
    }
    // The form edits the texts of the page's language; other languages stay as they are.
    let mut texts = existing
        .as_ref()
        .map(|o| o.texts.clone())
        .unwrap_or_default();
    texts.insert(
        ctx.lang.to_owned(),
        Text {
            label: form.name.clone(),
            description: form.description.clone(),
        },
    );
    let draft = OrganizationDraft {
        key: form.key.clone(),
        kind: form.kind.clone(),
        texts,
        website: Some(form.website.clone()),
        meta_page: Some(form.meta_page.clone()),
        countries: form.countries.clone(),
        known,
        offered,
        wanted,
    };
    let reference = Live {
        state,
        directory: &directory,
    };
    let organization = match draft.validate(&reference) {
        Ok(o) => Some(o),
        Err(more) => {
            errors.extend(more);
            None
        }
    };
    let mut managers: Vec<Account> = Vec::new();
    if is_admin {
        for name in form
            .managers
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match accounts::by_username(&state.db, name).await? {
                Some(a) => managers.push(a),
                None => errors.push(FieldError {
                    field: "managers".into(),
                    key: "cxc-error-unknown-user",
                }),
            }
        }
    }
    let Some(organization) = organization.filter(|_| errors.is_empty()) else {
        let page = Page::new(
            state,
            ctx,
            if existing.is_some() {
                "cxc-organization-edit-title"
            } else {
                "cxc-organization-new-title"
            },
        );
        let mut shown = FieldErrors::default();
        for e in &errors {
            // The form has one name field, for the page's language.
            let field = match e.field.split('[').next().unwrap_or(&e.field) {
                "names" => "name",
                field => field,
            };
            shown.add(&page, field, e.key);
        }
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&EditTemplate {
                choices: choices(state, &directory, ctx.lang),
                is_admin,
                creating: existing.is_none(),
                page,
                form,
                errors: shown,
                kinds: ORGANIZATION_KINDS,
            })?,
        )
            .into_response());
    };
    let mut tx = state.db.begin_write().await?;
    let id = catalog::save_organization(&mut tx, &organization, &*directory, None).await?;
    if is_admin {
        catalog::set_managers(
            &mut tx,
            id,
            &managers.iter().map(|m| m.id).collect::<Vec<_>>(),
        )
        .await?;
    }
    tx.commit().await?;
    crate::read_model::sync(state).await?;
    Ok(Redirect::to(&format!("/organizations/{}", organization.key)).into_response())
}
