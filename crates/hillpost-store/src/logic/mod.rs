//! Store logic written once over both backends, in the manner of River's driver split: each
//! area's module here holds what the operations *do* (which rows are read, what core
//! decides, which events and audit events follow, in what order), on a write transaction of
//! any backend ([`WriteTx`]). A backend (`crate::sqlite`, `crate::postgres`) is one driver,
//! named in [`driver`]: the SQL text of the statements that differ, its transaction and
//! locking primitive (`BEGIN IMMEDIATE` on SQLite, `FOR UPDATE` on PostgreSQL), its claim,
//! its writes of many rows at once and its type mapping (epoch milliseconds and `i64` on
//! SQLite, `timestamptz`, `i32` and `bool` on PostgreSQL). The clock is the store's
//! ([`crate::clock`]): statements say `now()`, and [`sql::Db`] runs them against the
//! database's clock or a bound reading of the store's `Clock`.
//!
//! ```text
//!   Store (lib.rs) ─ dispatch! ─▶ logic::<area>::<operation>(&DbStore<D>, …)
//!                                     │ written once, over any D: Driver
//!                                     ▼
//!                   begin_write ─▶ WriteTx<D>: <area>::Writes (one transaction)
//!                                     │ D::STATEMENT, D::claim, D::insert_…, D::bind
//!                          ┌──────────┴──────────┐
//!                      sqlx::Sqlite          sqlx::Postgres
//!              (sqlite/statements.rs,    (postgres/statements.rs,
//!               claims.rs, writes.rs,     claims.rs, writes.rs,
//!               rows.rs)                  rows.rs, queue.rs)
//! ```
//!
//! See docs/architecture.md ("Store logic written once") for where a new statement goes.

pub(crate) mod audit;
pub(crate) mod batches;
pub(crate) mod campaigns;
pub(crate) mod checkpoints;
pub(crate) mod claims;
pub(crate) mod directory;
pub(crate) mod driver;
pub(crate) mod erasure;
pub(crate) mod evidence;
pub(crate) mod metrics;
pub(crate) mod notices;
pub(crate) mod operator;
pub(crate) mod queue;
pub(crate) mod receipts;
pub(crate) mod signatures;
pub(crate) mod sql;
pub(crate) mod tokens;

use std::ops::DerefMut;

use hillpost_core::audit::NewEvent;

use crate::StoreError;
use crate::clock::{Now, StoreClock};
pub(crate) use driver::{Driver, Statements};

/// A backend: how it opens a transaction that writes.
pub(crate) trait Backend {
    /// What the backend supplies: its statements, claims, bulk writes and type mapping.
    /// Its write transaction is a [`WriteTx`], on which every area implements its
    /// statements once (`impl<D: Driver> <area>::Writes for WriteTx<D> {}`).
    type Driver: Driver;

    /// A connection lent by the pool for reads outside any transaction.
    type Reader: DerefMut<Target = Connection<Self::Driver>>;

    async fn read(&self) -> Result<Self::Reader, StoreError>;

    /// A read-only transaction that sees one state of the database while writers go on
    /// (SQLite: a deferred transaction under WAL; PostgreSQL: `REPEATABLE READ, READ ONLY`).
    async fn snapshot(&self) -> Result<Snapshot<Self::Driver>, StoreError>;

    async fn begin_write(&self) -> Result<WriteTx<Self::Driver>, StoreError>;

    /// One reading of the store's clock ([`crate::clock`]).
    fn now(&self) -> Now;

    /// A pooled connection whose statements read the store's clock (`now()`).
    async fn read_now(&self) -> Result<Clocked<Self::Reader>, StoreError> {
        Ok(Clocked {
            conn: self.read().await?,
            now: self.now(),
        })
    }
}

/// A connection lent by the pool with one reading of the store's clock.
pub(crate) struct Clocked<R> {
    conn: R,
    now: Now,
}

