//! Suggested peers: for the signed-in person (to learn from, to share with, both) and for
//! organizations, each with its reasons in plain translated words.

use std::collections::HashSet;

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use cxc_core::Relation;
use cxc_core::matching::{
    self, Boost, CapacityMatch, Context, Direction, Fit, Lowered, Match, Subject,
};
use cxc_core::model::{Interest, Model, format_bits, method_bits};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::context::RequestContext;
use super::extract::{Path, Query};
use super::page::{Page, render};
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::catalog;
use crate::directory::Directory;
use crate::error::AppError;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/matches", get(matches_page))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(my_matches))
        .routes(routes!(organization_matches))
}

#[derive(Serialize, ToSchema, Clone)]
pub struct CapacityReason {
    /// `learn_from`: they teach it to you; `share_with`: you teach it to them.
    #[schema(value_type = String)]
    direction: Direction,
    /// What the learner wants.
    wanted: String,
    /// What the teacher offers.
    offered: String,
    /// exact, narrower, broader or sibling.
    #[schema(value_type = String)]
    fit: Fit,
    label: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct Reason {
    /// Stable code: capacity, language, region, time_zone, boosted, or what lowered the score
    /// (partial_capacity, language_level, distance, inactive, busy, methods, popular).
    pub code: String,
    /// The reason in the caller's language.
    pub text: String,
}

/// A suggested peer and why.
#[derive(Serialize, ToSchema, Clone)]
pub struct MatchItem {
    pub username: String,
    pub display_name: String,
    /// How well this peer fits, from 0 (hardly) to 1 (a perfect fit, both ways for a mutual
    /// pair), after the bounded boosts for emerging communities and rarely suggested people.
    /// The list itself is in the recommended order, which also weighs diversity, so a score
    /// may be followed by a higher one.
    #[schema(minimum = 0, maximum = 1)]
    pub score: f32,
    #[schema(value_type = String)]
    pub direction: Direction,
    pub capacities: Vec<CapacityReason>,
    pub reasons: Vec<Reason>,
}

#[derive(Serialize, ToSchema)]
pub struct MatchList {
    pub items: Vec<MatchItem>,
}

#[derive(Deserialize, IntoParams)]
pub struct LimitQuery {
    /// How many suggestions, 1–100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
}

pub fn limit(q: &LimitQuery) -> Result<usize, AppError> {
    match q.limit {
        None => Ok(10),
        Some(n @ 1..=100) => Ok(n),
        Some(_) => Err(AppError::invalid("limit", "cxc-error-invalid-limit")),
    }
}

/// Peers for any subject (a person, an organization, an ask), best first, on the server's clock.
pub fn find(
    state: &AppState,
    model: &Model,
    subject: &Subject,
    blocked: &HashSet<u32>,
    signed_in: bool,
    limit: usize,
) -> Vec<Match> {
    let exposure = state.exposure.snapshot();
    let context = Context {
        today: state.clock.today(),
        now: state.clock.unix(),
        signed_in,
        exposure: &exposure,
        blocked,
    };
    matching::matches(model, subject, &state.matching, &context, limit)
}

/// A match in the words of the caller's language.
pub fn explain(
    state: &AppState,
    directory: &Directory,
    model: &Model,
    m: &Match,
    lang: &str,
) -> MatchItem {
    let person = model.person(m.slot);
    let (reasons, capacities) = reasons(state, directory, model, m, lang, "cxc-match");
    MatchItem {
        username: person.map_or_else(String::new, |p| p.username.clone()),
        display_name: person.map_or_else(String::new, |p| p.display_name.clone()),
        score: (m.score * 1000.0).round() / 1000.0,
        direction: m.direction,
        capacities,
        reasons,
    }
}

/// Why a match fits, in `lang`, with the messages under `prefix`: `cxc-match` speaks to one
/// of the two people ("you both speak…"), `cxc-pair` about both to a third ("they both
/// speak…", for an organiser).
pub fn reasons(
    state: &AppState,
    directory: &Directory,
    model: &Model,
    m: &Match,
    lang: &str,
    prefix: &str,
) -> (Vec<Reason>, Vec<CapacityReason>) {
    let t = |key: &str, args: &[&str]| state.i18n.text(lang, &format!("{prefix}-{key}"), args);
    let label = |id: u32| {
        let key = model.capacities.name(id);
        directory
            .capacity(key)
            .map_or(key, |c| c.label(lang))
            .to_owned()
    };
    let person = model.person(m.slot);
    let name = person.map_or("", |p| p.display_name.as_str());
    let mut reasons = Vec::new();
    let mut capacities = Vec::new();
    for c in &m.capacities {
        let CapacityMatch {
            direction,
            wanted,
            offered,
            fit,
        } = c;
        let key = match (direction, fit) {
            (Direction::LearnFrom, Fit::Exact) => "reason-learn-exact",
            (Direction::LearnFrom, _) => "reason-learn-related",
            (_, Fit::Exact) => "reason-share-exact",
            (_, _) => "reason-share-related",
        };
        reasons.push(Reason {
            code: "capacity".into(),
            text: t(key, &[name, &label(*offered), &label(*wanted)]),
        });
        capacities.push(CapacityReason {
            direction: *direction,
            wanted: model.capacities.name(*wanted).to_owned(),
            offered: model.capacities.name(*offered).to_owned(),
            fit: *fit,
            label: label(*wanted),
        });
    }
    if !m.languages.is_empty() {
        let names: Vec<String> = m
            .languages
            .iter()
            .map(|l| {
                let code = model.languages.name(*l);
                state.i18n.autonym(code).unwrap_or(code).to_owned()
            })
            .collect();
        reasons.push(Reason {
            code: "language".into(),
            text: t(
                "reason-language",
                &[&names.join(&state.i18n.text(lang, "cxc-comma-separator", &[]))],
            ),
        });
    }
    if m.same_region
        && let Some(region) = person.and_then(|p| p.region)
    {
        let region = state.i18n.region_name(lang, region.code());
        reasons.push(Reason {
            code: "region".into(),
            text: t("reason-region", &[&region]),
        });
    }
    // Distance lowers a score when time zones are far apart or, without time zones, when the
    // regions differ: one reason says which, and the hours are never said twice.
    let hours = m
        .hours_apart
        .filter(|h| *h >= 1.0)
        .map(|h| format!("{}", h.round() as i64));
    if let Some(hours) = hours.as_deref()
        && !m.lowered.contains(&Lowered::Distance)
    {
        reasons.push(Reason {
            code: "time_zone".into(),
            text: t("reason-hours", &[hours]),
        });
    }
    for boost in &m.boosts {
        let key = match boost {
            Boost::EmergingCommunity => "reason-boosted-emerging",
            Boost::RarelySuggested => "reason-boosted-rare",
        };
        reasons.push(Reason {
            code: "boosted".into(),
            text: t(key, &[]),
        });
    }
    for lowered in &m.lowered {
        let code = lowered_code(*lowered);
        let text = match (lowered, hours.as_deref()) {
            (Lowered::Distance, Some(hours)) => t("lowered-hours", &[hours]),
            (Lowered::Distance, None) => t("lowered-regions", &[]),
            _ => t(&format!("lowered-{}", code.replace('_', "-")), &[]),
        };
        reasons.push(Reason { text, code });
    }
    (reasons, capacities)
}

/// The signed-in person's suggestions (none when they have no profile yet).
pub fn for_account(
    state: &AppState,
    account: &Account,
    limit: usize,
    lang: &str,
) -> Vec<MatchItem> {
    let directory = state.directory();
    let found = {
        let read = state.read_model();
        let Some(slot) = read.model.slot_of(account.id) else {
            return Vec::new();
        };
        let Some(me) = read.model.person(slot) else {
            return Vec::new();
        };
        let blocked = read.blocked_slots(account.id);
        let found = find(
            state,
            &read.model,
            &Subject::person(slot, me),
            &blocked,
            true,
            limit,
        );
        let items: Vec<MatchItem> = found
            .iter()
            .map(|m| explain(state, &directory, &read.model, m, lang))
            .collect();
        let suggested: Vec<i64> = found
            .iter()
            .filter_map(|m| Some(read.model.person(m.slot)?.account_id))
            .collect();
        (suggested, items)
    };
    state.exposure.record(account.id, found.0);
    found.1
}

/// Peers for the signed-in person: to learn from (they offer what you want), to share with
/// (they want what you offer), and mutual pairs first.
#[utoipa::path(
    get,
    path = "/api/v1/me/matches",
    tag = "matching",
    params(LimitQuery),
    responses(
        (status = 200, description = "Suggestions, best first, each with its reasons", body = MatchList),
        (status = 401, description = "Not signed in", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A limit outside 1–100", body = super::api::Problem, content_type = "application/problem+json"),
    ),
    security(("token" = []), ("session" = []))
)]
async fn my_matches(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(q): Query<LimitQuery>,
) -> Result<Json<MatchList>, AppError> {
    let account = ctx.require_account()?;
    let limit = limit(&q)?;
    Ok(Json(MatchList {
        items: for_account(&state, account, limit, ctx.lang),
    }))
}

