//! The exchange's writes: requesting a connection, answering it, writing in its thread,
//! completing it and saying thank you, and the sweep that reminds and expires requests left
//! waiting. The API, the forms and the janitor all come through here. Each write is one
//! transaction that checks the connection's rules (in `cxc_core::connection`), changes it only
//! if nobody changed it first, and tells the other side.

use cxc_core::connection::{
    self, ConnectionStatus, DeclineReason, Move, Refused, Side, clean_text, limits,
};
use cxc_core::profile::format_date;

use crate::AppState;
use crate::db::accounts::{self, Account};
use crate::db::connections::{self, StoredConnection};
use crate::db::notifications::{self, About, Kind};
use crate::error::AppError;

/// A request as submitted.
pub struct RequestDraft {
    /// The username of the person asked.
    pub to: String,
    pub capacity: Option<String>,
    pub post: Option<i64>,
    pub message: String,
}

/// An answer to a request, as submitted.
pub enum Answer {
    Accept,
    Decline(Option<String>),
    AskInfo,
}

const DAY: i64 = 86_400;

fn refused(r: Refused) -> AppError {
    AppError::Conflict(r.0)
}

/// Which side of a connection `account` is on; someone else is told it does not exist.
pub fn side_of(c: &StoredConnection, account: &Account) -> Result<Side, AppError> {
    if c.from_id == Some(account.id) {
        Ok(Side::Requester)
    } else if c.to_id == Some(account.id) {
        Ok(Side::Recipient)
    } else {
        Err(AppError::NotFound)
    }
}

/// The other side's account id, if it still exists.
fn other(c: &StoredConnection, side: Side) -> Option<i64> {
    match side {
        Side::Requester => c.to_id,
        Side::Recipient => c.from_id,
    }
}

fn blocked(state: &AppState, a: i64, b: i64) -> bool {
    let read = state.read_model();
    read.blocks.contains(&(a, b)) || read.blocks.contains(&(b, a))
}

