//! A connection carries an exchange from request to completion: one person asks another for
//! help (about a capacity, a post or a suggestion), the other accepts, declines or asks for
//! more information, they talk in a private thread, and it is completed once both say so.
//! Every move is checked here, so that no entry point can make one the rules refuse.

use serde::{Deserialize, Serialize};

use crate::capacity::code_enum;

pub mod limits {
    /// A request's message: short, as a first note is.
    pub const REQUEST_MESSAGE: usize = 1000;
    pub const MESSAGE: usize = 5000;
    pub const THANKS: usize = 500;
    /// Open requests a person may have waiting at once, unless the operator says otherwise.
    pub const DEFAULT_MAX_PENDING: usize = 10;
    /// Days without an answer before the recipient is reminded, and before the request expires.
    pub const REMIND_AFTER_DAYS: i64 = 7;
    pub const EXPIRE_AFTER_DAYS: i64 = 30;
}

code_enum! {
    /// Where a connection stands.
    ConnectionStatus {
        Requested = "requested",
        InfoRequested = "info_requested",
        Accepted = "accepted",
        Declined = "declined",
        Withdrawn = "withdrawn",
        Expired = "expired",
        Completed = "completed",
    }
}

impl ConnectionStatus {
    /// Waiting for the recipient (requested) or the requester (more information asked).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            ConnectionStatus::Requested | ConnectionStatus::InfoRequested
        )
    }

    /// Pending or accepted: it takes some of both people's time.
    pub fn is_open(self) -> bool {
        self.is_pending() || self == ConnectionStatus::Accepted
    }
}

code_enum! {
    /// Why a request was declined, from a short list so that nobody has to write a refusal.
    DeclineReason {
        NoTime = "no_time",
        NotMyArea = "not_my_area",
        Language = "language",
        AlreadyHelped = "already_helped",
        Other = "other",
    }
}

/// The two sides of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Who asked for the connection.
    Requester,
    /// Who was asked.
    Recipient,
}

/// What someone does to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Accept,
    Decline(DeclineReason),
    AskInfo,
    /// The requester answers a request for more information; the request comes back.
    GiveInfo,
    Withdraw,
    Complete,
    /// A request left unanswered too long.
    Expire,
}

/// A connection's state as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub status: ConnectionStatus,
    pub requester_completed: bool,
    pub recipient_completed: bool,
}

/// Why a move is refused: a message key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused(pub &'static str);

impl State {
    pub fn new() -> State {
        State {
            status: ConnectionStatus::Requested,
            requester_completed: false,
            recipient_completed: false,
        }
    }

    /// The state after `side` makes `m`, or why it may not. `side` is `None` for the system
    /// (expiry).
    pub fn after(self, side: Option<Side>, m: Move) -> Result<State, Refused> {
        use ConnectionStatus as S;
        let mut next = self;
        next.status = match (self.status, side, m) {
            (S::Requested | S::InfoRequested, Some(Side::Recipient), Move::Accept) => S::Accepted,
            (S::Requested | S::InfoRequested, Some(Side::Recipient), Move::Decline(_)) => {
                S::Declined
            }
            (S::Requested, Some(Side::Recipient), Move::AskInfo) => S::InfoRequested,
            (S::InfoRequested, Some(Side::Requester), Move::GiveInfo) => S::Requested,
            (S::Requested | S::InfoRequested, Some(Side::Requester), Move::Withdraw) => {
                S::Withdrawn
            }
            (S::Requested | S::InfoRequested, None, Move::Expire) => S::Expired,
            (S::Accepted, Some(side), Move::Complete) => {
                match side {
                    Side::Requester if self.requester_completed => {
                        return Err(Refused("cxc-error-already-confirmed"));
                    }
                    Side::Recipient if self.recipient_completed => {
                        return Err(Refused("cxc-error-already-confirmed"));
                    }
                    Side::Requester => next.requester_completed = true,
                    Side::Recipient => next.recipient_completed = true,
                }
                if next.requester_completed && next.recipient_completed {
                    S::Completed
                } else {
                    S::Accepted
                }
            }
            (_, Some(Side::Requester), Move::Accept | Move::Decline(_) | Move::AskInfo) => {
                return Err(Refused("cxc-error-not-recipient"));
            }
            _ => return Err(Refused("cxc-error-connection-changed")),
        };
        Ok(next)
    }

