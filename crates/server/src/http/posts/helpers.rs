//! Who could answer a post, from the matching engine: for an ask, people who offer what it
//! asks for; for an offer, people who want what it offers. The post speaks for its author,
//! so the author's languages, region and time zone count where the post does not say.

use std::collections::HashSet;

use cxc_core::Format;
use cxc_core::board::Listed;
use cxc_core::matching::Subject;
use cxc_core::model::{Interest, format_bits, method_bits};
use cxc_core::post::PostKind;

use crate::AppState;
use crate::db::accounts::Account;
use crate::http::matches::{MatchItem, explain, find};

/// The Babel rank assumed for a language a post names but its author's profile does not.
const ASSUMED_RANK: u8 = 4;

pub fn helpers(
    state: &AppState,
    viewer: Option<&Account>,
    post: &Listed,
    limit: usize,
    lang: &str,
) -> Vec<MatchItem> {
    let directory = state.directory();
    let read = state.read_model();
    let model = &read.model;
    let author_slot = model.slot_of(post.author);
    let author = author_slot.and_then(|s| model.person(s));
    let mut formats = Vec::new();
    if post.online {
        formats.push(Format::Online);
    }
    if post.country.is_some() {
        formats.push(Format::InPerson);
    }
    let interests: Vec<Interest> = post
        .capacities
        .iter()
        .filter_map(|key| {
            Some(Interest {
                capacity: model.capacities.get(key)?,
                methods: method_bits(&post.methods),
                formats: format_bits(&formats),
            })
        })
        .collect();
    if interests.is_empty() {
        return Vec::new();
    }
    let languages: Option<Vec<(u32, u8)>> = if post.languages.is_empty() {
        author.map(|a| a.languages.to_vec())
    } else {
        Some(
            post.languages
                .iter()
                .filter_map(|code| {
                    let id = model.languages.get(code)?;
                    let rank = author
                        .and_then(|a| a.languages.iter().find(|(l, _)| *l == id))
                        .map_or(ASSUMED_RANK, |(_, r)| *r);
                    Some((id, rank))
                })
                .collect(),
        )
    };
    let (wanted, offered): (&[Interest], &[Interest]) = match post.kind {
        PostKind::Ask => (&interests, &[]),
        PostKind::Offer => (&[], &interests),
    };
    let subject = Subject {
        slot: author_slot,
        wanted,
        offered,
        known: author.map_or(&[][..], |a| &a.known),
        languages: languages.as_deref(),
        region: post.region.or(author.and_then(|a| a.region)),
        utc_offset: author.and_then(|a| a.utc_offset),
        affiliations: author.map_or(&[][..], |a| &a.affiliations),
    };
    let mut blocked: HashSet<u32> = read.blocked_slots(post.author);
    if let Some(v) = viewer {
        blocked.extend(read.blocked_slots(v.id));
    }
    find(state, model, &subject, &blocked, viewer.is_some(), limit)
        .iter()
        .map(|m| explain(state, &directory, model, m, lang))
        .collect()
}
