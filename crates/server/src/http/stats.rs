//! The real-time map of assets and needs, the dashboard, and open data. Every figure comes
//! from the read model, counts public profiles only, leaves out protected countries and
//! suppresses small cells.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

// parking_lot locks are not poisoned: a request that panics while holding one (answered with
// a 500) does not make every later request that needs it panic too.
use parking_lot::Mutex;

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cxc_core::Region;
use cxc_core::aggregates::{self, Counts, Level, Scope};
use cxc_core::model::{Dimension, Model};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::RequestContext;
use super::extract::Query;
use super::page::{Page, render};
use crate::AppState;
use crate::directory::{Directory, ORGANIZATION_KINDS};
use crate::error::AppError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/map", get(map_page))
        .route("/dashboard", get(dashboard_page))
        .route("/opendata", get(opendata_page))
        .route("/opendata/capacities-by-country.csv", get(csv_by_country))
        .route("/opendata/capacities-by-region.csv", get(csv_by_region))
        .route("/opendata/datapackage.json", get(datapackage))
        .route("/opendata/profiles.jsonld", get(profiles_dump))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router.routes(routes!(map_stats))
}

#[derive(Deserialize, IntoParams, Default, Clone)]
pub struct MapParams {
    /// `country` (default) or `region`.
    level: Option<String>,
    /// `assets` (default), `needs` or `gap`: which figure colours the map.
    mode: Option<String>,
    /// A capacity id; counts include the capacities under it.
    capacity: Option<String>,
    /// Only people who speak this language.
    language: Option<String>,
    /// Only members of organizations of this kind.
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

struct Parsed {
    level: Level,
    mode: &'static str,
    scope: Scope,
    echo: MapParams,
}

fn parse(
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
            let found = super::search::capacity_value(directory, model, raw);
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
            let found = super::search::language_value(state, model, raw);
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

fn cache() -> &'static Cache {
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
                Level::Region => {
                    state
                        .i18n
                        .text(lang, &format!("cxc-region-{}", code.to_lowercase()), &[])
                }
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
fn add_organizations(
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
        (status = 422, description = "Unknown level, mode, capacity, language or kind", body = super::api::Problem, content_type = "application/problem+json"),
    )
)]
async fn map_stats(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(params): Query<MapParams>,
) -> Result<Json<MapDoc>, AppError> {
    Ok(Json((*map_doc(&state, &params, ctx.lang)?).clone()))
}

#[derive(Deserialize)]
struct World {
    width: f64,
    height: f64,
    countries: Vec<Shape>,
}

#[derive(Deserialize)]
struct Shape {
    code: String,
    d: String,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        serde_json::from_str(include_str!("../../data/world.json")).expect("world.json is valid")
    })
}

