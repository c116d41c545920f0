//! Mentorship programmes: `/programmes` and a page per programme (apply, and for organisers
//! the applications, a round to review and publish), and the JSON API. Writes go through
//! [`crate::programmes`].

mod api;
mod pages;

use std::collections::HashMap;

use axum::routing::{get, post};
use cxc_core::model::Model;
use cxc_core::programme::{self, Applicant, Phase, Role, Why};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::matches::{self, Reason};
use crate::AppState;
use crate::db::accounts::Account;
use crate::db::programmes::{self as stored, StoredApplication, StoredProgramme, StoredRound};
use crate::error::AppError;
use crate::programmes::{organises, phase};

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/programmes", get(pages::list_page))
        .route(
            "/programmes/new",
            get(pages::new_page).post(pages::create_submit),
        )
        .route("/programmes/{id}", get(pages::programme_page))
        .route("/programmes/{id}/apply", post(pages::apply_submit))
        .route("/programmes/{id}/withdraw", post(pages::withdraw_submit))
        .route("/programmes/{id}/round", post(pages::round_submit))
        .route("/programmes/{id}/close", post(pages::close_submit))
        .route("/programmes/{id}/publish", post(pages::publish_submit))
}

pub fn api(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(api::list_programmes, api::create_programme))
        .routes(routes!(api::get_programme))
        .routes(routes!(api::apply, api::withdraw))
        .routes(routes!(api::compute_round))
        .routes(routes!(api::close))
        .routes(routes!(api::publish))
}

/// Someone's application, seen by themselves and by the programme's organisers.
#[derive(Serialize, ToSchema, Clone)]
pub struct ApplicationDoc {
    username: String,
    display_name: String,
    /// `mentor` or `mentee`.
    role: &'static str,
    /// One per question for the role, in order.
    answers: Vec<String>,
    capacities: Vec<String>,
    /// How many mentees a mentor takes (0 for a mentee).
    slots: u8,
}

/// A proposed pair and why they fit.
#[derive(Serialize, ToSchema, Clone)]
pub struct PairDoc {
    mentor: String,
    mentee: String,
    /// How well they fit, from 0 to 1 (0 for a pinned pair that does not fit).
    #[schema(minimum = 0, maximum = 1)]
    score: f32,
    pinned: bool,
    reasons: Vec<Reason>,
}

/// Someone without a partner in a round, and why.
#[derive(Serialize, ToSchema, Clone)]
pub struct UnmatchedDoc {
    username: String,
    /// `mentor` or `mentee`.
    role: &'static str,
    /// `no_profile`, `no_fit`, `full` or `not_chosen`.
    reason: String,
    /// The reason in the caller's language.
    text: String,
}

/// A computed round, as the organiser reviews it.
#[derive(Serialize, ToSchema, Clone)]
pub struct ProposalDoc {
    /// `best_total`, `max_matched` or `stable`.
    mode: &'static str,
    pairs: Vec<PairDoc>,
    /// The sum of the pairs' scores.
    total: f32,
    unmatched: Vec<UnmatchedDoc>,
    /// The organiser's choices, as `[mentor, mentee]` usernames.
    pinned: Vec<[String; 2]>,
    forbidden: Vec<[String; 2]>,
    #[schema(format = DateTime)]
    computed: String,
}

/// How a programme went, for its organisers.
#[derive(Serialize, ToSchema, Clone, Default)]
pub struct StatsDoc {
    mentors: usize,
    mentees: usize,
    /// Pairs in the latest round (published or not).
    matched: usize,
    /// People without a partner in the latest round, by reason.
    unmatched: HashMap<String, usize>,
    /// Connections the published round made that both sides completed, and that are open.
    completed: i64,
    open: i64,
}

