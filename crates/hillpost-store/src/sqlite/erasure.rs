//! SQLite's part of erasing a signer (the logic and the statements are
//! `crate::logic::erasure`): `BEGIN IMMEDIATE` already holds the write lock, so no worker
//! claims a letter of theirs meanwhile and reads need no lock.

use super::SqliteWrite;
use crate::logic::erasure::{Writes, erasure_reads};

impl Writes for SqliteWrite {
    erasure_reads!("");

    const CAMPAIGN_SIGNERS_TURN: Option<&'static str> = None;
}
