//! The demo's learning life: events the hand-written community runs in the coming weeks,
//! and a mentorship programme an organization runs, open for registration, with people who
//! applied. Each goes
//! through the same save path as the forms and the API; dates are relative to today so the
//! demo never shows a past it cannot change.

use cxc_core::programme::{ApplicationDraft, ProgrammeDraft};
use serde::Deserialize;
use time::{Duration, Time};

use crate::AppState;
use crate::db::accounts::{self, Account};

const DEMO_LEARNING: &str = include_str!("../../../../demo/learning.json");

#[derive(Deserialize)]
struct Learning {
    /// Who manages which organization of the community, by username.
    managers: std::collections::BTreeMap<String, Vec<String>>,
    events: Vec<DemoEvent>,
    programme: DemoProgramme,
}

#[derive(Deserialize)]
struct DemoEvent {
    organizer: String,
    title: String,
    description: String,
    kind: String,
    capacities: Vec<String>,
    languages: Vec<String>,
    online: bool,
    country: Option<String>,
    city: Option<String>,
    url: Option<String>,
    /// Days from today, at `time` in `timezone`, for `minutes`.
    in_days: i64,
    time: String,
    minutes: i64,
    timezone: String,
    repeat: Option<String>,
    occurrences: Option<i64>,
    limit: Option<i64>,
}

#[derive(Deserialize)]
struct DemoProgramme {
    organizer: String,
    organization: String,
    name: String,
    description: String,
    capacities: Vec<String>,
    languages: Vec<String>,
    opened_days_ago: i64,
    closes_in_days: i64,
    mentor_questions: Vec<String>,
    mentee_questions: Vec<String>,
    mentor_limit: i64,
    mentors: Vec<Applicant>,
    mentees: Vec<Applicant>,
}

#[derive(Deserialize)]
struct Applicant {
    username: String,
    answers: Vec<String>,
    slots: Option<i64>,
}

async fn account(state: &AppState, username: &str) -> anyhow::Result<Account> {
    accounts::by_username(&state.db, username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo/learning.json: no {username}"))
}

fn refused(what: &str) -> impl Fn(crate::error::AppError) -> anyhow::Error + '_ {
    move |e| anyhow::anyhow!("demo/learning.json, {what}: {e:?}")
}

pub async fn add(state: &AppState) -> anyhow::Result<()> {
    let learning: Learning = serde_json::from_str(DEMO_LEARNING)?;
    let today = state.clock.today();
    let directory = state.refresh_directory().await?;
    let mut tx = state.db.begin_write().await?;
    for (key, usernames) in &learning.managers {
        let organization = directory
            .organization(key)
            .ok_or_else(|| anyhow::anyhow!("demo/learning.json: no organization {key}"))?;
        let mut ids = Vec::new();
        for username in usernames {
            ids.push(account(state, username).await?.id);
        }
        crate::db::catalog::set_managers(&mut tx, organization.id, &ids).await?;
    }
    tx.commit().await?;
    for e in learning.events {
        let organizer = account(state, &e.organizer).await?;
        let time = Time::parse(
            &e.time,
            time::macros::format_description!("[hour]:[minute]"),
        )?;
        let start = (today + Duration::days(e.in_days)).with_time(time);
        let end = start + Duration::minutes(e.minutes);
        let draft = cxc_core::event::EventDraft {
            title: e.title,
            description: e.description,
            kind: e.kind,
            capacities: e.capacities,
            languages: e.languages,
            online: e.online,
            country: e.country,
            city: e.city,
            url: e.url,
            start: cxc_core::event::format_local(start),
            end: cxc_core::event::format_local(end),
            timezone: e.timezone,
            repeat: e.repeat,
            occurrences: e.occurrences,
            limit: e.limit,
            organization: None,
            status: None,
        };
        crate::http::events::save(state, &organizer, None, draft)
            .await
            .map_err(refused("an event"))?;
    }
    let p = learning.programme;
    let organizer = account(state, &p.organizer).await?;
    let id = crate::programmes::create(
        state,
        &organizer,
        ProgrammeDraft {
            name: p.name,
            description: p.description,
            capacities: p.capacities,
            languages: p.languages,
            region: None,
            registration_opens: (today - Duration::days(p.opened_days_ago)).to_string(),
            registration_closes: (today + Duration::days(p.closes_in_days)).to_string(),
            mentor_questions: p.mentor_questions,
            mentee_questions: p.mentee_questions,
            mentor_limit: Some(p.mentor_limit),
            organization: Some(p.organization),
        },
    )
    .await
    .map_err(refused("the programme"))?;
    for (role, list) in [("mentor", p.mentors), ("mentee", p.mentees)] {
        for a in list {
            let applicant = account(state, &a.username).await?;
            let draft = ApplicationDraft {
                role: role.to_owned(),
                answers: a.answers,
                capacities: Vec::new(),
                slots: a.slots,
            };
            crate::programmes::apply(state, &applicant, id, draft)
                .await
                .map_err(refused("an application"))?;
        }
    }
    Ok(())
}
