//! Mentorship programmes: an organization (or an admin) opens registration for mentors and
//! mentees, then computes the whole round at once with one of the modes in
//! [`crate::assignment`], scored by the matching engine ([`crate::matching::mentoring`]).
//! A [`ProgrammeDraft`] and an [`ApplicationDraft`] are what a form or the API submitted;
//! their `validate` turns them into values that may be stored, or names every wrong field.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use time::Date;

use crate::assignment::{self, Conflict, Mode, Problem, Unmatched};
use crate::capacity::code_enum;
use crate::matching::{self, Match, Subject};
use crate::model::{Interest, Interests, Model};
use crate::profile::{FieldError, Reference, Region, parse_date};

pub mod limits {
    pub const NAME: usize = 150;
    pub const DESCRIPTION: usize = 5000;
    pub const CAPACITIES: usize = 20;
    pub const LANGUAGES: usize = 10;
    pub const QUESTIONS: usize = 10;
    pub const QUESTION: usize = 300;
    pub const ANSWER: usize = 2000;
    /// The most mentees a programme may let one mentor take.
    pub const MENTOR_LIMIT: i64 = 10;
    /// A mentor takes this many mentees unless the programme says otherwise.
    pub const DEFAULT_MENTOR_LIMIT: u8 = 3;
    /// A registration window of at most a year and a half.
    pub const WINDOW_DAYS: i64 = 550;
}

code_enum! {
    /// Which side someone applies for.
    Role {
        Mentor = "mentor",
        Mentee = "mentee",
    }
}

code_enum! {
    /// Where a programme stands, from its dates and whether its round was published.
    Phase {
        Upcoming = "upcoming",
        Open = "open",
        Closed = "closed",
        Published = "published",
    }
}

code_enum! {
    /// Why someone who applied has no partner in a round: their profile is gone, so nothing
    /// can be matched on (`no_profile`); nobody on the other side fits, or every fit was
    /// ruled out (`no_fit`); those who fit had their places taken by others (`full`); a
    /// mentor nobody was given to, as the mentees who fit were better placed elsewhere
    /// (`not_chosen`).
    Why {
        NoProfile = "no_profile",
        NoFit = "no_fit",
        Full = "full",
        NotChosen = "not_chosen",
    }
}

/// A programme as submitted. Every field may be wrong.
#[derive(Debug, Clone, Default)]
pub struct ProgrammeDraft {
    pub name: String,
    pub description: String,
    pub capacities: Vec<String>,
    pub languages: Vec<String>,
    pub region: Option<String>,
    pub registration_opens: String,
    pub registration_closes: String,
    pub mentor_questions: Vec<String>,
    pub mentee_questions: Vec<String>,
    pub mentor_limit: Option<i64>,
    pub organization: Option<String>,
}

/// A programme that may be stored as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub name: String,
    pub description: String,
    pub capacities: Vec<String>,
    pub languages: Vec<String>,
    pub region: Option<Region>,
    pub registration_opens: Date,
    pub registration_closes: Date,
    pub mentor_questions: Vec<String>,
    pub mentee_questions: Vec<String>,
    /// The most mentees one mentor may take.
    pub mentor_limit: u8,
    pub organization: Option<String>,
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

/// Empty lines are dropped: a form gives one box per question and some stay empty.
fn questions(raw: &[String], field: &str, errors: &mut Vec<FieldError>) -> Vec<String> {
    let list: Vec<String> = raw
        .iter()
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty())
        .collect();
    if list.len() > limits::QUESTIONS {
        errors.push(FieldError::new(field, "cxc-error-too-many"));
    }
    if list.iter().any(|q| q.chars().count() > limits::QUESTION) {
        errors.push(FieldError::new(field, "cxc-error-too-long"));
    }
    list
}

