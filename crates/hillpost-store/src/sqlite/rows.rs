//! SQLite's type mapping for the statements written once (`crate::logic::sql`): every
//! integer is an `i64`, a time is epoch milliseconds, a flag is 0 or 1.

use chrono::{DateTime, Utc};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite};

use super::batches::unsigned;
use super::{json_list, ms, time};
use crate::StoreError;
use crate::logic::sql::{Arg, Columns, Dialect, kept, plain_columns};

/// A list written once: `= ANY($N)`.
const ANY: &str = "= ANY(";

impl Dialect for Sqlite {
    fn dialect(sql: &'static str) -> &'static str {
        if !sql.contains(ANY) {
            return sql;
        }
        kept("sqlite", sql, |sql| {
            let mut out = String::with_capacity(sql.len() + 32);
            let mut rest = sql;
            while let Some(at) = rest.find(ANY) {
                out.push_str(&rest[..at]);
                let after = &rest[at + ANY.len()..];
                let end = after.find(')').unwrap_or(after.len());
                out.push_str("IN (SELECT value FROM json_each(");
                out.push_str(&after[..end]);
                out.push_str("))");
                rest = after.get(end + 1..).unwrap_or_default();
            }
            out.push_str(rest);
            out
        })
    }

    fn bind<'q>(
        query: Query<'q, Sqlite, SqliteArguments>,
        arg: Arg<'_>,
    ) -> Query<'q, Sqlite, SqliteArguments> {
        match arg {
            Arg::Int(value) => query.bind(value),
            Arg::OptInt(value) => query.bind(value),
            Arg::Flag(value) => query.bind(value),
            Arg::Text(value) => query.bind(value),
            Arg::OptText(value) => query.bind(value),
            Arg::Time(value) => query.bind(ms(value)),
            Arg::Bytes(value) => query.bind(value),
            Arg::Ints(list) => query.bind(json_list(list)),
            Arg::Texts(list) => query.bind(json_list(list)),
        }
    }

    fn rows_affected(done: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        done.rows_affected()
    }
}

impl Columns for SqliteRow {
    plain_columns!();

    fn unsigned(&self, name: &str) -> Result<u32, StoreError> {
        Ok(unsigned(self.try_get(name)?))
    }

    fn opt_unsigned(&self, name: &str) -> Result<Option<u32>, StoreError> {
        let value: Option<i64> = self.try_get(name)?;
        Ok(value.map(unsigned))
    }

    fn small_int(&self, name: &str) -> Result<i64, StoreError> {
        Ok(self.try_get(name)?)
    }

    fn time(&self, name: &str) -> Result<DateTime<Utc>, StoreError> {
        Ok(time(self.try_get(name)?))
    }

    fn opt_time(&self, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self.try_get::<Option<i64>, _>(name)?.map(time))
    }
}
