//! The real-time map of assets and needs: its page and its API.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

// parking_lot locks are not poisoned: a request that panics while holding one (answered with
// a 500) does not make every later request that needs it panic too.
use parking_lot::Mutex;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cxc_core::Region;
use cxc_core::aggregates::{self, Counts, Level, Scope};
use cxc_core::model::{Dimension, Model};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::directory::{Directory, ORGANIZATION_KINDS};
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::extract::Query;
use crate::http::page::{Page, render};

#[derive(Deserialize, IntoParams, Default, Clone)]
pub struct MapParams {
    /// `country` (default) or `region`.
    #[param(schema_with = crate::http::api_schema::map_level)]
    level: Option<String>,
    /// `assets` (default), `needs` or `gap`: which figure colours the map.
    #[param(schema_with = crate::http::api_schema::map_mode)]
    mode: Option<String>,
    /// A capacity id; counts include the capacities under it.
    capacity: Option<String>,
    /// Only people who speak this language.
    language: Option<String>,
    /// Only members of organizations of this kind.
    #[param(schema_with = crate::http::api_schema::organization_kind)]
    org_kind: Option<String>,
}

/// One area's figures. A count below the threshold is `null`, with `suppressed` true.
#[derive(Serialize, ToSchema, Clone)]
pub struct Area {
    /// ISO 3166-1 alpha-2, or a Wikimedia region code.
    code: String,
    name: String,
    assets: Option<u64>,
    needs: Option<u64>,
    gap: Option<u64>,
    suppressed: bool,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct MapDoc {
    level: String,
    mode: String,
    capacity: Option<String>,
    language: Option<String>,
    org_kind: Option<String>,
    /// Counts below this are suppressed.
    min_cell: u64,
    areas: Vec<Area>,
    /// Released under CC0 1.0.
    license: &'static str,
}

pub(super) struct Parsed {
    level: Level,
    mode: &'static str,
    scope: Scope,
    echo: MapParams,
}

pub(super) fn parse(
    state: &AppState,
    directory: &Directory,
    model: &Model,
    p: &MapParams,
) -> Result<Parsed, AppError> {
    let mut errors = Vec::new();
    let level = match p.level.as_deref() {
        None | Some("country") => Level::Country,
        Some("region") => Level::Region,
        Some(_) => {
            errors.push(crate::error::FieldError {
                field: "level".into(),
                key: "cxc-error-invalid-level-name",
            });
            Level::Country
        }
    };
    let mode = match p.mode.as_deref() {
        None | Some("assets") => "assets",
        Some("needs") => "needs",
        Some("gap") => "gap",
        Some(_) => {
            errors.push(crate::error::FieldError {
                field: "mode".into(),
                key: "cxc-error-invalid-mode",
            });
            "assets"
        }
    };
    let mut unknown = |field: &str, key| {
        errors.push(crate::error::FieldError {
            field: field.into(),
            key,
        })
    };
    let capacity = p
        .capacity
        .as_deref()
        .filter(|c| !c.is_empty())
        .and_then(|raw| {
            let found = crate::http::search::capacity_value(directory, model, raw);
            if found.is_none() {
                unknown("capacity", "cxc-error-unknown-capacity");
            }
            found
        });
    let language = p
        .language
        .as_deref()
        .filter(|l| !l.is_empty())
        .and_then(|raw| {
            let found = crate::http::search::language_value(state, model, raw);
            if found.is_none() {
                unknown("language", "cxc-error-unknown-language");
            }
            found
        });
    let organizations = match p.org_kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(kind) if ORGANIZATION_KINDS.contains(&kind) => Some(
            directory
                .organizations()
                .iter()
                .filter(|o| o.kind == kind)
                .filter_map(|o| model.organizations.get(&o.key))
                .collect(),
        ),
        Some(_) => {
            errors.push(crate::error::FieldError {
                field: "org_kind".into(),
                key: "cxc-error-invalid-kind",
            });
            None
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(Parsed {
        level,
        mode,
        scope: Scope {
            capacity,
            language,
            organizations,
        },
        echo: p.clone(),
    })
}

/// Figures are cached per query until the read model changes: the map answers in well under
/// a millisecond while nothing changes, and is recomputed at the first request after a change.
type Cache = Mutex<HashMap<String, ((u64, i64), Arc<MapDoc>)>>;

pub(super) fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

pub fn map_doc(state: &AppState, params: &MapParams, lang: &str) -> Result<Arc<MapDoc>, AppError> {
    let (directory, directory_version) = state.versioned_directory();
    let read = state.read_model();
    let model = &read.model;
    let parsed = parse(state, &directory, model, params)?;
    let key = format!(
        "{}|{:?}|{:?}|{:?}|{:?}|{lang}|{}",
        parsed.mode,
        params.level,
        params.capacity,
        params.language,
        params.org_kind,
        state.config.protected_countries.join(",")
    );
    // Revisions are unique in the process; organizations come from the directory.
    let revision = (model.revision(), directory_version);
    if let Some((rev, doc)) = cache().lock().get(&key)
        && *rev == revision
    {
        return Ok(doc.clone());
    }
    let rule = state.config.public_rule(model);
    let people = aggregates::by_area(model, &rule, parsed.level, &parsed.scope);
    // Areas by code: people's counts, then organizations offering or needing in their countries.
    let mut counts: BTreeMap<String, Counts> = people
        .into_iter()
        .map(|(id, c)| {
            let code = match parsed.level {
                Level::Country => model.countries.name(id).to_owned(),
                Level::Region => Region::ALL[id as usize].code().to_owned(),
            };
            (code, c)
        })
        .collect();
    add_organizations(state, &directory, &parsed, &mut counts);
    let areas = counts
        .iter()
        .map(|(code, c)| {
            let name = match parsed.level {
                Level::Country => state.reference.country_name(code, lang),
                Level::Region => state.i18n.region_name(lang, code),
            };
            let Counts { assets, needs, gap } = *c;
            let (a, n, g) = (rule.publish(assets), rule.publish(needs), rule.publish(gap));
            Area {
                code: code.clone(),
                name,
                suppressed: a.is_none() || n.is_none() || g.is_none(),
                assets: a,
                needs: n,
                gap: g,
            }
        })
        .collect();
    let doc = Arc::new(MapDoc {
        level: match parsed.level {
            Level::Country => "country".into(),
            Level::Region => "region".into(),
        },
        mode: parsed.mode.into(),
        capacity: parsed.echo.capacity.clone().filter(|c| !c.is_empty()),
        language: parsed.echo.language.clone().filter(|c| !c.is_empty()),
        org_kind: parsed.echo.org_kind.clone().filter(|c| !c.is_empty()),
        min_cell: rule.min_cell,
        areas,
        license: "CC0-1.0",
    });
    let mut cache = cache().lock();
    if cache.len() > 2000 {
        cache.clear();
    }
    cache.insert(key, (revision, doc.clone()));
    Ok(doc)
}

/// Organizations count as assets where they can share a capacity in scope and as needs where
/// they need one, once in each of their countries (or regions). They speak no language, so a
/// language filter leaves them out.
pub(super) fn add_organizations(
    state: &AppState,
    directory: &Directory,
    parsed: &Parsed,
    counts: &mut BTreeMap<String, Counts>,
) {
    if parsed
        .echo
        .language
        .as_deref()
        .is_some_and(|l| !l.is_empty())
    {
        return;
    }
    let scope_root = parsed
        .echo
        .capacity
        .as_deref()
        .filter(|c| !c.is_empty())
        .and_then(|c| directory.resolve(c))
        .map(|c| c.key.clone());
    let in_scope = |keys: &[String]| {
        keys.iter().any(|k| match &scope_root {
            None => true,
            Some(root) => directory.taxonomy().subtree(root).contains(&k.as_str()),
        })
    };
    let kind = parsed.echo.org_kind.as_deref().filter(|k| !k.is_empty());
    for org in directory
        .organizations()
        .iter()
        .filter(|o| kind.is_none_or(|k| o.kind == k))
    {
        let (offers, needs) = (in_scope(&org.offered), in_scope(&org.wanted));
        if !offers && !needs {
            continue;
        }
        let mut areas: Vec<String> = org
            .countries
            .iter()
            .filter(|c| !state.config.is_protected(c))
            .filter_map(|c| match parsed.level {
                Level::Country => Some(c.clone()),
                Level::Region => state.reference.region_of(c).map(|r| r.code().to_owned()),
            })
            .collect();
        areas.sort();
        areas.dedup();
        for area in areas {
            let entry = counts.entry(area).or_default();
            entry.assets += u64::from(offers);
            entry.needs += u64::from(needs);
        }
    }
}

/// Assets (people and organizations offering), needs (wanting) and the gap (needs no offer in the same
/// country or a shared language covers), by country or region. Public profiles only;
/// protected countries left out; counts below the threshold suppressed.
#[utoipa::path(
    get,
    path = "/api/v1/stats/map",
    tag = "open data",
    params(MapParams),
    responses(
        (status = 200, description = "Figures per area", body = MapDoc),
        (status = 422, description = "Unknown level, mode, capacity, language or kind", body = crate::http::api::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn map_stats(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(params): Query<MapParams>,
) -> Result<Json<MapDoc>, AppError> {
    Ok(Json((*map_doc(&state, &params, ctx.lang)?).clone()))
}

#[derive(Deserialize)]
pub(super) struct World {
    width: f64,
    height: f64,
    countries: Vec<Shape>,
}

#[derive(Deserialize)]
pub(super) struct Shape {
    code: String,
    d: String,
}

pub(super) fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        serde_json::from_str(include_str!("../../../data/world.json")).expect("world.json is valid")
    })
}

/// One country shape on the page.
pub struct MapShape {
    pub d: String,
    pub class: String,
    pub title: String,
    pub href: String,
}

pub struct LegendEntry {
    pub class: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "map.html")]
