//! SQLite's type mapping for the statements written once (`crate::logic::sql`): every
//! integer is an `i64`, a time is epoch milliseconds, a flag is 0 or 1.

use chrono::{DateTime, Utc};
use sqlx::Sqlite;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};

use super::batches::unsigned;
use super::{json_list, ms, time};
use crate::StoreError;
use crate::logic::sql::{Arg, Dialect, bind_arg, columns, kept};

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
        bind_arg!(query, arg, time: t => ms(t), list: l => json_list(l))
    }

    fn rows_affected(done: &sqlx::sqlite::SqliteQueryResult) -> u64 {
        done.rows_affected()
    }
}

columns!(SqliteRow, i64, i64, i64, time, unsigned);
