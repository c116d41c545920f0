//! The in-memory read model of this instance: people for search, matching and the map, and
//! their text index. Built from the database at start-up, then kept current by following the
//! change log, so a write on any instance shows on every instance within a second.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

// parking_lot locks are not poisoned: a request that panics while holding one (answered with
// a 500) does not make every later request that needs it panic too.
use parking_lot::{Mutex, RwLock};

use cxc_core::board::{Board, Listed};
use cxc_core::matching::Exposure;
use cxc_core::model::{Interest, Model, Person, format_bits, method_bits};

use crate::db::catalog::{self, ChangeKind};
use crate::db::connections;
use crate::db::posts::{self, StoredPost};
use crate::db::profiles::{self, StoredProfile};
use crate::directory::Directory;
use crate::error::AppError;
use crate::reference::{Reference, utc_offset_hours};
use crate::state::ReadSide;
use crate::text_index::TextIndex;

pub struct ReadModel {
    pub model: Model,
    pub text: TextIndex,
    /// Pairs of accounts never to be matched, both ways round.
    pub blocks: HashSet<(i64, i64)>,
    /// Open connections per person, which count against the limit they set.
    pub loads: HashMap<i64, u16>,
    /// Asks and offers, and their words (by post id).
    pub board: Board,
    pub post_text: TextIndex,
    /// The last change-log entry applied.
    last_change: i64,
}

/// Converts stored profiles to read-model records, caching time-zone offsets by name.
struct Converter<'a> {
    reference: &'a Reference,
    offsets: HashMap<String, Option<f32>>,
    loads: &'a HashMap<i64, u16>,
}

impl Converter<'_> {
    fn person(&mut self, model: &mut Model, s: &StoredProfile) -> Person {
        let p = &s.profile;
        let interest = |model: &mut Model, e: &cxc_core::CapacityEntry| Interest {
            capacity: model.capacities.intern(&e.capacity),
            methods: method_bits(&e.methods),
            formats: format_bits(&e.formats),
        };
        Person {
            account_id: s.account_id,
            username: s.username.clone(),
            display_name: p.display_name.clone(),
            country: p.country.as_deref().map(|c| model.countries.intern(c)),
            region: p
                .country
                .as_deref()
                .and_then(|c| self.reference.region_of(c)),
            utc_offset: p.timezone.as_deref().and_then(|tz| {
                *self
                    .offsets
                    .entry(tz.to_owned())
                    .or_insert_with(|| utc_offset_hours(tz))
            }),
            languages: p
                .languages
                .iter()
                .map(|(code, level)| (model.languages.intern(code), level.rank() as u8))
                .collect(),
            known: p
                .known
                .iter()
                .map(|e| (model.capacities.intern(&e.capacity), e.level.unwrap_or(0)))
                .collect(),
            offered: p.offered.iter().map(|e| interest(model, e)).collect(),
            wanted: p.wanted.iter().map(|e| interest(model, e)).collect(),
            affiliations: p
                .affiliations
                .iter()
                .map(|o| model.organizations.intern(o))
                .collect(),
            projects: p
                .projects
                .iter()
                .map(|pr| model.projects.intern(pr))
                .collect(),
            visibility: p.visibility,
            recommendable: p.recommendable,
            away_until: p.away_until,
            max_connections: p.max_connections.and_then(|n| u16::try_from(n).ok()),
            open_connections: self.loads.get(&s.account_id).copied().unwrap_or(0),
            updated_at: s.updated_at,
        }
    }
}

impl ReadModel {
    /// Reads every profile. Done once at start-up; afterwards only changes are read.
    pub async fn build(
        pool: &sqlx::AnyPool,
        directory: &Directory,
        reference: &Reference,
    ) -> anyhow::Result<ReadModel> {
        let last_change = catalog::last_change(pool).await?;
        let mut model = Model::new(directory.taxonomy());
        let mut text = TextIndex::new()?;
        let loads = connections::loads(pool).await?;
        let mut converter = Converter {
            reference,
            offsets: HashMap::new(),
            loads: &loads,
        };
        profiles::for_each(pool, |stored| {
            if stored.suspended {
                return Ok(());
            }
            let person = converter.person(&mut model, &stored);
            let slot = model.upsert(person);
            text.add(
                slot,
                &stored.profile.display_name,
                &stored.username,
                &stored.profile.bio,
            )
        })
        .await?;
        text.commit()?;
        let blocks = blocks_of(pool).await?;
        let mut board = Board::default();
        let mut post_text = TextIndex::new()?;
        for stored in posts::all(pool).await? {
            add_post(&mut board, &mut post_text, reference, &stored)?;
        }
        post_text.commit()?;
        Ok(ReadModel {
            blocks,
            loads,
            board,
            post_text,
            model,
            text,
            last_change,
        })
    }