/// Asks someone for a connection; returns its id.
pub async fn request(
    state: &AppState,
    account: &Account,
    draft: RequestDraft,
) -> Result<i64, AppError> {
    let message = clean_text(&draft.message, limits::REQUEST_MESSAGE)
        .map_err(|r| AppError::invalid("message", r.0))?;
    let recipient = accounts::by_username(&state.db, draft.to.trim())
        .await?
        .ok_or_else(|| AppError::invalid("to", "cxc-error-unknown-user"))?;
    if recipient.id == account.id {
        return Err(AppError::invalid("to", "cxc-error-self-connection"));
    }
    let directory = state.directory();
    let capacity_id = match draft
        .capacity
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(key) => Some(
            directory
                .capacity(key)
                .filter(|c| c.is_active())
                .ok_or_else(|| AppError::invalid("capacity", "cxc-error-unknown-capacity"))?
                .id,
        ),
    };
    // A request answers a post of one of the two people, never someone else's.
    if let Some(post) = draft.post {
        let listed = crate::http::posts::visible_post(state, Some(account), post)
            .map_err(|_| AppError::invalid("post", "cxc-error-unknown-post"))?;
        if listed.author != account.id && listed.author != recipient.id {
            return Err(AppError::invalid("post", "cxc-error-unknown-post"));
        }
    }
    let (limit, away_until) = {
        let read = state.read_model();
        let person = read
            .model
            .slot_of(recipient.id)
            .and_then(|s| read.model.person(s))
            .filter(|p| p.visibility != cxc_core::Visibility::Hidden)
            .ok_or_else(|| AppError::invalid("to", "cxc-error-unknown-user"))?;
        (
            person.max_connections.map(i64::from),
            person
                .away_until
                .filter(|_| person.is_away(state.clock.today())),
        )
    };
    if blocked(state, account.id, recipient.id) {
        return Err(AppError::Forbidden("cxc-error-blocked"));
    }
    if let Some(until) = away_until {
        return Err(AppError::Away(format_date(until)));
    }
    state.limits.request(account.id)?;
    let now = state.clock.unix();
    let mut tx = state.db.begin_write().await?;
    if connections::open_between(&mut tx, account.id, recipient.id).await? {
        return Err(AppError::Conflict("cxc-error-connection-exists"));
    }
    let pending = connections::pending_sent(&mut tx, account.id).await?;
    let recipient_open = connections::open_count(&mut tx, recipient.id).await?;
    connection::may_request(
        pending,
        state.config.max_pending_requests,
        recipient_open,
        limit,
    )
    .map_err(refused)?;
    let id = connections::create(
        &mut tx,
        account.id,
        recipient.id,
        capacity_id,
        draft.post,
        &message,
        now,
    )
    .await?;
    notifications::notify(
        &mut tx,
        recipient.id,
        Kind::Requested,
        About {
            actor_id: Some(account.id),
            connection_id: Some(id),
            post_id: draft.post,
            event_id: None,
            cohort_id: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    crate::read_model::sync(state).await?;
    Ok(id)
}

/// One move by one side, with an optional message, in one transaction: the move is checked
/// against the connection as it is inside the transaction, so that of two answers given at
/// once exactly one wins and the other is told the request changed.
async fn make_move(
    state: &AppState,
    account: &Account,
    id: i64,
    m: impl FnOnce(Side) -> Result<Move, AppError>,
    message: Option<String>,
) -> Result<(StoredConnection, Option<i64>), AppError> {
    let now = state.clock.unix();
    let mut tx = state.db.begin_write().await?;
    let c = connections::load_in(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let side = side_of(&c, account)?;
    let m = m(side)?;
    let next = c.state.after(Some(side), m).map_err(refused)?;
    let reason = match m {
        Move::Decline(reason) => Some(reason),
        _ => None,
    };
    let comes_back = m == Move::GiveInfo;
    if !connections::set_state(&mut tx, id, c.state.status, next, reason, comes_back, now).await? {
        return Err(AppError::Conflict("cxc-error-connection-changed"));
    }
    let written = match &message {
        Some(text) => Some(connections::add_message(&mut tx, id, account.id, text, now).await?),
        None => None,
    };
    let kind = match m {
        Move::Accept => Some(Kind::Accepted),
        Move::Decline(_) => Some(Kind::Declined),
        Move::AskInfo => Some(Kind::InfoRequested),
        Move::GiveInfo => Some(Kind::InfoGiven),
        Move::Withdraw => Some(Kind::Withdrawn),
        Move::Complete if next.status == ConnectionStatus::Completed => Some(Kind::Completed),
        Move::Complete => Some(Kind::CompletionAsked),
        Move::Expire => None,
    };
    if let (Some(kind), Some(to)) = (kind, other(&c, side)) {
        let about = About {
            actor_id: Some(account.id),
            connection_id: Some(id),
            post_id: c.post_id,
            event_id: None,
            cohort_id: None,
        };
        notifications::notify(&mut tx, to, kind, about, now).await?;
    }
    tx.commit().await?;
    crate::read_model::sync(state).await?;
    let after = connections::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((after, written))
}

/// The recipient accepts, declines (with a reason from the list) or asks for more
/// information (with a message saying what).
pub async fn answer(
    state: &AppState,
    account: &Account,
    id: i64,
    answer: Answer,
    message: Option<&str>,
) -> Result<StoredConnection, AppError> {
    let message = match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => {
            Some(clean_text(m, limits::MESSAGE).map_err(|r| AppError::invalid("message", r.0))?)
        }
        None => None,
    };
    let m = match answer {
        Answer::Accept => Move::Accept,
        Answer::AskInfo if message.is_none() => {
            return Err(AppError::invalid("message", "cxc-error-message-required"));
        }
        Answer::AskInfo => Move::AskInfo,
        Answer::Decline(reason) => Move::Decline(
            reason
                .as_deref()
                .and_then(DeclineReason::parse)
                .ok_or_else(|| AppError::invalid("reason", "cxc-error-invalid-reason"))?,
        ),
    };
    Ok(make_move(state, account, id, |_| Ok(m), message).await?.0)
}

pub async fn withdraw(
    state: &AppState,
    account: &Account,
    id: i64,
) -> Result<StoredConnection, AppError> {
    Ok(make_move(state, account, id, |_| Ok(Move::Withdraw), None)
        .await?
        .0)
}

/// One side confirms the exchange happened; it is completed when both have.
pub async fn complete(
    state: &AppState,
    account: &Account,
    id: i64,
) -> Result<StoredConnection, AppError> {
    Ok(make_move(state, account, id, |_| Ok(Move::Complete), None)
        .await?
        .0)
}

/// Writes in a connection's thread. The requester's message while more information is asked
/// for is the answer, and brings the request back to the recipient. Stored before it is
/// acknowledged; returns its id.
pub async fn post_message(
    state: &AppState,
    account: &Account,
    id: i64,
    body: &str,
) -> Result<i64, AppError> {
    let body = clean_text(body, limits::MESSAGE).map_err(|r| AppError::invalid("body", r.0))?;
    let c = connections::load(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let side = side_of(&c, account)?;
    if let Some(to) = other(&c, side)
        && blocked(state, account.id, to)
    {
        return Err(AppError::Forbidden("cxc-error-blocked"));
    }
    if c.state.status == ConnectionStatus::InfoRequested && side == Side::Requester {
        state.limits.message(account.id)?;
        let (_, written) =
            make_move(state, account, id, |_| Ok(Move::GiveInfo), Some(body)).await?;
        return written.ok_or(AppError::NotFound);
    }
    if !c.state.may_write(side) {
        return Err(AppError::Conflict("cxc-error-thread-closed"));
    }
    state.limits.message(account.id)?;
    let now = state.clock.unix();
    let mut tx = state.db.begin_write().await?;
    let current = connections::load_in(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !current.state.may_write(side) {
        return Err(AppError::Conflict("cxc-error-thread-closed"));
    }
    let written = connections::add_message(&mut tx, id, account.id, &body, now).await?;
    if let Some(to) = other(&current, side) {
        let about = About {
            actor_id: Some(account.id),
            connection_id: Some(id),
            post_id: current.post_id,
            event_id: None,
            cohort_id: None,
        };
        notifications::notify(&mut tx, to, Kind::Message, about, now).await?;
    }
    tx.commit().await?;
    Ok(written)
}

/// A short thank-you after a completed exchange, once per side. `public` says its author
/// agrees to it being shown on the other's profile; the other decides whether it is.
pub async fn thank(
    state: &AppState,
    account: &Account,
    id: i64,
    body: &str,
    public: bool,
) -> Result<(), AppError> {
    let body = clean_text(body, limits::THANKS).map_err(|r| AppError::invalid("body", r.0))?;
    let now = state.clock.unix();
    let mut tx = state.db.begin_write().await?;
    let c = connections::load_in(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let side = side_of(&c, account)?;
    if c.state.status != ConnectionStatus::Completed {
        return Err(AppError::Conflict("cxc-error-not-completed"));
    }
    let Some(to) = other(&c, side) else {
        return Err(AppError::Conflict("cxc-error-not-completed"));
    };
    if !connections::add_thanks(&mut tx, id, account.id, to, &body, public, now).await? {
        return Err(AppError::Conflict("cxc-error-already-thanked"));
    }
    let about = About {
        actor_id: Some(account.id),
        connection_id: Some(id),
        post_id: c.post_id,
        event_id: None,
        cohort_id: None,
    };
    notifications::notify(&mut tx, to, Kind::Thanks, about, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The recipient of a thank-you shows it on their profile, or stops showing it.
pub async fn show_thanks(
    state: &AppState,
    account: &Account,
    id: i64,
    shown: bool,
) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    let c = connections::load_in(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    side_of(&c, account)?;
    if !connections::show_thanks(&mut tx, id, account.id, shown).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// What a sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub reminded: usize,
    pub expired: usize,
}

/// Reminds whoever must act on a request waiting for a week (unless they are away), and
/// expires requests waiting for a month, telling the requester. Safe to run on every instance
/// at once: each change is made only if nobody made it first.
pub async fn sweep(state: &AppState) -> Result<Swept, AppError> {
    let now = state.clock.unix();
    let today = state.clock.today();
    let mut swept = Swept::default();
    let waiting =
        connections::waiting_since_before(state.db.pool(), now - limits::REMIND_AFTER_DAYS * DAY)
            .await?;
    for candidate in waiting {
        let mut tx = state.db.begin_write().await?;
        // Read again inside the write transaction: the request may have been answered, or
        // come back with a fresh clock, since the list was read.
        let Some(c) = connections::load_in(&mut tx, candidate.id).await? else {
            continue;
        };
        if !c.state.status.is_pending() || c.waiting_since != candidate.waiting_since {
            continue;
        }
        let about = About {
            actor_id: None,
            connection_id: Some(c.id),
            post_id: c.post_id,
            event_id: None,
            cohort_id: None,
        };
        if c.waiting_since < now - limits::EXPIRE_AFTER_DAYS * DAY {
            let next = c.state.after(None, Move::Expire).map_err(refused)?;
            if connections::set_state(&mut tx, c.id, c.state.status, next, None, false, now).await?
            {
                if let Some(from) = c.from_id {
                    let about = About {
                        actor_id: c.to_id,
                        ..about
                    };
                    notifications::notify(&mut tx, from, Kind::Expired, about, now).await?;
                }
                swept.expired += 1;
            }
        } else if c.reminded_at.is_none() {
            let (must_act, waiting_for) = match c.state.status {
                ConnectionStatus::InfoRequested => (c.from_id, c.to_id),
                _ => (c.to_id, c.from_id),
            };
            let away = must_act.is_some_and(|a| {
                let read = state.read_model();
                read.model
                    .slot_of(a)
                    .and_then(|s| read.model.person(s))
                    .is_some_and(|p| p.is_away(today))
            });
            if let Some(account) = must_act.filter(|_| !away)
                && connections::mark_reminded(&mut tx, c.id, now).await?
            {
                let about = About {
                    actor_id: waiting_for,
                    ..about
                };
                notifications::notify(&mut tx, account, Kind::Reminder, about, now).await?;
                swept.reminded += 1;
            }
        }
        tx.commit().await?;
    }
    if swept.expired > 0 {
        crate::read_model::sync(state).await?;
    }
    Ok(swept)
}
