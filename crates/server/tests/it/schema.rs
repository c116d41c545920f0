//! Both engines' migrated schemas must have the same tables and columns, or the one SQL text
//! that serves both would break on one of them.

use std::collections::BTreeSet;

use crate::common::{POSTGRES_ENV, TestDb};
use cxc::db::Db;

async fn columns(db: &Db, sql: &str) -> BTreeSet<(String, String)> {
    sqlx::query_as::<_, (String, String)>(sql)
        .fetch_all(db.pool())
        .await
        .expect("read the schema")
        .into_iter()
        .filter(|(table, _)| !table.starts_with("_sqlx"))
        .collect()
}

#[tokio::test]
#[ignore = "needs PostgreSQL: runs in the PostgreSQL pass (scripts/test includes ignored tests there)"]
async fn sqlite_and_postgres_schemas_have_the_same_tables_and_columns() {
    let server = std::env::var(POSTGRES_ENV)
        .expect("CXC_TEST_POSTGRES_URL names the PostgreSQL server to compare with");
    let sqlite = TestDb::sqlite();
    let postgres = TestDb::postgres(&server).await;
    let sqlite_db = Db::open(&sqlite.url).await.unwrap();
    let postgres_db = Db::open(&postgres.url).await.unwrap();
    let on_sqlite = columns(
        &sqlite_db,
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .await;
    let on_postgres = columns(
        &postgres_db,
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
         WHERE table_schema = 'public'",
    )
    .await;
    assert!(on_sqlite.len() > 10, "{on_sqlite:?}");
    assert_eq!(on_sqlite, on_postgres);
    postgres_db.close().await;
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let db = TestDb::new().await;
    let first = Db::open(&db.url).await.unwrap();
    first.close().await;
    let second = Db::open(&db.url).await.unwrap();
    assert!(second.ping().await);
    second.close().await;
}