/// One country shape on the page.
pub struct MapShape {
    pub code: String,
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
struct MapTemplate {
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
}

/// Five classes by quantiles of the non-zero values, which stay readable when one country
/// dominates (a linear scale would leave every other country in the lightest class).
fn breaks(values: &[u64]) -> Vec<u64> {
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

fn class_of(value: Option<u64>, breaks: &[u64]) -> String {
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

async fn map_page(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(params): Query<MapParams>,
) -> Result<Response, AppError> {
    let doc = map_doc(&state, &params, ctx.lang)?;
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
                None => page.t("cxc-map-suppressed"),
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
                code: s.code.clone(),
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
    languages.sort_by(|a, b| a.1.cmp(&b.1));
    let api = format!(
        "/api/v1/stats/map?{}",
        serde_urlencoded::to_string(params_pairs(&params)).unwrap_or_default()
    );
    Ok(render(&MapTemplate {
        mode: doc.mode.clone(),
        level: doc.level.clone(),
        capacity,
        language: doc.language.clone().unwrap_or_default(),
        org_kind: doc.org_kind.clone().unwrap_or_default(),
        capacity_groups: super::profiles::capacity_groups(&directory, ctx.lang),
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

fn params_pairs(p: &MapParams) -> Vec<(&'static str, String)> {
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

/// A capacity's figures for the dashboard.
pub struct Need {
    pub slug: String,
    pub label: String,
    pub needs: String,
    pub offers: String,
    pub bar_needs: f64,
    pub bar_offers: f64,
}

pub struct Cohort {
    pub text: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardTemplate {
    page: Page,
    people: u64,
    organizations: usize,
    capacities: usize,
    offering: u64,
    wanting: u64,
    needs: Vec<Need>,
    regions: Vec<(String, Vec<Need>)>,
    languages: Vec<(String, String, Vec<Need>)>,
    completeness: Vec<(String, String, f64)>,
    cohorts: Vec<Cohort>,
}

async fn dashboard_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let directory = state.directory();
    let read = state.read_model();
    let model = &read.model;
    let rule = state.config.public_rule(model);
    let min = rule.min_cell;
    let shown = |n: u64| {
        rule.publish(n)
            .map_or_else(|| "—".to_owned(), |n| n.to_string())
    };
    let people = rule.population(model);
    let needs_of = |population: &roaring::RoaringBitmap, n: usize| -> Vec<Need> {
        let rows = aggregates::per_capacity(model, population);
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|(c, _, wants)| {
                rule.publish(*wants).is_some_and(|n| n > 0)
                    && model.parent(*c).is_some()
                    && directory
                        .capacity(model.capacities.name(*c))
                        .is_some_and(|x| x.is_active())
            })
            .take(n)
            .collect();
        let max = rows.iter().map(|r| r.1.max(r.2)).max().unwrap_or(1).max(1) as f64;
        rows.into_iter()
            .filter_map(|(c, offers, wants)| {
                let cap = directory.capacity(model.capacities.name(c))?;
                Some(Need {
                    slug: cap.slug.clone(),
                    label: cap.label(ctx.lang).to_owned(),
                    needs: shown(wants),
                    offers: shown(offers),
                    bar_needs: wants as f64 / max * 100.0,
                    bar_offers: if rule.publish(offers).is_none() {
                        0.0
                    } else {
                        offers as f64 / max * 100.0
                    },
                })
            })
            .collect()
    };
    let regions = Region::ALL
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let here = &people & model.posting(Dimension::Region, i as u32, 0);
            (
                state.i18n.text(
                    ctx.lang,
                    &format!("cxc-region-{}", r.code().to_lowercase()),
                    &[],
                ),
                needs_of(&here, 3),
            )
        })
        .filter(|(_, n)| !n.is_empty())
        .collect();
    // The five languages most people speak well, each with what its speakers most need.
    let mut spoken: Vec<(u64, u32)> = model
        .values(Dimension::Language)
        .into_iter()
        .map(|l| {
            (
                people.intersection_len(model.posting(Dimension::Language, l, 3)),
                l,
            )
        })
        .collect();
    spoken.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let languages = spoken
        .into_iter()
        .take(5)
        .map(|(_, l)| {
            let code = model.languages.name(l).to_owned();
            let name = state.i18n.autonym(&code).unwrap_or(&code).to_owned();
            let speakers = &people & model.posting(Dimension::Language, l, 3);
            (code, name, needs_of(&speakers, 3))
        })
        .filter(|(_, _, n)| !n.is_empty())
        .collect();
    let mut buckets = [0u64; 5];
    for slot in &people {
        if let Some(p) = model.person(slot) {
            let parts = [
                !p.languages.is_empty(),
                p.country.is_some(),
                !p.known.is_empty(),
                !p.offered.is_empty(),
                !p.wanted.is_empty(),
            ];
            buckets[parts.iter().filter(|x| **x).count().min(4)] += 1;
        }
    }
    let total = people.len().max(1) as f64;
    let completeness = buckets
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                ctx_label(&state, ctx.lang, i),
                shown(*n),
                *n as f64 / total * 100.0,
            )
        })
        .collect();
    // Cohort candidates: many people wanting one capacity in one language and region.
    let mut cohorts: Vec<(u64, u64, String, String, String, String)> = Vec::new();
    for (c, _, _) in aggregates::per_capacity(model, &people)
        .into_iter()
        .filter(|(c, _, _)| model.parent(*c).is_some())
        .take(15)
    {
        let wanting = model.posting(Dimension::Wants, c, 0) & &people;
        let offering = model.posting(Dimension::Offers, c, 0) & &people;
        for (ri, region) in Region::ALL.iter().enumerate() {
            let in_region = &wanting & model.posting(Dimension::Region, ri as u32, 0);
            if in_region.len() < min {
                continue;
            }
            for l in model.values(Dimension::Language) {
                let speakers = model.posting(Dimension::Language, l, 3);
                let n = in_region.intersection_len(speakers);
                if n >= min.max(3) {
                    let offers = offering.intersection_len(speakers);
                    let key = model.capacities.name(c).to_owned();
                    let lang_code = model.languages.name(l).to_owned();
                    cohorts.push((
                        n,
                        offers,
                        key,
                        lang_code,
                        region.code().to_owned(),
                        String::new(),
                    ));
                }
            }
        }
    }
    cohorts.sort_by_key(|c| std::cmp::Reverse(c.0));
    let cohorts = cohorts
        .into_iter()
        .take(8)
        .filter_map(|(n, offers, key, lang_code, region, _)| {
            let cap = directory.capacity(&key)?;
            let language = state
                .i18n
                .autonym(&lang_code)
                .unwrap_or(&lang_code)
                .to_owned();
            let region_name = state.i18n.text(
                ctx.lang,
                &format!("cxc-region-{}", region.to_lowercase()),
                &[],
            );
            let offers = shown(offers);
            Some(Cohort {
                text: state.i18n.text(
                    ctx.lang,
                    "cxc-dashboard-cohort",
                    &[
                        &n.to_string(),
                        cap.label(ctx.lang),
                        &language,
                        &region_name,
                        &offers,
                    ],
                ),
                href: format!(
                    "/people?wants={key}&language={lang_code}&min_level=3&region={region}"
                ),
            })
        })
        .collect();
    let offering = people.intersection_len(
        &model
            .values(Dimension::Offers)
            .iter()
            .filter(|c| model.parent(**c).is_none())
            .fold(roaring::RoaringBitmap::new(), |a, c| {
                a | model.posting(Dimension::Offers, *c, 0)
            }),
    );
    let wanting = people.intersection_len(
        &model
            .values(Dimension::Wants)
            .iter()
            .filter(|c| model.parent(**c).is_none())
            .fold(roaring::RoaringBitmap::new(), |a, c| {
                a | model.posting(Dimension::Wants, *c, 0)
            }),
    );
    let page = Page::new(&state, &ctx, "cxc-dashboard-title");
    Ok(render(&DashboardTemplate {
        people: people.len(),
        organizations: directory.organizations().len(),
        capacities: directory.taxonomy().len(),
        offering,
        wanting,
        needs: needs_of(&people, 10),
        regions,
        languages,
        completeness,
        cohorts,
        page,
    })?
    .into_response())
}

fn ctx_label(state: &AppState, lang: &str, parts: usize) -> String {
    state.i18n.text(
        lang,
        "cxc-dashboard-completeness-parts",
        &[&parts.to_string()],
    )
}

#[derive(Template)]
#[template(path = "opendata.html")]
struct OpenDataTemplate {
    page: Page,
    min_cell: u64,
    /// Address, file name and the message describing it.
    files: &'static [(&'static str, &'static str, &'static str)],
    licence: &'static str,
}

