//! Cohorts: learning groups of people who want one capacity, share a language they use well
//! and live in one region or in nearby time zones, with candidate facilitators who offer the
//! capacity. [`propose`] finds them in the model; a [`CohortDraft`] is what a form or the
//! API submitted to form one, and `validate` turns it into a value that may be stored.

use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::capacity::code_enum;
use crate::model::{Dimension, Model};
use crate::profile::{FieldError, Reference, Region};

pub mod limits {
    pub const NAME: usize = 150;
    pub const DESCRIPTION: usize = 5000;
    /// Fewer people than this are not a group.
    pub const MIN_MEMBERS: usize = 3;
    /// A proposal stops here: a larger crowd is a course, not a cohort.
    pub const MAX_MEMBERS: usize = 25;
    pub const MAX_FACILITATORS: usize = 5;
    /// The Babel rank from which a language serves for learning together ("advanced").
    pub const USABLE_LEVEL: u8 = 3;
    /// People without a region are grouped when all are within this many hours of UTC of
    /// each other.
    pub const NEARBY_HOURS: f32 = 3.0;
    /// The most groups one capacity is given at once: an organiser forms a few at a time.
    pub const PROPOSALS: usize = 30;
    /// The most people one invitation adds.
    pub const INVITATIONS: usize = 50;
    /// The most people ever invited to one cohort.
    pub const MEMBERS: usize = 100;
    /// The most events one cohort links to.
    pub const EVENTS: usize = 20;
}

code_enum! {
    /// Where a cohort stands.
    Status {
        Forming = "forming",
        Active = "active",
        Finished = "finished",
    }
}

code_enum! {
    /// What someone is in a cohort.
    MemberRole {
        Member = "member",
        Facilitator = "facilitator",
    }
}

code_enum! {
    /// Where an invitation stands.
    Answer {
        Invited = "invited",
        Accepted = "accepted",
        Declined = "declined",
    }
}

/// Where a proposed group's people live: one region, or (for those who gave no region) a
/// band of time zones, in hours from UTC.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    Region(Region),
    Hours { from: f32, to: f32 },
}

/// A proposed learning group: model slots of its members and candidate facilitators.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub language: u32,
    pub place: Place,
    pub members: Vec<u32>,
    pub facilitators: Vec<u32>,
}

/// A group before members are shared out: who could join it.
struct Candidate {
    language: u32,
    place: Place,
    people: RoaringBitmap,
}

/// Groups of people wanting `capacity` (or one under it) among `candidates`, largest first
/// (at most [`limits::PROPOSALS`]).
/// Each person is proposed once, in the largest group they fit; people who opted out of
/// recommendations are never proposed, as members or as facilitators.
pub fn propose(model: &Model, capacity: u32, candidates: &RoaringBitmap) -> Vec<Proposal> {
    let willing = |people: RoaringBitmap| -> RoaringBitmap {
        people
            .iter()
            .filter(|s| model.person(*s).is_some_and(|p| p.recommendable))
            .collect()
    };
    let learners = willing(model.posting(Dimension::Wants, capacity, 0) & candidates);
    let teachers = willing(model.posting(Dimension::Offers, capacity, 0) & candidates);
    if learners.len() < limits::MIN_MEMBERS as u64 {
        return Vec::new();
    }
    let mut groups = Vec::new();
    for language in model.values(Dimension::Language) {
        let speakers = model.posting(Dimension::Language, language, limits::USABLE_LEVEL);
        let speaking = &learners & speakers;
        if speaking.len() < limits::MIN_MEMBERS as u64 {
            continue;
        }
        let mut placed = RoaringBitmap::new();
        for (i, region) in Region::ALL.iter().enumerate() {
            let people = &speaking & model.posting(Dimension::Region, i as u32, 0);
            placed |= &people;
            groups.push(Candidate {
                language,
                place: Place::Region(*region),
                people,
            });
        }
        groups.extend(time_zone_bands(model, &(speaking - placed), language));
    }
    let mut proposals = Vec::new();
    let mut taken = RoaringBitmap::new();
    while proposals.len() < limits::PROPOSALS {
        for g in &mut groups {
            g.people -= &taken;
        }
        let best = groups
            .iter()
            .max_by_key(|g| (g.people.len(), std::cmp::Reverse(g.language)));
        let Some(best) = best.filter(|g| g.people.len() >= limits::MIN_MEMBERS as u64) else {
            break;
        };
        let mut members: Vec<u32> = best.people.iter().collect();
        // The most recently active first: they are likelier to answer. Only the first few of
        // a large crowd are put in order.
        let recent_first = |s: &u32| (std::cmp::Reverse(model.updated_at(*s)), *s);
        if members.len() > limits::MAX_MEMBERS {
            members.select_nth_unstable_by_key(limits::MAX_MEMBERS, recent_first);
            members.truncate(limits::MAX_MEMBERS);
        }
        members.sort_by_key(recent_first);
        taken.extend(members.iter().copied());
        let (language, place) = (best.language, best.place);
        proposals.push(Proposal {
            language,
            place,
            facilitators: facilitators(model, &teachers, &members, language, place),
            members,
        });
    }
    proposals
}

