//! Curating the taxonomy: admins add, rename, translate, move, merge and retire capacities and
//! decide on members' suggestions; members suggest new capacities.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::capacities::{TreeNode, tree};
use super::context::RequestContext;
use super::extract::{FormFields, Path};
use super::page::{FieldErrors, Page, render};
use crate::AppState;
use crate::db::catalog::{self, Suggestion};
use crate::directory::{CapacityStatus, Directory};
use crate::error::{AppError, FieldError};
use crate::state::Live;
use cxc_core::catalog::{CapacityDraft, Text};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/capacities/suggest",
            get(suggest_page).post(suggest_submit),
        )
        .route("/admin/capacities", get(admin_page).post(add_capacity))
        .route(
            "/admin/capacities/{key}",
            get(capacity_edit_page).post(capacity_edit_submit),
        )
        .route("/admin/capacities/{key}/retire", post(retire))
        .route("/admin/capacities/{key}/merge", post(merge))
        .route("/admin/suggestions/{id}/accept", post(accept_suggestion))
        .route("/admin/suggestions/{id}/reject", post(reject_suggestion))
}

fn require_admin(ctx: &RequestContext) -> Result<(), AppError> {
    if ctx.require_account()?.is_admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("cxc-error-admin-only"))
    }
}

/// Every capacity with its status, for the admin list.
pub struct AdminRow {
    pub key: String,
    pub label: String,
    pub depth: usize,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "admin_capacities.html")]
struct AdminTemplate {
    page: Page,
    rows: Vec<AdminRow>,
    parents: Vec<(String, String)>,
    suggestions: Vec<Suggestion>,
    languages: Vec<&'static str>,
    errors: FieldErrors,
    values: BTreeMap<String, String>,
}

fn parents(directory: &Directory, lang: &str) -> Vec<(String, String)> {
    directory
        .active_capacities()
        .filter(|c| directory.taxonomy().depth(&c.key).unwrap_or(3) < 3)
        .map(|c| {
            let indent = if c.parent.is_some() {
                "\u{a0}\u{a0}"
            } else {
                ""
            };
            (c.key.clone(), format!("{indent}{}", c.label(lang)))
        })
        .collect()
}

fn admin_rows(directory: &Directory, lang: &str) -> Vec<AdminRow> {
    fn walk(nodes: &[TreeNode], depth: usize, out: &mut Vec<AdminRow>) {
        for n in nodes {
            out.push(AdminRow {
                key: n.key.clone(),
                label: n.label.clone(),
                depth,
                status: "active",
            });
            walk(&n.children, depth + 1, out);
        }
    }
    let mut rows = Vec::new();
    walk(&tree(directory, lang), 1, &mut rows);
    for c in directory.capacities() {
        let status = match c.status {
            CapacityStatus::Active => continue,
            CapacityStatus::Retired => "retired",
            CapacityStatus::Merged(_) => "merged",
        };
        rows.push(AdminRow {
            key: c.key.clone(),
            label: c.label(lang).to_owned(),
            depth: 1,
            status,
        });
    }
    rows
}

async fn admin_view(
    state: &AppState,
    ctx: &RequestContext,
    errors: FieldErrors,
    values: BTreeMap<String, String>,
) -> Result<AdminTemplate, AppError> {
    let directory = state.refresh_directory().await?;
    Ok(AdminTemplate {
        rows: admin_rows(&directory, ctx.lang),
        parents: parents(&directory, ctx.lang),
        suggestions: catalog::pending_suggestions(state.db.pool()).await?,
        languages: state.i18n.ui_languages().iter().map(|l| l.code).collect(),
        page: Page::new(state, ctx, "cxc-admin-capacities-title"),
        errors,
        values,
    })
}

async fn admin_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    require_admin(&ctx)?;
    Ok(
        render(&admin_view(&state, &ctx, FieldErrors::default(), BTreeMap::new()).await?)?
            .into_response(),
    )
}

/// Texts per language from `label_xx` / `description_xx` fields.
fn texts(state: &AppState, f: &FormFields) -> BTreeMap<String, Text> {
    state
        .i18n
        .ui_languages()
        .iter()
        .map(|lang| {
            let text = Text {
                label: f.one(&format!("label_{}", lang.code)),
                description: f.one(&format!("description_{}", lang.code)),
            };
            (lang.code.to_owned(), text)
        })
        .filter(|(_, text)| !text.label.is_empty() || !text.description.is_empty())
        .collect()
}

/// Validates a capacity draft against the live directory and writes it in one transaction.
async fn save_capacity(
    state: &AppState,
    draft: CapacityDraft,
    creating: bool,
) -> Result<(), Vec<FieldError>> {
    let directory = state.directory();
    if creating && directory.capacity(draft.key.trim()).is_some() {
        return Err(vec![FieldError {
            field: "key".into(),
            key: "cxc-error-key-taken",
        }]);
    }
    let reference = Live {
        state,
        directory: &directory,
    };
    let capacity = draft.validate(&reference, directory.taxonomy())?;
    let write = async {
        let mut tx = state.db.begin_write().await?;
        catalog::save_capacity(&mut tx, &capacity, &*directory, None).await?;
        tx.commit().await?;
        crate::read_model::sync(state).await?;
        Ok::<(), AppError>(())
    };
    write.await.map_err(|e| match e {
        AppError::Invalid(errors) => errors,
        e => {
            tracing::error!(error = %e, "saving a capacity failed");
            vec![FieldError {
                field: "key".into(),
                key: "cxc-error-internal",
            }]
        }
    })
}