/// People who could help an organization with what it needs, and whom it could help.
#[utoipa::path(
    get,
    path = "/api/v1/organizations/{key}/matches",
    tag = "matching",
    params(("key" = String, Path, description = "The organization's key"), LimitQuery),
    responses(
        (status = 200, description = "Suggestions, best first", body = MatchList),
        (status = 404, description = "No such organization", body = super::api::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A limit outside 1–100", body = super::api::Problem, content_type = "application/problem+json"),
    )
)]
async fn organization_matches(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(key): Path<String>,
    Query(q): Query<LimitQuery>,
) -> Result<Json<MatchList>, AppError> {
    let limit = limit(&q)?;
    let directory = state.directory();
    let org = directory.organization(&key).ok_or(AppError::NotFound)?;
    let entries = catalog::organization_capacities(state.db.pool(), org.id).await?;
    let read = state.read_model();
    let model = &read.model;
    let interests = |relation: Relation| -> Vec<Interest> {
        entries
            .iter()
            .filter(|(r, _)| *r == relation)
            .filter_map(|(_, e)| {
                Some(Interest {
                    capacity: model.capacities.get(&e.capacity)?,
                    methods: method_bits(&e.methods),
                    formats: format_bits(&e.formats),
                })
            })
            .collect()
    };
    let known: Vec<(u32, u8)> = entries
        .iter()
        .filter(|(r, _)| *r == Relation::Known)
        .filter_map(|(_, e)| Some((model.capacities.get(&e.capacity)?, e.level.unwrap_or(0))))
        .collect();
    let (wanted, offered) = (interests(Relation::Wanted), interests(Relation::Offered));
    let region = org
        .countries
        .first()
        .and_then(|c| state.reference.region_of(c));
    let subject = Subject {
        slot: None,
        wanted: &wanted,
        offered: &offered,
        known: &known,
        languages: None,
        region,
        utc_offset: None,
        affiliations: &[],
    };
    let found = find(
        &state,
        model,
        &subject,
        &HashSet::new(),
        ctx.account.is_some(),
        limit,
    );
    Ok(Json(MatchList {
        items: found
            .iter()
            .map(|m| explain(&state, &directory, model, m, ctx.lang))
            .collect(),
    }))
}

#[derive(Template)]
#[template(path = "matches.html")]
struct MatchesTemplate {
    page: Page,
    items: Vec<MatchItem>,
    has_profile: bool,
}

async fn matches_page(
    State(state): State<AppState>,
    ctx: RequestContext,
) -> Result<Response, AppError> {
    let Some(account) = &ctx.account else {
        return Ok(Redirect::to("/login?return=/matches").into_response());
    };
    let has_profile = state.read_model().model.slot_of(account.id).is_some();
    Ok(render(&MatchesTemplate {
        items: for_account(&state, account, 20, ctx.lang),
        has_profile,
        page: Page::new(&state, &ctx, "cxc-matches-title"),
    })?
    .into_response())
}

/// Direction as a message key suffix, for templates.
pub fn direction_code(d: &Direction) -> &'static str {
    match d {
        Direction::LearnFrom => "learn_from",
        Direction::ShareWith => "share_with",
        Direction::Mutual => "mutual",
    }
}

/// The code of what lowered a score.
pub fn lowered_code(l: Lowered) -> String {
    serde_json::to_value(l)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