/// People who gave a time zone but no region, in bands no wider than
/// [`limits::NEARBY_HOURS`]; those who gave neither cannot be told to be near anyone.
fn time_zone_bands(model: &Model, people: &RoaringBitmap, language: u32) -> Vec<Candidate> {
    let mut by_offset: Vec<(f32, u32)> = people
        .iter()
        .filter_map(|s| Some((model.person(s)?.utc_offset?, s)))
        .collect();
    by_offset.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut bands: Vec<Candidate> = Vec::new();
    for (offset, slot) in by_offset {
        match bands.last_mut() {
            Some(band) if matches!(band.place, Place::Hours { from, .. } if offset - from <= limits::NEARBY_HOURS) =>
            {
                if let Place::Hours { to, .. } = &mut band.place {
                    *to = offset;
                }
                band.people.insert(slot);
            }
            _ => bands.push(Candidate {
                language,
                place: Place::Hours {
                    from: offset,
                    to: offset,
                },
                people: std::iter::once(slot).collect(),
            }),
        }
    }
    bands
}

/// Who offers the capacity and speaks the group's language well, nearest first: in its
/// region, then by hours from the group's time zones.
fn facilitators(
    model: &Model,
    teachers: &RoaringBitmap,
    members: &[u32],
    language: u32,
    place: Place,
) -> Vec<u32> {
    let speakers = model.posting(Dimension::Language, language, limits::USABLE_LEVEL);
    let mut ranked: Vec<(u8, u32, u32)> = (teachers & speakers)
        .iter()
        .filter(|s| !members.contains(s))
        .filter_map(|s| {
            let p = model.person(s)?;
            let distance = match (place, p.region, p.utc_offset) {
                (Place::Region(r), Some(own), _) if r == own => 0,
                (Place::Hours { from, to }, _, Some(offset)) => {
                    let hours = if offset < from {
                        from - offset
                    } else if offset > to {
                        offset - to
                    } else {
                        0.0
                    };
                    // Tenths of an hour, so that the ordering stays an integer one.
                    1 + (hours * 10.0) as u32
                }
                _ => u32::MAX,
            };
            let rank = p.language_rank(language).unwrap_or(0);
            Some((rank, distance, s))
        })
        .collect();
    ranked.sort_by_key(|&(rank, distance, slot)| (distance, std::cmp::Reverse(rank), slot));
    ranked
        .into_iter()
        .take(limits::MAX_FACILITATORS)
        .map(|(_, _, s)| s)
        .collect()
}

/// A cohort as submitted. Every field may be wrong.
#[derive(Debug, Clone, Default)]
pub struct CohortDraft {
    pub name: String,
    pub description: String,
    pub capacity: String,
    pub language: Option<String>,
    pub region: Option<String>,
    pub organization: Option<String>,
}

/// A cohort that may be stored as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    pub name: String,
    pub description: String,
    pub capacity: String,
    pub language: Option<String>,
    pub region: Option<Region>,
    pub organization: Option<String>,
}