impl ProgrammeDraft {
    pub fn validate(self, reference: &dyn Reference) -> Result<Programme, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            errors.push(FieldError::new("name", "cxc-error-name-required"));
        } else if name.chars().count() > limits::NAME {
            errors.push(FieldError::new("name", "cxc-error-too-long"));
        }
        let description = self.description.trim().to_owned();
        if description.chars().count() > limits::DESCRIPTION {
            errors.push(FieldError::new("description", "cxc-error-too-long"));
        }
        let capacities = distinct(&self.capacities);
        if capacities.is_empty() {
            errors.push(FieldError::new("capacities", "cxc-error-capacity-required"));
        } else if capacities.len() > limits::CAPACITIES {
            errors.push(FieldError::new("capacities", "cxc-error-too-many"));
        }
        if capacities.iter().any(|c| !reference.capacity_exists(c)) {
            errors.push(FieldError::new("capacities", "cxc-error-unknown-capacity"));
        }
        let languages: Vec<String> = distinct(&self.languages)
            .into_iter()
            .map(|l| l.to_ascii_lowercase())
            .collect();
        if languages.len() > limits::LANGUAGES {
            errors.push(FieldError::new("languages", "cxc-error-too-many"));
        }
        if languages.iter().any(|l| !reference.language_exists(l)) {
            errors.push(FieldError::new("languages", "cxc-error-unknown-language"));
        }
        let region = match optional(self.region.as_ref()) {
            None => None,
            Some(code) => {
                let region = Region::parse(&code.to_ascii_uppercase());
                if region.is_none() {
                    errors.push(FieldError::new("region", "cxc-error-unknown-region"));
                }
                region
            }
        };
        let opens = parse_date(&self.registration_opens);
        if opens.is_none() {
            errors.push(FieldError::new(
                "registration_opens",
                "cxc-error-invalid-date",
            ));
        }
        let closes = parse_date(&self.registration_closes);
        match (opens, closes) {
            (_, None) => errors.push(FieldError::new(
                "registration_closes",
                "cxc-error-invalid-date",
            )),
            (Some(o), Some(c)) if c < o => errors.push(FieldError::new(
                "registration_closes",
                "cxc-error-end-before-start",
            )),
            (Some(o), Some(c)) if c - o > time::Duration::days(limits::WINDOW_DAYS) => errors.push(
                FieldError::new("registration_closes", "cxc-error-window-too-long"),
            ),
            _ => {}
        }
        let mentor_questions = questions(&self.mentor_questions, "mentor_questions", &mut errors);
        let mentee_questions = questions(&self.mentee_questions, "mentee_questions", &mut errors);
        let mentor_limit = match self.mentor_limit {
            None => Some(limits::DEFAULT_MENTOR_LIMIT),
            Some(n) if (1..=limits::MENTOR_LIMIT).contains(&n) => Some(n as u8),
            Some(_) => {
                errors.push(FieldError::new("mentor_limit", "cxc-error-invalid-number"));
                None
            }
        };
        let organization = optional(self.organization.as_ref());
        if organization
            .as_deref()
            .is_some_and(|o| !reference.organization_exists(o))
        {
            errors.push(FieldError::new(
                "organization",
                "cxc-error-unknown-organization",
            ));
        }
        match (opens, closes, mentor_limit) {
            (Some(registration_opens), Some(registration_closes), Some(mentor_limit))
                if errors.is_empty() =>
            {
                Ok(Programme {
                    name,
                    description,
                    capacities,
                    languages,
                    region,
                    registration_opens,
                    registration_closes,
                    mentor_questions,
                    mentee_questions,
                    mentor_limit,
                    organization,
                })
            }
            _ => Err(errors),
        }
    }
}

impl Programme {
    /// Where the programme stands on `today`; `closed_early` when its organisers closed
    /// registration before its last day.
    pub fn phase(&self, today: Date, published: bool, closed_early: bool) -> Phase {
        if published {
            Phase::Published
        } else if closed_early {
            Phase::Closed
        } else if today < self.registration_opens {
            Phase::Upcoming
        } else if today <= self.registration_closes {
            Phase::Open
        } else {
            Phase::Closed
        }
    }

    pub fn questions(&self, role: Role) -> &[String] {
        match role {
            Role::Mentor => &self.mentor_questions,
            Role::Mentee => &self.mentee_questions,
        }
    }
}

/// An application as submitted.
#[derive(Debug, Clone, Default)]
pub struct ApplicationDraft {
    pub role: String,
    /// One per question for the role, in order.
    pub answers: Vec<String>,
    /// What the applicant wants to learn or can teach, among the programme's capacities;
    /// none means all of them.
    pub capacities: Vec<String>,
    /// How many mentees a mentor takes (mentors only).
    pub slots: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub role: Role,
    pub answers: Vec<String>,
    pub capacities: Vec<String>,
    /// 0 for a mentee.
    pub slots: u8,
}