/// The form field a draft's error belongs to: `labels[fr]` is the field `label_fr`.
fn form_field(field: &str) -> String {
    match field
        .strip_prefix("labels[")
        .and_then(|f| f.strip_suffix(']'))
    {
        Some(lang) => format!("label_{lang}"),
        None => field.to_owned(),
    }
}

fn show_errors(page: &Page, errors: &[FieldError]) -> FieldErrors {
    let mut shown = FieldErrors::default();
    for e in errors {
        shown.add(page, &form_field(&e.field), e.key);
    }
    shown
}

async fn add_capacity(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    require_admin(&ctx)?;
    let f = FormFields::parse(&body)?;
    let draft = CapacityDraft {
        key: f.one("key"),
        parent: Some(f.one("parent")),
        texts: texts(&state, &f),
        qid: Some(f.one("qid")),
    };
    let errors = save_capacity(&state, draft, true)
        .await
        .err()
        .unwrap_or_default();
    if errors.is_empty() {
        return Ok(Redirect::to("/admin/capacities").into_response());
    }
    let page = Page::new(&state, &ctx, "cxc-admin-capacities-title");
    let shown = show_errors(&page, &errors);
    let values = f.0.into_iter().collect();
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        render(&admin_view(&state, &ctx, shown, values).await?)?,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "admin_capacity.html")]
struct CapacityEditTemplate {
    page: Page,
    key: String,
    label: String,
    parent: String,
    qid: String,
    texts: Vec<(&'static str, String, String, String)>,
    parents: Vec<(String, String)>,
    targets: Vec<(String, String)>,
    has_children: bool,
    errors: FieldErrors,
}

async fn capacity_edit_view(
    state: &AppState,
    ctx: &RequestContext,
    key: &str,
    errors: FieldErrors,
) -> Result<CapacityEditTemplate, AppError> {
    let directory = state.refresh_directory().await?;
    let c = directory
        .capacity(key)
        .filter(|c| c.is_active())
        .ok_or(AppError::NotFound)?;
    Ok(CapacityEditTemplate {
        key: c.key.clone(),
        label: c.label(ctx.lang).to_owned(),
        parent: c.parent.clone().unwrap_or_default(),
        qid: c.qid.clone().unwrap_or_default(),
        texts: state
            .i18n
            .ui_languages()
            .iter()
            .map(|l| {
                let Text { label, description } = c.texts.get(l.code).cloned().unwrap_or_default();
                (l.code, l.autonym.clone(), label, description)
            })
            .collect(),
        parents: parents(&directory, ctx.lang)
            .into_iter()
            .filter(|(k, _)| k != key)
            .collect(),
        targets: directory
            .active_capacities()
            .filter(|t| t.key != key)
            .map(|t| (t.key.clone(), t.label(ctx.lang).to_owned()))
            .collect(),
        has_children: !directory.taxonomy().children(key).is_empty(),
        page: Page::new(state, ctx, "cxc-admin-capacity-title"),
        errors,
    })
}

async fn capacity_edit_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    require_admin(&ctx)?;
    Ok(
        render(&capacity_edit_view(&state, &ctx, &key, FieldErrors::default()).await?)?
            .into_response(),
    )
}

/// Renames, translates, moves a capacity or sets its Wikidata item.
async fn capacity_edit_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    require_admin(&ctx)?;
    let f = FormFields::parse(&body)?;
    let directory = state.refresh_directory().await?;
    let c = directory
        .capacity(&key)
        .filter(|c| c.is_active())
        .ok_or(AppError::NotFound)?;
    let draft = CapacityDraft {
        key: key.clone(),
        parent: Some(f.one("parent")),
        texts: texts(&state, &f),
        qid: Some(f.one("qid")),
    };
    if let Err(errors) = save_capacity(&state, draft, false).await {
        let page = Page::new(&state, &ctx, "cxc-admin-capacity-title");
        let shown = show_errors(&page, &errors);
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&capacity_edit_view(&state, &ctx, &key, shown).await?)?,
        )
            .into_response());
    }
    Ok(Redirect::to(&format!("/capacities/{}", c.slug)).into_response())
}

/// Retires a capacity: its holders move to its parent, and its page redirects there.
async fn retire(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    require_admin(&ctx)?;
    let directory = state.refresh_directory().await?;
    let c = directory
        .capacity(&key)
        .filter(|c| c.is_active())
        .ok_or(AppError::NotFound)?;
    if !directory.taxonomy().children(&key).is_empty() {
        return Err(AppError::Conflict("cxc-error-capacity-has-children"));
    }
    let parent = c
        .parent
        .as_deref()
        .and_then(|p| directory.capacity(p))
        .map(|p| p.id);
    let mut tx = state.db.begin_write().await?;
    catalog::move_holders(&mut tx, c.id, parent).await?;
    catalog::set_status(&mut tx, c.id, "retired", None).await?;
    tx.commit().await?;
    crate::read_model::sync(&state).await?;
    Ok(Redirect::to("/admin/capacities").into_response())
}

