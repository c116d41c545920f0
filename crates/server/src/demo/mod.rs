//! `--demo`: a realistic community so that a newcomer sees a living site — the hand-written
//! people and groups of `demo/community.jsonl` with their asks and offers (`demo/posts.jsonl`),
//! the events they run and a mentorship programme open for registration
//! (`demo/learning.json`), and a generated crowd around them that gives the map, the
//! dashboard, suggestions and proposed learning groups substance.

use std::io::Cursor;

use crate::AppState;
use crate::directory::Directory;
use crate::interchange::{self, Source};
use crate::state::ReadSide;

mod learning;

pub mod synthetic;

const DEMO_COMMUNITY: &str = include_str!("../../../../demo/community.jsonl");
/// Asks and offers by people of the hand-written community, so that the board has life.
const DEMO_POSTS: &str = include_str!("../../../../demo/posts.jsonl");

/// Enough people for every region of the map to have colour, few enough to import in seconds.
const GENERATED_PEOPLE: usize = 3000;
const GENERATED_SEED: u64 = 2026;

/// Fills a database that has no profiles yet; one that has them is left as it is.
pub async fn fill_if_empty(state: &AppState) -> anyhow::Result<()> {
    let profiles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM profiles")
        .fetch_one(state.db.pool())
        .await?;
    if profiles > 0 {
        tracing::info!("the database already has profiles: demo content not added");
        return Ok(());
    }
    let crowd = generated_crowd(&state.directory())?;
    // One import, so that a failure leaves the database empty and the next start tries again.
    let sources: Vec<Source> = vec![
        (
            "demo/community.jsonl".to_owned(),
            Box::new(DEMO_COMMUNITY.as_bytes()),
        ),
        (
            "generated demo community".to_owned(),
            Box::new(Cursor::new(crowd)),
        ),
    ];
    let report =
        interchange::import(&state.db, &state.reference, &state.i18n, sources, &|_| {}).await?;
    add_posts(state).await?;
    crate::read_model::sync(state).await?;
    learning::add(state).await?;
    tracing::info!(
        people = report.profiles,
        organizations = report.organizations,
        "demo community added"
    );
    Ok(())
}

/// A demo post: a draft and the username of its author.
#[derive(serde::Deserialize)]
struct DemoPost {
    author: String,
    kind: String,
    title: String,
    body: String,
    capacities: Vec<String>,
    languages: Vec<String>,
    country: Option<String>,
    online: bool,
    methods: Vec<String>,
}

/// Publishes the demo posts through the same validation every post goes through, in one
/// transaction.
async fn add_posts(state: &ReadSide) -> anyhow::Result<()> {
    let directory = state.refresh_directory().await?;
    let today = time::OffsetDateTime::now_utc().date();
    let now = crate::db::now();
    let mut tx = state.db.begin_write().await?;
    for (line, text) in DEMO_POSTS.lines().enumerate() {
        let demo: DemoPost = serde_json::from_str(text)
            .map_err(|e| anyhow::anyhow!("demo/posts.jsonl line {}: {e}", line + 1))?;
        let author = crate::db::accounts::by_username(&state.db, &demo.author)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!("demo/posts.jsonl line {}: no {}", line + 1, demo.author)
            })?;
        let draft = cxc_core::post::PostDraft {
            kind: demo.kind,
            title: demo.title,
            body: demo.body,
            capacities: demo.capacities,
            languages: demo.languages,
            country: demo.country,
            online: demo.online,
            methods: demo.methods,
            ..Default::default()
        };
        let reference = crate::state::Live {
            state,
            directory: &directory,
        };
        let post = draft
            .validate(&reference, today)
            .map_err(|errors| anyhow::anyhow!("demo/posts.jsonl line {}: {errors:?}", line + 1))?;
        crate::db::posts::create(&mut tx, author.id, &post, &*directory, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Generated people who hold the directory's capacities (below the top-level areas) and belong
/// to its organizations and to those of the hand-written community, as interchange lines.
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
            .chain(DEMO_COMMUNITY.lines().filter_map(
                |line| match serde_json::from_str(line).ok()? {
                    interchange::Record::Organization(o) => {
                        Some((o.key, o.countries.first().cloned()))
                    }
                    _ => None,
                },
            ))
            .collect(),
    };
    let mut lines = Vec::new();
    for person in synthetic::People::new(&universe, GENERATED_SEED).take(GENERATED_PEOPLE) {
        serde_json::to_writer(&mut lines, &interchange::Record::Profile(person))?;
        lines.push(b'\n');
    }
    Ok(lines)
}
