//! PostgreSQL's type mapping for the statements written once (`crate::logic::sql`):
//! counters are `int4`, times `timestamptz`.

use chrono::{DateTime, Utc};
use hillpost_core::audit::NewEvent;
use sqlx::Postgres;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;

use super::batches::unsigned;
use crate::StoreError;
use crate::logic::sql::{Arg, Dialect, bind_arg, columns};

impl Dialect for Postgres {
    fn bind<'q>(
        query: Query<'q, Postgres, PgArguments>,
        arg: Arg<'_>,
    ) -> Query<'q, Postgres, PgArguments> {
        bind_arg!(query, arg, time: t => t, list: l => l)
    }

    fn rows_affected(done: &sqlx::postgres::PgQueryResult) -> u64 {
        done.rows_affected()
    }

    /// See [`crate::logic::audit::append`].
    async fn append_audit(
        conn: &mut sqlx::PgConnection,
        at: DateTime<Utc>,
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        super::audit::append_at(conn, at, events).await
    }
}

columns!(
    PgRow,
    i32,
    i16,
    DateTime<Utc>,
    std::convert::identity,
    unsigned
);
