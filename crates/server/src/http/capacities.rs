//! The capacity taxonomy: browse pages, the JSON API and the SKOS publication.

use std::fmt::Write as _;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use cxc_core::Relation;
use cxc_core::catalog::Text;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::RequestContext;
use super::extract::{Path, Query};
use super::page::{Page, render};
use super::search::{self, Params};
use crate::AppState;
use crate::db::catalog;
use crate::directory::{Capacity, CapacityStatus, Directory};
use crate::error::AppError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/capacities", get(tree_page))
        .route("/capacities/{slug}", get(capacity_page))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(list_capacities))
        .routes(routes!(skos_turtle))
        .routes(routes!(skos_json_ld))
}

/// One node of the tree as a page shows it.
pub struct TreeNode {
    pub key: String,
    pub slug: String,
    pub label: String,
    pub description: String,
    pub children: Vec<TreeNode>,
}

pub fn tree(directory: &Directory, lang: &str) -> Vec<TreeNode> {
    fn build(directory: &Directory, key: &str, lang: &str) -> Option<TreeNode> {
        let c = directory.capacity(key)?;
        Some(TreeNode {
            key: c.key.clone(),
            slug: c.slug.clone(),
            label: c.label(lang).to_owned(),
            description: c.description(lang).to_owned(),
            children: directory
                .taxonomy()
                .children(key)
                .into_iter()
                .filter_map(|k| build(directory, k, lang))
                .collect(),
        })
    }
    directory
        .taxonomy()
        .roots()
        .into_iter()
        .filter_map(|k| build(directory, k, lang))
        .collect()
}

#[derive(Template)]
#[template(path = "capacities.html")]
struct TreeTemplate {
    page: Page,
    areas: Vec<TreeNode>,
    count: usize,
}

async fn tree_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let directory = state.directory();
    Ok(render(&TreeTemplate {
        page: Page::new(&state, &ctx, "cxc-capacities-title"),
        areas: tree(&directory, ctx.lang),
        count: directory.taxonomy().len(),
    })?
    .into_response())
}

pub struct Link {
    pub slug: String,
    pub label: String,
}

fn link(c: &Capacity, lang: &str) -> Link {
    Link {
        slug: c.slug.clone(),
        label: c.label(lang).to_owned(),
    }
}

pub struct Holders {
    pub relation: &'static str,
    /// The search that lists them all (`offers`, `wants` or `knows`).
    pub filter: &'static str,
    pub people: u64,
    pub organizations: i64,
    pub sample: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "capacity.html")]
struct CapacityTemplate {
    page: Page,
    capacity: Link,
    key: String,
    description: String,
    qid: Option<String>,
    parent: Option<Link>,
    children: Vec<Link>,
    /// Whether the counts take in capacities under this one.
    includes_children: bool,
    holders: Vec<Holders>,
    signed_in: bool,
}

