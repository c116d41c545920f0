//! Finding people: the people page (every filter state is a URL; no JavaScript needed) and
//! `GET /api/v1/profiles`, both answered from the read model.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cxc_core::model::{Dimension, Model, Person};
use cxc_core::search::{self, Query, Results, Sort};
use cxc_core::{Format, LanguageLevel, Method, Region};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::RequestContext;
use super::page::{Page, render};
use crate::AppState;
use crate::directory::Directory;
use crate::error::{AppError, FieldError};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/people", get(people_page))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router.routes(routes!(search_profiles))
}

/// The query-string name of each filter, in the order pages show them.
pub const FILTERS: &[(&str, Dimension)] = &[
    ("offers", Dimension::Offers),
    ("wants", Dimension::Wants),
    ("knows", Dimension::Knows),
    ("language", Dimension::Language),
    ("region", Dimension::Region),
    ("country", Dimension::Country),
    ("affiliation", Dimension::Affiliation),
    ("project", Dimension::Project),
    ("method", Dimension::Method),
    ("format", Dimension::Format),
];

fn name_of(d: Dimension) -> &'static str {
    FILTERS.iter().find(|(_, x)| *x == d).map_or("", |(n, _)| n)
}

/// A search as given in a query string.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Params, AppError> {
        let pairs = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|_| AppError::BadRequest("cxc-error-bad-query"))?;
        Ok(Params { pairs })
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
            .collect()
    }

    pub fn one(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    /// The same search on the page at `path` with one value added or removed, without a
    /// cursor: a link.
    pub fn toggled(&self, path: &str, name: &str, value: &str) -> String {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != "cursor" && k != "uselang")
            .cloned()
            .collect();
        let before = pairs.len();
        pairs.retain(|(k, v)| !(k == name && v == value));
        if pairs.len() == before {
            pairs.push((name.to_owned(), value.to_owned()));
        }
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }

    /// The next page of the same search on the page at `path`.
    pub fn with_cursor(&self, path: &str, cursor: &str) -> String {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != "cursor" && k != "uselang")
            .cloned()
            .collect();
        pairs.push(("cursor".to_owned(), cursor.to_owned()));
        format!(
            "{path}?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }
}

/// The model's number for a filter value that is valid but nobody holds yet: it matches
/// nobody.
const NOBODY: u32 = u32::MAX;

/// The model's number for an active capacity given by any of its ids, if it is one.
pub fn capacity_value(directory: &Directory, model: &Model, raw: &str) -> Option<u32> {
    directory
        .resolve(raw)
        .filter(|c| c.is_active())
        .map(|c| model.capacities.get(&c.key).unwrap_or(NOBODY))
}

/// The model's number for a language code cxc knows, if it is one.
pub fn language_value(state: &AppState, model: &Model, raw: &str) -> Option<u32> {
    state
        .i18n
        .language_known(raw)
        .then(|| model.languages.get(raw).unwrap_or(NOBODY))
}

