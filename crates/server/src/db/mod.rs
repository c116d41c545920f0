//! All SQL lives here, behind plain functions. One SQL text serves both engines (see the Rust stack
//! notes in the design docs for the portable subset); only the migrations differ.

pub mod accounts;
pub mod catalog;
pub mod cohorts;
pub mod connections;
pub mod events;
pub mod mail;
pub mod moderation;
pub mod notifications;
pub mod posts;
pub mod profiles;
pub mod programmes;
pub mod saved;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    engine: Engine,
}

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The PostgreSQL advisory lock every write transaction holds ("cxc" in ASCII).
const WRITE_LOCK: i64 = 0x0063_7863;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Turns what an operator typed into a connection URL: a `postgres://` URL stays as it is, a
/// `sqlite:` URL or a bare file path becomes a SQLite file that is created when missing.
pub fn database_url(raw: &str) -> anyhow::Result<(String, Engine)> {
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        return Ok((raw.to_owned(), Engine::Postgres));
    }
    let path = raw
        .strip_prefix("sqlite://")
        .or_else(|| raw.strip_prefix("sqlite:"))
        .unwrap_or(raw);
    let path = path.split('?').next().unwrap_or(path);
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create the folder {}: {e}", dir.display()))?;
    }
    Ok((format!("sqlite://{path}?mode=rwc"), Engine::Sqlite))
}

/// Writes a consistent copy of a SQLite database to a new file while it may be serving
/// writes: SQLite's `VACUUM INTO` reads one snapshot (the database runs in WAL mode, so
/// writers go on meanwhile) and writes it compacted. PostgreSQL has its own tools.
pub async fn backup(db: &Db, path: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        db.engine() == Engine::Sqlite,
        "only SQLite is copied this way"
    );
    let target = path
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("{} is not a UTF-8 path", path.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(db.pool())
        .await
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

impl Db {
    /// Connects and brings the schema up to date, on either engine.
    pub async fn open(raw: &str) -> anyhow::Result<Db> {
        let db = Self::connect(raw).await?;
        db.migrate().await?;
        Ok(db)
    }

    pub async fn connect(raw: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let (url, engine) = database_url(raw)?;
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match engine {
                Engine::Sqlite => 8,
                Engine::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(5))
            // A write the database rolled back by itself (SQLite does on a full disk) leaves
            // sqlx believing the transaction still open, and every later BEGIN on that
            // connection fails: such a connection is replaced rather than handed out.
            .before_acquire(|conn, _| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        // The Any driver ignores these when given in the URL.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Db { pool, engine })
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.engine {
            Engine::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Engine::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        // Skeletons are computed in Rust, so migration 0005 leaves them to be filled in here.
        accounts::fill_in_skeletons(self).await?;
        Ok(())
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A write transaction, one at a time on both engines. On SQLite it takes the write lock
    /// at once: a deferred transaction that reads and then writes can fail with SQLITE_BUSY
    /// when another connection wrote first. On PostgreSQL it takes a transaction-wide advisory
    /// lock, so that write transactions commit in the order they numbered their change-log
    /// entries: otherwise a follower that has read up to entry 12 could miss entry 11,
    /// committed after 12, for good.
    pub async fn begin_write(&self) -> Result<Tx, AppError> {
        let tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(tx)
    }

    /// Whether the database answers, within a bound so that a health check never hangs.
    pub async fn ping(&self) -> bool {
        let query = sqlx::query("SELECT 1").execute(&self.pool);
        matches!(
            tokio::time::timeout(Duration::from_secs(2), query).await,
            Ok(Ok(_))
        )
    }

    /// Open and idle connections, for the metrics page.
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
