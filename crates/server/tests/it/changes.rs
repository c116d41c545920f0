//! The change log that keeps every instance's read model current: nothing is lost when
//! writers on several instances commit at once, and a follower left behind pruning rebuilds.

use cxc::AppState;
use cxc::db::catalog::{self, ChangeKind};
use cxc::db::profiles::{self, Origin};
use cxc::state::Live;
use cxc::state::ReadSide;
use cxc_core::Username;
use cxc_core::profile::ProfileDraft;

use crate::common::{TestApp, TestDb};

/// Writes a profile from `state`'s instance the way an edit does: one write transaction, then
/// this instance follows the log at once while other writers may still be committing.
async fn write_profile(state: &AppState, account_id: i64, name: &str) {
    let directory = state.directory();
    let profile = ProfileDraft {
        display_name: name.to_owned(),
        ..ProfileDraft::default()
    }
    .validate(&Live {
        state,
        directory: &directory,
    })
    .expect("a valid profile");
    let mut tx = state.db.begin_write().await.unwrap();
    profiles::save(
        &mut tx,
        account_id,
        &profile,
        &*directory,
        None,
        Origin::Edit,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    cxc::read_model::sync(state).await.unwrap();
}

fn names_in(state: &ReadSide) -> std::collections::BTreeSet<String> {
    let read = state.read_model();
    read.model
        .people()
        .map(|(_, p)| p.display_name.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_two_instances_lose_no_change() {
    let db = TestDb::new().await;
    let first = TestApp::spawn_on(db.shared(), |_| {}).await;
    let second = TestApp::spawn_on(db.shared(), |_| {}).await;
    const WRITERS: usize = 80;
    let usernames: Vec<Username> = (0..WRITERS)
        .map(|i| Username::parse(&format!("Writer {i}")).unwrap())
        .collect();
    let mut tx = first.state.db.begin_write().await.unwrap();
    let accounts =
        cxc::db::accounts::create_many_in(&mut tx, &usernames.iter().collect::<Vec<_>>())
            .await
            .unwrap();
    tx.commit().await.unwrap();

    let mut tasks = Vec::new();
    for (i, (_, account_id)) in accounts.iter().enumerate() {
        let state = if i % 2 == 0 {
            first.state.clone()
        } else {
            second.state.clone()
        };
        let account_id = *account_id;
        tasks.push(tokio::spawn(async move {
            write_profile(&state, account_id, &format!("Person {i}")).await;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let expected: std::collections::BTreeSet<String> =
        (0..WRITERS).map(|i| format!("Person {i}")).collect();
    for (name, app) in [("first", &first), ("second", &second)] {
        cxc::read_model::sync(&app.state).await.unwrap();
        assert_eq!(names_in(&app.state), expected, "{name} instance");
    }
    drop((first, second));
    drop(db);
}

#[tokio::test]
async fn a_follower_left_behind_pruned_entries_rebuilds() {
    let app = TestApp::spawn().await;
    // A second instance's read side, built on its own: no router, pages or metrics.
    let database = cxc::db::Db::open(&app.db.url).await.unwrap();
    let follower = ReadSide::open(database).await.unwrap();
    let username = Username::parse("Traveller").unwrap();
    let mut tx = app.state.db.begin_write().await.unwrap();
    let account = cxc::db::accounts::create_many_in(&mut tx, &[&username])
        .await
        .unwrap()[0]
        .1;
    tx.commit().await.unwrap();
    for name in ["Before", "Meanwhile", "After"] {
        write_profile(&app.state, account, name).await;
    }
    let entries = catalog::changes_since(app.state.db.pool(), 0)
        .await
        .unwrap();
    assert!(entries.len() >= 3);
    let removed = catalog::prune_changes(&app.state.db, i64::MAX)
        .await
        .unwrap();
    assert_eq!(removed as usize, entries.len() - 1, "all but the newest go");
    let left = catalog::changes_since(app.state.db.pool(), 0)
        .await
        .unwrap();
    assert_eq!(left.len(), 2);
    assert_eq!(left[1].kind, ChangeKind::Pruned);
    assert!(
        names_in(&follower).is_empty(),
        "the follower read nothing yet"
    );
    cxc::read_model::sync(&follower).await.unwrap();
    assert_eq!(
        names_in(&follower).into_iter().collect::<Vec<_>>(),
        ["After"],
        "the follower rebuilt from the tables"
    );
    write_profile(&app.state, account, "Later").await;
    cxc::read_model::sync(&follower).await.unwrap();
    assert_eq!(
        names_in(&follower).into_iter().collect::<Vec<_>>(),
        ["Later"],
        "and follows the log again"
    );
    assert_eq!(
        catalog::prune_changes(&app.state.db, 0).await.unwrap(),
        0,
        "nothing is older than the beginning of time"
    );
}

#[tokio::test]
async fn the_read_side_is_built_and_kept_current_without_the_web_layer() {
    let db = TestDb::new().await;
    let side = ReadSide::open(cxc::db::Db::open(&db.url).await.unwrap())
        .await
        .unwrap();
    assert_eq!(side.read_model().model.people().count(), 0);
    let sources = crate::common::files()
        .iter()
        .map(|f| cxc::interchange::open_file(f))
        .collect::<anyhow::Result<Vec<_>>>()
        .unwrap();
    cxc::interchange::import(&side.db, &side.reference, &side.i18n, sources, &|_| {})
        .await
        .unwrap();
    cxc::read_model::sync(&side).await.unwrap();
    assert_eq!(side.read_model().model.people().count(), 1000);
    assert_eq!(side.directory().organizations().len(), 50);
    let public = std::fs::read_to_string(crate::common::dataset().join("profiles.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(r#""visibility":"public""#))
        .count();
    assert_eq!(side.read_model().model.public().len() as usize, public);
}
