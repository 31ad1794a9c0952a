//! SQLite's part of checkpoints and signing keys (the logic is `crate::logic::checkpoints`):
//! a deferred transaction is the read snapshot; `BEGIN IMMEDIATE` already makes writers
//! take turns; times are epoch milliseconds, so the interval is subtracted as a number.

use super::SqliteWrite;
use crate::logic::checkpoints::{Writes, insert_checkpoint};

impl Writes for SqliteWrite {
    const INSERT_CHECKPOINT: &'static str = insert_checkpoint!("$6");
    const CHECKPOINT_TURN: Option<&'static str> = None;
    const SIGNING_KEY_TURN: Option<&'static str> = None;
}
