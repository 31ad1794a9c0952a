//! What a backend supplies, in one place (River's driver interface): the text of the
//! statements that differ between the dialects ([`Statements`]), how it claims
//! ([`Claims`]), how it writes many rows at once ([`Driver`]) and its type mapping
//! ([`super::sql::Dialect`]). A backend is one implementation of each, on its
//! `sqlx` database type; everything else is written once, in the area modules beside this.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hillpost_core::NewSignature;
use hillpost_core::audit::NewEvent;
use hillpost_core::batch::{BatchPlan, PlannedMessage};
use hillpost_core::ids::{BatchId, ImportId};

pub(crate) use super::WriteTx;
use super::claims::Claims;
use super::sql::{Dialect, Run};
pub(crate) use crate::directory::ZipDistrictRow;
use crate::record::Applied;
use crate::{AttemptRecord, StoreError, StoreResult};

/// How a backend connects and opens its transactions, and the statements whose text
/// differs between the dialects (most are a macro written once beside the logic that runs
/// it, given the backend's lock, order or arithmetic).
pub(crate) trait Statements: Dialect<Connection: Run> {
    /// The backend's migrations (`migrations/<backend>`).
    const MIGRATOR: sqlx::migrate::Migrator;

    /// Begins a transaction that writes (SQLite: `BEGIN IMMEDIATE`, the write lock up front).
    const BEGIN_WRITE: &'static str;

    /// Begins a read-only transaction that sees one state of the database while writers go
    /// on (SQLite: a deferred transaction under WAL; PostgreSQL: `REPEATABLE READ, READ ONLY`).
    const BEGIN_SNAPSHOT: &'static str;

    /// A pool of connections to the database at `url`.
    async fn pool(url: &str) -> StoreResult<sqlx::Pool<Self>>;

    // Batches.

    /// `batch_to_control!` with the backend's lock: batch `$1`'s `campaign_id`, `state`
    /// and whether its start has come (`due`), locked against other writers until the
    /// transaction ends.
    const BATCH_TO_CONTROL: &'static str;

    // Checkpoints and signing keys.

    /// `insert_checkpoint!` with the backend's interval arithmetic.
    const INSERT_CHECKPOINT: &'static str;

    /// The statements making writers of checkpoints, and registrations of signing keys,
    /// take turns until the transaction ends (`None`: the write transaction already does).
    const CHECKPOINT_TURN: Option<&'static str>;
    const SIGNING_KEY_TURN: Option<&'static str>;

    // The stored directory.

    /// `directory_files!` with the backend's byte order.
    const DIRECTORY_FILES: &'static str;

    /// `zip_rows!` with the backend's byte order.
    const ZIP_ROWS: &'static str;

    /// The statement making imports take turns until the transaction ends, so two never
    /// interleave their deletes and inserts (`None`: the write transaction already does).
    const DIRECTORY_TURN: Option<&'static str>;

    // Erasing a signer (`erasure_reads!` with the backend's lock).

    /// `SELECT id FROM signatures WHERE campaign_id = $1 AND email_key = $2 AND erased_at IS
    /// NULL`, locked.
    const SIGNATURE_TO_ERASE: &'static str;

    /// `SELECT id, state FROM deliveries WHERE signature_id = $1 ORDER BY id`, locked.
    const DELIVERIES_OF_SIGNER: &'static str;

    /// The statement ordering this transaction with every other that erases a signer of
    /// campaign `$1` or creates a batch of it: PostgreSQL takes a transaction-scoped
    /// advisory lock; SQLite's write lock already does (`None`).
    const CAMPAIGN_SIGNERS_TURN: Option<&'static str>;

    // A person's actions (`operator_reads!` with the backend's locks).

    /// `delivery_select!()` of delivery `$1`, locked against other writers until the
    /// transaction ends.
    const DELIVERY_FOR_UPDATE: &'static str;

    /// Batch `$1`'s `campaign_id` and `state`, locked.
    const BATCH_FOR_UPDATE: &'static str;

    /// `delivery_select!()` of batch `$1`'s letters in the states `$2` whose signer is not
    /// erased, in id order, locked.
    const LETTERS_IN_STATES_FOR_UPDATE: &'static str;

    // Delivery notices.

    /// `delivered_for_bounce!` with the backend's lock: the delivered delivery `$1`, locked
    /// against other writers until the transaction ends.
    const DELIVERED_FOR_BOUNCE: &'static str;

    // Housekeeping.

    /// `expired_while_sending!` with the backend's lock: in-flight deliveries whose lease
    /// expired after they were marked sending, locked against other housekeepers.
    const EXPIRED_WHILE_SENDING: &'static str;

    /// `requeue_expired_unsent!` with the backend's lock.
    const REQUEUE_EXPIRED_UNSENT: &'static str;

    /// `cancelled_with_queued!` with the backend's order of queued rows.
    const CANCELLED_WITH_QUEUED: &'static str;

