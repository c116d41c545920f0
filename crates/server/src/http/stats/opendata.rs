//! Open data: CSV tables, their data package, and the JSON-LD dump of public profiles.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::OnceLock;

// parking_lot locks are not poisoned: a request that panics while holding one (answered with
// a 500) does not make every later request that needs it panic too.
use parking_lot::Mutex;

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use cxc_core::Region;
use cxc_core::aggregates::{self, Counts, Level, Scope};

use crate::AppState;
use crate::error::AppError;
use crate::http::context::RequestContext;
use crate::http::page::{Page, render};

#[derive(Template)]
#[template(path = "opendata.html")]
pub(super) struct OpenDataTemplate {
    page: Page,
    min_cell: u64,
    /// Address, file name and the message describing it.
    files: &'static [(&'static str, &'static str, &'static str)],
    licence: &'static str,
}

pub(super) const OPEN_FILES: &[(&str, &str, &str)] = &[
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
    ("/opendata/events.csv", "events.csv", "cxc-opendata-events"),
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

pub(super) async fn opendata_page(
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
pub(super) fn table(state: &AppState, level: Level) -> Vec<Vec<String>> {
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

/// A CSV document. A cell that a spreadsheet would read as a formula (`=HYPERLINK(…)`,
/// `+`, `-`, `@`) is opened with an apostrophe, so that opening the file runs nothing.
pub(super) fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let quote = |v: &str| {
        let formula = v.starts_with(['=', '+', '-', '@', '\t', '\r']) && v.parse::<f64>().is_err();
        let v = if formula {
            format!("'{v}")
        } else {
            v.to_owned()
        };
        if v.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v
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

pub(super) const COUNTRY_HEADER: &[&str] = &[
    "capacity_id",
    "capacity_qid",
    "country",
    "region",
    "offers",
    "needs",
    "gap",
    "suppressed",
];
pub(super) const REGION_HEADER: &[&str] = &[
    "capacity_id",
    "capacity_qid",
    "region",
    "offers",
    "needs",
    "gap",
    "suppressed",
];

pub(super) const EVENTS_HEADER: &[&str] = &[
    "event_id",
    "title",
    "kind",
    "capacities",
    "languages",
    "online",
    "country",
    "city",
    "start_utc",
    "end_utc",
    "timezone",
    "repeat",
    "occurrences",
    "status",
    "organization",
    "url",
];

/// How far back the events table reaches: a year of past events, and all those to come.
const EVENTS_PAST_DAYS: i64 = 365;

/// Learning events of the past year and to come, cancelled ones marked as such. An event
/// carries no count of people, so nothing is suppressed.
pub(super) async fn csv_events(State(state): State<AppState>) -> Result<Response, AppError> {
    let since = state.clock.unix() - EVENTS_PAST_DAYS * 86_400;
    let events = crate::db::events::ending_after(state.db.pool(), since).await?;
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let ev = &e.event;
            vec![
                e.id.to_string(),
                ev.title.clone(),
                ev.kind.as_str().to_owned(),
                ev.capacities.join(" "),
                ev.languages.join(" "),
                ev.online.to_string(),
                ev.country.clone().unwrap_or_default(),
                ev.city.clone().unwrap_or_default(),
                crate::http::posts::timestamp(e.starts_at),
                crate::http::posts::timestamp(e.ends_at),
                ev.timezone.clone(),
                ev.recurrence
                    .map_or("", |r| r.frequency.as_str())
                    .to_owned(),
                ev.recurrence
                    .map_or_else(String::new, |r| r.occurrences.to_string()),
                ev.status.as_str().to_owned(),
                ev.organization.clone().unwrap_or_default(),
                ev.url.clone().unwrap_or_default(),
            ]
        })
        .collect();
    Ok(csv_response(csv(EVENTS_HEADER, &rows)))
}

pub(super) fn csv_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response()
}

pub(super) async fn csv_by_country(State(state): State<AppState>) -> Response {
    csv_response(csv(COUNTRY_HEADER, &table(&state, Level::Country)))
}

pub(super) async fn csv_by_region(State(state): State<AppState>) -> Response {
    csv_response(csv(REGION_HEADER, &table(&state, Level::Region)))
}

/// A Frictionless Data Package describing the CSV files.
pub(super) async fn datapackage(State(state): State<AppState>) -> Json<serde_json::Value> {
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
            "event_id" => ("integer", "The event's id (its page is /events/{id})"),
            "title" => ("string", "The event's title, as its organizer wrote it"),
            "kind" => (
                "string",
                "training, webinar, clinic, edit_a_thon, course, community_of_practice or other",
            ),
            "capacities" => ("string", "Capacity ids it is about, separated by spaces"),
            "languages" => (
                "string",
                "Language codes it is held in, separated by spaces",
            ),
            "online" => ("boolean", "Whether it is held online"),
            "city" => ("string", "Where it is held, when not only online"),
            "start_utc" | "end_utc" => (
                "datetime",
                "When the first occurrence starts, and the last ends (UTC, RFC 3339)",
            ),
            "timezone" => ("string", "The IANA time zone its local times are in"),
            "repeat" => ("string", "weekly or monthly when it repeats"),
            "occurrences" => ("integer", "How many times it takes place, when it repeats"),
            "status" => ("string", "scheduled or cancelled"),
            "organization" => ("string", "Key of the organization that runs it, if any"),
            "url" => ("string", "Where to join or read more"),
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
        "title": "Capacity Exchange: capacities offered and needed, by country and region, and learning events",
        "description": format!("Counts of public profiles only; cells with fewer than {} people are left empty; protected countries and territories are left out.", state.config.min_cell),
        "licenses": [{"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/", "title": "CC0 1.0 Universal"}],
        "created": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "resources": [resource("capacities-by-country", COUNTRY_HEADER), resource("capacities-by-region", REGION_HEADER), resource("events", EVENTS_HEADER)],
    }))
}

/// The last JSON-LD dump, and the model and directory revisions it was built from.
type DumpCache = Mutex<Option<((u64, i64), Bytes)>>;

/// Every profile that public figures count, as a schema.org Person, in one JSON-LD document.
/// Built once per model and directory revision: anonymous requests then cost a copy of bytes.
pub(super) async fn profiles_dump(State(state): State<AppState>) -> Result<Response, AppError> {
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
                    let mut person = crate::http::profiles::person_json_ld(
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
