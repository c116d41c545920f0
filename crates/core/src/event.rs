//! Learning activities: trainings, webinars, clinics, edit-a-thons, courses, meetings of a
//! community of practice. An [`EventDraft`] is what a form or the API submitted;
//! [`EventDraft::validate`] turns it into an [`Event`] or names every wrong field. Times are
//! local to the event's IANA time zone, as people announce them; the server places them on
//! the world's clock.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{Date, PrimitiveDateTime};

use crate::capacity::code_enum;
use crate::profile::{FieldError, Reference, Region};

pub mod limits {
    pub const TITLE: usize = 150;
    pub const DESCRIPTION: usize = 5000;
    pub const CITY: usize = 100;
    pub const URL: usize = 500;
    pub const CAPACITIES: usize = 10;
    pub const LANGUAGES: usize = 10;
    pub const SEATS: i64 = 10_000;
    pub const OCCURRENCES: i64 = 52;
    /// An event lasts at most this many days (a course over weeks repeats instead).
    pub const DAYS: i64 = 14;
}

code_enum! {
    /// What kind of learning activity.
    EventKind {
        Training = "training",
        Webinar = "webinar",
        Clinic = "clinic",
        EditAThon = "edit_a_thon",
        Course = "course",
        CommunityOfPractice = "community_of_practice",
        Other = "other",
    }
}

code_enum! {
    /// Whether an event takes place. A cancelled event stays, marked, so that calendars that
    /// subscribed to it learn of the cancellation.
    EventStatus {
        Scheduled = "scheduled",
        Cancelled = "cancelled",
    }
}

code_enum! {
    /// How an event repeats.
    Frequency {
        Weekly = "weekly",
        Monthly = "monthly",
    }
}

/// An event as submitted. Every field may be wrong.
#[derive(Debug, Clone, Default)]
pub struct EventDraft {
    pub title: String,
    pub description: String,
    pub kind: String,
    pub capacities: Vec<String>,
    pub languages: Vec<String>,
    pub online: bool,
    pub country: Option<String>,
    pub city: Option<String>,
    pub url: Option<String>,
    /// `YYYY-MM-DDTHH:MM`, local to `timezone`.
    pub start: String,
    pub end: String,
    pub timezone: String,
    /// `weekly` or `monthly`, with how many times in all.
    pub repeat: Option<String>,
    pub occurrences: Option<i64>,
    pub limit: Option<i64>,
    pub organization: Option<String>,
    pub status: Option<String>,
}

/// A repetition: how often and how many times in all (the first included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recurrence {
    pub frequency: Frequency,
    pub occurrences: u8,
}

impl Recurrence {
    /// When each occurrence starts, the first included, in the event's local time: the same
    /// time of day every week, or on the same day of every month (the month's last day when it
    /// is shorter), so that a clock change never moves it.
    pub fn starts(&self, first: PrimitiveDateTime) -> Vec<PrimitiveDateTime> {
        (0..u32::from(self.occurrences))
            .filter_map(|k| match self.frequency {
                Frequency::Weekly => first.checked_add(time::Duration::weeks(i64::from(k))),
                Frequency::Monthly => {
                    let months = i32::from(u8::from(first.month())) - 1 + k as i32;
                    let year = first.year() + months / 12;
                    let month = time::Month::try_from((months % 12 + 1) as u8).ok()?;
                    let day = first.day().min(month.length(year));
                    Date::from_calendar_date(year, month, day)
                        .ok()
                        .map(|d| d.with_time(first.time()))
                }
            })
            .collect()
    }
}

/// An event that may be stored as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub title: String,
    pub description: String,
    pub kind: EventKind,
    pub capacities: Vec<String>,
    pub languages: Vec<String>,
    pub online: bool,
    pub country: Option<String>,
    pub region: Option<Region>,
    pub city: Option<String>,
    pub url: Option<String>,
    pub start: PrimitiveDateTime,
    pub end: PrimitiveDateTime,
    pub timezone: String,
    pub recurrence: Option<Recurrence>,
    pub limit: Option<u32>,
    pub organization: Option<String>,
    pub status: EventStatus,
}

/// A local date and time as forms and the API write it: `2027-03-01T18:30` (seconds allowed).
pub fn parse_local(raw: &str) -> Option<PrimitiveDateTime> {
    let raw = raw.trim();
    PrimitiveDateTime::parse(
        raw,
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    )
    .or_else(|_| {
        PrimitiveDateTime::parse(
            raw,
            format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        )
    })
    .ok()
}

pub fn format_local(t: PrimitiveDateTime) -> String {
    t.format(format_description!("[year]-[month]-[day]T[hour]:[minute]"))
        .unwrap_or_default()
}

fn distinct(values: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    values
        .iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && seen.insert(v.clone()))
        .collect()
}

