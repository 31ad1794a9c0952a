//! SQLite's statement for delivery notices (the logic is `crate::logic::notices`):
//! `BEGIN IMMEDIATE` already holds the write lock, so the bounced delivery is read plainly.

use super::SqliteWrite;
use crate::logic::notices::{Writes, delivered_for_bounce};

impl Writes for SqliteWrite {
    const DELIVERED_FOR_BOUNCE: &'static str = delivered_for_bounce!("");
}
