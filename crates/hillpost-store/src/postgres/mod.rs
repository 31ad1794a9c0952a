//! The PostgreSQL backend: many worker processes on many machines share one database.
//! Claims use `FOR UPDATE SKIP LOCKED` so workers never wait on each other's rows, and the
//! database clock (`now()`) is the one clock every lease is measured against (a test may
//! give the store a [`crate::clock::TestClock`] instead; see `crate::clock`).

mod claims;
mod connect;
mod copy_text;
mod queue;
#[cfg(test)]
mod queue_plans;
mod rows;
mod statements;
mod writes;

/// The PostgreSQL store.
pub type PgStore = crate::logic::DbStore<sqlx::Postgres>;