/// Turns query parameters into a search over the model; unknown values are named per field.
pub fn build_query(
    state: &AppState,
    directory: &Directory,
    model: &Model,
    params: &Params,
    signed_in: bool,
) -> Result<Query, AppError> {
    let mut errors = Vec::new();
    let mut filters = BTreeMap::new();
    for (name, dimension) in FILTERS {
        let mut values = Vec::new();
        for raw in params.all(name) {
            let value = match dimension {
                Dimension::Offers | Dimension::Wants | Dimension::Knows => {
                    capacity_value(directory, model, raw)
                }
                Dimension::Language => language_value(state, model, raw),
                Dimension::Country => {
                    let code = raw.to_ascii_uppercase();
                    state
                        .reference
                        .country(&code)
                        .map(|_| model.countries.get(&code).unwrap_or(NOBODY))
                }
                Dimension::Region => Region::ALL
                    .iter()
                    .position(|r| r.code() == raw.to_ascii_uppercase())
                    .map(|i| i as u32),
                Dimension::Affiliation => directory
                    .organization(raw)
                    .map(|_| model.organizations.get(raw).unwrap_or(NOBODY)),
                Dimension::Project => crate::reference::project_family(raw, &state.i18n)
                    .map(|_| model.projects.get(raw).unwrap_or(NOBODY)),
                Dimension::Method => Method::parse(raw)
                    .and_then(|m| Method::ALL.iter().position(|x| *x == m))
                    .map(|i| i as u32),
                Dimension::Format => Format::parse(raw)
                    .and_then(|f| Format::ALL.iter().position(|x| *x == f))
                    .map(|i| i as u32),
            };
            match value {
                Some(v) => values.push(v),
                None => errors.push(FieldError {
                    field: (*name).to_owned(),
                    key: unknown_key(*dimension),
                }),
            }
        }
        if !values.is_empty() {
            filters.insert(*dimension, values);
        }
    }
    let min_level = match params.one("min_level") {
        None => 0,
        Some(raw) => match LanguageLevel::parse(raw) {
            Some(level) => level.rank() as u8,
            None => {
                errors.push(FieldError {
                    field: "min_level".into(),
                    key: "cxc-error-invalid-level",
                });
                0
            }
        },
    };
    let available_now = match params.one("available") {
        None | Some("0" | "false") => false,
        Some("1" | "true" | "on") => true,
        Some(_) => {
            errors.push(FieldError {
                field: "available".into(),
                key: "cxc-error-invalid-available",
            });
            false
        }
    };
    let limit = match params.one("limit") {
        None => 20,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n @ 1..=100) => n,
            _ => {
                errors.push(FieldError {
                    field: "limit".into(),
                    key: "cxc-error-invalid-limit",
                });
                20
            }
        },
    };
    let sort = match params.one("sort") {
        None | Some("relevance") => Sort::Relevance,
        Some("recent") => Sort::Recent,
        Some(_) => {
            errors.push(FieldError {
                field: "sort".into(),
                key: "cxc-error-invalid-sort",
            });
            Sort::Relevance
        }
    };
    // Which facets to count: names, repeated or separated by commas, or `none`; all when
    // the parameter is not given.
    let mut facets = Vec::new();
    let asked: Vec<&str> = params
        .all("facets")
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if asked.is_empty() {
        facets = cxc_core::model::ALL_DIMENSIONS.to_vec();
    }
    for name in asked.into_iter().filter(|n| *n != "none") {
        match FILTERS.iter().find(|(n, _)| *n == name) {
            Some((_, d)) if !facets.contains(d) => facets.push(*d),
            Some(_) => {}
            None => errors.push(FieldError {
                field: "facets".into(),
                key: "cxc-error-unknown-facet",
            }),
        }
    }
    let cursor = params.one("cursor").map(str::to_owned);
    if cursor.as_deref().is_some_and(|c| !search::valid_cursor(c)) {
        errors.push(FieldError {
            field: "cursor".into(),
            key: "cxc-error-invalid-cursor",
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(Query {
        filters,
        min_level,
        text: None,
        available_now,
        today: time::OffsetDateTime::now_utc().date(),
        signed_in,
        sort,
        limit,
        cursor,
        facets,
    })
}

fn unknown_key(d: Dimension) -> &'static str {
    match d {
        Dimension::Offers | Dimension::Wants | Dimension::Knows => "cxc-error-unknown-capacity",
        Dimension::Language => "cxc-error-unknown-language",
        Dimension::Country => "cxc-error-unknown-country",
        Dimension::Region => "cxc-error-unknown-region",
        Dimension::Affiliation => "cxc-error-unknown-organization",
        Dimension::Project => "cxc-error-unknown-project",
        Dimension::Method => "cxc-error-invalid-method",
        Dimension::Format => "cxc-error-invalid-format",
    }
}

/// Runs a search: text first (tantivy), then filters and facets on the model.
pub fn run(
    state: &AppState,
    params: &Params,
    signed_in: bool,
    lang: &'static str,
) -> Result<Found, AppError> {
    let directory = state.directory();
    let read = state.read_model();
    let mut query = build_query(state, &directory, &read.model, params, signed_in)?;
    if let Some(q) = params.one("q") {
        query.text = Some(read.text.search(q).map_err(AppError::Internal)?);
    }
    let results = search::search(&read.model, &query);
    Ok(Found::new(state, &directory, &read.model, &results, lang))
}

#[derive(Serialize, ToSchema, Clone)]
pub struct Labelled {
    /// The value as filters take it (a capacity id, a language or country code…).
    #[schema(value_type = String)]
    pub value: Arc<str>,
    #[schema(value_type = String)]
    pub label: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct LanguageSummary {
    code: String,
    #[schema(schema_with = super::api_schema::language_level)]
    level: serde_json::Value,
}

/// A person in search results.
#[derive(Serialize, ToSchema, Clone)]
pub struct PersonSummary {
    pub username: String,
    pub display_name: String,
    pub country: Option<String>,
    pub region: Option<String>,
    pub languages: Vec<LanguageSummary>,
    pub offered: Vec<Labelled>,
    pub wanted: Vec<Labelled>,
    pub affiliations: Vec<String>,
    /// Away until this date (ISO 8601), when away.
    pub away_until: Option<String>,
}

pub fn summary(directory: &Directory, model: &Model, p: &Person, lang: &str) -> PersonSummary {
    let capacity = |id: u32| {
        let key = model.capacities.name(id);
        Labelled {
            value: key.into(),
            label: directory
                .capacity(key)
                .map_or(key, |c| c.label(lang))
                .into(),
            count: None,
        }
    };
    PersonSummary {
        username: p.username.clone(),
        display_name: p.display_name.clone(),
        country: p.country.map(|c| model.countries.name(c).to_owned()),
        region: p.region.map(|r| r.code().to_owned()),
        languages: p
            .languages
            .iter()
            .map(|(l, rank)| LanguageSummary {
                code: model.languages.name(*l).to_owned(),
                level: LanguageLevel::from_rank(i64::from(*rank))
                    .map_or(serde_json::Value::Null, |x| x.to_json()),
            })
            .collect(),
        offered: p.offered.iter().map(|i| capacity(i.capacity)).collect(),
        wanted: p.wanted.iter().map(|i| capacity(i.capacity)).collect(),
        affiliations: p
            .affiliations
            .iter()
            .map(|o| model.organizations.name(*o).to_owned())
            .collect(),
        away_until: p.away_until.map(cxc_core::profile::format_date),
    }
}

/// Search results, labelled for people.
#[derive(Serialize, ToSchema)]
pub struct Found {
    pub total: u64,
    pub items: Vec<PersonSummary>,
    pub next_cursor: Option<String>,
    /// Per filter, the values with how many results each would give.
    pub facets: BTreeMap<String, Vec<Labelled>>,
}

/// A facet value as filters take it, its label, and the label's place among its dimension's
/// labels.
#[derive(Clone)]
struct FacetLabel {
    value: Arc<str>,
    label: Arc<str>,
    order: u32,
}

/// A filter value as people read it in `lang`: a capacity's or organization's name, a
/// language's autonym, a country's or region's name, a method or format; `None` for a capacity
/// that is no longer active.
pub fn value_label(
    state: &AppState,
    directory: &Directory,
    d: Dimension,
    key: &str,
    lang: &str,
) -> Option<String> {
    let message = |key: String| state.i18n.text(lang, &key, &[]);
    Some(match d {
        Dimension::Offers | Dimension::Wants | Dimension::Knows => directory
            .capacity(key)
            .filter(|c| c.is_active())?
            .label(lang)
            .to_owned(),
        Dimension::Language => state.i18n.autonym(key).unwrap_or(key).to_owned(),
        Dimension::Country => state
            .reference
            .country_name(&key.to_ascii_uppercase(), lang),
        Dimension::Region => state.i18n.region_name(lang, key),
        Dimension::Affiliation => directory
            .organization(key)
            .map_or(key, |o| o.name(lang))
            .to_owned(),
        Dimension::Project => key.to_owned(),
        Dimension::Method => message(format!("cxc-method-{key}")),
        Dimension::Format => message(format!("cxc-format-{key}")),
    })
}

/// Every facet value labelled in one language, in sorted order: a search response clones
/// shared strings instead of looking up, allocating and comparing some 600 labels. Kept per
/// language until the directory or the read model changes.
pub struct FacetLabels {
    built_for: (i64, u64),
    by_dimension: BTreeMap<Dimension, Vec<Option<FacetLabel>>>,
}

impl FacetLabels {
    fn build(
        state: &AppState,
        directory: &Directory,
        model: &Model,
        lang: &'static str,
        built_for: (i64, u64),
    ) -> FacetLabels {
        let order = crate::i18n::name_order(lang);
        let label = |d: Dimension, v: u32| -> Option<(String, String)> {
            let key = match d {
                Dimension::Offers | Dimension::Wants | Dimension::Knows => {
                    model.capacities.name(v).to_owned()
                }
                Dimension::Language => model.languages.name(v).to_owned(),
                Dimension::Country => model.countries.name(v).to_owned(),
                Dimension::Region => Region::ALL.get(v as usize)?.code().to_owned(),
                Dimension::Affiliation => model.organizations.name(v).to_owned(),
                Dimension::Project => model.projects.name(v).to_owned(),
                Dimension::Method => Method::ALL.get(v as usize)?.as_str().to_owned(),
                Dimension::Format => Format::ALL.get(v as usize)?.as_str().to_owned(),
            };
            let label = value_label(state, directory, d, &key, lang)?;
            Some((key, label))
        };
        let by_dimension = FILTERS
            .iter()
            .map(|(_, d)| {
                let size = match d {
                    Dimension::Offers | Dimension::Wants | Dimension::Knows => {
                        model.capacities.len()
                    }
                    Dimension::Language => model.languages.len(),
                    Dimension::Country => model.countries.len(),
                    Dimension::Region => Region::ALL.len(),
                    Dimension::Affiliation => model.organizations.len(),
                    Dimension::Project => model.projects.len(),
                    Dimension::Method => Method::ALL.len(),
                    Dimension::Format => Format::ALL.len(),
                };
                let labelled: Vec<Option<(String, String)>> =
                    (0..size as u32).map(|v| label(*d, v)).collect();
                let mut sorted: Vec<usize> = (0..size).filter(|v| labelled[*v].is_some()).collect();
                // Labels in the order the reader's language sorts them, then by value.
                let by_label = |v: usize| labelled[v].as_ref().map(|(value, label)| (label, value));
                sorted.sort_by(|a, b| match (by_label(*a), by_label(*b)) {
                    (Some((la, va)), Some((lb, vb))) => order(la, lb).then_with(|| va.cmp(vb)),
                    (a, b) => a.cmp(&b),
                });
                let mut table: Vec<Option<FacetLabel>> = vec![None; size];
                for (order, v) in sorted.into_iter().enumerate() {
                    if let Some((value, label)) = &labelled[v] {
                        table[v] = Some(FacetLabel {
                            value: value.as_str().into(),
                            label: label.as_str().into(),
                            order: order as u32,
                        });
                    }
                }
                (*d, table)
            })
            .collect();
        FacetLabels {
            built_for,
            by_dimension,
        }
    }

    /// The table for `lang`, built when missing or made for another directory or model.
    fn current(state: &AppState, model: &Model, lang: &'static str) -> Arc<FacetLabels> {
        let (directory, version) = state.versioned_directory();
        let built_for = (version, model.revision());
        if let Some(table) = state.facet_labels.read().get(lang)
            && table.built_for == built_for
        {
            return table.clone();
        }
        let table = Arc::new(FacetLabels::build(
            state, &directory, model, lang, built_for,
        ));
        state.facet_labels.write().insert(lang, table.clone());
        table
    }

    fn get(&self, d: Dimension, v: u32) -> Option<&FacetLabel> {
        self.by_dimension.get(&d)?.get(v as usize)?.as_ref()
    }
}

impl Found {
    fn new(
        state: &AppState,
        directory: &Directory,
        model: &Model,
        r: &Results,
        lang: &'static str,
    ) -> Found {
        let labels = FacetLabels::current(state, model, lang);
        Found {
            total: r.total,
            items: r
                .slots
                .iter()
                .filter_map(|s| model.person(*s))
                .map(|p| summary(directory, model, p, lang))
                .collect(),
            next_cursor: r.next_cursor.clone(),
            facets: r
                .facets
                .iter()
                .map(|(d, counts)| {
                    let mut values: Vec<(&FacetLabel, u64)> = counts
                        .iter()
                        .filter_map(|(v, n)| Some((labels.get(*d, *v)?, *n)))
                        .collect();
                    values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.order.cmp(&b.0.order)));
                    let values = values
                        .into_iter()
                        .map(|(l, n)| Labelled {
                            value: l.value.clone(),
                            label: l.label.clone(),
                            count: Some(n),
                        })
                        .collect();
                    (name_of(*d).to_owned(), values)
                })
                .collect(),
        }
    }
}