impl ApplicationDraft {
    pub fn validate(self, programme: &Programme) -> Result<Application, Vec<FieldError>> {
        let mut errors = Vec::new();
        let role = Role::parse(self.role.trim());
        if role.is_none() {
            errors.push(FieldError::new("role", "cxc-error-invalid-programme-role"));
        }
        let asked = role.map_or(0, |r| programme.questions(r).len());
        let answers: Vec<String> = self.answers.iter().map(|a| a.trim().to_owned()).collect();
        if answers.len() != asked || answers.iter().any(String::is_empty) {
            errors.push(FieldError::new("answers", "cxc-error-answers-required"));
        } else if answers.iter().any(|a| a.chars().count() > limits::ANSWER) {
            errors.push(FieldError::new("answers", "cxc-error-too-long"));
        }
        let mut capacities = distinct(&self.capacities);
        if capacities.is_empty() {
            capacities.clone_from(&programme.capacities);
        } else if capacities.iter().any(|c| !programme.capacities.contains(c)) {
            errors.push(FieldError::new(
                "capacities",
                "cxc-error-capacity-not-in-programme",
            ));
        }
        let slots = match (role, self.slots) {
            (Some(Role::Mentee), None) => Some(0),
            (Some(Role::Mentee), Some(_)) => {
                errors.push(FieldError::new("slots", "cxc-error-slots-for-mentors"));
                None
            }
            (_, None) => Some(1),
            (_, Some(n)) if (1..=i64::from(programme.mentor_limit)).contains(&n) => Some(n as u8),
            (_, Some(_)) => {
                errors.push(FieldError::new("slots", "cxc-error-invalid-number"));
                None
            }
        };
        match (role, slots) {
            (Some(role), Some(slots)) if errors.is_empty() => Ok(Application {
                role,
                answers,
                capacities,
                slots,
            }),
            _ => Err(errors),
        }
    }
}

/// Someone who applied, as the round sees them.
#[derive(Debug, Clone)]
pub struct Applicant {
    /// Their person in the model, when their profile can be matched on.
    pub slot: Option<u32>,
    /// The capacities they applied with.
    pub capacities: Vec<u32>,
    /// Places for mentees (mentors only).
    pub slots: u32,
}

/// One proposed pair: indexes into the mentors and mentees given to [`propose`].
#[derive(Debug, Clone)]
pub struct Pair {
    pub mentor: usize,
    pub mentee: usize,
    /// From 0 to 1; 0 for a pinned pair that does not fit.
    pub score: f32,
    pub pinned: bool,
    /// Why they fit, when they do.
    pub why: Option<Match>,
}

#[derive(Debug, Clone)]
pub struct Proposal {
    pub pairs: Vec<Pair>,
    pub total: f32,
    pub unmatched_mentees: Vec<(usize, Why)>,
    pub unmatched_mentors: Vec<(usize, Why)>,
}

/// Scores are exact integers for the assignment: four decimal places of a score.
const SCALE: f32 = 10_000.0;

fn subject<'a>(
    model: &'a Model,
    applicant: &Applicant,
    interests: &'a Interests,
    role: Role,
) -> Option<Subject<'a>> {
    let slot = applicant.slot?;
    let person = model.person(slot)?;
    let (wanted, offered): (&[Interest], &[Interest]) = match role {
        Role::Mentee => (interests, &[]),
        Role::Mentor => (&[], interests),
    };
    Some(Subject {
        slot: Some(slot),
        wanted,
        offered,
        known: &person.known,
        languages: Some(&person.languages),
        region: person.region,
        utc_offset: person.utc_offset,
        affiliations: &person.affiliations,
    })
}

fn interests(applicant: &Applicant) -> Interests {
    applicant
        .capacities
        .iter()
        .map(|&capacity| Interest {
            capacity,
            methods: 0,
            formats: 0,
        })
        .collect()
}

/// Why a mentor fits a mentee, as [`propose`] scored them.
pub fn explain_pair(model: &Model, mentor: &Applicant, mentee: &Applicant) -> Option<Match> {
    let (mentor_interests, mentee_interests) = (interests(mentor), interests(mentee));
    let mentor = subject(model, mentor, &mentor_interests, Role::Mentor)?;
    let mentee = subject(model, mentee, &mentee_interests, Role::Mentee)?;
    matching::mentoring(model, &mentee, &mentor)
}

