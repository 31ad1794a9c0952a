//! Receipts on PostgreSQL (the logic is `crate::logic::receipts`). One housekeeping pass
//! at a time enqueues (a transaction-scoped advisory lock; a worker that does not get it
//! skips the pass, since another is doing the same work), and `deliveries_one_receipt`
//! makes any overlap harmless.

use sqlx::PgConnection;

use crate::logic::receipts::{Statements, letters_of_signer};

/// Takes the receipt pass's advisory lock for the transaction, if it is free: its class
/// ("rcpt" in ASCII) and the store's schema, so stores sharing one database in different
/// schemas (tests run so, and so may operators) do not skip each other's passes.
pub(super) const TAKE_RECEIPT_PASS: &str =
    "SELECT pg_try_advisory_xact_lock(x'72637074'::int4, hashtext(current_schema())) AS taken";

impl Statements for PgConnection {
    const SIGNER_STILL_HERE: &'static str =
        "SELECT id FROM signatures WHERE id = $1 AND erased_at IS NULL FOR SHARE";

    const LETTERS: &'static str = letters_of_signer!(
        "(SELECT string_agg(e.from_channel || ': ' || e.reason, E'\n' ORDER BY e.id)
         FROM delivery_events e
         WHERE e.delivery_id = d.id AND e.kind = 'route' AND e.to_channel IS NOT NULL)"
    );
}
