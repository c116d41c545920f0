//! Keeping the exchange safe: reports of people, posts, messages and organizations, what a
//! moderator may do about them, and suspensions.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::capacity::code_enum;
use crate::profile::{FieldError, parse_date};

pub mod limits {
    pub const DETAILS: usize = 2000;
    pub const NOTE: usize = 1000;
    /// How much of the reported text a report keeps, so that moderators see what was
    /// reported even if it changes or goes.
    pub const EXCERPT: usize = 500;
}

code_enum! {
    /// What a report is about.
    ReportTarget {
        Profile = "profile",
        Post = "post",
        Message = "message",
        Organization = "organization",
    }
}

code_enum! {
    /// Why something is reported, from a short list (the Universal Code of Conduct's cases).
    ReportReason {
        Harassment = "harassment",
        Hate = "hate",
        Spam = "spam",
        Privacy = "privacy",
        Impersonation = "impersonation",
        Unsafe = "unsafe",
        Other = "other",
    }
}

code_enum! {
    /// Where a report stands.
    ReportStatus {
        Open = "open",
        Dismissed = "dismissed",
        Actioned = "actioned",
    }
}

code_enum! {
    /// What a moderator does about a report.
    Decision {
        Dismiss = "dismiss",
        Hide = "hide",
        Suspend = "suspend",
    }
}

impl Decision {
    /// Whether the decision applies to what was reported: hiding is for posts and messages;
    /// suspending is for the person behind the content (an organization has managers, not one
    /// author, so it is only ever dismissed or dealt with through its managers' accounts).
    pub fn applies_to(self, target: ReportTarget) -> bool {
        match self {
            Decision::Dismiss => true,
            Decision::Hide => matches!(target, ReportTarget::Post | ReportTarget::Message),
            Decision::Suspend => target != ReportTarget::Organization,
        }
    }

    pub fn status(self) -> ReportStatus {
        match self {
            Decision::Dismiss => ReportStatus::Dismissed,
            Decision::Hide | Decision::Suspend => ReportStatus::Actioned,
        }
    }
}

/// A report as submitted.
#[derive(Debug, Clone, Default)]
pub struct ReportDraft {
    pub target: String,
    pub id: String,
    pub reason: String,
    pub details: String,
}

/// A report that may be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub target: ReportTarget,
    pub id: String,
    pub reason: ReportReason,
    pub details: String,
}

impl ReportDraft {
    /// Checks the shape; whether the target exists and may be reported by this person is for
    /// the caller, who can see the data.
    pub fn validate(self) -> Result<Report, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, key: &'static str| {
            errors.push(FieldError {
                field: field.to_owned(),
                key,
            })
        };
        let target = ReportTarget::parse(self.target.trim());
        if target.is_none() {
            fail("target", "cxc-error-invalid-target");
        }
        let id = self.id.trim().to_owned();
        if id.is_empty() {
            fail("id", "cxc-error-unknown-target");
        }
        let reason = ReportReason::parse(self.reason.trim());
        if reason.is_none() {
            fail("reason", "cxc-error-invalid-reason");
        }
        let details = self.details.trim().to_owned();
        if details.chars().count() > limits::DETAILS {
            fail("details", "cxc-error-too-long");
        }
        match (target, reason) {
            (Some(target), Some(reason)) if errors.is_empty() => Ok(Report {
                target,
                id,
                reason,
                details,
            }),
            _ => Err(errors),
        }
    }
}

/// The first characters of reported text, for the moderators' queue.
pub fn excerpt(text: &str) -> String {
    text.chars().take(limits::EXCERPT).collect()
}

/// Until when a suspension runs: a day after `today`, or indefinitely (`None`).
pub fn suspension_end(raw: Option<&str>, today: Date) -> Result<Option<Date>, FieldError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    match parse_date(raw) {
        Some(d) if d > today => Ok(Some(d)),
        Some(_) => Err(FieldError {
            field: "until".into(),
            key: "cxc-error-expiry-past",
        }),
        None => Err(FieldError {
            field: "until".into(),
            key: "cxc-error-invalid-date",
        }),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_report_names_every_wrong_field() {
        let errors = ReportDraft {
            target: "comment".into(),
            id: " ".into(),
            reason: "dislike".into(),
            details: "x".repeat(limits::DETAILS + 1),
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["target", "id", "reason", "details"]);
        let report = ReportDraft {
            target: "post".into(),
            id: "12".into(),
            reason: "spam".into(),
            details: "  ads  ".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(report.target, ReportTarget::Post);
        assert_eq!(report.details, "ads");
    }

    #[test]
    fn decisions_fit_what_was_reported() {
        assert!(Decision::Hide.applies_to(ReportTarget::Message));
        assert!(!Decision::Hide.applies_to(ReportTarget::Profile));
        assert!(!Decision::Suspend.applies_to(ReportTarget::Organization));
        assert!(Decision::Dismiss.applies_to(ReportTarget::Organization));
        assert_eq!(Decision::Hide.status(), ReportStatus::Actioned);
    }

    #[test]
    fn suspensions_end_in_the_future_or_never() {
        let today = date!(2026 - 12 - 03);
        assert_eq!(suspension_end(None, today), Ok(None));
        assert_eq!(suspension_end(Some(""), today), Ok(None));
        assert_eq!(
            suspension_end(Some("2027-01-01"), today),
            Ok(Some(date!(2027 - 01 - 01)))
        );
        assert_eq!(
            suspension_end(Some("2026-12-03"), today).unwrap_err().key,
            "cxc-error-expiry-past"
        );
        assert_eq!(
            suspension_end(Some("soon"), today).unwrap_err().key,
            "cxc-error-invalid-date"
        );
        assert_eq!(excerpt(&"é".repeat(600)).chars().count(), limits::EXCERPT);
    }
}
