//! Asks and offers: a person (or an organization they manage) asking for help on something, or
//! offering it. A [`PostDraft`] is what a form, the API or an edit submitted;
//! [`PostDraft::validate`] turns it into a [`Post`] or names every field that is wrong.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::capacity::{Method, code_enum};
use crate::profile::{FieldError, Reference, Region, parse_date};

pub mod limits {
    pub const TITLE: usize = 150;
    pub const BODY: usize = 5000;
    pub const CAPACITIES: usize = 10;
    pub const LANGUAGES: usize = 10;
    /// Days a post stays open when its author does not say.
    pub const DEFAULT_DAYS: i64 = 30;
    /// How far ahead an expiry may be set: a post nobody renews should not linger for years.
    pub const MAX_DAYS: i64 = 365;
}

code_enum! {
    /// Whether a post asks for help or offers it.
    PostKind {
        Ask = "ask",
        Offer = "offer",
    }
}

code_enum! {
    /// Where a post stands. `Expired` is never stored: an open post past its expiry reads as
    /// expired until its owner renews or closes it.
    PostStatus {
        Open = "open",
        InProgress = "in_progress",
        Closed = "closed",
        Expired = "expired",
    }
}

impl PostStatus {
    /// The status a reader sees on `today`.
    pub fn effective(self, expires_on: Date, today: Date) -> PostStatus {
        match self {
            PostStatus::Open | PostStatus::InProgress if expires_on < today => PostStatus::Expired,
            other => other,
        }
    }
}

/// A post as submitted. Every field may be wrong.
#[derive(Debug, Clone, Default)]
pub struct PostDraft {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub capacities: Vec<String>,
    pub languages: Vec<String>,
    pub country: Option<String>,
    pub online: bool,
    pub methods: Vec<String>,
    pub organization: Option<String>,
    /// `YYYY-MM-DD`; 30 days from today when missing.
    pub expires_on: Option<String>,
    /// `open`, `in_progress` or `closed`; open when missing.
    pub status: Option<String>,
    /// The expiry an edited post already has: it stays acceptable once past, so that an
    /// expired post can still be closed or corrected without being renewed.
    pub kept_expiry: Option<Date>,
}

/// A post that may be stored as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub kind: PostKind,
    pub title: String,
    pub body: String,
    pub capacities: Vec<String>,
    pub languages: Vec<String>,
    pub country: Option<String>,
    pub region: Option<Region>,
    pub online: bool,
    pub methods: Vec<Method>,
    pub organization: Option<String>,
    pub expires_on: Date,
    /// As stored: never `Expired`.
    pub status: PostStatus,
}

/// The expiry a new or renewed post gets.
pub fn default_expiry(today: Date) -> Date {
    today + Duration::days(limits::DEFAULT_DAYS)
}

fn clean(s: &str) -> String {
    s.trim().to_owned()
}

/// Trimmed, non-empty, each once, in the order given.
fn distinct(values: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    values
        .iter()
        .map(|v| clean(v))
        .filter(|v| !v.is_empty() && seen.insert(v.clone()))
        .collect()
}

impl PostDraft {
    /// Checks the draft against the reference data, with expiry counted from `today`.
    pub fn validate(self, reference: &dyn Reference, today: Date) -> Result<Post, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: String, key: &'static str| errors.push(FieldError { field, key });

