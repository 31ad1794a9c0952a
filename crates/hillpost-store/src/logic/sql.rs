//! Statements written once. Where both dialects say the same thing, the SQL text lives in
//! the logic module that uses it, with `$N` placeholders (sqlx binds them by number on
//! SQLite as on PostgreSQL); a backend only runs it ([`Run`]), binding each [`Arg`] and
//! reading each column ([`Columns`]) through its own type mapping. Statements whose text
//! differs (the clock, locks, lists of ids) stay with the backend, behind the area's
//! `Writes`/`Reads` traits.
//!
//! A statement that stamps or compares a time says `now()`; run through [`Db`] it reads
//! the store's clock ([`crate::clock`]): PostgreSQL's own as written, or a clock of this
//! process bound as one more parameter ([`clocked`]).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use sqlx::query::Query;
use sqlx::{Connection, Database, Executor, IntoArguments};

use crate::StoreError;
use crate::clock::Now;

/// A value bound to a statement written once; each backend maps it to its own type
/// (a time is epoch milliseconds on SQLite, `timestamptz` on PostgreSQL).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Flag(bool),
    Text(&'a str),
    OptText(Option<&'a str>),
    Time(DateTime<Utc>),
    Bytes(&'a [u8]),
    /// A list for `= ANY($N)`: an array on PostgreSQL, a JSON array on SQLite.
    Ints(&'a [i64]),
    Texts(&'a [&'a str]),
    Strings(&'a [String]),
    /// Times for a list statement (epoch milliseconds in SQLite's JSON array).
    Times(&'a [DateTime<Utc>]),
}

/// A connection that runs statements written once: a pooled connection for reads, or a
/// write transaction's. Every sqlx connection whose database is a [`Dialect`] is one.
pub(crate) trait Run {
    type Row: Columns;

    async fn rows(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Self::Row>, StoreError>;

    async fn row(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<Self::Row>, StoreError>;

    /// Runs a statement that changes rows; how many it changed.
    async fn exec(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError>;
}

/// A backend's type mapping for the values it binds, and its reading of the few phrases
/// written once that its SQL says otherwise.
pub(crate) trait Dialect: Database {
    /// `sql` as this dialect says it (made once per statement and kept). PostgreSQL's is
    /// the text as written; SQLite says `= ANY($N)` as `IN (SELECT value FROM json_each($N))`.
    fn dialect(sql: &'static str) -> &'static str {
        sql
    }

    fn bind<'q>(
        query: Query<'q, Self, Self::Arguments>,
        arg: Arg<'_>,
    ) -> Query<'q, Self, Self::Arguments>;

    fn rows_affected(done: &Self::QueryResult) -> u64;
}

impl<C> Run for C
where
    C: Connection,
    C::Database: Dialect,
    <C::Database as Database>::Row: Columns,
    <C::Database as Database>::Arguments: IntoArguments<C::Database>,
    for<'c> &'c mut C: Executor<'c, Database = C::Database>,
{
    type Row = <C::Database as Database>::Row;

    async fn rows(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Self::Row>, StoreError> {
        Ok(bound(sql, args).fetch_all(self).await?)
    }

    async fn row(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<Self::Row>, StoreError> {
        Ok(bound(sql, args).fetch_optional(self).await?)
    }

    async fn exec(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        let done = bound::<C::Database>(sql, args).execute(self).await?;
        Ok(C::Database::rows_affected(&done))
    }
}

/// A connection and one reading of the store's clock: runs statements that say `now()`.
pub(crate) struct Db<'c, C> {
    conn: &'c mut C,
    now: Now,
}

impl<'c, C: Run> Db<'c, C> {
    pub(crate) fn new(conn: &'c mut C, now: Now) -> Self {
        Self { conn, now }
    }
}

impl<C: Run> Run for Db<'_, C> {
    type Row = C::Row;

    async fn rows(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Vec<Self::Row>, StoreError> {
        let (sql, args) = clocked(sql, args, self.now);
        self.conn.rows(sql, &args).await
    }

    async fn row(
        &mut self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> Result<Option<Self::Row>, StoreError> {
        let (sql, args) = clocked(sql, args, self.now);
        self.conn.row(sql, &args).await
    }

    async fn exec(&mut self, sql: &'static str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
        let (sql, args) = clocked(sql, args, self.now);
        self.conn.exec(sql, &args).await
    }
}

/// `sql` and `args` as run at `now`: unchanged for the database's clock (`now()` is
/// PostgreSQL's); for a clock of this process, every `now()` becomes a parameter numbered
/// after the statement's last, bound to the reading (epoch milliseconds on SQLite,
/// `timestamptz` on PostgreSQL). The rewritten text is made once per statement and kept
/// for the life of the process (statements are a fixed set of `&'static str`).
pub(crate) fn clocked<'a>(
    sql: &'static str,
    args: &[Arg<'a>],
    now: Now,
) -> (&'static str, Vec<Arg<'a>>) {
    let mut args = args.to_vec();
    let Now::At(at) = now else {
        return (sql, args);
    };
    if !sql.contains(NOW) {
        return (sql, args);
    }
    let text = kept("now", sql, |sql| {
        sql.replace(NOW, &format!("${}", last_parameter(sql) + 1))
    });
    args.push(Arg::Time(at));
    (text, args)
}

/// How a statement written once says "the store's clock, now".
const NOW: &str = "now()";

/// The highest `$N` in `sql` (0 when it has none).
pub(crate) fn last_parameter(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|after| {
            let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            after[..digits].parse().ok()
        })
        .max()
        .unwrap_or(0)
}

fn bound<'q, D: Dialect>(sql: &'static str, args: &[Arg<'_>]) -> Query<'q, D, D::Arguments> {
    args.iter()
        .fold(sqlx::query(D::dialect(sql)), |query, arg| {
            D::bind(query, *arg)
        })
}

/// `sql` rewritten by `rewrite`, made once per statement text and `kind` of rewriting and
/// kept for the life of the process (statements are a fixed set of `&'static str`).
pub(crate) fn kept(
    kind: &'static str,
    sql: &'static str,
    rewrite: impl FnOnce(&str) -> String,
) -> &'static str {
    type Key = (&'static str, usize, usize);
    static KEPT: LazyLock<Mutex<HashMap<Key, &'static str>>> = LazyLock::new(Mutex::default);
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    kept.entry((kind, sql.as_ptr() as usize, sql.len()))
        .or_insert_with(|| Box::leak(rewrite(sql).into_boxed_str()))
}

/// A row's columns, read through a backend's type mapping: SQLite keeps every integer as
/// `i64` and times as epoch milliseconds; PostgreSQL has `int4` counters and `timestamptz`.
pub(crate) trait Columns {
    /// A `bigint` (ids, counts).
    fn int(&self, name: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, name: &str) -> Result<Option<i64>, StoreError>;
    /// An `int4` counter (attempts, durations); a negative one reads as 0.
    fn unsigned(&self, name: &str) -> Result<u32, StoreError>;
    fn opt_unsigned(&self, name: &str) -> Result<Option<u32>, StoreError>;
    /// A `smallint` (a district).
    fn small_int(&self, name: &str) -> Result<i64, StoreError>;
    /// An `int4` as stored (a remote status code).
    fn opt_i32(&self, name: &str) -> Result<Option<i32>, StoreError>;
    /// A `smallint` as stored (a signer's district).
    fn opt_i16(&self, name: &str) -> Result<Option<i16>, StoreError>;
    fn text(&self, name: &str) -> Result<String, StoreError>;
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError>;
    fn flag(&self, name: &str) -> Result<bool, StoreError>;
    fn bytes(&self, name: &str) -> Result<Vec<u8>, StoreError>;
    fn opt_bytes(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn time(&self, name: &str) -> Result<DateTime<Utc>, StoreError>;
    fn opt_time(&self, name: &str) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// A stored name of one of core's enums (a state, a channel).
    fn parsed<T: std::str::FromStr<Err = String>>(&self, name: &str) -> Result<T, StoreError> {
        parse(&self.text(name)?)
    }

    fn opt_parsed<T: std::str::FromStr<Err = String>>(
        &self,
        name: &str,
    ) -> Result<Option<T>, StoreError> {
        self.opt_text(name)?.as_deref().map(parse).transpose()
    }

    /// A `count(*)`.
    fn count(&self, name: &str) -> Result<u64, StoreError> {
        Ok(u64::try_from(self.int(name)?).unwrap_or(0))
    }
}

/// A backend's `impl Columns`, written once over its column types: `$counter` for `int4`
/// counters (`i64` on SQLite, `i32` on PostgreSQL), `$small` for a `smallint`, `$stamp` for
/// a time as stored and `$to_time` turning it into a `DateTime<Utc>`. A negative counter
/// reads as 0 unsigned. The rest sqlx decodes alike on each.
macro_rules! columns {
    ($row:ty, $counter:ty, $small:ty, $stamp:ty, $to_time:expr) => {
        impl $crate::logic::sql::Columns for $row {
            fn int(&self, name: &str) -> Result<i64, $crate::StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }

            fn opt_int(&self, name: &str) -> Result<Option<i64>, $crate::StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }

            fn unsigned(&self, name: &str) -> Result<u32, $crate::StoreError> {
                let value: $counter = sqlx::Row::try_get(self, name)?;
                Ok(u32::try_from(value).unwrap_or(0))
            }

            fn opt_unsigned(&self, name: &str) -> Result<Option<u32>, $crate::StoreError> {
                let value: Option<$counter> = sqlx::Row::try_get(self, name)?;
                Ok(value.map(|value| u32::try_from(value).unwrap_or(0)))
            }

            fn small_int(&self, name: &str) -> Result<i64, $crate::StoreError> {
                Ok(i64::from(sqlx::Row::try_get::<$small, _>(self, name)?))
            }

            fn opt_i32(&self, name: &str) -> Result<Option<i32>, $crate::StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }

            fn opt_i16(&self, name: &str) -> Result<Option<i16>, $crate::StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }

            fn text(&self, name: &str) -> Result<String, $crate::StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }

            fn opt_text(&self, name: &str) -> Result<Option<String>, $crate::StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }

            fn flag(&self, name: &str) -> Result<bool, $crate::StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }

            fn bytes(&self, name: &str) -> Result<Vec<u8>, $crate::StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }

            fn opt_bytes(&self, name: &str) -> Result<Option<Vec<u8>>, $crate::StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }

            fn time(
                &self,
                name: &str,
            ) -> Result<chrono::DateTime<chrono::Utc>, $crate::StoreError> {
                Ok($to_time(sqlx::Row::try_get::<$stamp, _>(self, name)?))
            }

            fn opt_time(
                &self,
                name: &str,
            ) -> Result<Option<chrono::DateTime<chrono::Utc>>, $crate::StoreError> {
                let value: Option<$stamp> = sqlx::Row::try_get(self, name)?;
                Ok(value.map($to_time))
            }
        }
    };
}
pub(crate) use columns;

/// A backend's `Dialect::bind` and `Dialect::rows_affected`, written once: the arguments
/// sqlx encodes alike on each are bound as they are; `$time`, `$list` and `$times` say how
/// a time, a list and a list of times are bound.
macro_rules! binds {
    (time: $t:ident => $time:expr, list: $l:ident => $list:expr, times: $ts:ident => $times:expr) => {
        fn bind<'q>(
            query: sqlx::query::Query<'q, Self, Self::Arguments>,
            arg: $crate::logic::sql::Arg<'_>,
        ) -> sqlx::query::Query<'q, Self, Self::Arguments> {
            use $crate::logic::sql::Arg;
            match arg {
                Arg::Int(value) => query.bind(value),
                Arg::OptInt(value) => query.bind(value),
                Arg::Flag(value) => query.bind(value),
                Arg::Text(value) => query.bind(value),
                Arg::OptText(value) => query.bind(value),
                Arg::Bytes(value) => query.bind(value),
                Arg::Time($t) => query.bind($time),
                Arg::Ints($l) => query.bind($list),
                Arg::Texts($l) => query.bind($list),
                Arg::Strings($l) => query.bind($list),
                Arg::Times($ts) => query.bind($times),
            }
        }

        fn rows_affected(done: &Self::QueryResult) -> u64 {
            done.rows_affected()
        }
    };
}
pub(crate) use binds;

/// The row a write's `RETURNING` gave; a write that returned none is a corrupt store.
pub(crate) fn returned<R>(row: Option<R>) -> Result<R, StoreError> {
    row.ok_or_else(|| StoreError::corrupt("a write returned no row"))
}

/// The `id` a write's `RETURNING id` gave.
pub(crate) fn returned_id(row: Option<impl Columns>) -> Result<i64, StoreError> {
    returned(row)?.int("id")
}

/// One of core's enums from its stored name; a name it does not know is a corrupt row.
pub(crate) fn parse<T: std::str::FromStr<Err = String>>(text: &str) -> Result<T, StoreError> {
    text.parse().map_err(StoreError::Corrupt)
}