async fn capacity_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let directory = state.directory();
    let c = directory
        .capacity_by_slug(&slug)
        .or_else(|| directory.capacity(&slug))
        .ok_or(AppError::NotFound)?;
    // Old links keep working: a merged capacity sends to where it went, a retired one to its
    // parent (where its holders were moved).
    match &c.status {
        CapacityStatus::Merged(_) | CapacityStatus::Retired => {
            let target = match &c.status {
                CapacityStatus::Merged(_) => directory.resolve(&c.key),
                _ => c.parent.as_deref().and_then(|p| directory.resolve(p)),
            };
            let to = target.map_or_else(
                || "/capacities".to_owned(),
                |t| format!("/capacities/{}", t.slug),
            );
            return Ok(Redirect::permanent(&to).into_response());
        }
        CapacityStatus::Active if c.slug != slug => {
            return Ok(Redirect::permanent(&format!("/capacities/{}", c.slug)).into_response());
        }
        CapacityStatus::Active => {}
    }
    let signed_in = ctx.account.is_some();
    let subtree: Vec<i64> = directory
        .taxonomy()
        .subtree(&c.key)
        .into_iter()
        .filter_map(|k| directory.capacity(k).map(|d| d.id))
        .collect();
    let organizations = catalog::organizations_holding(state.db.pool(), &subtree).await?;
    let mut holders = Vec::new();
    for (relation, filter) in [
        (Relation::Offered, "offers"),
        (Relation::Wanted, "wants"),
        (Relation::Known, "knows"),
    ] {
        // The same search `/people?offers=KEY` runs, so the count here is the one search and its
        // facets show for this viewer (a capacity includes the ones under it).
        let params = Params {
            pairs: [
                (filter, c.key.as_str()),
                ("sort", "recent"),
                ("limit", "12"),
                ("facets", "none"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into(),
        };
        let found = search::run(&state, &params, signed_in, ctx.lang)?;
        holders.push(Holders {
            relation: relation.as_str(),
            filter,
            people: found.total,
            organizations: organizations.get(&relation).copied().unwrap_or(0),
            sample: found
                .items
                .into_iter()
                .map(|p| (p.username, p.display_name))
                .collect(),
        });
    }
    let lang = ctx.lang;
    let mut page = Page::new(&state, &ctx, "cxc-capacities-title");
    page.title = c.label(lang).to_owned();
    Ok(render(&CapacityTemplate {
        page,
        capacity: link(c, lang),
        key: c.key.clone(),
        description: c.description(lang).to_owned(),
        qid: c.qid.clone(),
        parent: c
            .parent
            .as_deref()
            .and_then(|p| directory.capacity(p))
            .map(|p| link(p, lang)),
        children: directory
            .taxonomy()
            .children(&c.key)
            .into_iter()
            .filter_map(|k| directory.capacity(k))
            .map(|k| link(k, lang))
            .collect(),
        includes_children: subtree.len() > 1,
        holders,
        signed_in,
    })?
    .into_response())
}

#[derive(Deserialize, IntoParams)]
struct LangQuery {
    /// Language of labels and descriptions (falls back through MediaWiki's chains to English).
    lang: Option<String>,
}

/// A capacity of the taxonomy.
#[derive(Serialize, ToSchema)]
pub struct CapacityDoc {
    /// Stable identifier, used in profiles, searches and the interchange format.
    id: String,
    /// The parent's id; null for one of the seven areas.
    parent: Option<String>,
    slug: String,
    /// Wikidata item, when one is known.
    qid: Option<String>,
    label: String,
    description: String,
    /// 1 for an area, 2 for a capacity, 3 for a specialisation.
    depth: usize,
}

/// Every active capacity, parents before children, labelled in the requested language.
#[utoipa::path(
    get,
    path = "/api/v1/capacities",
    tag = "taxonomy",
    params(LangQuery),
    responses((status = 200, description = "The taxonomy", body = [CapacityDoc]))
)]
async fn list_capacities(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<LangQuery>,
) -> Json<Vec<CapacityDoc>> {
    let lang = q.lang.as_deref().unwrap_or(ctx.lang);
    let directory = state.directory();
    Json(
        directory
            .active_capacities()
            .map(|c| CapacityDoc {
                id: c.key.clone(),
                parent: c.parent.clone(),
                slug: c.slug.clone(),
                qid: c.qid.clone(),
                label: c.label(lang).to_owned(),
                description: c.description(lang).to_owned(),
                depth: directory.taxonomy().depth(&c.key).unwrap_or(1),
            })
            .collect(),
    )
}

fn concept_uri(base: &str, c: &Capacity) -> String {
    format!("{base}/capacities/{}", c.key)
}