const OPEN_FILES: &[(&str, &str, &str)] = &[
    (
        "/opendata/capacities-by-country.csv",
        "capacities-by-country.csv",
        "cxc-opendata-by-country",
    ),
    (
        "/opendata/capacities-by-region.csv",
        "capacities-by-region.csv",
        "cxc-opendata-by-region",
    ),
    (
        "/opendata/datapackage.json",
        "datapackage.json",
        "cxc-opendata-datapackage",
    ),
    (
        "/api/v1/stats/map",
        "/api/v1/stats/map",
        "cxc-opendata-json",
    ),
    (
        "/api/v1/capacities/skos.ttl",
        "skos.ttl",
        "cxc-opendata-skos",
    ),
    (
        "/api/v1/capacities/skos.jsonld",
        "skos.jsonld",
        "cxc-opendata-skos",
    ),
    (
        "/opendata/profiles.jsonld",
        "profiles.jsonld",
        "cxc-opendata-profiles",
    ),
];

async fn opendata_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    Ok(render(&OpenDataTemplate {
        min_cell: state.config.min_cell,
        files: OPEN_FILES,
        licence: "CC0 1.0",
        page: Page::new(&state, &ctx, "cxc-opendata-title"),
    })?
    .into_response())
}

/// Rows of capacity × area figures, suppressed where small.
fn table(state: &AppState, level: Level) -> Vec<Vec<String>> {
    let directory = state.directory();
    let read = state.read_model();
    let model = &read.model;
    let rule = state.config.public_rule(model);
    let cell = |n: u64| rule.publish(n).map_or_else(String::new, |n| n.to_string());
    let mut rows = Vec::new();
    for c in directory.active_capacities() {
        let Some(id) = model.capacities.get(&c.key) else {
            continue;
        };
        let scope = Scope {
            capacity: Some(id),
            ..Scope::default()
        };
        let counts: BTreeMap<u32, Counts> = aggregates::by_area(model, &rule, level, &scope);
        for (area, n) in counts {
            let (code, region) = match level {
                Level::Country => {
                    let code = model.countries.name(area).to_owned();
                    let region = state
                        .reference
                        .region_of(&code)
                        .map(|r| r.code().to_owned())
                        .unwrap_or_default();
                    (code, region)
                }
                Level::Region => (String::new(), Region::ALL[area as usize].code().to_owned()),
            };
            let suppressed = [n.assets, n.needs, n.gap]
                .iter()
                .any(|x| rule.publish(*x).is_none());
            let mut row = vec![c.key.clone(), c.qid.clone().unwrap_or_default()];
            if level == Level::Country {
                row.push(code);
            }
            row.extend([
                region,
                cell(n.assets),
                cell(n.needs),
                cell(n.gap),
                suppressed.to_string(),
            ]);
            rows.push(row);
        }
    }
    rows
}

fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let quote = |v: &str| {
        if v.contains([',', '"', '\n']) {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v.to_owned()
        }
    };
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        let _ = write!(
            out,
            "{}\r\n",
            row.iter().map(|v| quote(v)).collect::<Vec<_>>().join(",")
        );
    }
    out
}

const COUNTRY_HEADER: &[&str] = &[
    "capacity_id",
    "capacity_qid",
    "country",
    "region",
    "offers",
    "needs",
    "gap",
    "suppressed",
];
const REGION_HEADER: &[&str] = &[
    "capacity_id",
    "capacity_qid",
    "region",
    "offers",
    "needs",
    "gap",
    "suppressed",
];

fn csv_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response()
}

async fn csv_by_country(State(state): State<AppState>) -> Response {
    csv_response(csv(COUNTRY_HEADER, &table(&state, Level::Country)))
}

async fn csv_by_region(State(state): State<AppState>) -> Response {
    csv_response(csv(REGION_HEADER, &table(&state, Level::Region)))
}

/// A Frictionless Data Package describing the CSV files.
async fn datapackage(State(state): State<AppState>) -> Json<serde_json::Value> {
    let base = &state.config.base_url;
    let field = |name: &str| {
        let (kind, description) = match name {
            "capacity_id" => (
                "string",
                "Capacity id in the cxc taxonomy (see /api/v1/capacities)",
            ),
            "capacity_qid" => ("string", "Wikidata item of the capacity, when known"),
            "country" => ("string", "ISO 3166-1 alpha-2 country code"),
            "region" => (
                "string",
                "Wikimedia region: SSA, NWE, ESEAP, LAC, CEECA, SA, MENA or NA",
            ),
            "offers" => (
                "integer",
                "Public profiles offering the capacity or one under it; empty when suppressed",
            ),
            "needs" => (
                "integer",
                "Public profiles wanting it; empty when suppressed",
            ),
            "gap" => (
                "integer",
                "Needs that no offer in the same country or a shared language covers; empty when suppressed",
            ),
            _ => (
                "boolean",
                "Whether a count was suppressed because fewer people than the threshold are in it",
            ),
        };
        serde_json::json!({"name": name, "type": kind, "description": description})
    };
    let resource = |name: &str, header: &[&str]| {
        serde_json::json!({
            "name": name,
            "path": format!("{base}/opendata/{name}.csv"),
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {"fields": header.iter().map(|h| field(h)).collect::<Vec<_>>(), "missingValues": [""]},
        })
    };
    Json(serde_json::json!({
        "name": "cxc-capacity-aggregates",
        "title": "Capacity Exchange: capacities offered and needed, by country and region",
        "description": format!("Counts of public profiles only; cells with fewer than {} people are left empty; protected countries and territories are left out.", state.config.min_cell),
        "licenses": [{"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/", "title": "CC0 1.0 Universal"}],
        "created": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "resources": [resource("capacities-by-country", COUNTRY_HEADER), resource("capacities-by-region", REGION_HEADER)],
    }))
}

