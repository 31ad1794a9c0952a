//! PostgreSQL's type mapping for the statements written once (`crate::logic::sql`):
//! counters are `int4`, times `timestamptz`.

use chrono::{DateTime, Utc};
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
        bind_arg!(query, arg, time: t => t, list: l => l, times: l => l)
    }

    fn rows_affected(done: &sqlx::postgres::PgQueryResult) -> u64 {
        done.rows_affected()
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
