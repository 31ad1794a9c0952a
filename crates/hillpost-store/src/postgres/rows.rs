//! PostgreSQL's type mapping for the statements written once (`crate::logic::sql`):
//! counters are `int4`, times `timestamptz`.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{Postgres, Row};

use super::batches::unsigned;
use crate::StoreError;
use crate::logic::sql::{Arg, Columns, Dialect, plain_columns};

impl Dialect for Postgres {
    fn bind<'q>(
        query: Query<'q, Postgres, PgArguments>,
        arg: Arg<'_>,
    ) -> Query<'q, Postgres, PgArguments> {
        match arg {
            Arg::Int(value) => query.bind(value),
            Arg::OptInt(value) => query.bind(value),
            Arg::Flag(value) => query.bind(value),
            Arg::Text(value) => query.bind(value),
            Arg::OptText(value) => query.bind(value),
            Arg::Time(value) => query.bind(value),
            Arg::Bytes(value) => query.bind(value),
            Arg::Ints(list) => query.bind(list),
            Arg::Texts(list) => query.bind(list),
        }
    }

    fn rows_affected(done: &sqlx::postgres::PgQueryResult) -> u64 {
        done.rows_affected()
    }
}

impl Columns for PgRow {
    plain_columns!();

    fn unsigned(&self, name: &str) -> Result<u32, StoreError> {
        Ok(unsigned(self.try_get(name)?))
    }

    fn opt_unsigned(&self, name: &str) -> Result<Option<u32>, StoreError> {
        let value: Option<i32> = self.try_get(name)?;
        Ok(value.map(unsigned))
    }

    fn small_int(&self, name: &str) -> Result<i64, StoreError> {
        Ok(i64::from(self.try_get::<i16, _>(name)?))
    }

    fn time(&self, name: &str) -> Result<DateTime<Utc>, StoreError> {
        Ok(self.try_get(name)?)
    }

    fn opt_time(&self, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.try_get(name)?)
    }
}
