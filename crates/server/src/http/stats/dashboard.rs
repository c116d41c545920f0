//! The dashboard: the movement's figures at a glance.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, OnceLock};

use cxc_core::model::Model;
use cxc_core::{aggregates, dashboard};
use parking_lot::Mutex;

use crate::AppState;
use crate::directory::Directory;
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::page::{Page, render};
use crate::state::DirectoryVersion;

/// A capacity's figures for the dashboard.
pub struct Need {
    pub slug: String,
    pub label: String,
    pub needs: String,
    pub offers: String,
    pub bar_needs: f64,
    pub bar_offers: f64,
}

/// One month of connections as the dashboard shows it: published counts (or a dash when
/// too small to show) and bar heights in percent of the busiest month.
pub struct MonthView {
    pub month: String,
    pub opened: String,
    pub completed: String,
    pub bar_opened: f64,
    pub bar_completed: f64,
}

pub struct Cohort {
    pub text: String,
    /// The people it counts, and the learning groups proposed for its capacity.
    pub href: String,
    pub proposals: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(super) struct DashboardTemplate {
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
    months: Vec<MonthView>,
}

/// Connections per month over the last year, each count through the public-figures rule; a
/// count too small to show reads `fewer`.
fn month_views(
    rule: &aggregates::Rule,
    timeline: &[(i64, Option<i64>)],
    now: i64,
    fewer: &str,
) -> Vec<MonthView> {
    let months = aggregates::per_month(timeline, now, 12);
    let shown = |n: u64| rule.publish(n);
    let max = months
        .iter()
        .flat_map(|m| [shown(m.opened), shown(m.completed)])
        .flatten()
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let text = |n: Option<u64>| n.map_or_else(|| fewer.to_owned(), |n| n.to_string());
    let bar = |n: Option<u64>| n.map_or(0.0, |n| n as f64 / max * 100.0);
    months
        .into_iter()
        .map(|m| {
            let (opened, completed) = (shown(m.opened), shown(m.completed));
            MonthView {
                month: m.month,
                opened: text(opened),
                completed: text(completed),
                bar_opened: bar(opened),
                bar_completed: bar(completed),
            }
        })
        .collect()
}

pub(super) async fn dashboard_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let timeline = crate::db::connections::timeline(state.db.pool()).await?;
    let (directory, directory_version) = state.versioned_directory();
    let read = state.read_model();
    let model = &read.model;
    let rule = state.config.public_rule(model);
    let min = rule.min_cell;
    let fewer = state
        .i18n
        .text(ctx.lang, "cxc-figure-fewer-than", &[&min.to_string()]);
    let months = month_views(&rule, &timeline, state.clock.unix(), &fewer);
    let shown = |n: u64| {
        rule.publish(n)
            .map_or_else(|| fewer.clone(), |n| n.to_string())
    };
    let figures = cached_figures(model, &rule, &directory, directory_version);
    let label = |c: u32| directory.capacity(model.capacities.name(c));
    let needs_view =
        |needs: &[dashboard::Need]| needs_view(model, &directory, &rule, &fewer, ctx.lang, needs);
    let regions = figures
        .regions
        .iter()
        .map(|(r, needs)| {
            (
                state.i18n.region_name(ctx.lang, r.code()),
                needs_view(needs),
            )
        })
        .collect();
    let languages = figures
        .languages
        .iter()
        .map(|(l, needs)| {
            let code = model.languages.name(*l).to_owned();
            let name = state.i18n.autonym(&code).unwrap_or(&code).to_owned();
            (code, name, needs_view(needs))
        })
        .collect();
    let total = figures.people.max(1) as f64;
    let completeness = figures
        .completeness
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                parts_label(&state, ctx.lang, i),
                shown(*n),
                *n as f64 / total * 100.0,
            )
        })
        .collect();
    let cohorts = figures
        .cohorts
        .iter()
        .filter_map(|c| {
            let cap = label(c.capacity)?;
            let key = model.capacities.name(c.capacity);
            let lang_code = model.languages.name(c.language);
            let language = state.i18n.autonym(lang_code).unwrap_or(lang_code);
            let region = c.region.code();
            let region_name = state.i18n.region_name(ctx.lang, region);
            Some(Cohort {
                text: state.i18n.text(
                    ctx.lang,
                    "cxc-dashboard-cohort",
                    &[
                        &c.wanting.to_string(),
                        cap.label(ctx.lang),
                        language,
                        &region_name,
                        &shown(c.offering),
                    ],
                ),
                href: format!(
                    "/people?wants={key}&language={lang_code}&min_level=3&region={region}"
                ),
                proposals: format!("/cohorts/proposals?capacity={key}"),
            })
        })
        .collect();
    let page = Page::new(&state, &ctx, "cxc-dashboard-title");
    Ok(render(&DashboardTemplate {
        people: figures.people,
        organizations: directory.organizations().len(),
        capacities: directory.taxonomy().len(),
        offering: figures.offering,
        wanting: figures.wanting,
        needs: needs_view(&figures.needs),
        regions,
        languages,
        completeness,
        cohorts,
        months,
        page,
    })?
    .into_response())
}

