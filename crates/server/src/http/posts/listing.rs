//! Listing posts: query parameters turned into a board query, facet values labelled in the
//! caller's language, and the open asks someone could help with.

use std::collections::{BTreeMap, HashSet};

use cxc_core::board::{BoardQuery, BoardResults, Facet};
use cxc_core::post::{PostKind, PostStatus};
use cxc_core::{Method, Region};
use serde::Serialize;
use utoipa::ToSchema;

use super::{PostDoc, may_see, post_doc};
use crate::AppState;
use crate::db::accounts::Account;
use crate::directory::Directory;
use crate::error::{AppError, FieldError};
use crate::http::search::{Labelled, Params};
use crate::read_model::ReadModel;

/// A page of posts, how many there are in all, facet counts and the next page's cursor.
#[derive(Serialize, ToSchema)]
pub struct PostList {
    pub total: u64,
    pub items: Vec<PostDoc>,
    pub next_cursor: Option<String>,
    /// Per filter, the values with how many posts each would give.
    pub facets: BTreeMap<String, Vec<Labelled>>,
}

/// Checks one filter value, giving the values it stands for (a capacity and those under it).
fn accepted(
    state: &AppState,
    directory: &Directory,
    facet: Facet,
    raw: &str,
) -> Option<Vec<String>> {
    let one = |ok: bool, value: String| ok.then(|| vec![value]);
    match facet {
        Facet::Kind => one(PostKind::parse(raw).is_some(), raw.to_owned()),
        Facet::Status => one(PostStatus::parse(raw).is_some(), raw.to_owned()),
        Facet::Capacity => {
            let c = directory.capacity(raw).filter(|c| c.is_active())?;
            Some(
                directory
                    .taxonomy()
                    .subtree(&c.key)
                    .into_iter()
                    .map(str::to_owned)
                    .collect(),
            )
        }
        Facet::Language => one(state.i18n.language_known(raw), raw.to_owned()),
        Facet::Country => {
            let code = raw.to_ascii_uppercase();
            one(state.reference.country(&code).is_some(), code)
        }
        Facet::Region => {
            let code = raw.to_ascii_uppercase();
            one(Region::parse(&code).is_some(), code)
        }
        Facet::Method => one(Method::parse(raw).is_some(), raw.to_owned()),
    }
}

fn unknown_key(facet: Facet) -> &'static str {
    match facet {
        Facet::Kind => "cxc-error-invalid-post-kind",
        Facet::Status => "cxc-error-invalid-status",
        Facet::Capacity => "cxc-error-unknown-capacity",
        Facet::Language => "cxc-error-unknown-language",
        Facet::Country => "cxc-error-unknown-country",
        Facet::Region => "cxc-error-unknown-region",
        Facet::Method => "cxc-error-invalid-method",
    }
}

/// Turns query parameters into a board query; every unknown value is named.
pub fn build_query(
    state: &AppState,
    directory: &Directory,
    params: &Params,
) -> Result<BoardQuery, AppError> {
    let mut errors = Vec::new();
    let mut filters = BTreeMap::new();
    for facet in Facet::ALL {
        let mut values = HashSet::new();
        for raw in params.all(facet.name()) {
            match accepted(state, directory, facet, raw) {
                Some(v) => values.extend(v),
                None => errors.push(FieldError {
                    field: facet.name().to_owned(),
                    key: unknown_key(facet),
                }),
            }
        }
        if !values.is_empty() {
            filters.insert(facet, values);
        }
    }
    let limit = match params.one("limit") {
        None => 20,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n @ 1..=100) => n,
            _ => {
                errors.push(FieldError {
                    field: "limit".into(),
                    key: "cxc-error-invalid-limit",
                });
                20
            }
        },
    };
    let cursor = match params.one("cursor") {
        None => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                errors.push(FieldError {
                    field: "cursor".into(),
                    key: "cxc-error-invalid-cursor",
                });
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(BoardQuery {
        filters,
        text: None,
        today: state.clock.today(),
        limit,
        cursor,
    })
}

