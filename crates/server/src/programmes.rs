//! The writes of mentorship programmes: creating one, applying and withdrawing, computing a
//! round (any time, as a preview) and publishing it (after registration closes: each pair
//! becomes an accepted connection and both are told). The API and the forms come through
//! here.

use std::collections::HashMap;

use cxc_core::assignment::Mode;
use cxc_core::profile::FieldError;
use cxc_core::programme::{
    Applicant, ApplicationDraft, Phase, ProgrammeDraft, Proposal, Role, propose,
};

use crate::AppState;
use crate::db::accounts::Account;
use crate::db::connections;
use crate::db::notifications::{self, About, Kind};
use crate::db::programmes::{self, StoredApplication, StoredProgramme, StoredRound};
use crate::error::AppError;
use crate::state::Live;

pub async fn load(state: &AppState, id: i64) -> Result<StoredProgramme, AppError> {
    programmes::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)
}

pub fn phase(state: &AppState, p: &StoredProgramme) -> Phase {
    p.programme.phase(
        state.clock.today(),
        p.published_at.is_some(),
        p.closed_at.is_some(),
    )
}

/// Whether `account` runs a programme: who created it, a manager of its organization, or an
/// administrator. Only they see applicants' answers and compute rounds.
pub async fn organises(
    state: &AppState,
    account: &Account,
    p: &StoredProgramme,
) -> Result<bool, AppError> {
    crate::http::posts::runs(
        state,
        account,
        p.organizer_id,
        p.programme.organization.as_deref(),
    )
    .await
}

async fn organised(
    state: &AppState,
    account: &Account,
    id: i64,
) -> Result<StoredProgramme, AppError> {
    let p = load(state, id).await?;
    if !organises(state, account, &p).await? {
        return Err(AppError::Forbidden("cxc-error-not-organiser"));
    }
    Ok(p)
}