/// Capacities' figures as the dashboard shows them: published counts (or "fewer than N") and
/// bar lengths in percent of the largest.
fn needs_view(
    model: &Model,
    directory: &Directory,
    rule: &aggregates::Rule,
    fewer: &str,
    lang: &str,
    needs: &[dashboard::Need],
) -> Vec<Need> {
    let shown = |n: u64| {
        rule.publish(n)
            .map_or_else(|| fewer.to_owned(), |n| n.to_string())
    };
    let max = needs
        .iter()
        .map(|n| n.offers.max(n.wants))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    needs
        .iter()
        .filter_map(|n| {
            let cap = directory.capacity(model.capacities.name(n.capacity))?;
            Some(Need {
                slug: cap.slug.clone(),
                label: cap.label(lang).to_owned(),
                needs: shown(n.wants),
                offers: shown(n.offers),
                bar_needs: n.wants as f64 / max * 100.0,
                bar_offers: if rule.publish(n.offers).is_none() {
                    0.0
                } else {
                    n.offers as f64 / max * 100.0
                },
            })
        })
        .collect()
}

/// What the home page shows of the movement right now: the capacities most needed, and for
/// the regions with the most needs, what they need most; the same public figures as the
/// dashboard.
pub fn right_now(state: &AppState, lang: &str) -> (Vec<Need>, Vec<(String, Need)>) {
    let (directory, directory_version) = state.versioned_directory();
    let read = state.read_model();
    let model = &read.model;
    let rule = state.config.public_rule(model);
    let fewer = state
        .i18n
        .text(lang, "cxc-figure-fewer-than", &[&rule.min_cell.to_string()]);
    let figures = cached_figures(model, &rule, &directory, directory_version);
    let mut most_needed = needs_view(model, &directory, &rule, &fewer, lang, &figures.needs);
    most_needed.truncate(5);
    let mut regions: Vec<(u64, String, Need)> = figures
        .regions
        .iter()
        .filter_map(|(r, needs)| {
            let top = needs.first()?;
            let name = state.i18n.region_name(lang, r.code());
            let view = needs_view(
                model,
                &directory,
                &rule,
                &fewer,
                lang,
                std::slice::from_ref(top),
            );
            Some((top.wants, name, view.into_iter().next()?))
        })
        .collect();
    regions.sort_by_key(|r| std::cmp::Reverse(r.0));
    let regions = regions
        .into_iter()
        .take(3)
        .map(|(_, n, v)| (n, v))
        .collect();
    (most_needed, regions)
}

/// The figures of the current read model and directory, computed at the first request after
/// either changes: revisions are unique in the process, so one slot serves every server in it.
fn cached_figures(
    model: &Model,
    rule: &aggregates::Rule,
    directory: &Directory,
    directory_version: DirectoryVersion,
) -> Arc<dashboard::Figures> {
    type Slot = Mutex<Option<((u64, DirectoryVersion), Arc<dashboard::Figures>)>>;
    static CACHE: OnceLock<Slot> = OnceLock::new();
    let revision = (model.revision(), directory_version);
    let cache = CACHE.get_or_init(Default::default);
    if let Some((rev, figures)) = cache.lock().as_ref()
        && *rev == revision
    {
        return figures.clone();
    }
    let listed = |c: u32| {
        directory
            .capacity(model.capacities.name(c))
            .is_some_and(|x| x.is_active())
    };
    let figures = Arc::new(dashboard::figures(model, rule, listed));
    *cache.lock() = Some((revision, figures.clone()));
    figures
}

/// A row of the completeness table: how many of the profile's parts are filled in.
fn parts_label(state: &AppState, lang: &str, parts: usize) -> String {
    state.i18n.text(
        lang,
        "cxc-dashboard-completeness-of",
        &[&parts.to_string(), &dashboard::PROFILE_PARTS.to_string()],
    )
}
