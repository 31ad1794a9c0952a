//! PostgreSQL's statement for delivery notices (the logic is `crate::logic::notices`):
//! the bounced delivery is locked (`FOR UPDATE OF d`).

use super::PgWrite;
use crate::logic::notices::{Writes, delivered_for_bounce};

impl Writes for PgWrite {
    const DELIVERED_FOR_BOUNCE: &'static str = delivered_for_bounce!(" FOR UPDATE OF d");
}
