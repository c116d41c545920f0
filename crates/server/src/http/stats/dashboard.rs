//! The dashboard: the movement's figures at a glance.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use cxc_core::Region;
use cxc_core::aggregates;
use cxc_core::model::Dimension;

use crate::AppState;
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::page::{Page, render};

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
    let directory = state.directory();
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
                proposals: format!("/cohorts/proposals?capacity={key}"),
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
        months,
        page,
    })?
    .into_response())
}

pub(super) fn ctx_label(state: &AppState, lang: &str, parts: usize) -> String {
    state.i18n.text(
        lang,
        "cxc-dashboard-completeness-parts",
        &[&parts.to_string()],
    )
}
