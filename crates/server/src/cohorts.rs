//! The writes of cohorts: forming one (from a proposal or by hand) with its first
//! invitations, inviting more, answering an invitation, changing its status and writing in
//! its thread. The API and the forms come through here; each write is one transaction and
//! those invited are told in it.

use cxc_core::Visibility;
use cxc_core::cohort::{Answer, CohortDraft, MemberRole, Status, limits};
use cxc_core::connection::{clean_text, limits as text_limits};

use crate::AppState;
use crate::db::accounts::{self, Account};
use crate::db::cohorts::{self, Member, StoredCohort};
use crate::db::notifications::{self, About, Kind};
use crate::db::{Tx, events};
use crate::error::AppError;
use crate::state::Live;

pub async fn load(state: &AppState, id: i64) -> Result<StoredCohort, AppError> {
    cohorts::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether `account` runs a cohort: who formed it, a manager of its organization, or an
/// administrator.
pub async fn organises(
    state: &AppState,
    account: &Account,
    c: &StoredCohort,
) -> Result<bool, AppError> {
    crate::http::posts::runs(
        state,
        account,
        c.organizer_id,
        c.cohort.organization.as_deref(),
    )
    .await
}

/// Whether `account` is in the cohort: invited and accepted.
pub fn is_member(members: &[Member], account: &Account) -> bool {
    members
        .iter()
        .any(|m| m.account_id == account.id && m.answer == Answer::Accepted)
}

async fn organised(state: &AppState, account: &Account, id: i64) -> Result<StoredCohort, AppError> {
    let c = load(state, id).await?;
    if !organises(state, account, &c).await? {
        return Err(AppError::Forbidden("cxc-error-not-organiser"));
    }
    Ok(c)
}

/// Who is invited, by username, and as what.
#[derive(Default)]
pub struct Invitations {
    pub members: Vec<String>,
    pub facilitators: Vec<String>,
}

impl Invitations {
    fn len(&self) -> usize {
        self.members.len() + self.facilitators.len()
    }
}

/// Accounts for usernames: each must name someone with a profile; the organiser and people
/// who blocked them (or whom they blocked) are left out without saying why.
async fn resolve(
    state: &AppState,
    organiser: &Account,
    invitations: &Invitations,
) -> Result<Vec<(i64, MemberRole)>, AppError> {
    if invitations.len() > limits::INVITATIONS {
        return Err(AppError::invalid("members", "cxc-error-too-many"));
    }
    let mut out: Vec<(i64, MemberRole)> = Vec::new();
    for (names, role, field) in [
        (
            &invitations.facilitators,
            MemberRole::Facilitator,
            "facilitators",
        ),
        (&invitations.members, MemberRole::Member, "members"),
    ] {
        for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
            // Someone who hid their profile is as unknown here as anywhere else.
            let account = accounts::by_username(&state.db, name)
                .await?
                .filter(|a| {
                    let read = state.read_model();
                    read.model
                        .slot_of(a.id)
                        .and_then(|s| read.model.person(s))
                        .is_some_and(|p| p.visibility != Visibility::Hidden)
                })
                .ok_or_else(|| AppError::invalid(field, "cxc-error-unknown-person"))?;
            let blocked = {
                let read = state.read_model();
                read.blocks.contains(&(account.id, organiser.id))
                    || read.blocks.contains(&(organiser.id, account.id))
            };
            if account.id == organiser.id || blocked || out.iter().any(|(id, _)| *id == account.id)
            {
                continue;
            }
            out.push((account.id, role));
        }
    }
    Ok(out)
}

async fn invite_all(
    tx: &mut Tx,
    cohort_id: i64,
    organiser: &Account,
    people: &[(i64, MemberRole)],
    now: i64,
) -> Result<usize, AppError> {
    let mut invited = 0;
    for &(account_id, role) in people {
        if cohorts::invite(tx, cohort_id, account_id, role, now).await? {
            let about = About {
                actor_id: Some(organiser.id),
                cohort_id: Some(cohort_id),
                ..About::default()
            };
            notifications::notify(tx, account_id, Kind::CohortInvited, about, now).await?;
            invited += 1;
        }
    }
    Ok(invited)
}