/// A mentorship programme.
#[derive(Serialize, ToSchema)]
pub struct ProgrammeDoc {
    id: i64,
    name: String,
    description: String,
    capacities: Vec<String>,
    languages: Vec<String>,
    /// A Wikimedia region code, if the programme is for one.
    region: Option<&'static str>,
    /// Calendar days (`YYYY-MM-DD`, UTC), both included.
    #[schema(format = Date)]
    registration_opens: String,
    #[schema(format = Date)]
    registration_closes: String,
    mentor_questions: Vec<String>,
    mentee_questions: Vec<String>,
    /// The most mentees one mentor may take.
    mentor_limit: u8,
    organization: Option<String>,
    organizer: Option<String>,
    /// `upcoming`, `open`, `closed` or `published`.
    phase: &'static str,
    /// How many applied, on each side.
    mentors: usize,
    mentees: usize,
    /// Your own application, if you applied.
    my_application: Option<ApplicationDoc>,
    /// Whether you run this programme: only then are the fields below filled in.
    organiser: bool,
    applications: Option<Vec<ApplicationDoc>>,
    proposal: Option<ProposalDoc>,
    stats: Option<StatsDoc>,
}

fn application_doc(model: &Model, a: &StoredApplication) -> ApplicationDoc {
    ApplicationDoc {
        username: a.username.clone(),
        display_name: model
            .slot_of(a.account_id)
            .and_then(|s| model.person(s))
            .map_or_else(|| a.username.clone(), |p| p.display_name.clone()),
        role: a.application.role.as_str(),
        answers: a.application.answers.clone(),
        capacities: a.application.capacities.clone(),
        slots: a.application.slots,
    }
}

fn applicant(model: &Model, a: &StoredApplication) -> Applicant {
    Applicant {
        slot: model.slot_of(a.account_id),
        capacities: a
            .application
            .capacities
            .iter()
            .filter_map(|c| model.capacities.get(c))
            .collect(),
        slots: u32::from(a.application.slots),
    }
}

/// A stored round in the caller's words: each pair explained again by the matching engine
/// (a pair is cheap to score; the round is not).
pub fn proposal_doc(
    state: &AppState,
    round: &StoredRound,
    applications: &[StoredApplication],
    lang: &str,
) -> ProposalDoc {
    let directory = state.directory();
    let read = state.read_model();
    let model = &read.model;
    let by_id: HashMap<i64, &StoredApplication> =
        applications.iter().map(|a| (a.account_id, a)).collect();
    let name = |id: i64| by_id.get(&id).map(|a| a.username.clone());
    let named_pairs = |list: &[(i64, i64)]| -> Vec<[String; 2]> {
        list.iter()
            .filter_map(|&(r, e)| Some([name(r)?, name(e)?]))
            .collect()
    };
    let pairs: Vec<PairDoc> = round
        .pairs
        .iter()
        .filter_map(|&(r, e, score)| {
            let (mentor, mentee) = (by_id.get(&r)?, by_id.get(&e)?);
            let why = programme::explain_pair(
                model,
                &applicant(model, mentor),
                &applicant(model, mentee),
            );
            let reasons = why.map_or_else(Vec::new, |m| {
                matches::reasons(state, &directory, model, &m, lang, "cxc-pair").0
            });
            Some(PairDoc {
                mentor: mentor.username.clone(),
                mentee: mentee.username.clone(),
                score: (score * 1000.0).round() / 1000.0,
                pinned: round.pinned.contains(&(r, e)),
                reasons,
            })
        })
        .collect();
    let unmatched = round
        .unmatched
        .iter()
        .filter_map(|(id, why)| {
            let a = by_id.get(id)?;
            let why = Why::parse(why)?;
            Some(UnmatchedDoc {
                username: a.username.clone(),
                role: a.application.role.as_str(),
                reason: why.as_str().to_owned(),
                text: state.i18n.text(
                    lang,
                    &format!("cxc-programme-why-{}", why.as_str().replace('_', "-")),
                    &[],
                ),
            })
        })
        .collect();
    ProposalDoc {
        mode: round.mode.as_str(),
        total: (pairs.iter().map(|p| p.score).sum::<f32>() * 1000.0).round() / 1000.0,
        pairs,
        unmatched,
        pinned: named_pairs(&round.pinned),
        forbidden: named_pairs(&round.forbidden),
        computed: super::posts::timestamp(round.computed_at),
    }
}

