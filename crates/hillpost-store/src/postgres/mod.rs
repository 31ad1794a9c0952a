//! The PostgreSQL backend: many worker processes on many machines share one database.
//! Claims use `FOR UPDATE SKIP LOCKED` so workers never wait on each other's rows, and the
//! database clock (`now()`) is the one clock every lease is measured against (a test may
//! give the store a [`crate::clock::TestClock`] instead; see `crate::clock`).

mod audit;
mod batches;
mod checkpoints;
mod copy_text;
mod directory;
mod erasure;
mod notices;
mod operator;
mod queue;
mod receipts;
mod rows;
mod signatures;

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::StoreError;
use crate::clock::{Now, StoreClock};

pub struct PgStore {
    pool: PgPool,
    clock: StoreClock,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

impl PgStore {
    pub(crate) async fn connect(url: &str, clock: StoreClock) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        // Migrations take an advisory lock, so workers starting together don't race.
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, clock })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A read-only transaction seeing one snapshot throughout.
    pub(super) async fn snapshot(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// PostgreSQL's write transaction for the logic written once (`crate::logic`): a plain
/// transaction whose statements lock the rows they change (`FOR UPDATE`), so many workers
/// write at once.
pub(crate) type PgWrite = crate::logic::WriteTx<sqlx::Postgres>;

impl crate::logic::Backend for PgStore {
    type Write = PgWrite;
    type Conn = sqlx::PgConnection;
    type Reader = sqlx::pool::PoolConnection<sqlx::Postgres>;

    async fn read(&self) -> Result<Self::Reader, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    async fn snapshot(&self) -> Result<crate::logic::Snapshot<Self::Conn>, StoreError> {
        PgStore::snapshot(self).await
    }

    async fn begin_write(&self) -> Result<PgWrite, StoreError> {
        Ok(PgWrite::new(self.pool.begin().await?, self.clock.read()))
    }

    fn now(&self) -> Now {
        self.clock.read()
    }
}

/// `Duration` as whole milliseconds for `now() + $n * interval '1 millisecond'`.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