/// The last JSON-LD dump, and the model and directory revisions it was built from.
type DumpCache = Mutex<Option<((u64, i64), Bytes)>>;

/// Every profile that public figures count, as a schema.org Person, in one JSON-LD document.
/// Built once per model and directory revision: anonymous requests then cost a copy of bytes.
async fn profiles_dump(State(state): State<AppState>) -> Result<Response, AppError> {
    static CACHE: OnceLock<DumpCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let (directory, directory_version) = state.versioned_directory();
    let revision = (state.read_model().model.revision(), directory_version);
    let cached = cache
        .lock()
        .as_ref()
        .filter(|(built, _)| *built == revision)
        .map(|(_, body)| body.clone());
    let body = match cached {
        Some(body) => body,
        None => {
            // Who counts, read under the model's lock, which no database read may wait under.
            let (revision, counted) = {
                let read = state.read_model();
                let model = &read.model;
                let counted: HashSet<i64> = state
                    .config
                    .public_rule(model)
                    .population(model)
                    .iter()
                    .filter_map(|slot| model.person(slot).map(|p| p.account_id))
                    .collect();
                ((model.revision(), directory_version), counted)
            };
            let mut people = Vec::with_capacity(counted.len());
            crate::db::profiles::for_each(state.db.pool(), |p| {
                if counted.contains(&p.account_id) {
                    let mut person = super::profiles::person_json_ld(
                        &state,
                        &directory,
                        &p.username,
                        &p.profile,
                        "en",
                    );
                    if let Some(obj) = person.as_object_mut() {
                        obj.remove("@context");
                    }
                    people.push(person);
                }
                Ok(())
            })
            .await
            .map_err(AppError::Internal)?;
            let document = serde_json::json!({"@context": "https://schema.org", "@graph": people});
            let body = Bytes::from(serde_json::to_vec(&document).map_err(anyhow::Error::from)?);
            *cache.lock() = Some((revision, body.clone()));
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/ld+json")], body).into_response())
}
