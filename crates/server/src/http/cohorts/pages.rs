//! The pages of cohorts, all working without JavaScript: the caller's cohorts, proposals for
//! a capacity (each formed with one button), the form that forms one by hand, and a page per
//! cohort where invitations are answered, organisers invite and change its status, and its
//! people write in its thread.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxc_core::Region;
use cxc_core::cohort::{CohortDraft, Status};
use serde::Deserialize;

use super::{CohortDoc, CohortMessageDoc, CohortProposalDoc, doc, thread};
use crate::AppState;
use crate::cohorts::{self, Invitations};
use crate::db::accounts::Account;
use crate::error::AppError;
use crate::http::choices::{Choices, choices};
use crate::http::context::RequestContext;
use crate::http::extract::{FormFields, Path, Query};
use crate::http::page::{FieldErrors, Page, render};

fn sign_in(to: &str) -> Response {
    Redirect::to(&format!(
        "/login?return={}",
        crate::http::page::url_component(to)
    ))
    .into_response()
}

/// A capacity's label in the page's language.
fn label(state: &AppState, key: &str, lang: &str) -> String {
    state
        .directory()
        .capacity(key)
        .map_or(key, |c| c.label(lang))
        .to_owned()
}

fn language_name(state: &AppState, code: &str) -> String {
    state.i18n.autonym(code).unwrap_or(code).to_owned()
}

/// A cohort in a list.
pub struct Listed {
    id: i64,
    name: String,
    capacity: String,
    status: &'static str,
    my_answer: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "cohorts.html")]
struct ListTemplate {
    page: Page,
    cohorts: Vec<Listed>,
    choices: Choices,
}

pub async fn list_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(sign_in("/cohorts"));
    };
    let cohorts = super::mine(&state, account)
        .await?
        .into_iter()
        .map(|c| Listed {
            id: c.id,
            capacity: label(&state, &c.capacity, ctx.lang),
            name: c.name,
            status: c.status,
            my_answer: c.my_answer,
        })
        .collect();
    let directory = state.directory();
    Ok(render(&ListTemplate {
        page: Page::new(&state, &ctx, "cxc-cohorts-title"),
        cohorts,
        choices: choices(&state, &directory, ctx.lang),
    })?
    .into_response())
}

#[derive(Deserialize)]
pub struct CapacityQuery {
    capacity: Option<String>,
}

/// A proposal as its page shows it.
pub struct Shown {
    p: CohortProposalDoc,
    language_name: String,
    /// What the group is named when formed with one button.
    name: String,
    /// Display names, in the order of the proposal's usernames.
    members: Vec<(String, String)>,
    facilitators: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "cohort_proposals.html")]
struct ProposalsTemplate {
    page: Page,
    capacity: String,
    capacity_label: String,
    proposals: Vec<Shown>,
    choices: Choices,
}

pub async fn proposals_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<CapacityQuery>,
) -> Result<Response, AppError> {
    let capacity = q.capacity.unwrap_or_default().trim().to_owned();
    if ctx.account.is_none() {
        return Ok(sign_in(&format!(
            "/cohorts/proposals?capacity={}",
            crate::http::page::url_component(&capacity)
        )));
    }
    let proposals = if capacity.is_empty() {
        Vec::new()
    } else {
        super::proposals(&state, &capacity)?
    };
    let capacity_label = label(&state, &capacity, ctx.lang);
    let page = Page::new(&state, &ctx, "cxc-cohort-proposals-title");
    let shown = proposals
        .into_iter()
        .map(|p| {
            let language_name = language_name(&state, &p.doc.language);
            let name = page.t2("cxc-cohort-default-name", &capacity_label, &language_name);
            Shown {
                members: p.doc.members.iter().cloned().zip(p.member_names).collect(),
                facilitators: p
                    .doc
                    .facilitators
                    .iter()
                    .cloned()
                    .zip(p.facilitator_names)
                    .collect(),
                language_name,
                name,
                p: p.doc,
            }
        })
        .collect();
    let directory = state.directory();
    Ok(render(&ProposalsTemplate {
        page,
        capacity,
        capacity_label,
        proposals: shown,
        choices: choices(&state, &directory, ctx.lang),
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "cohort_new.html")]
struct NewTemplate {
    page: Page,
    f: FormFields,
    errors: FieldErrors,
    choices: Choices,
    organizations: Vec<(String, String)>,
    regions: Vec<&'static str>,
    /// Upcoming events: id and title.
    events: Vec<(String, String)>,
}

async fn new_form(
    state: &AppState,
    ctx: &RequestContext,
    account: &Account,
    f: FormFields,
    errors: &[crate::error::FieldError],
) -> Result<String, AppError> {
    let directory = state.directory();
    let choices = choices(state, &directory, ctx.lang);
    let page = Page::new(state, ctx, "cxc-cohort-new-title");
    let mut shown = FieldErrors::default();
    for e in errors {
        shown.add(&page, &e.field, e.key);
    }
    let events = crate::db::events::upcoming(state.db.pool(), state.clock.unix())
        .await?
        .into_iter()
        .take(100)
        .map(|e| (e.id.to_string(), e.event.title))
        .collect();
    Ok(render(&NewTemplate {
        organizations: crate::http::posts::speaking_for(state, account, &choices).await?,
        choices,
        page,
        f,
        errors: shown,
        regions: Region::ALL.iter().map(|r| r.code()).collect(),
        events,
    })?
    .0)
}

pub async fn new_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<CapacityQuery>,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(sign_in("/cohorts/new"));
    };
    let f = FormFields(
        q.capacity
            .map(|c| ("capacity".to_owned(), c))
            .into_iter()
            .collect(),
    );
    Ok(axum::response::Html(new_form(&state, &ctx, account, f, &[]).await?).into_response())
}