fn optional(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl EventDraft {
    /// Checks the draft; `today` bounds new events to the future (an edit may keep a past
    /// start, `keep_start` says which).
    pub fn validate(
        self,
        reference: &dyn Reference,
        today: Date,
        keep_start: Option<PrimitiveDateTime>,
    ) -> Result<Event, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, key: &'static str| {
            errors.push(FieldError {
                field: field.to_owned(),
                key,
            })
        };
        let title = self.title.trim().to_owned();
        if title.is_empty() {
            fail("title", "cxc-error-title-required");
        } else if title.chars().count() > limits::TITLE {
            fail("title", "cxc-error-too-long");
        }
        let description = self.description.trim().to_owned();
        if description.chars().count() > limits::DESCRIPTION {
            fail("description", "cxc-error-too-long");
        }
        let kind = EventKind::parse(self.kind.trim());
        if kind.is_none() {
            fail("kind", "cxc-error-invalid-event-kind");
        }
        let capacities = distinct(&self.capacities);
        if capacities.len() > limits::CAPACITIES {
            fail("capacities", "cxc-error-too-many");
        }
        if capacities.iter().any(|c| !reference.capacity_exists(c)) {
            fail("capacities", "cxc-error-unknown-capacity");
        }
        let languages: Vec<String> = distinct(&self.languages)
            .into_iter()
            .map(|l| l.to_ascii_lowercase())
            .collect();
        if languages.len() > limits::LANGUAGES {
            fail("languages", "cxc-error-too-many");
        }
        if languages.iter().any(|l| !reference.language_exists(l)) {
            fail("languages", "cxc-error-unknown-language");
        }
        let country = optional(self.country.as_ref()).map(|c| c.to_ascii_uppercase());
        let region = country.as_deref().and_then(|c| reference.region_of(c));
        if country.is_some() && region.is_none() {
            fail("country", "cxc-error-unknown-country");
        }
        let city = optional(self.city.as_ref());
        if city
            .as_ref()
            .is_some_and(|c| c.chars().count() > limits::CITY)
        {
            fail("city", "cxc-error-too-long");
        }
        if !self.online && country.is_none() {
            fail("country", "cxc-error-event-place-required");
        }
        let url = optional(self.url.as_ref());
        if url.as_ref().is_some_and(|u| {
            u.len() > limits::URL || !(u.starts_with("https://") || u.starts_with("http://"))
        }) {
            fail("url", "cxc-error-invalid-url");
        }
        let timezone = self.timezone.trim().to_owned();
        if !reference.timezone_exists(&timezone) {
            fail("timezone", "cxc-error-unknown-timezone");
        }
        let start = parse_local(&self.start);
        let end = parse_local(&self.end);
        match (start, end) {
            (None, _) => fail("start", "cxc-error-invalid-datetime"),
            (_, None) => fail("end", "cxc-error-invalid-datetime"),
            (Some(s), Some(e)) => {
                if e <= s {
                    fail("end", "cxc-error-end-before-start");
                } else if e - s > time::Duration::days(limits::DAYS) {
                    fail("end", "cxc-error-event-too-long");
                }
                if s.date() < today && Some(s) != keep_start {
                    fail("start", "cxc-error-expiry-past");
                }
            }
        }
        let recurrence = match optional(self.repeat.as_ref()) {
            None => None,
            Some(raw) => match (Frequency::parse(&raw), self.occurrences) {
                (Some(frequency), Some(n)) if (2..=limits::OCCURRENCES).contains(&n) => {
                    Some(Recurrence {
                        frequency,
                        occurrences: n as u8,
                    })
                }
                (Some(_), _) => {
                    fail("occurrences", "cxc-error-invalid-number");
                    None
                }
                (None, _) => {
                    fail("repeat", "cxc-error-invalid-repeat");
                    None
                }
            },
        };
        let limit = match self.limit {
            None => None,
            Some(n) if (1..=limits::SEATS).contains(&n) => Some(n as u32),
            Some(_) => {
                fail("limit", "cxc-error-invalid-number");
                None
            }
        };
        let organization = optional(self.organization.as_ref());
        if organization
            .as_deref()
            .is_some_and(|o| !reference.organization_exists(o))
        {
            fail("organization", "cxc-error-unknown-organization");
        }
        let status = match optional(self.status.as_ref()) {
            None => Some(EventStatus::Scheduled),
            Some(raw) => EventStatus::parse(&raw),
        };
        if status.is_none() {
            fail("status", "cxc-error-invalid-status");
        }
        match (kind, start, end, status) {
            (Some(kind), Some(start), Some(end), Some(status)) if errors.is_empty() => Ok(Event {
                title,
                description,
                kind,
                capacities,
                languages,
                online: self.online,
                country,
                region,
                city,
                url,
                start,
                end,
                timezone,
                recurrence,
                limit,
                organization,
                status,
            }),
            _ => Err(errors),
        }
    }
}

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Place {
    /// A seat.
    Registered,
    /// Wanting a seat while the event is full: the first to come get the seats that free up.
    Waiting,
    /// Interested, without a seat (for events open to all, or to hear of changes).
    Interested,
}