        let kind = PostKind::parse(self.kind.trim());
        if kind.is_none() {
            fail("kind".into(), "cxc-error-invalid-post-kind");
        }
        let title = clean(&self.title);
        if title.is_empty() {
            fail("title".into(), "cxc-error-title-required");
        } else if title.chars().count() > limits::TITLE {
            fail("title".into(), "cxc-error-too-long");
        }
        let body = self.body.trim().to_owned();
        if body.chars().count() > limits::BODY {
            fail("body".into(), "cxc-error-too-long");
        }
        let capacities = distinct(&self.capacities);
        if capacities.len() > limits::CAPACITIES {
            fail("capacities".into(), "cxc-error-too-many");
        }
        for (i, key) in capacities.iter().enumerate() {
            if !reference.capacity_exists(key) {
                fail(format!("capacities[{i}]"), "cxc-error-unknown-capacity");
            }
        }
        let languages: Vec<String> = distinct(&self.languages)
            .into_iter()
            .map(|l| l.to_ascii_lowercase())
            .collect();
        if languages.len() > limits::LANGUAGES {
            fail("languages".into(), "cxc-error-too-many");
        }
        for (i, code) in languages.iter().enumerate() {
            if !reference.language_exists(code) {
                fail(format!("languages[{i}]"), "cxc-error-unknown-language");
            }
        }
        let country = self
            .country
            .as_deref()
            .map(clean)
            .filter(|c| !c.is_empty())
            .map(|c| c.to_ascii_uppercase());
        let region = country.as_deref().and_then(|c| reference.region_of(c));
        if country.is_some() && region.is_none() {
            fail("country".into(), "cxc-error-unknown-country");
        }
        let mut methods = Vec::new();
        for (i, raw) in distinct(&self.methods).iter().enumerate() {
            match Method::parse(raw) {
                Some(m) => methods.push(m),
                None => fail(format!("methods[{i}]"), "cxc-error-invalid-method"),
            }
        }
        let organization = self
            .organization
            .as_deref()
            .map(clean)
            .filter(|o| !o.is_empty());
        if organization
            .as_deref()
            .is_some_and(|o| !reference.organization_exists(o))
        {
            fail("organization".into(), "cxc-error-unknown-organization");
        }
        let expires_on = match self
            .expires_on
            .as_deref()
            .map(clean)
            .filter(|e| !e.is_empty())
        {
            None => Some(default_expiry(today)),
            Some(raw) => match parse_date(&raw) {
                None => {
                    fail("expires_at".into(), "cxc-error-invalid-date");
                    None
                }
                Some(d) if d < today && Some(d) != self.kept_expiry => {
                    fail("expires_at".into(), "cxc-error-expiry-past");
                    None
                }
                Some(d) if d > today + Duration::days(limits::MAX_DAYS) => {
                    fail("expires_at".into(), "cxc-error-expiry-too-far");
                    None
                }
                Some(d) => Some(d),
            },
        };
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") => Some(PostStatus::Open),
            Some(raw) => PostStatus::parse(raw).filter(|s| *s != PostStatus::Expired),
        };
        if status.is_none() {
            fail("status".into(), "cxc-error-invalid-status");
        }

        match (kind, expires_on, status) {
            (Some(kind), Some(expires_on), Some(status)) if errors.is_empty() => Ok(Post {
                kind,
                title,
                body,
                capacities,
                languages,
                country,
                region,
                online: self.online,
                methods,
                organization,
                expires_on,
                status,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    struct World;
    impl Reference for World {
        fn capacity_exists(&self, key: &str) -> bool {
            ["wikidata", "sparql"].contains(&key)
        }
        fn language_exists(&self, code: &str) -> bool {
            ["en", "yo", "ar"].contains(&code)
        }
        fn region_of(&self, country: &str) -> Option<Region> {
            (country == "NG").then_some(Region::SubSaharanAfrica)
        }
        fn organization_exists(&self, key: &str) -> bool {
            key == "WMNG"
        }
        fn project_exists(&self, _: &str) -> bool {
            false
        }
        fn timezone_exists(&self, _: &str) -> bool {
            false
        }
    }

    const TODAY: Date = date!(2026 - 12 - 03);

    fn ask() -> PostDraft {
        PostDraft {
            kind: "ask".into(),
            title: "  Help with SPARQL  ".into(),
            capacities: vec!["sparql".into(), "sparql".into()],
            languages: vec!["YO".into()],
            country: Some("ng".into()),
            methods: vec!["mentoring".into()],
            organization: Some("WMNG".into()),
            ..PostDraft::default()
        }
    }

    #[test]
    fn a_good_ask_is_cleaned_and_gets_the_default_expiry() {
        let post = ask().validate(&World, TODAY).unwrap();
        assert_eq!(post.kind, PostKind::Ask);
        assert_eq!(post.title, "Help with SPARQL");
        assert_eq!(post.capacities, ["sparql"]);
        assert_eq!(post.languages, ["yo"]);
        assert_eq!(post.country.as_deref(), Some("NG"));
        assert_eq!(post.region, Some(Region::SubSaharanAfrica));
        assert_eq!(post.methods, [Method::Mentoring]);
        assert_eq!(post.expires_on, date!(2027 - 01 - 02));
        assert_eq!(post.status, PostStatus::Open);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let draft = PostDraft {
            kind: "question".into(),
            title: " ".into(),
            body: "x".repeat(limits::BODY + 1),
            capacities: vec!["knitting".into()],
            languages: vec!["xx".into()],
            country: Some("ZZ".into()),
            methods: vec!["osmosis".into()],
            organization: Some("nobody".into()),
            expires_on: Some("2026-12-02".into()),
            status: Some("expired".into()),
            online: true,
            kept_expiry: None,
        };
        let errors = draft.validate(&World, TODAY).unwrap_err();
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.key)).collect();
        assert_eq!(
            fields,
            [
                ("kind", "cxc-error-invalid-post-kind"),
                ("title", "cxc-error-title-required"),
                ("body", "cxc-error-too-long"),
                ("capacities[0]", "cxc-error-unknown-capacity"),
                ("languages[0]", "cxc-error-unknown-language"),
                ("country", "cxc-error-unknown-country"),
                ("methods[0]", "cxc-error-invalid-method"),
                ("organization", "cxc-error-unknown-organization"),
                ("expires_at", "cxc-error-expiry-past"),
                ("status", "cxc-error-invalid-status"),
            ]
        );
    }

    #[test]
    fn expiry_is_bounded_and_read_as_expired_once_past() {
        let far = PostDraft {
            expires_on: Some("2028-01-01".into()),
            ..ask()
        };
        assert_eq!(
            far.validate(&World, TODAY).unwrap_err()[0].key,
            "cxc-error-expiry-too-far"
        );
        let post = PostDraft {
            expires_on: Some("2026-12-03".into()),
            ..ask()
        };
        let post = post.validate(&World, TODAY).unwrap();
        assert_eq!(
            post.status.effective(post.expires_on, TODAY),
            PostStatus::Open
        );
        let tomorrow = TODAY + Duration::days(1);
        let closing = PostDraft {
            expires_on: Some("2026-12-03".into()),
            status: Some("closed".into()),
            kept_expiry: Some(post.expires_on),
            ..ask()
        };
        assert!(
            closing.validate(&World, tomorrow).is_ok(),
            "an expired post can be closed without renewing it"
        );
        assert_eq!(
            post.status.effective(post.expires_on, tomorrow),
            PostStatus::Expired
        );
        assert_eq!(
            PostStatus::Closed.effective(post.expires_on, tomorrow),
            PostStatus::Closed
        );
    }
}
