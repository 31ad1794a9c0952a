//! Recording attempts and housekeeping on SQLite (written once in `crate::logic::queue`):
//! record by record inside `BEGIN IMMEDIATE`, the statements' default, and no row locks
//! (SQLite has one writer at a time).

use super::SqliteWrite;
use crate::logic::queue::{Writes, expired_while_sending, requeue_expired_unsent};

impl Writes for SqliteWrite {
    const EXPIRED_WHILE_SENDING: &'static str = expired_while_sending!("");
    const REQUEUE_EXPIRED_UNSENT: &'static str = requeue_expired_unsent!("");
    // `BEGIN IMMEDIATE`: this transaction is the only writer already.
    const TAKE_RECEIPT_PASS: Option<&'static str> = None;
}