impl Place {
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Registered => "registered",
            Place::Waiting => "waiting",
            Place::Interested => "interested",
        }
    }

    pub fn parse(s: &str) -> Option<Place> {
        [Place::Registered, Place::Waiting, Place::Interested]
            .into_iter()
            .find(|p| p.as_str() == s)
    }

    /// The place someone asking for a seat gets, given the seats taken and the limit.
    pub fn for_seat(taken: u32, limit: Option<u32>) -> Place {
        match limit {
            Some(limit) if taken >= limit => Place::Waiting,
            _ => Place::Registered,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    struct World;
    impl Reference for World {
        fn capacity_exists(&self, key: &str) -> bool {
            key == "wikidata-sparql"
        }
        fn language_exists(&self, code: &str) -> bool {
            ["en", "sw"].contains(&code)
        }
        fn region_of(&self, country: &str) -> Option<Region> {
            (country == "KE").then_some(Region::SubSaharanAfrica)
        }
        fn organization_exists(&self, _: &str) -> bool {
            false
        }
        fn project_exists(&self, _: &str) -> bool {
            false
        }
        fn timezone_exists(&self, name: &str) -> bool {
            name == "Africa/Nairobi"
        }
    }

    fn clinic() -> EventDraft {
        EventDraft {
            title: "SPARQL clinic".into(),
            kind: "clinic".into(),
            capacities: vec!["wikidata-sparql".into()],
            languages: vec!["SW".into()],
            online: true,
            start: "2027-01-14T18:00".into(),
            end: "2027-01-14T19:30".into(),
            timezone: "Africa/Nairobi".into(),
            repeat: Some("weekly".into()),
            occurrences: Some(6),
            limit: Some(12),
            ..EventDraft::default()
        }
    }

    #[test]
    fn a_weekly_online_clinic_is_accepted() {
        let e = clinic()
            .validate(&World, date!(2026 - 12 - 03), None)
            .unwrap();
        assert_eq!(e.start, datetime!(2027-01-14 18:00));
        assert_eq!(e.languages, ["sw"]);
        assert_eq!(
            e.recurrence,
            Some(Recurrence {
                frequency: Frequency::Weekly,
                occurrences: 6
            })
        );
        assert_eq!(e.status, EventStatus::Scheduled);
        assert_eq!(format_local(e.start), "2027-01-14T18:00");
    }

    #[test]
    fn every_wrong_field_is_named() {
        let draft = EventDraft {
            kind: "party".into(),
            online: false,
            end: "2027-01-14T17:00".into(),
            timezone: "Mars/Olympus".into(),
            url: Some("javascript:alert(1)".into()),
            repeat: Some("daily".into()),
            limit: Some(0),
            title: " ".into(),
            ..clinic()
        };
        let errors = draft
            .validate(&World, date!(2026 - 12 - 03), None)
            .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title", "kind", "country", "url", "timezone", "end", "repeat", "limit"
            ]
        );
        let past = EventDraft {
            start: "2026-11-01T10:00".into(),
            end: "2026-11-01T12:00".into(),
            ..clinic()
        };
        let start = datetime!(2026-11-01 10:00);
        assert_eq!(
            past.clone()
                .validate(&World, date!(2026 - 12 - 03), None)
                .unwrap_err()[0]
                .key,
            "cxc-error-expiry-past"
        );
        assert!(
            past.validate(&World, date!(2026 - 12 - 03), Some(start))
                .is_ok(),
            "an edit keeps a start that has passed"
        );
    }

    #[test]
    fn seats_run_out_into_a_waiting_list() {
        assert_eq!(Place::for_seat(11, Some(12)), Place::Registered);
        assert_eq!(Place::for_seat(12, Some(12)), Place::Waiting);
        assert_eq!(Place::for_seat(500, None), Place::Registered);
    }

    #[test]
    fn occurrences_keep_their_local_time_and_day() {
        let weekly = Recurrence {
            frequency: Frequency::Weekly,
            occurrences: 3,
        };
        assert_eq!(
            weekly.starts(datetime!(2027-03-21 18:00)),
            [
                datetime!(2027-03-21 18:00),
                datetime!(2027-03-28 18:00),
                datetime!(2027-04-04 18:00)
            ]
        );
        let monthly = Recurrence {
            frequency: Frequency::Monthly,
            occurrences: 4,
        };
        assert_eq!(
            monthly.starts(datetime!(2027-11-30 09:30)),
            [
                datetime!(2027-11-30 09:30),
                datetime!(2027-12-30 09:30),
                datetime!(2028-01-30 09:30),
                datetime!(2028-02-29 09:30)
            ],
            "a shorter month takes its last day; the year turns"
        );
    }
}