/// Search people. Each filter may repeat: values of one filter are OR-ed, different filters
/// AND-ed; a capacity includes the capacities under it. Hidden profiles never appear;
/// members-only ones only for signed-in callers.
#[utoipa::path(
    get,
    path = "/api/v1/profiles",
    tag = "profiles",
    params(
        ("offers" = Option<Vec<String>>, Query, description = "Capacity ids people offer"),
        ("wants" = Option<Vec<String>>, Query, description = "Capacity ids people want to learn"),
        ("knows" = Option<Vec<String>>, Query, description = "Capacity ids people know"),
        ("language" = Option<Vec<String>>, Query, description = "Language codes people speak"),
        ("min_level" = Option<String>, Query, description = "Minimum level in those languages: 0–5 or native"),
        ("country" = Option<Vec<String>>, Query, description = "ISO 3166-1 alpha-2 codes"),
        ("region" = Option<Vec<String>>, Query, description = "Wikimedia regions: SSA, NWE, ESEAP, LAC, CEECA, SA, MENA, NA"),
        ("affiliation" = Option<Vec<String>>, Query, description = "Organization keys"),
        ("project" = Option<Vec<String>>, Query, description = "Wikimedia project codes"),
        ("method" = Option<Vec<String>>, Query, description = "Learning methods offered or wanted"),
        ("format" = Option<Vec<String>>, Query, description = "online or in_person"),
        ("available" = Option<bool>, Query, description = "Only people not away"),
        ("q" = Option<String>, Query, description = "Words in names, usernames and bios (any script; case and accents ignored)"),
        ("sort" = Option<String>, Query, description = "relevance (default) or recent", pattern = "^(relevance|recent)?$"),
        ("limit" = Option<usize>, Query, minimum = 1, maximum = 100, description = "1–100, default 20"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("facets" = Option<Vec<String>>, Query, description = "Which facets to count: filter names (offers, wants, knows, language, region, country, affiliation, project, method, format), repeated or separated by commas, or none; all of them when left out"),
    ),
    responses(
        (status = 200, description = "Matching people, facet counts and the next page's cursor", body = Found),
        (status = 422, description = "Unknown filter values", body = super::api::Problem, content_type = "application/problem+json"),
    )
)]
async fn search_profiles(
    State(state): State<AppState>,
    ctx: RequestContext,
    RawQuery(raw): RawQuery,
) -> Result<Json<Found>, AppError> {
    let params = Params::parse(raw.as_deref())?;
    Ok(Json(run(&state, &params, ctx.account.is_some(), ctx.lang)?))
}

