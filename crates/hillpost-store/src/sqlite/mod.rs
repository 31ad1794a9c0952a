//! The SQLite backend: the embedded default, one file and zero set-up. WAL mode lets readers
//! (status, the dashboard) run while a worker writes; every transaction that writes starts
//! with `BEGIN IMMEDIATE`, taking the single write lock up front so two workers never
//! deadlock upgrading a read lock. Timestamps are milliseconds since the Unix epoch, read
//! from the store's [`Clock`] (the system's in production: the database and the process
//! share one machine).

mod claims;
mod rows;
mod statements;
mod writes;

use chrono::{DateTime, Utc};

/// The SQLite store.
pub type SqliteStore = crate::logic::DbStore<sqlx::Sqlite>;

/// Whether a connection handed back to the pool may be lent again: only when it is outside
/// any transaction.
///
/// Why: when a write fails with SQLITE_FULL (or SQLITE_IOERR), SQLite may roll the open
/// `BEGIN IMMEDIATE` transaction back by itself. sqlx's own ROLLBACK, sent when our
/// `Transaction` is dropped, then fails ("no transaction is active") and sqlx keeps
/// counting the connection as inside a transaction; every later `begin_with` on it fails
/// with "attempted to call begin_with at non-zero transaction depth" while plain
/// statements still work. A worker whose pool fills with such connections can no longer
/// claim, renew its leases or record, long after the disk has room again. A connection
/// whose transaction state is not known to be clean is therefore closed, and the pool
/// opens a fresh one.
pub(super) async fn fit_for_reuse(
    connection: &mut sqlx::SqliteConnection,
) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    // The rollback a dropped transaction queued runs before this ping: the depth read
    // after it is the connection's settled state.
    connection.ping().await?;
    let clean = !connection.is_in_transaction();
    if !clean {
        tracing::warn!(
            "an SQLite connection was left inside a failed transaction (disk full?); closing it"
        );
    }
    Ok(clean)
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A JSON array for `IN (SELECT value FROM json_each(?))`.
pub(crate) fn json_list<T: serde::Serialize>(items: &[T]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}