    /// Whether `side` may write in the thread: both once accepted; before that only the
    /// requester, to answer a request for more information (the question came with the
    /// answer that asked it). A request waiting for its answer takes no more messages, so that
    /// nobody is written to again and again before agreeing to anything.
    pub fn may_write(self, side: Side) -> bool {
        match self.status {
            ConnectionStatus::Accepted | ConnectionStatus::Completed => true,
            ConnectionStatus::InfoRequested => side == Side::Requester,
            _ => false,
        }
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// Text as people submit it for a connection: trimmed, required, bounded.
pub fn clean_text(raw: &str, limit: usize) -> Result<String, Refused> {
    let text = raw.trim();
    if text.is_empty() {
        Err(Refused("cxc-error-message-required"))
    } else if text.chars().count() > limit {
        Err(Refused("cxc-error-too-long"))
    } else {
        Ok(text.to_owned())
    }
}

/// What a person's open connections and requests allow: a mentor at their own limit takes no
/// new request, and nobody has more than `max_pending` requests waiting.
pub fn may_request(
    requester_pending: usize,
    max_pending: usize,
    recipient_open: usize,
    recipient_limit: Option<i64>,
) -> Result<(), Refused> {
    if requester_pending >= max_pending {
        return Err(Refused("cxc-error-too-many-pending"));
    }
    if recipient_limit.is_some_and(|limit| recipient_open as i64 >= limit) {
        return Err(Refused("cxc-error-at-capacity"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionStatus as S;

    #[test]
    fn a_request_goes_through_more_information_to_completion_by_both() {
        let s = State::new();
        let s = s.after(Some(Side::Recipient), Move::AskInfo).unwrap();
        assert_eq!(s.status, S::InfoRequested);
        assert!(s.may_write(Side::Requester) && !s.may_write(Side::Recipient));
        let s = s.after(Some(Side::Requester), Move::GiveInfo).unwrap();
        assert_eq!(s.status, S::Requested, "the request comes back");
        assert!(!s.may_write(Side::Recipient) && !s.may_write(Side::Requester));
        let s = s.after(Some(Side::Recipient), Move::Accept).unwrap();
        assert_eq!(s.status, S::Accepted);
        let s = s.after(Some(Side::Requester), Move::Complete).unwrap();
        assert_eq!(s.status, S::Accepted, "one confirmation is not enough");
        assert_eq!(
            s.after(Some(Side::Requester), Move::Complete),
            Err(Refused("cxc-error-already-confirmed"))
        );
        let s = s.after(Some(Side::Recipient), Move::Complete).unwrap();
        assert_eq!(s.status, S::Completed);
    }

    #[test]
    fn only_the_recipient_answers_and_only_once() {
        let s = State::new();
        assert_eq!(
            s.after(Some(Side::Requester), Move::Accept),
            Err(Refused("cxc-error-not-recipient"))
        );
        let declined = s
            .after(Some(Side::Recipient), Move::Decline(DeclineReason::NoTime))
            .unwrap();
        assert_eq!(declined.status, S::Declined);
        for m in [Move::Accept, Move::AskInfo, Move::Complete, Move::Expire] {
            assert_eq!(
                declined.after(Some(Side::Recipient), m),
                Err(Refused("cxc-error-connection-changed")),
                "{m:?} after a decline"
            );
        }
        assert_eq!(
            s.after(Some(Side::Recipient), Move::Withdraw),
            Err(Refused("cxc-error-connection-changed")),
            "only the requester withdraws"
        );
        let expired = s.after(None, Move::Expire).unwrap();
        assert_eq!(expired.status, S::Expired);
        let accepted = s.after(Some(Side::Recipient), Move::Accept).unwrap();
        assert!(
            accepted.after(None, Move::Expire).is_err(),
            "accepted never expires"
        );
    }

    #[test]
    fn limits_on_requests() {
        assert_eq!(may_request(9, 10, 0, None), Ok(()));
        assert_eq!(
            may_request(10, 10, 0, None),
            Err(Refused("cxc-error-too-many-pending"))
        );
        assert_eq!(
            may_request(0, 10, 3, Some(3)),
            Err(Refused("cxc-error-at-capacity"))
        );
        assert_eq!(may_request(0, 10, 2, Some(3)), Ok(()));
        assert_eq!(clean_text("  hi ", 5), Ok("hi".to_owned()));
        assert_eq!(
            clean_text(" ", 5),
            Err(Refused("cxc-error-message-required"))
        );
        assert_eq!(clean_text("toolong", 5), Err(Refused("cxc-error-too-long")));
    }
}