    /// The slots of everyone `account_id` blocked or was blocked by.
    pub fn blocked_slots(&self, account_id: i64) -> HashSet<u32> {
        self.blocks
            .iter()
            .filter_map(|(a, b)| match (*a == account_id, *b == account_id) {
                (true, _) => self.model.slot_of(*b),
                (_, true) => self.model.slot_of(*a),
                _ => None,
            })
            .collect()
    }
}

/// Puts a post on the board and its words in the index (committed by the caller).
fn add_post(
    board: &mut Board,
    text: &mut TextIndex,
    reference: &Reference,
    stored: &StoredPost,
) -> anyhow::Result<()> {
    let p = &stored.post;
    let slot = u32::try_from(stored.id)?;
    text.upsert(slot, &p.title, "", &p.body)?;
    board.upsert(Listed {
        id: stored.id,
        author: stored.author_id,
        author_username: stored.author.clone(),
        organization: p.organization.clone(),
        kind: p.kind,
        status: p.status,
        title: p.title.clone(),
        body: p.body.clone(),
        capacities: p.capacities.clone(),
        languages: p.languages.clone(),
        country: p.country.clone(),
        region: p.country.as_deref().and_then(|c| reference.region_of(c)),
        online: p.online,
        methods: p.methods.clone(),
        expires_on: p.expires_on,
        created: stored.created_at,
        updated: stored.updated_at,
        hidden: stored.hidden,
    });
    Ok(())
}

/// How often each person was suggested lately, to spread attention: by how many different
/// people, since someone reloading their home page should not make a mentor look popular.
/// Requests read a snapshot and queue what they suggested, so that matching never waits on a
/// write lock; the janitor folds the queue in every few hundred milliseconds.
#[derive(Default)]
pub struct ExposureCounts {
    current: RwLock<Arc<Exposure>>,
    queued: Mutex<Suggestions>,
}

#[derive(Default)]
struct Suggestions {
    /// (viewer, suggested) pairs not counted yet.
    pending: Vec<(i64, i64)>,
    /// Pairs counted since the counts were last halved.
    counted: HashSet<(i64, i64)>,
}

impl ExposureCounts {
    pub fn snapshot(&self) -> Arc<Exposure> {
        self.current.read().clone()
    }

    /// Notes that these accounts were suggested to `viewer`.
    pub fn record(&self, viewer: i64, accounts: impl IntoIterator<Item = i64>) {
        self.queued
            .lock()
            .pending
            .extend(accounts.into_iter().map(|a| (viewer, a)));
    }

    /// Counts what was recorded since the last call, each viewer once per suggested person.
    pub fn fold_in(&self) {
        let fresh: Vec<i64> = {
            let mut queued = self.queued.lock();
            let Suggestions { pending, counted } = &mut *queued;
            pending
                .drain(..)
                .filter(|pair| counted.insert(*pair))
                .map(|(_, suggested)| suggested)
                .collect()
        };
        if fresh.is_empty() {
            return;
        }
        self.update(|counts| {
            for account in fresh {
                *counts.entry(account).or_insert(0) += 1;
            }
        });
    }

    /// Halves every count, so that attention given long ago is slowly forgotten; a viewer
    /// shown someone again after this counts again.
    pub fn decay(&self) {
        self.queued.lock().counted.clear();
        self.update(|counts| {
            counts.retain(|_, n| {
                *n /= 2;
                *n > 0
            });
        });
    }

    fn update(&self, change: impl FnOnce(&mut Exposure)) {
        let mut current = self.current.write();
        change(Arc::make_mut(&mut current));
    }
}

async fn blocks_of(pool: &sqlx::AnyPool) -> Result<HashSet<(i64, i64)>, AppError> {
    Ok(crate::db::accounts::all_blocks(pool)
        .await?
        .into_iter()
        .collect())
}