impl<R: DerefMut<Target = C>, C: sql::Run> Clocked<R> {
    pub(crate) fn db(&mut self) -> sql::Db<'_, C> {
        sql::Db::new(&mut *self.conn, self.now)
    }
}

/// A store on one backend: its pool and its clock.
pub struct DbStore<D: sqlx::Database> {
    pool: sqlx::Pool<D>,
    clock: StoreClock,
}

impl<D: sqlx::Database> DbStore<D> {
    /// The store at `url`, its schema migrated to this build's (migrations take the
    /// backend's lock, so workers starting together do not race).
    pub(crate) async fn connect(url: &str, clock: StoreClock) -> Result<Self, StoreError>
    where
        D: Statements,
        D::Connection: sqlx::migrate::Migrate,
    {
        let pool = D::pool(url).await?;
        D::MIGRATOR.run(&pool).await?;
        Ok(Self { pool, clock })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl<D> Backend for DbStore<D>
where
    D: Driver,
    D::Connection: sqlx::Connection<Database = D> + 'static,
{
    type Driver = D;
    type Reader = sqlx::pool::PoolConnection<D>;

    async fn read(&self) -> Result<Self::Reader, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    async fn snapshot(&self) -> Result<Snapshot<D>, StoreError> {
        Ok(self.pool.begin_with(D::BEGIN_SNAPSHOT).await?)
    }

    async fn begin_write(&self) -> Result<WriteTx<D>, StoreError> {
        let tx = self.pool.begin_with(D::BEGIN_WRITE).await?;
        Ok(WriteTx::new(tx, self.clock.read()))
    }

    fn now(&self) -> Now {
        self.clock.read()
    }
}

/// A write transaction of either backend, with its one reading of the store's clock.
pub(crate) struct WriteTx<D: Statements> {
    tx: sqlx::Transaction<'static, D>,
    /// The reading every `now()` in [`Write::db`]'s statements is, and the time a
    /// backend's own statements bind for it.
    pub(crate) at: Now,
}

impl<D: Statements> WriteTx<D> {
    pub(crate) fn new(tx: sqlx::Transaction<'static, D>, at: Now) -> Self {
        Self { tx, at }
    }

    /// The transaction's connection, for a backend's own statements.
    pub(crate) fn conn(&mut self) -> &mut D::Connection {
        &mut self.tx
    }
}

impl<D: Driver> Write for WriteTx<D> {
    type Driver = D;

    fn tx(&mut self) -> &mut WriteTx<D> {
        self
    }

    fn db(&mut self) -> sql::Db<'_, D::Connection> {
        sql::Db::new(&mut self.tx, self.at)
    }

    async fn append_audit(&mut self, events: Vec<NewEvent>) -> Result<(), StoreError> {
        audit::append(self, events).await
    }

    async fn commit(self) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }

    async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.tx.rollback().await?)
    }
}

/// A backend's connection.
pub(crate) type Connection<D> = <D as sqlx::Database>::Connection;

/// A backend's read snapshot.
pub(crate) type Snapshot<D> = sqlx::Transaction<'static, D>;

/// What every write transaction does, whatever its area.
pub(crate) trait Write: Sized {
    /// The backend whose transaction this is.
    type Driver: Driver;

    /// The transaction itself, for the backend's own statements ([`driver::Driver`]).
    fn tx(&mut self) -> &mut WriteTx<Self::Driver>;

    /// The transaction's connection, for the statements written once; `now()` in them is
    /// the transaction's one reading of the store's clock.
    fn db(&mut self) -> sql::Db<'_, Connection<Self::Driver>>;

    /// Appends audit events to the hash chain, inside this transaction.
    async fn append_audit(&mut self, events: Vec<NewEvent>) -> Result<(), StoreError>;

    async fn commit(self) -> Result<(), StoreError>;

    async fn rollback(self) -> Result<(), StoreError>;
}
