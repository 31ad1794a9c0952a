//! The PostgreSQL backend: many worker processes on many machines share one database.
//! Claims use `FOR UPDATE SKIP LOCKED` so workers never wait on each other's rows, and the
//! database clock (`now()`) is the one clock every lease is measured against.

mod audit;
mod batches;
mod campaigns;
mod checkpoints;
mod copy_text;
mod directory;
mod evidence;
mod metrics;
mod notices;
mod operator;
mod queue;
mod receipts;
mod signatures;
mod tokens;

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

pub use signatures::ImportSession;

use crate::StoreError;

pub struct PgStore {
    pool: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        // Migrations take an advisory lock, so workers starting together don't race.
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// `Duration` as whole milliseconds for `now() + $n * interval '1 millisecond'`.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
