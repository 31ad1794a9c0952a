//! PostgreSQL's type mapping for the statements written once (`crate::logic::sql`):
//! counters are `int4`, times `timestamptz`, lists arrays.

use sqlx::Postgres;
use sqlx::postgres::PgRow;

use crate::logic::sql::{Dialect, binds, columns};

impl Dialect for Postgres {
    binds!(time: t => t, list: l => l, times: l => l);
}

columns!(
    PgRow,
    i32,
    i16,
    chrono::DateTime<chrono::Utc>,
    std::convert::identity
);