/// Applies changes logged since the model was last brought up to date. Called after every
/// local write (so people see their own changes at once) and every few hundred milliseconds
/// (for writes made by other instances and by `cxc import`).
pub async fn sync(state: &ReadSide) -> Result<(), AppError> {
    let _one_at_a_time = state.sync_lock.lock().await;
    let since = state.read_model().last_change;
    let changes = catalog::changes_since(state.db.pool(), since).await?;
    let Some(last) = changes.iter().map(|c| c.id).max() else {
        return Ok(());
    };
    let rebuild = changes.iter().any(|c| match c.kind {
        // A bulk import: rebuilding is faster than replaying it profile by profile.
        ChangeKind::Import => true,
        // Entries this model has not read were pruned: only a rebuild catches up.
        ChangeKind::Pruned => c.key.parse::<i64>().is_ok_and(|horizon| horizon > since),
        _ => false,
    });
    if rebuild {
        let directory = state.refresh_directory().await?;
        let mut fresh = ReadModel::build(state.db.pool(), &directory, &state.reference)
            .await
            .map_err(AppError::Internal)?;
        let mut read = state.read_model_mut();
        fresh.last_change = fresh.last_change.max(last);
        *read = fresh;
        return Ok(());
    }
    let taxonomy_changed = changes
        .iter()
        .any(|c| matches!(c.kind, ChangeKind::Capacity | ChangeKind::Organization));
    let directory = if taxonomy_changed {
        state.refresh_directory().await?
    } else {
        state.directory()
    };
    let accounts: BTreeSet<i64> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Profile)
        .filter_map(|c| c.key.parse().ok())
        .collect();
    let mut loaded = Vec::with_capacity(accounts.len());
    for id in &accounts {
        loaded.push((*id, profiles::load(&state.db, *id).await?));
    }
    let blocks = if changes
        .iter()
        .any(|c| matches!(c.kind, ChangeKind::Block | ChangeKind::Profile))
    {
        Some(blocks_of(state.db.pool()).await?)
    } else {
        None
    };
    // A merged or retired capacity moved every post that held it: reload them all.
    let posts_changed: Option<BTreeSet<i64>> =
        if changes.iter().any(|c| c.kind == ChangeKind::Capacity) {
            None
        } else {
            Some(
                changes
                    .iter()
                    .filter(|c| c.kind == ChangeKind::Post)
                    .filter_map(|c| c.key.parse().ok())
                    .collect(),
            )
        };
    let loaded_posts = match &posts_changed {
        None => posts::all(state.db.pool()).await?,
        Some(ids) => {
            let mut found = Vec::new();
            for id in ids {
                found.extend(posts::load(state.db.pool(), *id).await?);
            }
            found
        }
    };
    let loads = if changes.iter().any(|c| c.kind == ChangeKind::Connection) {
        Some(connections::loads(state.db.pool()).await?)
    } else {
        None
    };
    let mut read = state.read_model_mut();
    let read = &mut *read;
    if let Some(loads) = loads {
        let old = std::mem::replace(&mut read.loads, loads);
        let touched: BTreeSet<i64> = old.keys().chain(read.loads.keys()).copied().collect();
        for account in touched {
            let now = read.loads.get(&account).copied().unwrap_or(0);
            if old.get(&account).copied().unwrap_or(0) == now {
                continue;
            }
            if let Some(mut person) = read
                .model
                .slot_of(account)
                .and_then(|s| read.model.person(s))
                .cloned()
            {
                person.open_connections = now;
                read.model.upsert(person);
            }
        }
    }
    match &posts_changed {
        None => {
            read.board = Board::default();
            read.post_text = TextIndex::new().map_err(AppError::Internal)?;
        }
        Some(ids) => {
            for id in ids {
                read.board.remove(*id);
                if let Ok(slot) = u32::try_from(*id) {
                    read.post_text.remove(slot);
                }
            }
        }
    }
    for stored in &loaded_posts {
        add_post(
            &mut read.board,
            &mut read.post_text,
            &state.reference,
            stored,
        )
        .map_err(AppError::Internal)?;
    }
    read.post_text.commit().map_err(AppError::Internal)?;
    if let Some(blocks) = blocks {
        read.blocks = blocks;
    }
    if taxonomy_changed {
        read.model.set_taxonomy(directory.taxonomy());
    }
    let mut converter = Converter {
        reference: &state.reference,
        offsets: HashMap::new(),
        loads: &read.loads,
    };
    for (account_id, stored) in loaded {
        match stored.filter(|s| !s.suspended) {
            Some(stored) => {
                let person = converter.person(&mut read.model, &stored);
                let slot = read.model.upsert(person);
                read.text
                    .upsert(
                        slot,
                        &stored.profile.display_name,
                        &stored.username,
                        &stored.profile.bio,
                    )
                    .map_err(AppError::Internal)?;
            }
            None => {
                if let Some(slot) = read.model.remove(account_id) {
                    read.text.remove(slot);
                }
            }
        }
    }
    read.text.commit().map_err(AppError::Internal)?;
    read.last_change = last;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_counts_show_after_folding_in_and_fade() {
        let counts = ExposureCounts::default();
        counts.record(1, [7, 9]);
        counts.record(2, [7]);
        counts.record(3, [7]);
        assert!(counts.snapshot().is_empty(), "queued, not counted yet");
        let before = counts.snapshot();
        counts.fold_in();
        assert_eq!(counts.snapshot().get(&7), Some(&3));
        assert_eq!(counts.snapshot().get(&9), Some(&1));
        assert!(
            before.is_empty(),
            "a snapshot taken earlier does not change"
        );
        for _ in 0..5 {
            counts.record(1, [7, 9]);
            counts.fold_in();
        }
        assert_eq!(
            counts.snapshot().get(&7),
            Some(&3),
            "the same viewer reloading counts once"
        );
        counts.decay();
        assert_eq!(counts.snapshot().get(&7), Some(&1));
        assert_eq!(
            counts.snapshot().get(&9),
            None,
            "halved to nothing, forgotten"
        );
        counts.record(1, [9]);
        counts.fold_in();
        assert_eq!(
            counts.snapshot().get(&9),
            Some(&1),
            "after halving, a viewer shown someone again counts again"
        );
    }
}