/// Opens a programme: an organization runs it (its manager speaks for it), or an admin does.
pub async fn create(
    state: &AppState,
    account: &Account,
    draft: ProgrammeDraft,
) -> Result<i64, AppError> {
    let directory = state.refresh_directory().await?;
    let programme = draft
        .validate(&Live {
            state,
            directory: &directory,
        })
        .map_err(AppError::Invalid)?;
    match programme
        .organization
        .as_deref()
        .and_then(|o| directory.organization(o))
    {
        Some(o)
            if !account.is_admin && !crate::http::posts::manages(state, account, o.id).await? =>
        {
            return Err(AppError::Forbidden("cxc-error-not-manager"));
        }
        None if !account.is_admin => {
            return Err(AppError::invalid(
                "organization",
                "cxc-error-organization-required",
            ));
        }
        _ => {}
    }
    let mut tx = state.db.begin_write().await?;
    let id = programmes::create(
        &mut tx,
        account.id,
        &programme,
        &*directory,
        state.clock.unix(),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn open_for_applications(state: &AppState, p: &StoredProgramme) -> Result<(), AppError> {
    match phase(state, p) {
        Phase::Open => Ok(()),
        Phase::Upcoming => Err(AppError::Conflict("cxc-error-programme-not-open-yet")),
        Phase::Closed | Phase::Published => Err(AppError::Conflict("cxc-error-programme-closed")),
    }
}

/// Applies, or changes one's application while registration is open; says whether it is new.
pub async fn apply(
    state: &AppState,
    account: &Account,
    id: i64,
    draft: ApplicationDraft,
) -> Result<bool, AppError> {
    let p = load(state, id).await?;
    open_for_applications(state, &p)?;
    if state.read_model().model.slot_of(account.id).is_none() {
        return Err(AppError::Conflict("cxc-error-profile-required"));
    }
    let application = draft.validate(&p.programme).map_err(AppError::Invalid)?;
    let directory = state.directory();
    let mut tx = state.db.begin_write().await?;
    let created = programmes::apply(
        &mut tx,
        id,
        account.id,
        &application,
        &*directory,
        state.clock.unix(),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

pub async fn withdraw(state: &AppState, account: &Account, id: i64) -> Result<(), AppError> {
    let p = load(state, id).await?;
    open_for_applications(state, &p)?;
    let mut tx = state.db.begin_write().await?;
    if !programmes::withdraw(&mut tx, id, account.id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// What an organiser asks of a round: a mode, and pairs `[mentor, mentee]` by username.
pub struct RoundDraft {
    pub mode: String,
    pub pinned: Vec<(String, String)>,
    pub forbidden: Vec<(String, String)>,
}

/// A computed round with the applications it was computed from.
pub struct Computed {
    pub proposal: Proposal,
    pub mentors: Vec<StoredApplication>,
    pub mentees: Vec<StoredApplication>,
    pub round: StoredRound,
}

fn by_role(
    applications: Vec<StoredApplication>,
) -> (Vec<StoredApplication>, Vec<StoredApplication>) {
    applications
        .into_iter()
        .partition(|a| a.application.role == Role::Mentor)
}

/// The most pairs an organiser pins or rules out in one round.
const MAX_CHOSEN_PAIRS: usize = 1000;

/// Usernames (as typed, in any case) to their index in `list`.
fn by_name(list: &[StoredApplication]) -> HashMap<String, usize> {
    list.iter()
        .enumerate()
        .map(|(i, a)| (a.username.to_lowercase(), i))
        .collect()
}

/// Pairs by username as indexes into mentors and mentees; a name that did not apply for that
/// side is the organiser's mistake, named in `field`.
fn indexes(
    pairs: &[(String, String)],
    mentors: &HashMap<String, usize>,
    mentees: &HashMap<String, usize>,
    field: &str,
) -> Result<Vec<(usize, usize)>, AppError> {
    if pairs.len() > MAX_CHOSEN_PAIRS {
        return Err(AppError::invalid(field, "cxc-error-too-many"));
    }
    let find =
        |list: &HashMap<String, usize>, name: &str| list.get(&name.trim().to_lowercase()).copied();
    pairs
        .iter()
        .map(
            |(mentor, mentee)| match (find(mentors, mentor), find(mentees, mentee)) {
                (Some(r), Some(e)) => Ok((r, e)),
                _ => Err(AppError::invalid(field, "cxc-error-not-an-applicant")),
            },
        )
        .collect()
}

/// Whether a block separates two accounts, either way.
fn blocked(state: &AppState, a: i64, b: i64) -> bool {
    let read = state.read_model();
    read.blocks.contains(&(a, b)) || read.blocks.contains(&(b, a))
}

/// Computes the whole round and keeps it as the programme's proposal: a preview any time
/// before publishing.
pub async fn compute(
    state: &AppState,
    account: &Account,
    id: i64,
    draft: RoundDraft,
) -> Result<Computed, AppError> {
    let p = organised(state, account, id).await?;
    if p.published_at.is_some() {
        return Err(AppError::Conflict("cxc-error-programme-published"));
    }
    let mode = Mode::parse(draft.mode.trim())
        .ok_or_else(|| AppError::invalid("mode", "cxc-error-invalid-round-mode"))?;
    // The revision first: an application written after it makes the round stale, never
    // one that seems fresh.
    let revision = programmes::revision(state.db.pool(), id).await?;
    let (mentors, mentees) = by_role(programmes::applications(state.db.pool(), id).await?);
    let (mentor_names, mentee_names) = (by_name(&mentors), by_name(&mentees));
    let pinned = indexes(&draft.pinned, &mentor_names, &mentee_names, "pinned")?;
    let forbidden = indexes(&draft.forbidden, &mentor_names, &mentee_names, "forbidden")?;
    let mentor_ids: Vec<i64> = mentors.iter().map(|a| a.account_id).collect();
    let mentee_ids: Vec<i64> = mentees.iter().map(|a| a.account_id).collect();
    // A pair that a block separates is never made, pinned or not; the organiser is told the
    // same as for a name that did not apply, so that the block stays private.
    if pinned
        .iter()
        .any(|&(r, e)| blocked(state, mentor_ids[r], mentee_ids[e]))
    {
        return Err(AppError::invalid("pinned", "cxc-error-not-an-applicant"));
    }
    let to_applicants = |list: &[StoredApplication]| -> Vec<(i64, Vec<String>, u32)> {
        list.iter()
            .map(|a| {
                (
                    a.account_id,
                    a.application.capacities.clone(),
                    u32::from(a.application.slots),
                )
            })
            .collect()
    };
    let (mentor_input, mentee_input) = (to_applicants(&mentors), to_applicants(&mentees));
    let (pinned_in, forbidden_in) = (pinned.clone(), forbidden.clone());
    // Scoring every pair of a large round takes a while: it runs off the request threads.
    let worker = state.clone();
    let proposal = tokio::task::spawn_blocking(move || {
        let read = worker.read_model();
        let model = &read.model;
        let applicants = |list: &[(i64, Vec<String>, u32)]| -> Vec<Applicant> {
            list.iter()
                .map(|(account, capacities, slots)| Applicant {
                    slot: model.slot_of(*account),
                    capacities: capacities
                        .iter()
                        .filter_map(|c| model.capacities.get(c))
                        .collect(),
                    slots: *slots,
                })
                .collect()
        };
        let (mentor_list, mentee_list) = (applicants(&mentor_input), applicants(&mentee_input));
        let blocked = |r: usize, e: usize| {
            let (a, b) = (mentor_input[r].0, mentee_input[e].0);
            read.blocks.contains(&(a, b)) || read.blocks.contains(&(b, a))
        };
        propose(
            model,
            &mentor_list,
            &mentee_list,
            &blocked,
            mode,
            &pinned_in,
            &forbidden_in,
        )
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("round: {e}")))?
    .map_err(|conflict| AppError::Invalid(vec![FieldError::new("pinned", conflict.0)]))?;
    let round = StoredRound {
        mode,
        pinned: pinned
            .iter()
            .map(|&(r, e)| (mentor_ids[r], mentee_ids[e]))
            .collect(),
        forbidden: forbidden
            .iter()
            .map(|&(r, e)| (mentor_ids[r], mentee_ids[e]))
            .collect(),
        pairs: proposal
            .pairs
            .iter()
            .map(|pair| (mentor_ids[pair.mentor], mentee_ids[pair.mentee], pair.score))
            .collect(),
        unmatched: proposal
            .unmatched_mentors
            .iter()
            .map(|&(r, why)| (mentor_ids[r], why.as_str().to_owned()))
            .chain(
                proposal
                    .unmatched_mentees
                    .iter()
                    .map(|&(e, why)| (mentee_ids[e], why.as_str().to_owned())),
            )
            .collect(),
        revision,
        computed_at: state.clock.unix(),
    };
    let mut tx = state.db.begin_write().await?;
    if !programmes::save_round(&mut tx, id, &round).await? {
        return Err(AppError::Conflict("cxc-error-programme-published"));
    }
    tx.commit().await?;
    Ok(Computed {
        proposal,
        mentors,
        mentees,
        round,
    })
}

/// Closes registration before its last day (the organisers), so that the round can be
/// published now.
pub async fn close(state: &AppState, account: &Account, id: i64) -> Result<(), AppError> {
    let p = organised(state, account, id).await?;
    if !matches!(phase(state, &p), Phase::Open | Phase::Upcoming) {
        return Err(AppError::Conflict("cxc-error-programme-closed"));
    }
    let mut tx = state.db.begin_write().await?;
    if !programmes::close(&mut tx, id, state.clock.unix()).await? {
        return Err(AppError::Conflict("cxc-error-programme-closed"));
    }
    tx.commit().await?;
    Ok(())
}

/// Publishes the last computed round: each pair whose people are still there becomes an
/// accepted connection, and both are told. Returns how many connections were made.
pub async fn publish(state: &AppState, account: &Account, id: i64) -> Result<usize, AppError> {
    let p = organised(state, account, id).await?;
    match phase(state, &p) {
        Phase::Published => return Err(AppError::Conflict("cxc-error-programme-published")),
        Phase::Upcoming | Phase::Open => {
            return Err(AppError::Conflict("cxc-error-programme-still-open"));
        }
        Phase::Closed => {}
    }
    let directory = state.directory();
    let now = state.clock.unix();
    let mut tx = state.db.begin_write().await?;
    // Marking it first takes the programme's row: a round being saved meanwhile waits, and
    // what is read below is the last one saved.
    if !programmes::mark_published(&mut tx, id, now).await? {
        return Err(AppError::Conflict("cxc-error-programme-published"));
    }
    let (round, revision) = programmes::round_in(&mut tx, id)
        .await?
        .ok_or(AppError::Conflict("cxc-error-no-round"))?;
    if round.revision != revision {
        return Err(AppError::Conflict("cxc-error-round-stale"));
    }
    let applications: HashMap<i64, StoredApplication> = programmes::applications_in(&mut tx, id)
        .await?
        .into_iter()
        .map(|a| (a.account_id, a))
        .collect();
    let mut made = 0;
    for &(mentor, mentee, _) in &round.pairs {
        let (Some(mentor_app), Some(mentee_app)) =
            (applications.get(&mentor), applications.get(&mentee))
        else {
            continue;
        };
        if blocked(state, mentor, mentee) {
            continue;
        }
        if connections::open_between(&mut tx, mentor, mentee).await? {
            continue;
        }
        // The connection is about what the mentee wants and the mentor offers, when they
        // share one.
        let capacity = mentee_app
            .application
            .capacities
            .iter()
            .find(|c| mentor_app.application.capacities.contains(c))
            .or(mentee_app.application.capacities.first())
            .and_then(|key| directory.capacity(key))
            .map(|c| c.id);
        let connection =
            connections::create_paired(&mut tx, mentee, mentor, capacity, id, now).await?;
        for (to, actor, kind) in [
            (mentee, mentor, Kind::MentorAssigned),
            (mentor, mentee, Kind::MenteeAssigned),
        ] {
            let about = About {
                actor_id: Some(actor),
                connection_id: Some(connection),
                ..About::default()
            };
            notifications::notify(&mut tx, to, kind, about, now).await?;
        }
        made += 1;
    }
    tx.commit().await?;
    crate::read_model::sync(state).await?;
    Ok(made)
}
