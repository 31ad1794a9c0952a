//! PostgreSQL's locked reads for a person's actions on deliveries (the logic is
//! `crate::logic::operator`): they lock the rows (`FOR UPDATE`) against workers writing at
//! the same time.

use super::PgWrite;
use crate::logic::operator::{Writes, operator_reads};

impl Writes for PgWrite {
    operator_reads!(" FOR UPDATE OF d", " FOR UPDATE");
}