/// Merges a capacity into another: holders move, old links redirect.
async fn merge(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    require_admin(&ctx)?;
    let f = FormFields::parse(&body)?;
    let directory = state.refresh_directory().await?;
    let c = directory
        .capacity(&key)
        .filter(|c| c.is_active())
        .ok_or(AppError::NotFound)?;
    let target = directory
        .capacity(&f.one("into"))
        .filter(|t| t.is_active() && t.key != key)
        .ok_or(AppError::invalid("into", "cxc-error-unknown-capacity"))?;
    if !directory.taxonomy().children(&key).is_empty() {
        return Err(AppError::Conflict("cxc-error-capacity-has-children"));
    }
    let mut tx = state.db.begin_write().await?;
    catalog::move_holders(&mut tx, c.id, Some(target.id)).await?;
    catalog::set_status(&mut tx, c.id, "merged", Some(target.id)).await?;
    tx.commit().await?;
    crate::read_model::sync(&state).await?;
    Ok(Redirect::to(&format!("/capacities/{}", target.slug)).into_response())
}

#[derive(Template)]
#[template(path = "suggest.html")]
struct SuggestTemplate {
    page: Page,
    parents: Vec<(String, String)>,
    errors: FieldErrors,
    label: String,
    description: String,
    parent: String,
    sent: bool,
}

async fn suggest_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    if ctx.account.is_none() {
        return Ok(Redirect::to("/login?return=/capacities/suggest").into_response());
    }
    Ok(render(&SuggestTemplate {
        parents: parents(&state.directory(), ctx.lang),
        errors: FieldErrors::default(),
        label: String::new(),
        description: String::new(),
        parent: String::new(),
        sent: ctx.path.contains("sent=1"),
        page: Page::new(&state, &ctx, "cxc-suggest-title"),
    })?
    .into_response())
}

async fn suggest_submit(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    let account = ctx.require_account()?;
    let f = FormFields::parse(&body)?;
    let (label, description, parent) = (f.one("label"), f.one("description"), f.one("parent"));
    let directory = state.directory();
    let page = Page::new(&state, &ctx, "cxc-suggest-title");
    let mut errors = FieldErrors::default();
    if label.is_empty() {
        errors.add(&page, "label", "cxc-error-name-required");
    } else if label.chars().count() > 100 {
        errors.add(&page, "label", "cxc-error-too-long");
    }
    if description.chars().count() > 500 {
        errors.add(&page, "description", "cxc-error-too-long");
    }
    let parent_id = match parent.as_str() {
        "" => None,
        p => match directory.capacity(p).filter(|c| c.is_active()) {
            Some(c) => Some(c.id),
            None => {
                errors.add(&page, "parent", "cxc-error-unknown-capacity");
                None
            }
        },
    };
    if errors.is_empty() {
        catalog::add_suggestion(
            state.db.pool(),
            account.id,
            parent_id,
            ctx.lang,
            &label,
            &description,
        )
        .await?;
        return Ok(Redirect::to("/capacities/suggest?sent=1").into_response());
    }
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        render(&SuggestTemplate {
            parents: parents(&directory, ctx.lang),
            errors,
            label,
            description,
            parent,
            sent: false,
            page,
        })?,
    )
        .into_response())
}

/// Accepts a suggestion as a new capacity, under the key and parent the admin chose.
async fn accept_suggestion(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    require_admin(&ctx)?;
    let f = FormFields::parse(&body)?;
    let suggestion = catalog::pending_suggestions(state.db.pool())
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NotFound)?;
    let mut texts = BTreeMap::from([(
        suggestion.lang.clone(),
        Text {
            label: suggestion.label.clone(),
            description: suggestion.description.clone(),
        },
    )]);
    let english = f.one("label_en");
    if !english.is_empty() {
        texts.insert(
            "en".to_owned(),
            Text {
                label: english,
                description: f.one("description_en"),
            },
        );
    }
    let draft = CapacityDraft {
        key: f.one("key"),
        parent: Some(f.one("parent"))
            .filter(|p| !p.is_empty())
            .or(suggestion.parent.clone()),
        texts,
        qid: None,
    };
    save_capacity(&state, draft, true)
        .await
        .map_err(AppError::Invalid)?;
    let mut tx = state.db.begin_write().await?;
    catalog::decide_suggestion(&mut tx, id, true).await?;
    tx.commit().await?;
    Ok(Redirect::to("/admin/capacities").into_response())
}

async fn reject_suggestion(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    require_admin(&ctx)?;
    let mut tx = state.db.begin_write().await?;
    let done = catalog::decide_suggestion(&mut tx, id, false).await?;
    tx.commit().await?;
    if !done {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/admin/capacities").into_response())
}
