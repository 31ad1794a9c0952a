//! Recording attempts and housekeeping on SQLite (written once in `crate::logic::queue`):
//! record by record inside `BEGIN IMMEDIATE`, the statements' default, and no row locks
//! (SQLite has one writer at a time).

use super::SqliteWrite;
use crate::logic::queue::{
    Writes, cancelled_with_queued, expired_while_sending, finished_batches_completed,
    requeue_expired_unsent,
};

impl Writes for SqliteWrite {
    const EXPIRED_WHILE_SENDING: &'static str = expired_while_sending!("");
    const REQUEUE_EXPIRED_UNSENT: &'static str = requeue_expired_unsent!("");
    // No order: SQLite's index of queued rows is by due time across batches, so an order
    // would walk other batches' rows; `deliveries_by_batch (batch_id, state)` answers.
    const CANCELLED_WITH_QUEUED: &'static str = cancelled_with_queued!("");
    const COMPLETE_FINISHED_BATCHES: &'static str = finished_batches_completed!("");
    // `BEGIN IMMEDIATE`: this transaction is the only writer already.
    const TAKE_RECEIPT_PASS: Option<&'static str> = None;
}
