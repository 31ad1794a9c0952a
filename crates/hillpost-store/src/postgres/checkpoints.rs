//! PostgreSQL's part of checkpoints and signing keys (the logic is
//! `crate::logic::checkpoints`): the read snapshot is `REPEATABLE READ, READ ONLY`;
//! writers of checkpoints take turns by an advisory lock (appenders are not held up),
//! registrations of signing keys by locking the table.

use super::PgWrite;
use crate::logic::checkpoints::{Writes, insert_checkpoint};

impl Writes for PgWrite {
    const INSERT_CHECKPOINT: &'static str = insert_checkpoint!("$6 * interval '1 millisecond'");
    const CHECKPOINT_TURN: Option<&'static str> =
        // Per schema, like the receipt pass's lock: stores in other schemas are not waited on.
        Some(
            "SELECT pg_advisory_xact_lock(hashtext('hillpost_audit_checkpoints'), hashtext(current_schema()))",
        );
    const SIGNING_KEY_TURN: Option<&'static str> =
        Some("LOCK TABLE signing_keys IN EXCLUSIVE MODE");
}