/// Forms a cohort, `forming`, inviting `invitations` and linking `event_ids`.
pub async fn create(
    state: &AppState,
    account: &Account,
    draft: CohortDraft,
    invitations: &Invitations,
    event_ids: &[i64],
) -> Result<i64, AppError> {
    let directory = state.refresh_directory().await?;
    let cohort = draft
        .validate(&Live {
            state,
            directory: &directory,
        })
        .map_err(AppError::Invalid)?;
    if let Some(o) = cohort
        .organization
        .as_deref()
        .and_then(|o| directory.organization(o))
        && !account.is_admin
        && !crate::http::posts::manages(state, account, o.id).await?
    {
        return Err(AppError::Forbidden("cxc-error-not-manager"));
    }
    if state.read_model().model.slot_of(account.id).is_none() {
        return Err(AppError::Conflict("cxc-error-profile-required"));
    }
    let people = resolve(state, account, invitations).await?;
    let mut event_ids = event_ids.to_vec();
    event_ids.sort_unstable();
    event_ids.dedup();
    if event_ids.len() > limits::EVENTS {
        return Err(AppError::invalid("events", "cxc-error-too-many"));
    }
    for &event in &event_ids {
        if events::load(state.db.pool(), event).await?.is_none() {
            return Err(AppError::invalid("events", "cxc-error-unknown-event"));
        }
    }
    // Inviting tells people: it counts against the same hourly limit as asking someone.
    state.limits.request(account.id)?;
    let now = state.clock.unix();
    let mut tx = state.db.begin_write().await?;
    let id = cohorts::create(&mut tx, account.id, &cohort, &*directory, now).await?;
    invite_all(&mut tx, id, account, &people, now).await?;
    for &event in &event_ids {
        cohorts::link_event(&mut tx, id, event).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// Invites more people (the organisers, until the cohort is finished); returns how many
/// were new to it.
pub async fn invite(
    state: &AppState,
    account: &Account,
    id: i64,
    invitations: &Invitations,
) -> Result<usize, AppError> {
    let c = organised(state, account, id).await?;
    if c.status == Status::Finished {
        return Err(AppError::Conflict("cxc-error-cohort-finished"));
    }
    let people = resolve(state, account, invitations).await?;
    let already = cohorts::members(state.db.pool(), id).await?;
    let new = people
        .iter()
        .filter(|(p, _)| !already.iter().any(|m| m.account_id == *p))
        .count();
    if already.len() + new > limits::MEMBERS {
        return Err(AppError::invalid("members", "cxc-error-too-many"));
    }
    state.limits.request(account.id)?;
    let mut tx = state.db.begin_write().await?;
    let invited = invite_all(&mut tx, id, account, &people, state.clock.unix()).await?;
    tx.commit().await?;
    Ok(invited)
}

/// Accepts or declines one's own invitation. Someone never invited is told the cohort does
/// not exist; an invitation is answered once.
pub async fn answer(
    state: &AppState,
    account: &Account,
    id: i64,
    action: &str,
) -> Result<Answer, AppError> {
    let answer = match action.trim() {
        "accept" => Answer::Accepted,
        "decline" => Answer::Declined,
        _ => return Err(AppError::invalid("action", "cxc-error-invalid-answer")),
    };
    load(state, id).await?;
    let members = cohorts::members(state.db.pool(), id).await?;
    if !members.iter().any(|m| m.account_id == account.id) {
        return Err(AppError::NotFound);
    }
    let mut tx = state.db.begin_write().await?;
    if !cohorts::answer(&mut tx, id, account.id, answer, state.clock.unix()).await? {
        return Err(AppError::Conflict("cxc-error-already-answered"));
    }
    tx.commit().await?;
    Ok(answer)
}

pub async fn set_status(
    state: &AppState,
    account: &Account,
    id: i64,
    status: &str,
) -> Result<(), AppError> {
    let status = Status::parse(status.trim())
        .ok_or_else(|| AppError::invalid("status", "cxc-error-invalid-cohort-status"))?;
    organised(state, account, id).await?;
    let mut tx = state.db.begin_write().await?;
    cohorts::set_status(&mut tx, id, status, state.clock.unix()).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `account` may read and write the cohort's thread: its organisers and those who
/// accepted.
pub async fn in_thread(
    state: &AppState,
    account: &Account,
    c: &StoredCohort,
    members: &[Member],
) -> Result<bool, AppError> {
    Ok(is_member(members, account) || organises(state, account, c).await?)
}

pub async fn write(
    state: &AppState,
    account: &Account,
    id: i64,
    body: &str,
) -> Result<(), AppError> {
    let c = load(state, id).await?;
    let members = cohorts::members(state.db.pool(), id).await?;
    if !in_thread(state, account, &c, &members).await? {
        return Err(AppError::Forbidden("cxc-error-not-in-cohort"));
    }
    let body =
        clean_text(body, text_limits::MESSAGE).map_err(|r| AppError::invalid("body", r.0))?;
    state.limits.message(account.id)?;
    let mut tx = state.db.begin_write().await?;
    cohorts::add_message(&mut tx, id, account.id, &body, state.clock.unix()).await?;
    tx.commit().await?;
    Ok(())
}
