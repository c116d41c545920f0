//! The board's pages: the list with its filters (every filter state is a URL), one post with
//! who could help, and the form to post or edit — all without JavaScript.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxc_core::board::{Facet, Listed};
use cxc_core::post::{PostDraft, PostKind, default_expiry};
use cxc_core::profile::format_date;

use super::listing::{self, PostList};
use super::save::{Action, draft_of, save_post};
use super::{PostDoc, may_edit, post_doc, speaking_for, visible_post};
use crate::AppState;
use crate::db::accounts::Account;
use crate::error::AppError;
use crate::http::choices::{Choices, choices};
use crate::http::context::RequestContext;
use crate::http::extract::{FormFields, Path};
use crate::http::matches::MatchItem;
use crate::http::page::{FieldErrors, Page, render};
use crate::http::search::{FacetView, Params};

#[derive(Template)]
#[template(path = "posts.html")]
struct ListTemplate {
    page: Page,
    list: PostList,
    facets: Vec<FacetView>,
    q: String,
    kind: String,
    capacity_groups: Vec<(String, Vec<(String, String)>)>,
    selected_capacity: String,
    active: Vec<(String, String, String)>,
    next: Option<String>,
    error: Option<String>,
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(raw.as_deref())?;
    let page = Page::new(&state, &ctx, "cxc-posts-title");
    let viewer = ctx.account.as_ref();
    let (list, error) = match listing::run(&state, &params, viewer, ctx.lang) {
        Ok(list) => (list, None),
        Err(AppError::Invalid(errors)) => {
            let message = errors.first().map(|e| page.t(e.key));
            (
                listing::run(&state, &Params::default(), viewer, ctx.lang)?,
                message,
            )
        }
        Err(e) => return Err(e),
    };
    let mut active = Vec::new();
    let facets = Facet::ALL
        .iter()
        .filter_map(|facet| {
            let name = facet.name();
            let values = list.facets.get(name)?;
            let chosen = params.all(name);
            for v in values.iter().filter(|v| chosen.contains(&&*v.value)) {
                active.push((
                    v.label.to_string(),
                    params.toggled("/posts", name, &v.value),
                    name.to_owned(),
                ));
            }
            Some(FacetView {
                name,
                values: values
                    .iter()
                    .take(12)
                    .map(|v| {
                        (
                            v.label.to_string(),
                            v.count.unwrap_or(0),
                            params.toggled("/posts", name, &v.value),
                            chosen.contains(&&*v.value),
                        )
                    })
                    .collect(),
            })
        })
        .filter(|f| !f.values.is_empty())
        .collect();
    let directory = state.directory();
    Ok(render(&ListTemplate {
        next: list
            .next_cursor
            .as_deref()
            .map(|c| params.with_cursor("/posts", c)),
        q: params.one("q").unwrap_or_default().to_owned(),
        kind: params.one("kind").unwrap_or_default().to_owned(),
        selected_capacity: params.one("capacity").unwrap_or_default().to_owned(),
        capacity_groups: choices(&state, &directory, ctx.lang).capacity_groups,
        active,
        facets,
        list,
        error,
        page,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostTemplate {
    page: Page,
    post: PostDoc,
    country: Option<String>,
    languages: Vec<String>,
    helpers: Vec<MatchItem>,
    can_edit: bool,
    /// Signed in and not the author: may answer the post with a request.
    can_help: bool,
    /// The author, who may ask a suggested helper directly.
    can_request: bool,
    saved: Option<bool>,
    save_kind: &'static str,
    save_key: String,
}

pub(super) async fn post_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let viewer = ctx.account.as_ref();
    let listed = visible_post(&state, viewer, id)?;
    let directory = state.directory();
    let can_edit = match viewer {
        Some(a) => may_edit(&state, &directory, a, &listed).await?,
        None => false,
    };
    let post = {
        let read = state.read_model();
        post_doc(&state, &directory, &read.model, &listed, ctx.lang)
    };
    let mut page = Page::new(&state, &ctx, "cxc-posts-title");
    page.title = post.title.clone();
    let saved = match viewer {
        Some(a) => {
            Some(crate::db::saved::is_saved(&state.db, a.id, "post", &id.to_string()).await?)
        }
        None => None,
    };
    Ok(render(&PostTemplate {
        saved,
        save_kind: "post",
        save_key: id.to_string(),
        helpers: super::helpers::helpers(&state, viewer, &listed, 10, ctx.lang),
        country: post
            .country
            .as_deref()
            .map(|c| state.reference.country_name(c, ctx.lang)),
        languages: post
            .languages
            .iter()
            .map(|l| state.i18n.autonym(l).unwrap_or(l).to_owned())
            .collect(),
        can_help: viewer.is_some_and(|v| v.id != listed.author) && post.status == "open",
        can_request: viewer.is_some_and(|v| v.id == listed.author),
        can_edit,
        post,
        page,
    })?
    .into_response())
}

/// What the post form shows.
#[derive(Default)]
pub struct PostForm {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub capacities: Vec<String>,
    pub languages: Vec<String>,
    pub country: String,
    pub online: bool,
    pub methods: Vec<String>,
    pub organization: String,
    pub expires_at: String,
}

impl PostForm {
    fn from_body(body: &Bytes) -> Result<PostForm, AppError> {
        let f = FormFields::parse(body)?;
        Ok(PostForm {
            kind: f.one("kind"),
            title: f.one("title"),
            body: f.one("body"),
            capacities: f.all("capacity"),
            languages: f.all("language"),
            country: f.one("country"),
            online: f.get("online").is_some(),
            methods: f.all("method"),
            organization: f.one("organization"),
            expires_at: f.one("expires_at"),
        })
    }

    fn of(p: &Listed) -> PostForm {
        PostForm {
            kind: p.kind.as_str().to_owned(),
            title: p.title.clone(),
            body: p.body.clone(),
            capacities: p.capacities.clone(),
            languages: p.languages.clone(),
            country: p.country.clone().unwrap_or_default(),
            online: p.online,
            methods: p.methods.iter().map(|m| m.as_str().to_owned()).collect(),
            organization: p.organization.clone().unwrap_or_default(),
            expires_at: format_date(p.expires_on),
        }
    }

    /// The draft this form submits; an edit keeps the post's status.
    fn draft(&self, existing: Option<&Listed>) -> PostDraft {
        PostDraft {
            kind: self.kind.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            capacities: self.capacities.clone(),
            languages: self.languages.clone(),
            country: Some(self.country.clone()),
            online: self.online,
            methods: self.methods.clone(),
            organization: Some(self.organization.clone()),
            expires_on: Some(self.expires_at.clone()),
            status: existing.map(|e| e.status.as_str().to_owned()),
            kept_expiry: existing.map(|e| e.expires_on),
        }
    }

    pub fn has(&self, list: &[String], value: &str) -> bool {
        list.iter().any(|v| v == value)
    }
}

#[derive(Template)]
#[template(path = "post_edit.html")]
struct EditTemplate {
    page: Page,
    form: PostForm,
    errors: FieldErrors,
    choices: Choices,
    /// Organizations the person may post for.
    organizations: Vec<(String, String)>,
    kinds: &'static [PostKind],
    /// The post being edited; none for a new one.
    id: Option<i64>,
    has_profile: bool,
}

async fn edit_form(
    state: &AppState,
    ctx: &RequestContext,
    account: &Account,
    form: PostForm,
    errors: &[crate::error::FieldError],
    id: Option<i64>,
) -> Result<String, AppError> {
    let directory = state.directory();
    let page = Page::new(
        state,
        ctx,
        if id.is_some() {
            "cxc-post-edit-title"
        } else {
            "cxc-post-new-title"
        },
    );
    let mut shown = FieldErrors::default();
    for e in errors {
        shown.add(&page, e.field.split('[').next().unwrap_or(&e.field), e.key);
    }
    let choices = choices(state, &directory, ctx.lang);
    let html = render(&EditTemplate {
        organizations: speaking_for(state, account, &choices).await?,
        has_profile: state.read_model().model.slot_of(account.id).is_some(),
        kinds: PostKind::ALL,
        choices,
        errors: shown,
        form,
        id,
        page,
    })?;
    Ok(html.0)
}

pub(super) async fn new_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/posts/new").into_response());
    };
    let form = PostForm {
        kind: PostKind::Ask.as_str().to_owned(),
        online: true,
        expires_at: format_date(default_expiry(state.clock.today())),
        ..PostForm::default()
    };
    let html = edit_form(&state, &ctx, account, form, &[], None).await?;
    Ok(axum::response::Html(html).into_response())
}

pub(super) async fn create_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let form = PostForm::from_body(&body)?;
    match save_post(&state, account, None, form.draft(None), Vec::new()).await {
        Ok(saved) => Ok(Redirect::to(&format!("/posts/{}", saved.id)).into_response()),
        Err(AppError::Invalid(errors)) => {
            let html = edit_form(&state, &ctx, account, form, &errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(html)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// The post, when `account` may edit it.
async fn editable(state: &AppState, account: &Account, id: i64) -> Result<Listed, AppError> {
    let listed = visible_post(state, Some(account), id)?;
    if !may_edit(state, &state.directory(), account, &listed).await? {
        return Err(AppError::Forbidden("cxc-error-not-post-owner"));
    }
    Ok(listed)
}

pub(super) async fn edit_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to(&format!("/login?return=/posts/{id}/edit")).into_response());
    };
    let listed = editable(&state, account, id).await?;
    let html = edit_form(&state, &ctx, account, PostForm::of(&listed), &[], Some(id)).await?;
    Ok(axum::response::Html(html).into_response())
}

pub(super) async fn edit_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let listed = editable(&state, account, id).await?;
    let form = PostForm::from_body(&body)?;
    let draft = form.draft(Some(&listed));
    match save_post(&state, account, Some(&listed), draft, Vec::new()).await {
        Ok(saved) => Ok(Redirect::to(&format!("/posts/{}", saved.id)).into_response()),
        Err(AppError::Invalid(errors)) => {
            let html = edit_form(&state, &ctx, account, form, &errors, Some(id)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(html)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Close, reopen, mark in progress or renew, from the post's page.
pub(super) async fn status_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let listed = editable(&state, account, id).await?;
    let action = FormFields::parse(&body)?
        .get("action")
        .and_then(|v| Action::parse(&v))
        .ok_or(AppError::BadRequest("cxc-error-bad-form"))?;
    let mut draft = draft_of(&listed);
    action.apply(&mut draft, &state);
    save_post(&state, account, Some(&listed), draft, Vec::new()).await?;
    Ok(Redirect::to(&format!("/posts/{id}")).into_response())
}