pub(super) struct MapTemplate {
    page: Page,
    doc: Arc<MapDoc>,
    shapes: Vec<MapShape>,
    legend: Vec<LegendEntry>,
    width: f64,
    height: f64,
    capacity_groups: Vec<(String, Vec<(String, String)>)>,
    languages: Vec<(String, String)>,
    kinds: &'static [&'static str],
    mode: String,
    level: String,
    capacity: String,
    language: String,
    org_kind: String,
    api: String,
    /// For each area of the table, the open asks behind it.
    asks_links: Vec<String>,
    /// The areas' places in the table: by name.
    table_order: Vec<usize>,
}

impl MapTemplate {
    /// The table's rows in order, each area with the link to the open asks behind it.
    fn rows(&self) -> Vec<(&Area, &str)> {
        self.table_order
            .iter()
            .map(|&i| (&self.doc.areas[i], self.asks_links[i].as_str()))
            .collect()
    }
}

/// Five classes by quantiles of the non-zero values, which stay readable when one country
/// dominates (a linear scale would leave every other country in the lightest class).
pub(super) fn breaks(values: &[u64]) -> Vec<u64> {
    let mut v: Vec<u64> = values.iter().copied().filter(|x| *x > 0).collect();
    v.sort_unstable();
    if v.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<u64> = (1..=5)
        .map(|i| {
            v[((v.len() * i).div_ceil(5))
                .saturating_sub(1)
                .min(v.len() - 1)]
        })
        .collect();
    out.dedup();
    out
}

