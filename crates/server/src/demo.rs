//! `--demo`: a small, realistic community (fictional people and groups) so that a newcomer
//! sees a living site.

use crate::interchange::{self, Source};
use crate::state::AppState;

const DEMO_COMMUNITY: &str = include_str!("../../../demo/community.jsonl");

/// Fills a database that has no profiles yet; one that has them is left as it is.
pub async fn fill_if_empty(state: &AppState) -> anyhow::Result<()> {
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
    let report = interchange::import(
        &state.db,
        &state.reference,
        &state.i18n,
        vec![source],
        &|_| {},
    )
    .await?;
    crate::read_model::sync(state).await?;
    tracing::info!(
        people = report.profiles,
        organizations = report.organizations,
        "demo community added"
    );
    Ok(())
}