    /// `finished_batches_completed!` with the backend's order of queued rows.
    const COMPLETE_FINISHED_BATCHES: &'static str;

    /// Takes the receipt pass's turn for this transaction if it is free (one housekeeper
    /// at a time), answering `taken`; `None` where the write transaction already is the
    /// only writer (SQLite's `BEGIN IMMEDIATE`).
    const TAKE_RECEIPT_PASS: Option<&'static str>;

    // Receipts.

    /// `signer_still_here!` with the backend's lock: `$1`'s signature, when it is not
    /// erased. PostgreSQL locks it `FOR SHARE`: an erasure
    /// in progress holds it `FOR UPDATE`, so this waits for it and then sees it erased, and
    /// no receipt is made for someone being erased. (SQLite's write lock already orders
    /// the two.)
    const SIGNER_STILL_HERE: &'static str;

    /// The letters of batch `$1` a signer took part in — a petition's (`$2` true) or the
    /// signer `$3`'s — in delivery order: `letters_of_signer!` with the backend's
    /// aggregation of the endpoints each letter passed over, one per line.
    const SIGNER_LETTERS: &'static str;
}

/// A backend: every part of it the logic written once needs. Its statements' text
/// ([`Statements`]), its claim ([`Claims`]) and its type mapping (`Dialect`) are
/// supertraits; its own methods are how it writes many rows at once, inside a write
/// transaction.
pub(crate) trait Driver: Statements + Claims {
    /// The batch's distinct letters; their ids by SHA-256. One statement each unless the
    /// backend inserts many rows faster (PostgreSQL's `COPY`).
    async fn insert_messages(
        tx: &mut WriteTx<Self>,
        batch_id: BatchId,
        messages: &[PlannedMessage],
    ) -> Result<HashMap<String, i64>, StoreError> {
        super::batches::insert_messages_each(tx, batch_id, messages).await
    }

    /// Every delivery of the plan: queued and due at its start with its attempts, or
    /// skipped and final from the start; as many rows at once as the backend can.
    async fn insert_deliveries(tx: &mut WriteTx<Self>, new: NewDeliveries<'_>) -> StoreResult<()>;

    /// Inserts an import's signatures, each with a fresh salt, created now; an email the
    /// campaign has already is passed over. How many were new.
    async fn insert_signatures(tx: &mut WriteTx<Self>, new: NewSignatures<'_>) -> StoreResult<u64>;

    /// Up to [`crate::directory::ZIP_ROWS_PER_INSERT`] rows of the ZIP table in one
    /// statement.
    async fn insert_zip_rows(tx: &mut WriteTx<Self>, rows: &[ZipDistrictRow]) -> StoreResult<()>;

    /// Appends `events` (not none) to the audit chain, stamped with the transaction's
    /// reading of the clock.
    async fn append_events(tx: &mut WriteTx<Self>, events: Vec<NewEvent>) -> StoreResult<()>;

    /// Applies records, each fenced on its owner's lease (see [`crate::record`]): moves the
    /// deliveries still leased to their owner, writes an attempt row for every attempt and
    /// a delivery event for every applied record that makes one. Deliveries are described
    /// as they were before the move, since the events name the endpoint used.
    ///
    /// Record by record, three statements each, unless the backend does better: SQLite's
    /// transaction is the only writer; PostgreSQL moves a whole group in one statement.
    async fn apply<'a>(
        tx: &mut WriteTx<Self>,
        actor: &str,
        records: &[(&'a str, &'a AttemptRecord)],
    ) -> StoreResult<Vec<Applied<'a>>> {
        super::queue::apply_each(tx, actor, records).await
    }

    /// Called after a batch of `deliveries` rows has been committed.
    async fn batch_created(_conn: &mut Self::Connection, _deliveries: usize) -> StoreResult<()> {
        Ok(())
    }
}

/// A new batch's deliveries, as [`Driver::insert_deliveries`] stores them.
#[derive(Clone, Copy)]
pub(crate) struct NewDeliveries<'a> {
    pub batch_id: BatchId,
    pub plan: &'a BatchPlan,
    pub ids: &'a super::batches::InsertedIds,
    pub max_attempts: u32,
    pub start_at: DateTime<Utc>,
}

impl NewDeliveries<'_> {
    /// The plan's deliveries, `per_chunk` at a time, as the rows they are inserted as.
    pub(crate) fn rows(
        &self,
        per_chunk: usize,
    ) -> impl Iterator<Item = Result<Vec<crate::enqueue::DeliveryInsert>, StoreError>> + '_ {
        self.plan.deliveries.chunks(per_chunk).map(|chunk| {
            crate::delivery_rows(self.plan, chunk, &self.ids.recipients, &self.ids.messages)
        })
    }
}

/// An import's signatures, as the backend inserts them ([`Driver::insert_signatures`]).
pub(crate) struct NewSignatures<'a> {
    pub campaign: &'a str,
    pub import_id: ImportId,
    pub signatures: &'a [NewSignature],
}