/// Runs a listing for a viewer: words first, then filters and facets on the board.
pub fn run(
    state: &AppState,
    params: &Params,
    viewer: Option<&Account>,
    lang: &'static str,
) -> Result<PostList, AppError> {
    let directory = state.directory();
    let mut query = build_query(state, &directory, params)?;
    let read = state.read_model();
    if let Some(q) = params.one("q") {
        let hits = read.post_text.search(q).map_err(AppError::Internal)?;
        query.text = Some(hits.slots.iter().map(i64::from).collect());
    }
    let results = read
        .board
        .search(&query, |p| may_see(&read.model, viewer, p));
    Ok(labelled(state, &directory, &read, &results, lang))
}

fn labelled(
    state: &AppState,
    directory: &Directory,
    read: &ReadModel,
    r: &BoardResults,
    lang: &'static str,
) -> PostList {
    let message = |key: String| state.i18n.text(lang, &key, &[]);
    let label = |facet: Facet, value: &str| -> Option<String> {
        Some(match facet {
            Facet::Kind => message(format!("cxc-post-kind-{value}")),
            Facet::Status => message(format!("cxc-post-status-{}", value.replace('_', "-"))),
            Facet::Capacity => directory
                .capacity(value)
                .filter(|c| c.is_active())?
                .label(lang)
                .to_owned(),
            Facet::Language => state.i18n.autonym(value).unwrap_or(value).to_owned(),
            Facet::Country => state.reference.country_name(value, lang),
            Facet::Region => state.i18n.region_name(lang, value),
            Facet::Method => message(format!("cxc-method-{value}")),
        })
    };
    PostList {
        total: r.total,
        items: r
            .ids
            .iter()
            .filter_map(|id| read.board.get(*id))
            .map(|p| post_doc(state, directory, &read.model, p, lang))
            .collect(),
        next_cursor: r.next_cursor.map(|c| c.to_string()),
        facets: r
            .facets
            .iter()
            .map(|(facet, counts)| {
                let values = counts
                    .iter()
                    .filter_map(|(v, n)| {
                        Some(Labelled {
                            label: label(*facet, v)?.into(),
                            value: v.as_str().into(),
                            count: Some(*n),
                        })
                    })
                    .collect();
                (facet.name().to_owned(), values)
            })
            .collect(),
    }
}

/// The newest open asks and offers `viewer` may see, for the home page; never their own.
pub fn recent_open(
    state: &AppState,
    viewer: Option<&Account>,
    limit: usize,
    lang: &'static str,
) -> Vec<PostDoc> {
    open_posts(state, viewer, BTreeMap::new(), limit, lang)
}

/// The newest open posts matching `filters` that `viewer` may see, never their own.
fn open_posts(
    state: &AppState,
    viewer: Option<&Account>,
    filters: BTreeMap<Facet, HashSet<String>>,
    limit: usize,
    lang: &'static str,
) -> Vec<PostDoc> {
    let directory = state.directory();
    let read = state.read_model();
    let query = BoardQuery {
        filters,
        text: None,
        today: state.clock.today(),
        limit,
        cursor: None,
    };
    let found = read.board.search(&query, |p| {
        viewer.is_none_or(|v| p.author != v.id) && may_see(&read.model, viewer, p)
    });
    found
        .ids
        .iter()
        .filter_map(|id| read.board.get(*id))
        .map(|p| post_doc(state, &directory, &read.model, p, lang))
        .collect()
}

/// Open asks that `account` could help with: on capacities they offer or know, or those
/// under them; never their own.
pub fn open_asks_for(
    state: &AppState,
    account: &Account,
    limit: usize,
    lang: &'static str,
) -> Vec<PostDoc> {
    // The read model is let go before the search takes it again.
    let capacities: HashSet<String> = {
        let directory = state.directory();
        let read = state.read_model();
        let Some(me) = read
            .model
            .slot_of(account.id)
            .and_then(|s| read.model.person(s))
        else {
            return Vec::new();
        };
        let taxonomy = directory.taxonomy();
        me.offered
            .iter()
            .map(|i| i.capacity)
            .chain(me.known.iter().map(|k| k.0))
            .flat_map(|c| taxonomy.subtree(read.model.capacities.name(c)))
            .map(str::to_owned)
            .collect()
    };
    if capacities.is_empty() {
        return Vec::new();
    }
    let filters = BTreeMap::from([
        (
            Facet::Kind,
            HashSet::from([PostKind::Ask.as_str().to_owned()]),
        ),
        (Facet::Capacity, capacities),
    ]);
    open_posts(state, Some(account), filters, limit, lang)
}
