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
use super::extract::Path;
use super::page::{FieldErrors, Page, render};
use crate::db::catalog::{self, CapacityWrite, Suggestion};
use crate::directory::{CapacityStatus, Directory, slugify};
use crate::error::{AppError, FieldError};
use crate::state::AppState;

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

fn pairs(body: &Bytes) -> Result<Vec<(String, String)>, AppError> {
    serde_urlencoded::from_bytes(body).map_err(|_| AppError::BadRequest("cxc-error-bad-form"))
}

fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
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

/// Texts per language from `label_xx` / `description_xx` fields; English is required.
fn texts(
    state: &AppState,
    pairs: &[(String, String)],
    errors: &mut Vec<FieldError>,
) -> BTreeMap<String, (String, String)> {
    let mut texts = BTreeMap::new();
    for lang in state.i18n.ui_languages() {
        let label = field(pairs, &format!("label_{}", lang.code));
        let description = field(pairs, &format!("description_{}", lang.code));
        if label.chars().count() > 100 || description.chars().count() > 500 {
            errors.push(FieldError {
                field: format!("label_{}", lang.code),
                key: "cxc-error-too-long",
            });
        }
        if !label.is_empty() {
            texts.insert(lang.code.to_owned(), (label, description));
        }
    }
    if !texts.contains_key("en") {
        errors.push(FieldError {
            field: "label_en".into(),
            key: "cxc-error-english-label-required",
        });
    }
    texts
}

/// Adds a capacity, either from the admin form or from an accepted suggestion.
async fn create_capacity(
    state: &AppState,
    key: &str,
    parent: Option<&str>,
    texts: &BTreeMap<String, (String, String)>,
    qid: Option<&str>,
) -> Result<(), Vec<FieldError>> {
    let directory = state.directory();
    let fail = |field: &str, key: &'static str| {
        vec![FieldError {
            field: field.into(),
            key,
        }]
    };
    if key.is_empty()
        || key.len() > 64
        || !key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(fail("key", "cxc-error-invalid-key"));
    }
    if directory.capacity(key).is_some() {
        return Err(fail("key", "cxc-error-key-taken"));
    }
    let mut shape = directory.taxonomy().clone();
    if let Err(e) = shape.insert(key, parent) {
        return Err(fail("parent", e.0));
    }
    if qid.is_some_and(|q| !cxc_core::capacity::is_qid(q)) {
        return Err(fail("qid", "cxc-error-invalid-qid"));
    }
    let parent_id = parent.and_then(|p| directory.capacity(p)).map(|c| c.id);
    let english = texts.get("en").map(|t| t.0.clone()).unwrap_or_default();
    let write = async {
        let mut tx = state.db.begin_write().await?;
        let base = slugify(&english);
        let mut slug = base.clone();
        let mut n = 2;
        while catalog::slug_taken(&mut tx, &slug).await? {
            slug = format!("{base}-{n}");
            n += 1;
        }
        catalog::upsert_capacity(
            &mut tx,
            CapacityWrite {
                key,
                slug: &slug,
                parent_id,
                qid,
                texts,
                replace_texts: true,
                content_hash: None,
            },
        )
        .await?;
        tx.commit().await?;
        crate::read_model::sync(state).await?;
        Ok::<(), AppError>(())
    };
    write.await.map_err(|e| {
        tracing::error!(error = %e, "adding a capacity failed");
        fail("key", "cxc-error-internal")
    })
}

fn show_errors(page: &Page, errors: &[FieldError]) -> FieldErrors {
    let mut shown = FieldErrors::default();
    for e in errors {
        shown.add(page, &e.field, e.key);
    }
    shown
}

