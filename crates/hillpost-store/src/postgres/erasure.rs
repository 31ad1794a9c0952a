//! PostgreSQL's part of erasing a signer (the logic and the statements are
//! `crate::logic::erasure`): the signature and every delivery of theirs are locked first
//! (`FOR UPDATE`), so a worker's claim, which skips locked rows, starts no letter of theirs
//! while the erasure runs; erasures and new batches of a campaign take turns by an
//! advisory lock.

use super::PgWrite;
use crate::logic::erasure::{Writes, erasure_reads};

impl Writes for PgWrite {
    erasure_reads!(" FOR UPDATE");

    const CAMPAIGN_SIGNERS_TURN: Option<&'static str> =
        Some("SELECT pg_advisory_xact_lock(hashtextextended('hillpost.signers:' || $1, 0))");
}
