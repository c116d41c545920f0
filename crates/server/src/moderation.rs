//! Moderation's writes: filing a report, deciding it, suspending and reinstating accounts.
//! The API, the pages and the command line all come through here; each moderator action is
//! written to the audit log in the same transaction.

use cxc_core::moderation::{Decision, ReportDraft, ReportTarget, excerpt, limits};
use time::OffsetDateTime;

use crate::AppState;
use crate::db::Db;
use crate::db::accounts::{self, Account};
use crate::db::{connections, moderation};
use crate::error::AppError;

/// Files a report about something the reporter can see; returns its id.
pub async fn report(
    state: &AppState,
    reporter: &Account,
    draft: ReportDraft,
) -> Result<i64, AppError> {
    let report = draft.validate().map_err(AppError::Invalid)?;
    let unknown = || AppError::invalid("id", "cxc-error-unknown-target");
    let (target_account, text) = match report.target {
        ReportTarget::Profile => {
            let account = accounts::by_username(&state.db, &report.id)
                .await?
                .ok_or_else(unknown)?;
            if account.id == reporter.id {
                return Err(unknown());
            }
            let bio = crate::db::profiles::load(&state.db, account.id)
                .await?
                .map(|p| format!("{}\n{}", p.profile.display_name, p.profile.bio))
                .unwrap_or_default();
            (Some(account.id), bio)
        }
        ReportTarget::Post => {
            let id: i64 = report.id.parse().map_err(|_| unknown())?;
            let post = crate::http::posts::visible_post(state, Some(reporter), id)
                .map_err(|_| unknown())?;
            (Some(post.author), format!("{}\n{}", post.title, post.body))
        }
        ReportTarget::Message => {
            let id: i64 = report.id.parse().map_err(|_| unknown())?;
            let (connection, author, body) = moderation::message_author(state.db.pool(), id)
                .await?
                .ok_or_else(unknown)?;
            // Only the two people of a thread can see, and so report, its messages.
            let c = connections::load(state.db.pool(), connection)
                .await?
                .ok_or_else(unknown)?;
            crate::exchange::side_of(&c, reporter).map_err(|_| unknown())?;
            (author, body)
        }
        ReportTarget::Organization => {
            let directory = state.directory();
            let o = directory.organization(&report.id).ok_or_else(unknown)?;
            (None, format!("{}\n{}", o.name("en"), o.description("en")))
        }
    };
    moderation::file(
        &state.db,
        reporter.id,
        &report,
        target_account,
        &excerpt(text.trim()),
        state.clock.unix(),
    )
    .await?
    .ok_or(AppError::Conflict("cxc-error-already-reported"))
}

fn require_moderator(account: &Account) -> Result<(), AppError> {
    if account.moderates() {
        Ok(())
    } else {
        Err(AppError::Forbidden("cxc-error-moderators-only"))
    }
}

fn clean_note(note: &str) -> Result<String, AppError> {
    let note = note.trim();
    if note.chars().count() > limits::NOTE {
        return Err(AppError::invalid("note", "cxc-error-too-long"));
    }
    Ok(note.to_owned())
}

/// The end of a suspension as Unix seconds: the start of the given day.
fn until_unix(today: time::Date, raw: Option<&str>) -> Result<Option<i64>, AppError> {
    let end =
        cxc_core::moderation::suspension_end(raw, today).map_err(|e| AppError::Invalid(vec![e]))?;
    Ok(end.map(|d| d.midnight().assume_utc().unix_timestamp()))
}

/// A moderator's decision on an open report: dismiss it, hide what was reported, or suspend
/// the person behind it (until `until`, or indefinitely).
pub async fn decide(
    state: &AppState,
    moderator: &Account,
    id: i64,
    decision: Decision,
    note: &str,
    until: Option<&str>,
) -> Result<(), AppError> {
    require_moderator(moderator)?;
    let note = clean_note(note)?;
    let until = until_unix(state.clock.today(), until)?;
    let now = state.clock.unix();
    let mut tx = state.db.begin_write().await?;
    let report = moderation::load_report_in(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !decision.applies_to(report.target) {
        return Err(AppError::invalid(
            "action",
            "cxc-error-action-not-applicable",
        ));
    }
    if decision == Decision::Suspend && report.target_account_id == Some(moderator.id) {
        return Err(AppError::Conflict("cxc-error-suspend-self"));
    }
    if !moderation::decide(&mut tx, id, decision.status(), moderator, &note, now).await? {
        return Err(AppError::Conflict("cxc-error-report-decided"));
    }
    match decision {
        Decision::Dismiss => {}
        Decision::Hide => {
            let target: i64 = report.target_id.parse().map_err(|_| AppError::NotFound)?;
            moderation::hide(&mut tx, report.target, target).await?;
        }
        Decision::Suspend => {
            let account = report
                .target_account_id
                .ok_or(AppError::Conflict("cxc-error-account-gone"))?;
            moderation::suspend(&mut tx, account, until, now).await?;
        }
    }
    // A suspension is logged against the account it suspends; the rest against what was
    // reported.
    let (kind, target) = match decision {
        Decision::Suspend => ("profile", report.target_account.clone().unwrap_or_default()),
        _ => (report.target.as_str(), report.target_id.clone()),
    };
    moderation::audit(
        &mut tx,
        Some(moderator),
        decision.as_str(),
        kind,
        &target,
        &format!(
            "report {id}{}{note}",
            if note.is_empty() { "" } else { ": " }
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    crate::read_model::sync(state).await?;
    Ok(())
}

/// Suspends an account by username. `moderator` is `None` on the command line, which the
/// audit log records as such. The read side catches up through the change log.
pub async fn suspend(
    db: &Db,
    moderator: Option<&Account>,
    username: &str,
    until: Option<&str>,
    note: &str,
    now: i64,
) -> Result<Account, AppError> {
    if let Some(m) = moderator {
        require_moderator(m)?;
    }
    let note = clean_note(note)?;
    let today = OffsetDateTime::from_unix_timestamp(now)
        .map_err(|e| AppError::Internal(e.into()))?
        .date();
    let until = until_unix(today, until)?;
    let account = accounts::by_username(db, username)
        .await?
        .ok_or(AppError::NotFound)?;
    if moderator.is_some_and(|m| m.id == account.id) {
        return Err(AppError::Conflict("cxc-error-suspend-self"));
    }
    let mut tx = db.begin_write().await?;
    moderation::suspend(&mut tx, account.id, until, now).await?;
    moderation::audit(
        &mut tx,
        moderator,
        "suspend",
        "profile",
        &account.username,
        &note,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}

/// Lifts a suspension by username; false when the account was not suspended.
pub async fn reinstate(
    db: &Db,
    moderator: Option<&Account>,
    username: &str,
    note: &str,
    now: i64,
) -> Result<bool, AppError> {
    if let Some(m) = moderator {
        require_moderator(m)?;
    }
    let note = clean_note(note)?;
    let account = accounts::by_username(db, username)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = db.begin_write().await?;
    let lifted = moderation::lift(&mut tx, account.id).await?;
    if lifted {
        moderation::audit(
            &mut tx,
            moderator,
            "reinstate",
            "profile",
            &account.username,
            &note,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(lifted)
}
