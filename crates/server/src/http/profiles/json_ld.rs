//! A profile as linked data: a schema.org Person.

use axum::http::{HeaderMap, header};
use cxc_core::CapacityEntry;
use cxc_core::profile::Profile;

use crate::AppState;
use crate::directory::Directory;

pub(super) fn wants_json_ld(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/ld+json"))
}

pub(super) fn capacity_term(
    state: &AppState,
    directory: &Directory,
    key: &str,
    lang: &str,
) -> serde_json::Value {
    let base = &state.config.base_url;
    let mut term = serde_json::json!({
        "@type": "DefinedTerm",
        "@id": format!("{base}/capacities/{key}"),
        "termCode": key,
        "name": directory.capacity(key).map_or(key, |c| c.label(lang)),
        "inDefinedTermSet": format!("{base}/capacities"),
    });
    if let Some(qid) = directory.capacity(key).and_then(|c| c.qid.as_ref()) {
        term["sameAs"] = serde_json::json!(format!("http://www.wikidata.org/entity/{qid}"));
    }
    term
}

/// A profile as a schema.org Person.
pub fn person_json_ld(
    state: &AppState,
    directory: &Directory,
    username: &str,
    p: &Profile,
    lang: &str,
) -> serde_json::Value {
    let base = &state.config.base_url;
    let service = |e: &CapacityEntry| {
        serde_json::json!({
            "@type": "Service",
            "serviceType": e.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
            "availableChannel": e.formats.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            "about": capacity_term(state, directory, &e.capacity, lang),
        })
    };
    let mut person = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Person",
        "@id": format!("{base}/people/{}", crate::http::page::url_component(username)),
        "url": format!("{base}/people/{}", crate::http::page::url_component(username)),
        "name": p.display_name,
        "alternateName": username,
        "knowsLanguage": p.languages.iter().map(|(code, _)| code).collect::<Vec<_>>(),
        "knowsAbout": p.known.iter().map(|e| capacity_term(state, directory, &e.capacity, lang)).collect::<Vec<_>>(),
        "makesOffer": p.offered.iter().map(|e| serde_json::json!({"@type": "Offer", "itemOffered": service(e)})).collect::<Vec<_>>(),
        "seeks": p.wanted.iter().map(|e| serde_json::json!({"@type": "Demand", "itemOffered": service(e)})).collect::<Vec<_>>(),
        "memberOf": p.affiliations.iter().filter_map(|k| directory.organization(k)).map(|o| serde_json::json!({
            "@type": "Organization",
            "@id": format!("{base}/organizations/{}", o.key),
            "name": o.name(lang),
        })).collect::<Vec<_>>(),
    });
    if !p.bio.is_empty() {
        person["description"] = serde_json::json!({"@value": p.bio, "@language": p.bio_language.clone().unwrap_or_else(|| "und".into())});
    }
    if let Some(country) = &p.country {
        person["homeLocation"] = serde_json::json!({"@type": "Country", "identifier": country});
    }
    person
}