async fn stats(
    state: &AppState,
    id: i64,
    applications: &[StoredApplication],
    round: Option<&StoredRound>,
) -> Result<StatsDoc, AppError> {
    let mut stats = StatsDoc {
        mentors: applications
            .iter()
            .filter(|a| a.application.role == Role::Mentor)
            .count(),
        mentees: applications
            .iter()
            .filter(|a| a.application.role == Role::Mentee)
            .count(),
        ..StatsDoc::default()
    };
    if let Some(round) = round {
        stats.matched = round.pairs.len();
        for (_, why) in &round.unmatched {
            *stats.unmatched.entry(why.clone()).or_default() += 1;
        }
    }
    for (status, n) in stored::outcomes(state.db.pool(), id).await? {
        match status.as_str() {
            "completed" => stats.completed += n,
            "accepted" => stats.open += n,
            _ => {}
        }
    }
    Ok(stats)
}

/// A programme as `viewer` may see it: applicants' answers only for its organisers and, for
/// their own, the applicant.
pub async fn doc(
    state: &AppState,
    p: &StoredProgramme,
    viewer: Option<&Account>,
    lang: &str,
) -> Result<ProgrammeDoc, AppError> {
    let organiser = match viewer {
        Some(a) => organises(state, a, p).await?,
        None => false,
    };
    // Everyone else sees how many applied and their own application only: what others wrote
    // is never read for them.
    let applications = if organiser {
        stored::applications(state.db.pool(), p.id).await?
    } else {
        match viewer {
            Some(v) => stored::application_of(state.db.pool(), p.id, v.id)
                .await?
                .into_iter()
                .collect(),
            None => Vec::new(),
        }
    };
    let (mentors, mentees) = if organiser {
        let of = |role| {
            applications
                .iter()
                .filter(|a| a.application.role == role)
                .count()
        };
        (of(Role::Mentor), of(Role::Mentee))
    } else {
        stored::counts(state.db.pool(), p.id).await?
    };
    let round = if organiser {
        stored::round(state.db.pool(), p.id).await?
    } else {
        None
    };
    let stats = if organiser {
        Some(stats(state, p.id, &applications, round.as_ref()).await?)
    } else {
        None
    };
    let (my_application, listed) = {
        let read = state.read_model();
        let mine = viewer.and_then(|v| {
            applications
                .iter()
                .find(|a| a.account_id == v.id)
                .map(|a| application_doc(&read.model, a))
        });
        let listed = organiser.then(|| {
            applications
                .iter()
                .map(|a| application_doc(&read.model, a))
                .collect()
        });
        (mine, listed)
    };
    let proposal = round
        .as_ref()
        .map(|r| proposal_doc(state, r, &applications, lang));
    let pr = &p.programme;
    Ok(ProgrammeDoc {
        id: p.id,
        name: pr.name.clone(),
        description: pr.description.clone(),
        capacities: pr.capacities.clone(),
        languages: pr.languages.clone(),
        region: pr.region.map(cxc_core::Region::code),
        registration_opens: cxc_core::profile::format_date(pr.registration_opens),
        registration_closes: cxc_core::profile::format_date(pr.registration_closes),
        mentor_questions: pr.mentor_questions.clone(),
        mentee_questions: pr.mentee_questions.clone(),
        mentor_limit: pr.mentor_limit,
        organization: pr.organization.clone(),
        organizer: p.organizer.clone(),
        phase: phase(state, p).as_str(),
        mentors,
        mentees,
        my_application,
        organiser,
        applications: listed,
        proposal,
        stats,
    })
}

/// Whether `account` may open a programme at all: an admin, or a manager of some
/// organization.
pub async fn may_open(state: &AppState, account: &Account) -> Result<bool, AppError> {
    Ok(account.is_admin
        || !crate::db::accounts::personal_extras(&state.db, account.id)
            .await?
            .0
            .is_empty())
}

/// Whether applying is possible now.
pub fn accepting(phase: Phase) -> bool {
    phase == Phase::Open
}
