//! `--demo`: a realistic community so that a newcomer sees a living site — the hand-written
//! people and groups of `demo/community.jsonl`, and a generated crowd around them that gives the
//! map, the dashboard and suggestions substance.

use std::io::Cursor;

use crate::directory::Directory;
use crate::interchange::{self, Source};
use crate::state::ReadSide;

pub mod synthetic;

const DEMO_COMMUNITY: &str = include_str!("../../../../demo/community.jsonl");

/// Enough people for every region of the map to have colour, few enough to import in seconds.
const GENERATED_PEOPLE: usize = 3000;
const GENERATED_SEED: u64 = 2026;

/// Fills a database that has no profiles yet; one that has them is left as it is.
pub async fn fill_if_empty(state: &ReadSide) -> anyhow::Result<()> {
    let profiles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM profiles")
        .fetch_one(state.db.pool())
        .await?;
    if profiles > 0 {
        tracing::info!("the database already has profiles: demo content not added");
        return Ok(());
    }
    let source: Source = (
        "demo/community.jsonl".to_owned(),
        Box::new(DEMO_COMMUNITY.as_bytes()),
    );
    let written = interchange::import(
        &state.db,
        &state.reference,
        &state.i18n,
        vec![source],
        &|_| {},
    )
    .await?;
    let directory = state.refresh_directory().await?;
    let crowd = generated_crowd(&directory)?;
    let generated = interchange::import(
        &state.db,
        &state.reference,
        &state.i18n,
        vec![(
            "generated demo community".to_owned(),
            Box::new(Cursor::new(crowd)),
        )],
        &|_| {},
    )
    .await?;
    crate::read_model::sync(state).await?;
    tracing::info!(
        people = written.profiles + generated.profiles,
        organizations = written.organizations,
        "demo community added"
    );
    Ok(())
}

/// Generated people who hold the directory's own capacities (below the top-level areas) and
/// belong to its organizations, as interchange lines.
fn generated_crowd(directory: &Directory) -> anyhow::Result<Vec<u8>> {
    let universe = synthetic::Universe {
        capacities: directory
            .active_capacities()
            .filter(|c| c.parent.is_some())
            .map(|c| (c.key.clone(), c.label("en").to_owned()))
            .collect(),
        organizations: directory
            .organizations()
            .iter()
            .map(|o| (o.key.clone(), o.countries.first().cloned()))
            .collect(),
    };
    let mut lines = Vec::new();
    for person in synthetic::People::new(&universe, GENERATED_SEED).take(GENERATED_PEOPLE) {
        serde_json::to_writer(&mut lines, &interchange::Record::Profile(person))?;
        lines.push(b'\n');
    }
    Ok(lines)
}