fn turtle_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The taxonomy as a SKOS concept scheme in Turtle.
#[utoipa::path(
    get,
    path = "/api/v1/capacities/skos.ttl",
    tag = "taxonomy",
    responses((status = 200, description = "SKOS in Turtle", content_type = "text/turtle", body = String))
)]
async fn skos_turtle(State(state): State<AppState>) -> Response {
    let base = &state.config.base_url;
    let directory = state.directory();
    let scheme = format!("{base}/capacities");
    let mut out = String::from(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n\n",
    );
    let _ = writeln!(
        out,
        "<{scheme}> a skos:ConceptScheme ;\n    skos:prefLabel \"Capacity Exchange taxonomy\"@en ;\n    dcterms:license <https://creativecommons.org/publicdomain/zero/1.0/> .\n"
    );
    for c in directory.active_capacities() {
        let _ = write!(
            out,
            "<{}> a skos:Concept ;\n    skos:inScheme <{scheme}> ;\n    skos:notation {}",
            concept_uri(base, c),
            turtle_string(&c.key)
        );
        for (lang, Text { label, description }) in &c.texts {
            let _ = write!(
                out,
                " ;\n    skos:prefLabel {}@{lang}",
                turtle_string(label)
            );
            if !description.is_empty() {
                let _ = write!(
                    out,
                    " ;\n    skos:definition {}@{lang}",
                    turtle_string(description)
                );
            }
        }
        match c.parent.as_deref().and_then(|p| directory.capacity(p)) {
            Some(parent) => {
                let _ = write!(out, " ;\n    skos:broader <{}>", concept_uri(base, parent));
            }
            None => {
                let _ = write!(out, " ;\n    skos:topConceptOf <{scheme}>");
            }
        }
        if let Some(qid) = &c.qid {
            let _ = write!(
                out,
                " ;\n    skos:exactMatch <http://www.wikidata.org/entity/{qid}>"
            );
        }
        out.push_str(" .\n\n");
    }
    ([(header::CONTENT_TYPE, "text/turtle; charset=utf-8")], out).into_response()
}

/// The taxonomy as a SKOS concept scheme in JSON-LD.
#[utoipa::path(
    get,
    path = "/api/v1/capacities/skos.jsonld",
    tag = "taxonomy",
    responses((status = 200, description = "SKOS in JSON-LD", content_type = "application/ld+json", body = Object))
)]
async fn skos_json_ld(State(state): State<AppState>) -> Response {
    let base = &state.config.base_url;
    let directory = state.directory();
    let scheme = format!("{base}/capacities");
    let mut graph = vec![serde_json::json!({
        "@id": scheme,
        "@type": "skos:ConceptScheme",
        "skos:prefLabel": {"@value": "Capacity Exchange taxonomy", "@language": "en"},
        "dcterms:license": {"@id": "https://creativecommons.org/publicdomain/zero/1.0/"},
    })];
    for c in directory.active_capacities() {
        let texts = |pick: fn(&Text) -> &String| -> Vec<serde_json::Value> {
            c.texts
                .iter()
                .filter(|(_, t)| !pick(t).is_empty())
                .map(|(lang, t)| serde_json::json!({"@value": pick(t), "@language": lang}))
                .collect()
        };
        let mut concept = serde_json::json!({
            "@id": concept_uri(base, c),
            "@type": "skos:Concept",
            "skos:inScheme": {"@id": scheme},
            "skos:notation": c.key,
            "skos:prefLabel": texts(|t| &t.label),
            "skos:definition": texts(|t| &t.description),
        });
        let obj = concept.as_object_mut().expect("object");
        match c.parent.as_deref().and_then(|p| directory.capacity(p)) {
            Some(p) => obj.insert(
                "skos:broader".into(),
                serde_json::json!({"@id": concept_uri(base, p)}),
            ),
            None => obj.insert(
                "skos:topConceptOf".into(),
                serde_json::json!({"@id": scheme}),
            ),
        };
        if let Some(qid) = &c.qid {
            obj.insert(
                "skos:exactMatch".into(),
                serde_json::json!({"@id": format!("http://www.wikidata.org/entity/{qid}")}),
            );
        }
        graph.push(concept);
    }
    let doc = serde_json::json!({
        "@context": {
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "dcterms": "http://purl.org/dc/terms/",
        },
        "@graph": graph,
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/ld+json")],
        Json(doc),
    )
        .into_response()
}
