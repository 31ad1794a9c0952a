//! PostgreSQL's statements where the dialects differ (what they do is written once in
//! `crate::logic`). Many workers write at once: reads "for update" lock their rows, writers
//! that must take turns do so by an advisory lock (per schema, so stores in other schemas
//! are not waited on) or a table lock, and sorting says `COLLATE "C"` so it is by bytes,
//! as on SQLite.

use std::time::Duration;

use crate::StoreResult;
use crate::logic::{
    Statements, batches, checkpoints, directory, erasure, notices, operator, queue, receipts,
};

impl Statements for sqlx::Postgres {
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");
    const BEGIN_WRITE: &'static str = "BEGIN";
    /// One snapshot throughout, and no writes.
    const BEGIN_SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

    async fn pool(url: &str) -> StoreResult<sqlx::PgPool> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(super::connect::connect_options(url)?);
        Ok(pool.await?)
    }

    // A batch's row is locked while a person controls it.
    const BATCH_TO_CONTROL: &'static str = batches::batch_to_control!(" FOR UPDATE");

    const INSERT_CHECKPOINT: &'static str =
        checkpoints::insert_checkpoint!("$6 * interval '1 millisecond'");
    // Writers of checkpoints take turns by an advisory lock, so appenders are not held up.
    const CHECKPOINT_TURN: Option<&'static str> = Some(
        "SELECT pg_advisory_xact_lock(hashtext('hillpost_audit_checkpoints'), hashtext(current_schema()))",
    );
    const SIGNING_KEY_TURN: Option<&'static str> =
        Some("LOCK TABLE signing_keys IN EXCLUSIVE MODE");

    const DIRECTORY_FILES: &'static str = directory::directory_files!(" COLLATE \"C\"");
    const ZIP_ROWS: &'static str = directory::zip_rows!(" COLLATE \"C\"");
    // Two imports at once would interleave their deletes and inserts: take turns.
    const DIRECTORY_TURN: Option<&'static str> =
        Some("LOCK TABLE directory_files IN EXCLUSIVE MODE");

    // The signature and every delivery of theirs are locked first, so a worker's claim,
    // which skips locked rows, starts no letter of theirs while the erasure runs; erasures
    // and new batches of a campaign take turns.
    erasure::erasure_reads!(" FOR UPDATE");
    const CAMPAIGN_SIGNERS_TURN: Option<&'static str> =
        Some("SELECT pg_advisory_xact_lock(hashtextextended('hillpost.signers:' || $1, 0))");

    operator::operator_reads!(" FOR UPDATE OF d", " FOR UPDATE");

    const DELIVERED_FOR_BOUNCE: &'static str = notices::delivered_for_bounce!(" FOR UPDATE OF d");

    const EXPIRED_WHILE_SENDING: &'static str =
        queue::expired_while_sending!(" FOR UPDATE OF d SKIP LOCKED");
    const REQUEUE_EXPIRED_UNSENT: &'static str =
        queue::requeue_expired_unsent!(" FOR UPDATE SKIP LOCKED");
    // The order of `deliveries_due_by_batch (batch_id, due_at, id)`: see `queued_in_batch!`.
    const CANCELLED_WITH_QUEUED: &'static str =
        queue::cancelled_with_queued!(" ORDER BY d.due_at, d.id");
    const COMPLETE_FINISHED_BATCHES: &'static str =
        queue::finished_batches_completed!(" ORDER BY d.due_at, d.id");
    // One housekeeping pass at a time enqueues receipts: a transaction-scoped advisory lock
    // of its class ("rcpt" in ASCII) and the store's schema; a housekeeper that does not get
    // it skips the pass, since another is doing the same work (and `deliveries_one_receipt`
    // makes any overlap harmless).
    const TAKE_RECEIPT_PASS: Option<&'static str> = Some(
        "SELECT pg_try_advisory_xact_lock(x'72637074'::int4, hashtext(current_schema())) AS taken",
    );

    const SIGNER_STILL_HERE: &'static str = receipts::signer_still_here!(" FOR SHARE");
    const SIGNER_LETTERS: &'static str = receipts::letters_of_signer!(
        "(SELECT string_agg(e.from_channel || ': ' || e.reason, E'\n' ORDER BY e.id)
         FROM delivery_events e
         WHERE e.delivery_id = d.id AND e.kind = 'route' AND e.to_channel IS NOT NULL)"
    );
}