pub(super) fn class_of(value: Option<u64>, breaks: &[u64]) -> String {
    match value {
        None => "bs".into(),
        Some(0) => "b0".into(),
        Some(v) => format!(
            "b{}",
            breaks
                .iter()
                .position(|b| v <= *b)
                .map_or(breaks.len(), |i| i + 1)
        ),
    }
}

pub(super) async fn map_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(params): Query<MapParams>,
) -> Result<Response, AppError> {
    let doc = map_doc(&state, &params, ctx.lang)?;
    // The table lists areas by name, as the reader's language sorts them.
    let mut table_order: Vec<usize> = (0..doc.areas.len()).collect();
    let order = crate::i18n::name_order(ctx.lang);
    table_order.sort_by(|a, b| order(&doc.areas[*a].name, &doc.areas[*b].name));
    let page = Page::new(&state, &ctx, "cxc-map-title");
    let value = |a: &Area| match doc.mode.as_str() {
        "needs" => a.needs,
        "gap" => a.gap,
        _ => a.assets,
    };
    let values: Vec<u64> = doc.areas.iter().filter_map(value).collect();
    let breaks = breaks(&values);
    let by_code: HashMap<&str, &Area> = doc.areas.iter().map(|a| (a.code.as_str(), a)).collect();
    let capacity = doc.capacity.clone().unwrap_or_default();
    let filter_key = if doc.mode == "assets" {
        "offers"
    } else {
        "wants"
    };
    let shapes = world()
        .countries
        .iter()
        .filter(|s| !state.config.is_protected(&s.code))
        .map(|s| {
            let area_code = match doc.level.as_str() {
                "region" => state
                    .reference
                    .region_of(&s.code)
                    .map(|r| r.code().to_owned())
                    .unwrap_or_default(),
                _ => s.code.clone(),
            };
            let area = by_code.get(area_code.as_str());
            let v = area.map_or(Some(0), |a| value(a));
            let name = state.reference.country_name(&s.code, ctx.lang);
            let figure = match v {
                None => page.t1("cxc-figure-fewer-than", doc.min_cell),
                Some(n) => page.t1(&format!("cxc-map-value-{}", doc.mode), n),
            };
            let mut query = vec![(
                if doc.level == "region" {
                    "region"
                } else {
                    "country"
                },
                area_code.clone(),
            )];
            if !capacity.is_empty() {
                query.push((filter_key, capacity.clone()));
            }
            MapShape {
                d: s.d.clone(),
                class: class_of(v, &breaks),
                title: format!("{name}: {figure}"),
                href: format!(
                    "/people?{}",
                    serde_urlencoded::to_string(&query).unwrap_or_default()
                ),
            }
        })
        .collect();
    let mut legend = vec![LegendEntry {
        class: "b0".into(),
        label: "0".into(),
    }];
    let mut low = 1;
    for (i, b) in breaks.iter().enumerate() {
        legend.push(LegendEntry {
            class: format!("b{}", i + 1),
            label: if low == *b {
                b.to_string()
            } else {
                format!("{low}–{b}")
            },
        });
        low = b + 1;
    }
    legend.push(LegendEntry {
        class: "bs".into(),
        label: page.t1("cxc-map-legend-suppressed", state.config.min_cell),
    });
    let directory = state.directory();
    let mut languages: Vec<(String, String)> = {
        let read = state.read_model();
        read.model
            .values(Dimension::Language)
            .iter()
            .map(|l| {
                let code = read.model.languages.name(*l).to_owned();
                let name = state.i18n.autonym(&code).unwrap_or(&code).to_owned();
                (code, name)
            })
            .collect()
    };
    crate::i18n::sort_by_name(ctx.lang, &mut languages, |l| &l.1);
    let api = format!(
        "/api/v1/stats/map?{}",
        serde_urlencoded::to_string(params_pairs(&params)).unwrap_or_default()
    );
    let asks_links = doc
        .areas
        .iter()
        .map(|a| {
            let mut query = vec![
                ("kind", "ask".to_owned()),
                (
                    if doc.level == "region" {
                        "region"
                    } else {
                        "country"
                    },
                    a.code.clone(),
                ),
            ];
            if !capacity.is_empty() {
                query.push(("capacity", capacity.clone()));
            }
            format!(
                "/posts?{}",
                serde_urlencoded::to_string(&query).unwrap_or_default()
            )
        })
        .collect();
    Ok(render(&MapTemplate {
        asks_links,
        table_order,
        mode: doc.mode.clone(),
        level: doc.level.clone(),
        capacity,
        language: doc.language.clone().unwrap_or_default(),
        org_kind: doc.org_kind.clone().unwrap_or_default(),
        capacity_groups: crate::http::capacity_picker::capacity_groups(&directory, ctx.lang),
        languages,
        kinds: ORGANIZATION_KINDS,
        width: world().width,
        height: world().height,
        shapes,
        legend,
        api,
        doc,
        page,
    })?
    .into_response())
}

pub(super) fn params_pairs(p: &MapParams) -> Vec<(&'static str, String)> {
    [
        ("level", &p.level),
        ("mode", &p.mode),
        ("capacity", &p.capacity),
        ("language", &p.language),
        ("org_kind", &p.org_kind),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (k, v)))
    .collect()
}