/// Computes a round: every mentor–mentee pair scored by the matching engine (pairs that
/// `blocked` rules out never fit), then assigned in `mode` with the organiser's pinned and
/// forbidden pairs `(mentor, mentee)`.
pub fn propose(
    model: &Model,
    mentors: &[Applicant],
    mentees: &[Applicant],
    blocked: &dyn Fn(usize, usize) -> bool,
    mode: Mode,
    pinned: &[(usize, usize)],
    forbidden: &[(usize, usize)],
) -> Result<Proposal, Conflict> {
    let mentor_interests: Vec<Interests> = mentors.iter().map(interests).collect();
    let mentee_interests: Vec<Interests> = mentees.iter().map(interests).collect();
    let mentor_subjects: Vec<Option<Subject>> = mentors
        .iter()
        .zip(&mentor_interests)
        .map(|(a, i)| subject(model, a, i, Role::Mentor))
        .collect();
    let mut fits: Vec<Vec<(usize, Match)>> = vec![Vec::new(); mentees.len()];
    let mut edges = Vec::new();
    for (e, applicant) in mentees.iter().enumerate() {
        let Some(mentee) = subject(model, applicant, &mentee_interests[e], Role::Mentee) else {
            continue;
        };
        for (r, mentor) in mentor_subjects.iter().enumerate() {
            let Some(mentor) = mentor else { continue };
            if mentor.slot == mentee.slot || blocked(r, e) {
                continue;
            }
            if let Some(m) = matching::mentoring(model, &mentee, mentor) {
                let weight = ((m.score * SCALE).round() as i64).max(1);
                edges.push((r as u32, e as u32, weight));
                fits[e].push((r, m));
            }
        }
    }
    let as_u32 = |list: &[(usize, usize)]| -> Vec<(u32, u32)> {
        list.iter().map(|&(r, e)| (r as u32, e as u32)).collect()
    };
    let problem = Problem {
        mentees: mentees.len(),
        slots: mentors.iter().map(|m| m.slots).collect(),
        edges,
        pinned: as_u32(pinned),
        forbidden: as_u32(forbidden),
    };
    let assigned = assignment::solve(&problem, mode)?;
    let pinned: HashSet<(usize, usize)> = pinned.iter().copied().collect();
    let forbidden: HashSet<(usize, usize)> = forbidden.iter().copied().collect();
    let mut pairs = Vec::with_capacity(assigned.pairs.len());
    let mut mentor_used = vec![false; mentors.len()];
    for &(r, e) in &assigned.pairs {
        let (r, e) = (r as usize, e as usize);
        mentor_used[r] = true;
        let why = fits[e]
            .iter()
            .find(|(mentor, _)| *mentor == r)
            .map(|(_, m)| m.clone());
        pairs.push(Pair {
            mentor: r,
            mentee: e,
            score: why.as_ref().map_or(0.0, |m| m.score),
            pinned: pinned.contains(&(r, e)),
            why,
        });
    }
    let total = pairs.iter().map(|p| p.score).sum();
    let unmatched_mentees = assigned
        .unmatched
        .iter()
        .map(|&(e, reason)| {
            let e = e as usize;
            let why = if mentees[e].slot.is_none_or(|s| model.person(s).is_none()) {
                Why::NoProfile
            } else {
                match reason {
                    Unmatched::NoFit => Why::NoFit,
                    Unmatched::Full => Why::Full,
                }
            };
            (e, why)
        })
        .collect();
    let mut fitting_mentors = vec![false; mentors.len()];
    for (e, list) in fits.iter().enumerate() {
        for (r, _) in list {
            if !forbidden.contains(&(*r, e)) {
                fitting_mentors[*r] = true;
            }
        }
    }
    let unmatched_mentors = (0..mentors.len())
        .filter(|r| !mentor_used[*r])
        .map(|r| {
            let why = if mentor_subjects[r].is_none() {
                Why::NoProfile
            } else if fitting_mentors[r] {
                Why::NotChosen
            } else {
                Why::NoFit
            };
            (r, why)
        })
        .collect();
    Ok(Proposal {
        pairs,
        total,
        unmatched_mentees,
        unmatched_mentors,
    })
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::model::tests::{person, taxonomy};

    struct World;
    impl Reference for World {
        fn capacity_exists(&self, key: &str) -> bool {
            ["wikidata", "sparql"].contains(&key)
        }
        fn language_exists(&self, code: &str) -> bool {
            ["en", "sw"].contains(&code)
        }
        fn region_of(&self, _: &str) -> Option<Region> {
            None
        }
        fn organization_exists(&self, key: &str) -> bool {
            key == "wm-ke"
        }
        fn project_exists(&self, _: &str) -> bool {
            false
        }
        fn timezone_exists(&self, _: &str) -> bool {
            false
        }
    }

    fn draft() -> ProgrammeDraft {
        ProgrammeDraft {
            name: " Wikidata mentors ".into(),
            capacities: vec!["wikidata".into(), "wikidata".into()],
            languages: vec!["SW".into()],
            region: Some("ssa".into()),
            registration_opens: "2027-01-01".into(),
            registration_closes: "2027-01-31".into(),
            mentee_questions: vec!["What do you want to build?".into(), "  ".into()],
            organization: Some("wm-ke".into()),
            ..ProgrammeDraft::default()
        }
    }

    fn keys(errors: Vec<FieldError>) -> Vec<(String, &'static str)> {
        errors
            .into_iter()
            .map(|e| (e.field.to_string(), e.key))
            .collect()
    }

    #[test]
    fn a_programme_is_cleaned_and_defaulted() {
        let p = draft().validate(&World).unwrap();
        assert_eq!(p.name, "Wikidata mentors");
        assert_eq!(p.capacities, ["wikidata"]);
        assert_eq!(p.languages, ["sw"]);
        assert_eq!(p.region, Some(Region::SubSaharanAfrica));
        assert_eq!(
            p.mentee_questions,
            ["What do you want to build?"],
            "empty boxes are dropped"
        );
        assert_eq!(p.mentor_limit, limits::DEFAULT_MENTOR_LIMIT);
    }

    #[test]
    fn every_wrong_field_of_a_programme_is_named() {
        let errors = ProgrammeDraft {
            name: String::new(),
            capacities: vec!["knitting".into()],
            languages: vec!["xx".into()],
            region: Some("atlantis".into()),
            registration_opens: "2027-02-01".into(),
            registration_closes: "2027-01-01".into(),
            mentor_limit: Some(11),
            organization: Some("nobody".into()),
            ..ProgrammeDraft::default()
        }
        .validate(&World)
        .unwrap_err();
        let fields: Vec<String> = keys(errors).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "name",
                "capacities",
                "languages",
                "region",
                "registration_closes",
                "mentor_limit",
                "organization"
            ]
        );
        let long = ProgrammeDraft {
            registration_closes: "2028-12-31".into(),
            ..draft()
        };
        assert_eq!(
            keys(long.validate(&World).unwrap_err()),
            [(
                "registration_closes".to_owned(),
                "cxc-error-window-too-long"
            )]
        );
    }

    #[test]
    fn the_phase_follows_the_window_both_days_included() {
        let p = draft().validate(&World).unwrap();
        assert_eq!(
            p.phase(date!(2026 - 12 - 31), false, false),
            Phase::Upcoming
        );
        assert_eq!(p.phase(date!(2027 - 01 - 01), false, false), Phase::Open);
        assert_eq!(p.phase(date!(2027 - 01 - 31), false, false), Phase::Open);
        assert_eq!(p.phase(date!(2027 - 02 - 01), false, false), Phase::Closed);
        assert_eq!(p.phase(date!(2027 - 01 - 15), false, true), Phase::Closed);
        assert_eq!(p.phase(date!(2027 - 01 - 15), true, true), Phase::Published);
    }

    #[test]
    fn an_application_answers_its_side_questions_within_the_programme() {
        let p = draft().validate(&World).unwrap();
        let mentee = ApplicationDraft {
            role: "mentee".into(),
            answers: vec!["A lexeme bot".into()],
            ..ApplicationDraft::default()
        }
        .validate(&p)
        .unwrap();
        assert_eq!(mentee.capacities, ["wikidata"], "none means all of them");
        assert_eq!(mentee.slots, 0);
        let mentor = ApplicationDraft {
            role: "mentor".into(),
            slots: Some(3),
            ..ApplicationDraft::default()
        }
        .validate(&p)
        .unwrap();
        assert_eq!(mentor.slots, 3, "mentors were asked nothing");
        let wrong = ApplicationDraft {
            role: "mentee".into(),
            answers: vec![],
            capacities: vec!["sparql".into()],
            slots: Some(2),
        }
        .validate(&p)
        .unwrap_err();
        assert_eq!(
            keys(wrong),
            [
                ("answers".to_owned(), "cxc-error-answers-required"),
                (
                    "capacities".to_owned(),
                    "cxc-error-capacity-not-in-programme"
                ),
                ("slots".to_owned(), "cxc-error-slots-for-mentors"),
            ]
        );
        let over = ApplicationDraft {
            role: "mentor".into(),
            slots: Some(4),
            ..ApplicationDraft::default()
        };
        assert_eq!(
            keys(over.validate(&p).unwrap_err()),
            [("slots".to_owned(), "cxc-error-invalid-number")]
        );
        let nobody = ApplicationDraft {
            role: "sponsor".into(),
            ..ApplicationDraft::default()
        };
        assert_eq!(
            keys(nobody.validate(&p).unwrap_err()),
            [("role".to_owned(), "cxc-error-invalid-programme-role")]
        );
    }

    fn applicant(model: &Model, account: i64, capacities: &[&str], slots: u32) -> Applicant {
        Applicant {
            slot: model.slot_of(account),
            capacities: capacities
                .iter()
                .map(|c| model.capacities.get(c).unwrap())
                .collect(),
            slots,
        }
    }

    #[test]
    fn a_round_pairs_by_fit_explains_each_pair_and_says_why_others_wait() {
        let mut model = Model::new(&taxonomy());
        for (id, offered) in [(1, &["sparql"][..]), (2, &["bots"][..])] {
            let p = person(&mut model, id, offered, &[]);
            model.upsert(p);
        }
        for id in [10, 11, 12] {
            let p = person(&mut model, id, &[], &["wikidata"]);
            model.upsert(p);
        }
        let mentors = [
            applicant(&model, 1, &["sparql"], 1),
            applicant(&model, 2, &["bots"], 2),
        ];
        let mentees = [
            applicant(&model, 10, &["sparql"], 0),
            applicant(&model, 11, &["sparql"], 0),
            Applicant {
                slot: None,
                ..applicant(&model, 12, &["sparql"], 0)
            },
        ];
        let never = |_: usize, _: usize| false;
        let round = propose(
            &model,
            &mentors,
            &mentees,
            &never,
            Mode::BestTotal,
            &[],
            &[],
        )
        .unwrap();
        assert_eq!(
            round.pairs.len(),
            1,
            "one mentor teaches SPARQL, with one place"
        );
        let pair = &round.pairs[0];
        assert_eq!(pair.mentor, 0);
        assert!(pair.score > 0.0 && pair.why.is_some());
        let waiting: Vec<(usize, Why)> = round.unmatched_mentees.clone();
        assert!(waiting.contains(&(2, Why::NoProfile)));
        assert!(waiting.contains(&(1 - pair.mentee, Why::Full)));
        assert_eq!(
            round.unmatched_mentors,
            [(1, Why::NoFit)],
            "bots are not SPARQL"
        );

        let blocked = |r: usize, e: usize| (r, e) == (0, 0);
        let round = propose(&model, &mentors, &mentees, &blocked, Mode::Stable, &[], &[]).unwrap();
        assert_eq!(
            (round.pairs[0].mentor, round.pairs[0].mentee),
            (0, 1),
            "a block rules a pair out"
        );
        let pinned = propose(
            &model,
            &mentors,
            &mentees,
            &never,
            Mode::MaxMatched,
            &[(1, 0)],
            &[],
        )
        .unwrap();
        let kept = pinned.pairs.iter().find(|p| p.mentee == 0).unwrap();
        assert!(kept.pinned && kept.mentor == 1 && kept.score == 0.0 && kept.why.is_none());
        assert_eq!(
            propose(
                &model,
                &mentors,
                &mentees,
                &never,
                Mode::BestTotal,
                &[(0, 0)],
                &[(0, 0)]
            )
            .unwrap_err()
            .0,
            "cxc-error-pinned-forbidden"
        );
    }
}
