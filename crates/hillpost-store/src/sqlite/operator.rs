//! SQLite's locked reads for a person's actions on deliveries (the logic is
//! `crate::logic::operator`): `BEGIN IMMEDIATE` already holds the write lock, so reads
//! "for update" are plain reads.

use super::SqliteWrite;
use crate::logic::operator::{Writes, operator_reads};

impl Writes for SqliteWrite {
    operator_reads!("", "");
}