/// One facet group on the page: values as links that add or remove them.
pub struct FacetView {
    pub name: &'static str,
    pub values: Vec<(String, u64, String, bool)>,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeopleTemplate {
    page: Page,
    found: Found,
    facets: Vec<FacetView>,
    q: String,
    sort: String,
    available: bool,
    next: Option<String>,
    active: Vec<ActiveFilter>,
    capacity_groups: Vec<(String, Vec<(String, String)>)>,
    selected_offers: String,
    selected_wants: String,
    error: Option<String>,
}

/// Every filter of a search, named, with the link that removes it: the words, each value, and
/// "available now". Built from the request, so a filter shows even when nothing matches it.
fn active_filters(
    state: &AppState,
    directory: &Directory,
    params: &Params,
    page: &Page,
) -> Vec<ActiveFilter> {
    let mut active = Vec::new();
    if let Some(q) = params.one("q") {
        active.push(ActiveFilter {
            label: page.t1("cxc-search-active-words", q),
            remove: params.toggled("/people", "q", q),
        });
    }
    for (name, dimension) in FILTERS {
        for raw in params.all(name) {
            let label = value_label(state, directory, *dimension, raw, page.lang)
                .unwrap_or_else(|| raw.to_owned());
            active.push(ActiveFilter {
                label,
                remove: params.toggled("/people", name, raw),
            });
        }
    }
    if let Some(available) = params.one("available") {
        active.push(ActiveFilter {
            label: page.t("cxc-search-available"),
            remove: params.toggled("/people", "available", available),
        });
    }
    active
}

/// A filter of the search shown, and the link to the same search without it.
pub struct ActiveFilter {
    pub label: String,
    pub remove: String,
}

async fn people_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let params = Params::parse(raw.as_deref())?;
    let page = Page::new(&state, &ctx, "cxc-people-title");
    let (found, error) = match run(&state, &params, ctx.account.is_some(), ctx.lang) {
        Ok(found) => (found, None),
        Err(AppError::Invalid(errors)) => {
            let message = errors.first().map(|e| page.t(e.key));
            let empty = Params::default();
            (
                run(&state, &empty, ctx.account.is_some(), ctx.lang)?,
                message,
            )
        }
        Err(e) => return Err(e),
    };
    let directory = state.directory();
    let active = active_filters(&state, &directory, &params, &page);
    let facets = FILTERS
        .iter()
        .filter_map(|(name, _)| {
            let values = found.facets.get(*name)?;
            let chosen = params.all(name);
            Some(FacetView {
                name,
                values: values
                    .iter()
                    .take(12)
                    .map(|v| {
                        (
                            v.label.to_string(),
                            v.count.unwrap_or(0),
                            params.toggled("/people", name, &v.value),
                            chosen.contains(&&*v.value),
                        )
                    })
                    .collect(),
            })
        })
        .filter(|f| !f.values.is_empty())
        .collect();
    let capacity_groups = super::choices::choices(&state, &directory, ctx.lang).capacity_groups;
    Ok(render(&PeopleTemplate {
        next: found
            .next_cursor
            .as_deref()
            .map(|c| params.with_cursor("/people", c)),
        q: params.one("q").unwrap_or_default().to_owned(),
        sort: params.one("sort").unwrap_or("relevance").to_owned(),
        available: params.one("available").is_some(),
        selected_offers: params.one("offers").unwrap_or_default().to_owned(),
        selected_wants: params.one("wants").unwrap_or_default().to_owned(),
        capacity_groups,
        active,
        facets,
        found,
        error,
        page,
    })?
    .into_response())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
        let name = prop_oneof![
            Just("cursor".to_owned()),
            Just("uselang".to_owned()),
            Just("q".to_owned()),
            Just("offers".to_owned()),
            "\\PC{1,6}",
        ];
        prop::collection::vec((name, "\\PC{0,8}"), 0..6)
    }

    fn query_of(link: &str) -> Vec<(String, String)> {
        let (_, query) = link.split_once('?').expect("a link with a query");
        Params::parse(Some(query)).expect("a link cxc wrote").pairs
    }

    fn kept(pairs: &[(String, String)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .filter(|(k, _)| k != "cursor" && k != "uselang")
            .cloned()
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        #[test]
        fn any_query_string_is_read_or_refused(raw in "\\PC{0,40}|[a-z=&%+0-9A-F]{0,40}") {
            let _ = Params::parse(Some(&raw));
        }

        /// A facet link reads back as the same search with the one value toggled: added when
        /// it was absent, removed when present, and without a cursor or a language.
        #[test]
        fn facet_links_toggle_one_value(pairs in pairs(), name in "\\PC{1,6}", value in "\\PC{1,6}") {
            let params = Params { pairs: pairs.clone() };
            let read = query_of(&params.toggled("/people", &name, &value));
            let mut expected = kept(&pairs);
            let present = expected.iter().any(|(k, v)| *k == name && *v == value);
            expected.retain(|(k, v)| !(*k == name && *v == value));
            if !present {
                expected.push((name.clone(), value.clone()));
            }
            prop_assert_eq!(read, expected);
        }

        #[test]
        fn next_page_links_carry_the_search_and_one_cursor(pairs in pairs(), cursor in "\\PC{1,12}") {
            let params = Params { pairs: pairs.clone() };
            let read = query_of(&params.with_cursor("/people", &cursor));
            let mut expected = kept(&pairs);
            expected.push(("cursor".to_owned(), cursor));
            prop_assert_eq!(read, expected);
        }
    }
}
