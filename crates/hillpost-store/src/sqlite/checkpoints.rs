//! SQLite's part of checkpoints and signing keys (the logic is `crate::logic::checkpoints`):
//! a deferred transaction is the read snapshot; `BEGIN IMMEDIATE` already makes writers
//! take turns; times are epoch milliseconds, so the interval is subtracted as a number.

use super::SqliteWrite;
use crate::StoreError;
use crate::logic::checkpoints::{Writes, insert_checkpoint};

impl Writes for SqliteWrite {
    // Times are epoch milliseconds.
    const INSERT_CHECKPOINT: &'static str = insert_checkpoint!("$6");

    async fn take_turn_at_checkpoints(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn take_turn_at_signing_keys(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}
