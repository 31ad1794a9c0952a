//! The PostgreSQL backend: many worker processes on many machines share one database.
//! Claims use `FOR UPDATE SKIP LOCKED` so workers never wait on each other's rows, and the
//! database clock (`now()`) is the one clock every lease is measured against (a test may
//! give the store a [`crate::clock::TestClock`] instead; see `crate::clock`).

mod audit;
mod batches;
mod checkpoints;
mod claims;
mod connect;
mod copy_text;
mod directory;
mod erasure;
mod notices;
mod operator;
mod queue;
#[cfg(test)]
mod queue_plans;
mod receipts;
mod rows;
mod signatures;

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use crate::StoreError;
use crate::clock::{Now, StoreClock};
use crate::logic::Transactions;

/// The PostgreSQL store.
pub type PgStore = crate::logic::DbStore<sqlx::Postgres>;

impl PgStore {
    pub(crate) async fn connect(url: &str, clock: StoreClock) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(connect::connect_options(url)?)
            .await?;
        Self::migrated(pool, clock).await
    }
}

impl Transactions for sqlx::Postgres {
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");
    const BEGIN_WRITE: &'static str = "BEGIN";
    /// One snapshot throughout, and no writes.
    const BEGIN_SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

    type Stamp = Now;

    fn stamp(at: Now) -> Now {
        at
    }
}

/// PostgreSQL's write transaction for the logic written once (`crate::logic`): a plain
/// transaction whose statements lock the rows they change (`FOR UPDATE`), so many workers
/// write at once.
pub(crate) type PgWrite = crate::logic::WriteTx<sqlx::Postgres>;

impl crate::logic::AreaWrites for PgWrite {}
