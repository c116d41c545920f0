//! Profiles as stored, kept between requests until the read model changes: reading one from
//! the database takes six queries (the account, the profile, and its languages, capacities,
//! affiliations and projects), several times the cost of writing it out.
//!
//! Every change to a profile or to its account's standing reaches the read model (the change
//! log it follows), whose revision then changes; revisions are unique in the process, so one
//! cache serves every server in it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use crate::AppState;
use crate::db::profiles::{self, StoredProfile};
use crate::error::AppError;

/// Enough for the profiles a busy site shows between two changes; past it, the cache starts
/// again rather than tracking which entry is oldest.
const ENTRIES: usize = 20_000;

type Cache = Mutex<(u64, HashMap<String, Arc<StoredProfile>>)>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The stored profile of `username`, if there is one.
pub async fn by_username(
    state: &AppState,
    username: &str,
) -> Result<Option<Arc<StoredProfile>>, AppError> {
    let revision = state.read_model().model.revision();
    {
        let cache = cache().lock();
        if cache.0 == revision
            && let Some(stored) = cache.1.get(username)
        {
            return Ok(Some(stored.clone()));
        }
    }
    let Some(stored) = profiles::by_username(&state.db, username).await? else {
        return Ok(None);
    };
    let stored = Arc::new(stored);
    let mut cache = cache().lock();
    // The revision read before the database: a change in between leaves this entry under
    // the old revision, which the next request no longer takes.
    if cache.0 != revision || cache.1.len() >= ENTRIES {
        *cache = (revision, HashMap::new());
    }
    cache.1.insert(username.to_owned(), stored.clone());
    Ok(Some(stored))
}
