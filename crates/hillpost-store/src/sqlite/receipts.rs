//! Receipts on SQLite (the logic is `crate::logic::receipts`): enqueued inside
//! housekeeping's `BEGIN IMMEDIATE` transaction (one writer at a time, so no two passes
//! overlap).

use sqlx::SqliteConnection;

use crate::logic::receipts::{Statements, letters_of_signer};

impl Statements for SqliteConnection {
    const SIGNER_STILL_HERE: &'static str =
        "SELECT id FROM signatures WHERE id = $1 AND erased_at IS NULL";

    const LETTERS: &'static str = letters_of_signer!(
        "(SELECT group_concat(e.from_channel || ': ' || e.reason, char(10))
         FROM (SELECT from_channel, reason FROM delivery_events
         WHERE delivery_id = d.id AND kind = 'route' AND to_channel IS NOT NULL
         ORDER BY id) e)"
    );
}