async fn add_capacity(
    State(state): State<AppState>,
    ctx: RequestContext,
    body: Bytes,
) -> Result<Response, AppError> {
    require_admin(&ctx)?;
    let pairs = pairs(&body)?;
    let mut errors = Vec::new();
    let texts = texts(&state, &pairs, &mut errors);
    let key = field(&pairs, "key");
    let parent = Some(field(&pairs, "parent")).filter(|p| !p.is_empty());
    let qid = Some(field(&pairs, "qid")).filter(|q| !q.is_empty());
    if errors.is_empty()
        && let Err(more) =
            create_capacity(&state, &key, parent.as_deref(), &texts, qid.as_deref()).await
    {
        errors = more;
    }
    if errors.is_empty() {
        return Ok(Redirect::to("/admin/capacities").into_response());
    }
    let page = Page::new(&state, &ctx, "cxc-admin-capacities-title");
    let shown = show_errors(&page, &errors);
    let values = pairs.into_iter().collect();
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
                let (label, description) = c.texts.get(l.code).cloned().unwrap_or_default();
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
    let pairs = pairs(&body)?;
    let directory = state.refresh_directory().await?;
    let c = directory
        .capacity(&key)
        .filter(|c| c.is_active())
        .ok_or(AppError::NotFound)?;
    let mut errors = Vec::new();
    let texts = texts(&state, &pairs, &mut errors);
    let parent = Some(field(&pairs, "parent")).filter(|p| !p.is_empty());
    if let Err(e) = directory.taxonomy().can_move(&key, parent.as_deref()) {
        errors.push(FieldError {
            field: "parent".into(),
            key: e.0,
        });
    }
    let qid = Some(field(&pairs, "qid")).filter(|q| !q.is_empty());
    if qid
        .as_deref()
        .is_some_and(|q| !cxc_core::capacity::is_qid(q))
    {
        errors.push(FieldError {
            field: "qid".into(),
            key: "cxc-error-invalid-qid",
        });
    }
    if !errors.is_empty() {
        let page = Page::new(&state, &ctx, "cxc-admin-capacity-title");
        let shown = show_errors(&page, &errors);
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&capacity_edit_view(&state, &ctx, &key, shown).await?)?,
        )
            .into_response());
    }
    let parent_id = parent
        .as_deref()
        .and_then(|p| directory.capacity(p))
        .map(|p| p.id);
    let mut tx = state.db.begin_write().await?;
    catalog::upsert_capacity(
        &mut tx,
        CapacityWrite {
            key: &key,
            slug: &c.slug,
            parent_id,
            qid: qid.as_deref(),
            texts: &texts,
            replace_texts: true,
            content_hash: None,
        },
    )
    .await?;
    tx.commit().await?;
    crate::read_model::sync(&state).await?;
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
    let pairs = pairs(&body)?;
    let directory = state.refresh_directory().await?;
    let c = directory
        .capacity(&key)
        .filter(|c| c.is_active())
        .ok_or(AppError::NotFound)?;
    let target = directory
        .capacity(&field(&pairs, "into"))
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
    let pairs = pairs(&body)?;
    let (label, description, parent) = (
        field(&pairs, "label"),
        field(&pairs, "description"),
        field(&pairs, "parent"),
    );
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
    let pairs = pairs(&body)?;
    let suggestion = catalog::pending_suggestions(state.db.pool())
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NotFound)?;
    let mut texts = BTreeMap::new();
    let english = field(&pairs, "label_en");
    texts.insert(
        suggestion.lang.clone(),
        (suggestion.label.clone(), suggestion.description.clone()),
    );
    if !english.is_empty() {
        texts.insert("en".to_owned(), (english, field(&pairs, "description_en")));
    }
    if !texts.contains_key("en") {
        return Err(AppError::invalid(
            "label_en",
            "cxc-error-english-label-required",
        ));
    }
    let key = field(&pairs, "key");
    let parent = Some(field(&pairs, "parent"))
        .filter(|p| !p.is_empty())
        .or(suggestion.parent.clone());
    create_capacity(&state, &key, parent.as_deref(), &texts, None)
        .await
        .map_err(AppError::Invalid)?;
    let mut tx = state.db.begin_write().await?;
    catalog::decide_suggestion(&mut tx, id, "accepted").await?;
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
    let done = catalog::decide_suggestion(&mut tx, id, "rejected").await?;
    tx.commit().await?;
    if !done {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/admin/capacities").into_response())
}