fn optional(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl CohortDraft {
    pub fn validate(self, reference: &dyn Reference) -> Result<Cohort, Vec<FieldError>> {
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
        let capacity = self.capacity.trim().to_owned();
        if capacity.is_empty() {
            errors.push(FieldError::new("capacity", "cxc-error-capacity-required"));
        } else if !reference.capacity_exists(&capacity) {
            errors.push(FieldError::new("capacity", "cxc-error-unknown-capacity"));
        }
        let language = optional(self.language.as_ref()).map(|l| l.to_ascii_lowercase());
        if language
            .as_deref()
            .is_some_and(|l| !reference.language_exists(l))
        {
            errors.push(FieldError::new("language", "cxc-error-unknown-language"));
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
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Cohort {
            name,
            description,
            capacity,
            language,
            region,
            organization,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Person;
    use crate::model::tests::{person, taxonomy};

    /// Someone who wants or offers capacities, in a region or a time zone, speaking
    /// `languages` at the given ranks.
    fn add(
        model: &mut Model,
        id: i64,
        (offered, wanted): (&[&str], &[&str]),
        languages: &[(&str, u8)],
        (region, offset): (Option<Region>, Option<f32>),
    ) -> u32 {
        let mut p = person(model, id, offered, wanted);
        p.languages = languages
            .iter()
            .map(|(code, rank)| (model.languages.intern(code), *rank))
            .collect();
        p.region = region;
        p.utc_offset = offset;
        model.upsert(p)
    }

    const SSA: (Option<Region>, Option<f32>) = (Some(Region::SubSaharanAfrica), Some(3.0));

    #[test]
    fn learners_are_grouped_by_language_and_region_with_nearby_facilitators() {
        let mut m = Model::new(&taxonomy());
        let sw: Vec<u32> = (1..=4)
            .map(|id| add(&mut m, id, (&[], &["sparql"]), &[("sw", 4), ("en", 2)], SSA))
            .collect();
        // Learns in English but not well enough in Swahili; alone in English, so nobody's.
        add(&mut m, 5, (&[], &["sparql"]), &[("en", 5), ("sw", 1)], SSA);
        // Wants something under Wikidata: in a Wikidata cohort too.
        let lexemes = add(&mut m, 6, (&[], &["lexemes"]), &[("sw", 5)], SSA);
        let opted_out = add(&mut m, 7, (&[], &["sparql"]), &[("sw", 5)], SSA);
        m.upsert(Person {
            recommendable: false,
            ..m.person(opted_out).unwrap().clone()
        });
        let near = add(&mut m, 8, (&["wikidata"], &[]), &[("sw", 5)], SSA);
        let far = add(
            &mut m,
            9,
            (&["sparql"], &[]),
            &[("sw", 3)],
            (Some(Region::NorthAmerica), Some(-5.0)),
        );
        let mute = add(&mut m, 10, (&["sparql"], &[]), &[("sw", 1)], SSA);
        let everyone = m.visible(true);

        let sparql = m.capacities.get("sparql").unwrap();
        let found = propose(&m, sparql, everyone);
        assert_eq!(found.len(), 1);
        let group = &found[0];
        assert_eq!(group.language, m.languages.get("sw").unwrap());
        assert_eq!(group.place, Place::Region(Region::SubSaharanAfrica));
        let mut members = group.members.clone();
        members.sort_unstable();
        assert_eq!(members, sw, "neither the weak speaker nor who opted out");
        assert_eq!(
            group.facilitators,
            [far],
            "only who offers SPARQL itself, in Swahili well enough; {near} offers the area above, {mute} too little Swahili"
        );

        let wikidata = m.capacities.get("wikidata").unwrap();
        let found = propose(&m, wikidata, everyone);
        assert_eq!(found.len(), 1);
        assert!(found[0].members.contains(&lexemes));
        assert_eq!(found[0].facilitators, [near, far], "nearest first");
        assert!(
            propose(&m, sparql, &RoaringBitmap::new()).is_empty(),
            "only among candidates"
        );
    }

    #[test]
    fn people_without_a_region_are_grouped_by_nearby_time_zones_once_each() {
        let mut m = Model::new(&taxonomy());
        let mut slot = |id: i64, offset: f32, languages: &[(&str, u8)]| {
            add(
                &mut m,
                id,
                (&[], &["bots"]),
                languages,
                (None, Some(offset)),
            )
        };
        let west: Vec<u32> = [(1, -3.0), (2, -1.0), (3, 0.0)]
            .iter()
            .map(|&(id, o)| slot(id, o, &[("pt", 5), ("en", 4)]))
            .collect();
        let east: Vec<u32> = [(4, 5.5), (5, 7.0), (6, 8.0)]
            .iter()
            .map(|&(id, o)| slot(id, o, &[("en", 4)]))
            .collect();
        let alone = slot(7, 12.0, &[("en", 4)]);
        let bots = m.capacities.get("bots").unwrap();
        let found = propose(&m, bots, m.visible(true));
        assert_eq!(found.len(), 2, "{found:?}");
        let all: Vec<u32> = found.iter().flat_map(|g| g.members.clone()).collect();
        assert_eq!(all.len(), 6, "each person once");
        assert!(!all.contains(&alone), "twelve hours from the others");
        for group in &found {
            let mut members = group.members.clone();
            members.sort_unstable();
            assert!(members == west || members == east, "{group:?}");
            if members == east {
                assert_eq!(group.place, Place::Hours { from: 5.5, to: 8.0 });
            }
        }
    }

    #[test]
    fn a_cohort_draft_names_every_wrong_field() {
        struct World;
        impl Reference for World {
            fn capacity_exists(&self, key: &str) -> bool {
                key == "sparql"
            }
            fn language_exists(&self, code: &str) -> bool {
                code == "sw"
            }
            fn region_of(&self, _: &str) -> Option<Region> {
                None
            }
            fn organization_exists(&self, _: &str) -> bool {
                false
            }
            fn project_exists(&self, _: &str) -> bool {
                false
            }
            fn timezone_exists(&self, _: &str) -> bool {
                false
            }
        }
        let ok = CohortDraft {
            name: " SPARQL circle ".into(),
            capacity: "sparql".into(),
            language: Some("SW".into()),
            region: Some("ssa".into()),
            ..CohortDraft::default()
        }
        .validate(&World)
        .unwrap();
        assert_eq!(ok.name, "SPARQL circle");
        assert_eq!(ok.language.as_deref(), Some("sw"));
        assert_eq!(ok.region, Some(Region::SubSaharanAfrica));
        let errors = CohortDraft {
            name: String::new(),
            capacity: "knitting".into(),
            language: Some("xx".into()),
            region: Some("mars".into()),
            organization: Some("nobody".into()),
            ..CohortDraft::default()
        }
        .validate(&World)
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "capacity", "language", "region", "organization"]
        );
    }
}
