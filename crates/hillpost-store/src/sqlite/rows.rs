//! SQLite's type mapping for the statements written once (`crate::logic::sql`): every
//! integer is an `i64`, a time is epoch milliseconds, a flag is 0 or 1.

use sqlx::Sqlite;
use sqlx::sqlite::SqliteRow;

use super::{json_list, ms, time};
use crate::logic::sql::{Dialect, binds, columns, kept};

/// A list written once: `= ANY($N)`.
const ANY: &str = "= ANY(";

/// A span of time written once: `$N * interval '1 millisecond'`. SQLite keeps times as
/// epoch milliseconds, so the count of milliseconds is the span itself.
const MILLISECONDS: &str = " * interval '1 millisecond'";

impl Dialect for Sqlite {
    fn dialect(sql: &'static str) -> &'static str {
        if !sql.contains(ANY) && !sql.contains(MILLISECONDS) {
            return sql;
        }
        kept("sqlite", sql, |sql| {
            let sql = sql.replace(MILLISECONDS, "");
            let mut out = String::with_capacity(sql.len() + 32);
            let mut rest = sql.as_str();
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

    binds!(time: t => ms(t), list: l => json_list(l),
           times: l => json_list(&l.iter().copied().map(ms).collect::<Vec<_>>()));
}

columns!(SqliteRow, i64, i64, i64, time);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_spans_written_once_read_as_sqlite_says_them() {
        let sql = "UPDATE t SET e = now() + $2 * interval '1 millisecond'
                    WHERE id = ANY($1) AND NOT (k = ANY($3))";
        assert_eq!(
            <Sqlite as Dialect>::dialect(sql),
            "UPDATE t SET e = now() + $2
                    WHERE id IN (SELECT value FROM json_each($1)) AND NOT (k IN (SELECT value FROM json_each($3)))"
        );
        let plain = "SELECT 1 FROM t WHERE id = $1";
        assert!(std::ptr::eq(<Sqlite as Dialect>::dialect(plain), plain));
    }
}