/// Usernames from repeated fields (a proposal's buttons) and from a box of names, one per
/// line (the form by hand): usernames may hold spaces and commas.
fn usernames(f: &FormFields, one: &str, box_name: &str) -> Vec<String> {
    let mut names = f.all(one);
    names.extend(
        f.one(box_name)
            .lines()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
    );
    names
}

pub async fn create_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let draft = CohortDraft {
        name: f.one("name"),
        description: f.one("description"),
        capacity: f.one("capacity"),
        language: f.get("language"),
        region: f.get("region"),
        organization: f.get("organization"),
    };
    let invitations = Invitations {
        members: usernames(&f, "member", "members"),
        facilitators: usernames(&f, "facilitator", "facilitators"),
    };
    let events: Vec<i64> = f
        .all("event")
        .iter()
        .filter_map(|e| e.trim().parse().ok())
        .collect();
    match cohorts::create(&state, account, draft, &invitations, &events).await {
        Ok(id) => Ok(Redirect::to(&format!("/cohorts/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::response::Html(new_form(&state, &ctx, account, f, &errors).await?),
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "cohort.html")]
struct CohortTemplate {
    page: Page,
    d: CohortDoc,
    capacity_label: String,
    language_name: Option<String>,
    organization_name: Option<String>,
    messages: Vec<CohortMessageDoc>,
    statuses: &'static [Status],
    errors: FieldErrors,
    /// What the last form said, when it comes back with an error.
    f: FormFields,
}

async fn page(
    state: &AppState,
    ctx: &RequestContext,
    account: &Account,
    id: i64,
    f: FormFields,
    errors: &[crate::error::FieldError],
) -> Result<String, AppError> {
    let c = cohorts::load(state, id).await?;
    let d = doc(state, &c, account).await?;
    let messages = if d.in_thread {
        thread(state, &c, account).await?
    } else {
        Vec::new()
    };
    let organization_name = d.organization.as_deref().and_then(|o| {
        state
            .directory()
            .organization(o)
            .map(|x| x.name(ctx.lang).to_owned())
    });
    let mut page = Page::new(state, ctx, "cxc-cohorts-title");
    page.title.clone_from(&d.name);
    let mut shown = FieldErrors::default();
    for e in errors {
        shown.add(&page, &e.field, e.key);
    }
    Ok(render(&CohortTemplate {
        capacity_label: label(state, &d.capacity, ctx.lang),
        language_name: d.language.as_deref().map(|l| language_name(state, l)),
        organization_name,
        messages,
        statuses: Status::ALL,
        errors: shown,
        f,
        page,
        d,
    })?
    .0)
}

pub async fn cohort_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(sign_in(&format!("/cohorts/{id}")));
    };
    Ok(
        axum::response::Html(page(&state, &ctx, account, id, FormFields(Vec::new()), &[]).await?)
            .into_response(),
    )
}

/// After a form on the cohort page: back to it, or the page again with what was wrong.
async fn back(
    state: &AppState,
    ctx: &RequestContext,
    account: &Account,
    id: i64,
    f: FormFields,
    done: Result<(), AppError>,
    anchor: &str,
) -> Result<Response, AppError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/cohorts/{id}#{anchor}")).into_response()),
        Err(AppError::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::response::Html(page(state, ctx, account, id, f, &errors).await?),
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

pub async fn answer_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let done = cohorts::answer(&state, account, id, &f.one("action"))
        .await
        .map(|_| ());
    back(&state, &ctx, account, id, f, done, "members").await
}

pub async fn invite_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let invitations = Invitations {
        members: usernames(&f, "member", "members"),
        facilitators: usernames(&f, "facilitator", "facilitators"),
    };
    let done = cohorts::invite(&state, account, id, &invitations)
        .await
        .map(|_| ());
    back(&state, &ctx, account, id, f, done, "members").await
}

pub async fn status_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let done = cohorts::set_status(&state, account, id, &f.one("status")).await;
    back(&state, &ctx, account, id, f, done, "status").await
}

pub async fn message_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let done = cohorts::write(&state, account, id, &f.one("body")).await;
    back(&state, &ctx, account, id, f, done, "thread").await
}
