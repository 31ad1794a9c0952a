//! Receipts on PostgreSQL (the logic is `crate::logic::receipts`). One housekeeping pass
//! at a time enqueues (a transaction-scoped advisory lock; a worker that does not get it
//! skips the pass, since another is doing the same work), and `deliveries_one_receipt`
//! makes any overlap harmless.

use sqlx::PgConnection;

use crate::logic::receipts::{Statements, letters_of_signer};

/// The advisory lock key of the receipt pass ("hp-rcpt" in ASCII).
pub(super) const RECEIPT_PASS_LOCK: i64 = 0x0068_702d_7263_7074;

impl Statements for PgConnection {
    const SIGNER_STILL_HERE: &'static str =
        "SELECT id FROM signatures WHERE id = $1 AND erased_at IS NULL FOR SHARE";

    const LETTERS: &'static str = letters_of_signer!(
        "(SELECT string_agg(e.from_channel || ': ' || e.reason, E'\n' ORDER BY e.id)
         FROM delivery_events e
         WHERE e.delivery_id = d.id AND e.kind = 'route' AND e.to_channel IS NOT NULL)"
    );
}
