//! The worker's side of the queue, written once: what recording a group of attempts and a
//! housekeeping pass do, step by step, and how the rows they read become values. A backend
//! supplies each step's statement ([`Statements`], [`Driver::apply`]): PostgreSQL moves a whole group in one
//! statement and locks with `FOR UPDATE SKIP LOCKED` (many workers); SQLite walks the group
//! row by row inside `BEGIN IMMEDIATE` (one writer). Claims, sending marks, releases and
//! heartbeats are in [`super::claims`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hillpost_core::delivery::DeliveryRules;
use hillpost_core::ids::DeliveryId;

use super::receipts;
use super::sql::{Arg, Columns, Run, returned_id};
use super::{Backend, Driver, Statements, Write, WriteTx};
use crate::audit::{HOUSEKEEPING, batch_completed_event, batch_started_event, worker_actor};
use crate::record::{self, Applied, Before, Expired};
use crate::{AttemptRecord, ClaimedDelivery, LetterParts, StoreError, TickReport};

/// How many deliveries a finished batch holds in each state, for its audit event.
const STATE_COUNTS: &str =
    "SELECT state, count(*) AS n FROM deliveries WHERE batch_id = $1 GROUP BY state ORDER BY state";

/// Scheduled batches whose start has come, set running.
const START_DUE_BATCHES: &str = "UPDATE batches SET state = 'running', updated_at = now()
  WHERE state = 'scheduled' AND start_at <= now() RETURNING id, campaign_id, start_at";

/// In-flight deliveries whose lease expired after they were marked sending, with the
/// transaction's time; `$lock` is what the backend adds to lock them (PostgreSQL: other
/// housekeepers skip them).
macro_rules! expired_while_sending {
    ($lock:literal) => {
        concat!(
            "SELECT d.id, d.lease_owner, d.attempts, d.max_attempts, d.channel, d.endpoint,
                    d.possibly_accepted, d.sending_since, r.endpoints, now() AS now
               FROM deliveries d JOIN recipients r ON r.id = d.recipient_id
              WHERE d.state = 'in_flight' AND d.lease_expires_at < now() AND d.sending_since IS NOT NULL
              ORDER BY d.id",
            $lock
        )
    };
}
pub(crate) use expired_while_sending;

/// Requeues in-flight deliveries whose lease expired before sending began, giving their
/// attempt back; `$lock` locks the rows it picks (PostgreSQL: skipping those another
/// housekeeper holds).
macro_rules! requeue_expired_unsent {
    ($lock:literal) => {
        concat!(
            "UPDATE deliveries SET state = 'queued', attempts = attempts - 1, due_at = now(),
                    lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL
              WHERE id IN (SELECT id FROM deliveries
                            WHERE state = 'in_flight' AND lease_expires_at < now() AND sending_since IS NULL",
            $lock,
            ")"
        )
    };
}
pub(crate) use requeue_expired_unsent;

/// Whether batch `b` has a queued delivery, as a count of at most one: one index probe.
/// `$order` is what makes the backend read its index of queued rows whatever its
/// statistics say (PostgreSQL: the order of `deliveries_due_by_batch`; statistics taken
/// when the batch was enqueued say nearly every row is queued, and without the order the
/// planner reads the table instead, the whole of it once the batch has none left).
macro_rules! queued_in_batch {
    ($order:literal) => {
        concat!(
            "(SELECT count(*) FROM (SELECT 1 FROM deliveries d
                                     WHERE d.batch_id = b.id AND d.state = 'queued'",
            $order,
            " LIMIT 1) AS q)"
        )
    };
}
pub(crate) use queued_in_batch;

/// Cancelled batches that still have queued deliveries (given back after the cancel); see
/// [`queued_in_batch!`] for `$order`. As one statement with the update, PostgreSQL read the
/// whole table on every pass.
macro_rules! cancelled_with_queued {
    ($order:literal) => {
        concat!(
            "SELECT b.id FROM batches b WHERE b.state = 'cancelled' AND ",
            $crate::logic::queue::queued_in_batch!($order),
            " > 0"
        )
    };
}
pub(crate) use cancelled_with_queued;

const CANCEL_QUEUED: &str = "UPDATE deliveries SET state = 'cancelled', finalized_at = now()
  WHERE state = 'queued' AND batch_id = ANY($1)";

/// Running batches with nothing queued or in flight and no receipt still owed (another
/// worker may have finished the last letter since the receipt pass), completed; see
/// [`queued_in_batch!`] for `$order`.
macro_rules! finished_batches_completed {
    ($order:literal) => {
        concat!(
            "UPDATE batches AS b SET state = 'completed', updated_at = now(), finished_at = now()
              WHERE b.state = 'running'
                -- Scalar subqueries, one index probe per running batch and state (each state
                -- has its own partial index on PostgreSQL): as NOT EXISTS it became an
                -- anti-join that read every open delivery of every batch.
                AND ",
            $crate::logic::queue::queued_in_batch!($order),
            " = 0
                AND (SELECT count(*) FROM (SELECT 1 FROM deliveries d
                                            WHERE d.batch_id = b.id AND d.state = 'in_flight' LIMIT 1) AS f) = 0
                AND NOT EXISTS (SELECT 1 FROM signatures s WHERE s.campaign_id = b.campaign_id AND ",
            $crate::logic::receipts::owed_receipt!(),
            ") RETURNING id, campaign_id"
        )
    };
}
pub(crate) use finished_batches_completed;

/// A batch whose scheduled start came.
pub(crate) struct StartedBatch {
    pub id: i64,
    pub campaign_id: String,
    pub start_at: DateTime<Utc>,
}

impl StartedBatch {
    /// From a row of `id`, `campaign_id`, `start_at`.
    pub(crate) fn from_row(row: &impl Columns) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.int("id")?,
            campaign_id: row.text("campaign_id")?,
            start_at: row.time("start_at")?,
        })
    }
}

/// A batch with nothing left to send.
pub(crate) struct CompletedBatch {
    pub id: i64,
    pub campaign_id: String,
}

impl CompletedBatch {
    /// From a row of `id`, `campaign_id`.
    pub(crate) fn from_row(row: &impl Columns) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.int("id")?,
            campaign_id: row.text("campaign_id")?,
        })
    }
}

/// The queue's writes: recording a group of attempts the backend's way
/// ([`Driver::apply`]); the statements that differ are the backend's ([`Statements`]).
pub(crate) trait Writes: Write {
    /// See [`Driver::apply`].
    async fn apply<'a>(
        &mut self,
        actor: &str,
        records: &[(&'a str, &'a AttemptRecord)],
    ) -> Result<Vec<Applied<'a>>, StoreError> {
        Self::Driver::apply(self.tx(), actor, records).await
    }
}

impl<D: Driver> Writes for WriteTx<D> {}

/// Applies records one by one, three statements each ([`Driver::apply`]'s default): for a
/// backend whose transaction is the only writer (SQLite).
pub(crate) async fn apply_each<'a>(
    tx: &mut impl Write,
    actor: &str,
    records: &[(&'a str, &'a AttemptRecord)],
) -> Result<Vec<Applied<'a>>, StoreError> {
    let ids: Vec<i64> = records.iter().map(|(_, r)| r.delivery_id.get()).collect();
    let before: HashMap<i64, Before> = tx
        .db()
        .rows(DELIVERIES_BEFORE, &[Arg::Ints(&ids)])
        .await?
        .iter()
        .map(|row| Ok((row.int("id")?, before(row)?)))
        .collect::<Result<_, StoreError>>()?;
    let mut applied = Vec::with_capacity(records.len());
    for (owner, record) in records {
        if let Some(before) = before.get(&record.delivery_id.get()) {
            applied.push(apply_one(tx, actor, owner, record, before.clone()).await?);
        }
    }
    Ok(applied)
}

/// Deliveries `$1` as they are before records move them: what their events name.
const DELIVERIES_BEFORE: &str = "SELECT d.id, d.batch_id, d.signature_id, d.channel, d.endpoint,
        r.key AS recipient, s.salt AS signer_salt
   FROM deliveries d
   JOIN recipients r ON r.id = d.recipient_id
   LEFT JOIN signatures s ON s.id = d.signature_id
  WHERE d.id = ANY($1)";

/// Moves delivery `$1` on as its record says, only while worker `$2` holds it for attempt
/// `$3`: to state `$4` (due again in `$5` ms when queued), with its last error `$6`, its
/// next endpoint `$7`-`$9` and budget `$10` when the record reroutes it, whether it may
/// have been accepted `$11`, and `$12` attempts given back (1 when nothing was spent).
const MOVE_DELIVERY: &str = "UPDATE deliveries
    SET state = $4,
        due_at = CASE WHEN $4 = 'queued' THEN now() + $5 * interval '1 millisecond' ELSE due_at END,
        lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL, sending_since = NULL,
        last_error = $6,
        finalized_at = CASE WHEN $4 = 'queued' THEN NULL ELSE now() END,
        channel = coalesce($7, channel),
        endpoint = coalesce($8, endpoint),
        rate_key = coalesce($9, rate_key),
        max_attempts = coalesce($10, max_attempts),
        possibly_accepted = $11,
        attempts = attempts - $12
  WHERE id = $1 AND state = 'in_flight' AND lease_owner = $2 AND attempts = $3";

const INSERT_ATTEMPT: &str = "INSERT INTO attempts (delivery_id, attempt_no, worker_id, started_at,
        finished_at, outcome, endpoint, remote_code, remote_text, sent_sha256, duration_ms, note, channel)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id";

const INSERT_DELIVERY_EVENT: &str = "INSERT INTO delivery_events (delivery_id, at, kind, actor,
        attempt_no, from_channel, from_endpoint, to_channel, to_endpoint, reason)
  VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";

/// One record applied by [`Writes::apply`]'s statements: the delivery moved if its owner
/// still holds it, the attempt row written whatever happened, the event only if it moved.
async fn apply_one<'a, W: Write>(
    tx: &mut W,
    actor: &str,
    owner: &'a str,
    record: &'a AttemptRecord,
    before: Before,
) -> Result<Applied<'a>, StoreError> {
    let t = &record.transition;
    let to = t.route.as_ref().and_then(|r| r.to.as_ref());
    let attempt_no = i64::from(record.attempt_no);
    let args = [
        Arg::Int(record.delivery_id.get()),
        Arg::Text(owner),
        Arg::Int(attempt_no),
        Arg::Text(t.state.as_str()),
        Arg::Int(record.due_in_ms()),
        Arg::OptText(t.last_error.as_deref()),
        Arg::OptText(to.map(|e| e.channel.as_str())),
        Arg::OptText(to.map(|e| e.address.as_str())),
        Arg::OptText(to.map(|e| e.rate_key.as_str())),
        Arg::OptInt(t.max_attempts.map(i64::from)),
        Arg::Flag(t.possibly_accepted),
        Arg::Int(i64::from(!t.spends_budget)),
    ];
    let moved = tx.db().exec(MOVE_DELIVERY, &args).await? == 1;
    let mut attempt_id = None;
    if t.is_attempt {
        let note = record::stored_note(record, moved);
        let args = [
            Arg::Int(record.delivery_id.get()),
            Arg::Int(attempt_no),
            Arg::Text(owner),
            Arg::Time(record.started_at),
            Arg::Time(record.finished_at),
            Arg::Text(record.outcome.as_str()),
            Arg::Text(&record.endpoint),
            Arg::OptInt(record.remote_code.map(i64::from)),
            Arg::OptText(record.remote_text.as_deref()),
            Arg::OptText(record.sent_sha256.as_deref()),
            Arg::Int(i64::from(record.duration_ms())),
            Arg::OptText(note.as_deref()),
            Arg::Text(before.channel.as_str()),
        ];
        attempt_id = Some(returned_id(tx.db().row(INSERT_ATTEMPT, &args).await?)?);
    }
    let mut event_id = None;
    if let Some(event) = record.event().filter(|_| moved) {
        let args = [
            Arg::Int(record.delivery_id.get()),
            Arg::Text(event.kind.as_str()),
            Arg::Text(actor),
            Arg::OptInt(t.spends_budget.then_some(attempt_no)),
            Arg::Text(before.channel.as_str()),
            Arg::Text(&before.endpoint),
            Arg::OptText(event.to.map(|e| e.channel.as_str())),
            Arg::OptText(event.to.map(|e| e.address.as_str())),
            Arg::Text(event.reason),
        ];
        event_id = Some(returned_id(
            tx.db().row(INSERT_DELIVERY_EVENT, &args).await?,
        )?);
    }
    Ok(Applied {
        record,
        owner,
        before,
        applied: moved,
        attempt_id: attempt_id.map(Into::into),
        event_id: event_id.map(Into::into),
    })
}

/// A claimed delivery from the row a claim returned for it: the delivery's `id`,
/// `batch_id`, `recipient_id`, `signature_id`, `message_id`, `attempts`, `max_attempts`,
/// `channel`, `endpoint`, `rate_key` and `possibly_accepted`.
pub(crate) fn claimed_delivery(row: &impl Columns) -> Result<ClaimedDelivery, StoreError> {
    Ok(ClaimedDelivery {
        id: row.int("id")?.into(),
        batch_id: row.int("batch_id")?.into(),
        recipient_id: row.int("recipient_id")?.into(),
        signature_id: row.opt_int("signature_id")?.map(Into::into),
        message_id: row.int("message_id")?.into(),
        attempt_no: row.unsigned("attempts")?.into(),
        max_attempts: row.unsigned("max_attempts")?,
        channel: row.parsed("channel")?,
        endpoint: row.text("endpoint")?,
        rate_key: row.text("rate_key")?,
        possibly_accepted: row.flag("possibly_accepted")?,
        marked_sending: row.flag("marked_sending")?,
    })
}

/// A delivery whose lease expired while it was sending, from a row carrying its
/// `lease_owner`, counters, endpoint, `sending_since` and its office's `endpoints`.
pub(crate) fn expired(row: &impl Columns) -> Result<Expired, StoreError> {
    Ok(Expired {
        delivery_id: row.int("id")?.into(),
        owner: row.text("lease_owner")?,
        attempt_no: row.unsigned("attempts")?.into(),
        max_attempts: row.unsigned("max_attempts")?,
        channel: row.parsed("channel")?,
        endpoint: row.text("endpoint")?,
        possibly_accepted: row.flag("possibly_accepted")?,
        sending_since: row.time("sending_since")?,
        endpoints_json: row.text("endpoints")?,
    })
}

/// A claimed delivery's letter parts from the row `letter_parts` read for it (its
/// `delivery_id`, `kind`, `idempotency_key`, `recipient_name`, `endpoints`, `language`,
/// `subject`, `body_markdown`), with its signer as read from the same row.
pub(crate) fn letter_parts(
    row: &impl Columns,
    signer: Option<hillpost_core::NewSignature>,
) -> Result<LetterParts, StoreError> {
    Ok(LetterParts {
        delivery_id: row.int("delivery_id")?.into(),
        kind: row.parsed("kind")?,
        idempotency_key: row.text("idempotency_key")?,
        recipient_name: row.text("recipient_name")?,
        language: row.text("language")?,
        subject: row.text("subject")?,
        body_markdown: row.text("body_markdown")?,
        signer,
        endpoints: record::parse_endpoints(&row.text("endpoints")?)?,
        receipt_statement: None,
    })
}

/// A delivery as it was before a record moved it, from a row of its `batch_id`,
/// `signature_id`, `channel`, `endpoint`, its office's key (`recipient`) and its signer's
/// salt (`signer_salt`).
pub(crate) fn before(row: &impl Columns) -> Result<Before, StoreError> {
    Ok(Before {
        batch_id: row.int("batch_id")?.into(),
        signature_id: row.opt_int("signature_id")?.map(Into::into),
        channel: row.parsed("channel")?,
        endpoint: row.text("endpoint")?,
        recipient: row.text("recipient")?,
        signer_salt: row.opt_bytes("signer_salt")?,
    })
}

/// Records a worker's attempts in one transaction, with their audit events; the ids of the
/// deliveries that moved (the others' leases had been taken over).
pub(crate) async fn record_attempts<B: Backend>(
    store: &B,
    worker_id: &str,
    records: &[AttemptRecord],
) -> Result<Vec<DeliveryId>, StoreError> {
    let mut tx = store.begin_write().await?;
    let fenced: Vec<(&str, &AttemptRecord)> = records.iter().map(|r| (worker_id, r)).collect();
    let actor = worker_actor(worker_id);
    let applied = tx.apply(&actor, &fenced).await?;
    let events = record::audit_events(&actor, &applied);
    tx.append_audit(events).await?;
    tx.commit().await?;
    Ok(applied
        .iter()
        .filter(|a| a.applied)
        .map(|a| a.record.delivery_id)
        .collect())
}

/// One housekeeping pass. Each step that leaves audit events commits with them, in its own
/// short transaction, so no step holds the audit head (or SQLite's write lock) for the
/// whole pass.
pub(crate) async fn tick<B: Backend>(
    store: &B,
    rules: &DeliveryRules,
) -> Result<TickReport, StoreError> {
    let started = start_due_batches(store).await?;
    let recovered = recover_expired_sends(store, rules).await?;
    let mut tx = store.begin_write().await?;
    let requeued = tx.db().exec(B::Driver::REQUEUE_EXPIRED_UNSENT, &[]).await?;
    let cancelled = cancel_left_in_cancelled(&mut tx).await?;
    tx.commit().await?;
    enqueue_receipts(store).await?;
    let completed = complete_finished_batches(store).await?;
    Ok(TickReport {
        started: started.into_iter().map(Into::into).collect(),
        completed: completed.into_iter().map(Into::into).collect(),
        recovered,
        requeued,
        cancelled,
    })
}

async fn start_due_batches<B: Backend>(store: &B) -> Result<Vec<i64>, StoreError> {
    let mut tx = store.begin_write().await?;
    let started = tx
        .db()
        .rows(START_DUE_BATCHES, &[])
        .await?
        .iter()
        .map(StartedBatch::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let events = started
        .iter()
        .map(|b| batch_started_event(&b.campaign_id, b.id.into(), b.start_at))
        .collect();
    tx.append_audit(events).await?;
    tx.commit().await?;
    Ok(started.into_iter().map(|b| b.id).collect())
}

/// Expired while sending: the letter may be out. Core decides what follows (retry where the
/// channel may resend, else unconfirmed); the records go the usual way, fenced on the dead
/// worker's lease.
async fn recover_expired_sends<B: Backend>(
    store: &B,
    rules: &DeliveryRules,
) -> Result<u64, StoreError> {
    let mut tx = store.begin_write().await?;
    let rows = tx.db().rows(B::Driver::EXPIRED_WHILE_SENDING, &[]).await?;
    let Some(first) = rows.first() else {
        tx.rollback().await?;
        return Ok(0);
    };
    let now = first.time("now")?;
    let expired = rows.iter().map(expired).collect::<Result<Vec<_>, _>>()?;
    let records = expired
        .iter()
        .map(|e| record::recovery_record(e, now, rules))
        .collect::<Result<Vec<_>, _>>()?;
    let fenced: Vec<(&str, &AttemptRecord)> = expired
        .iter()
        .zip(&records)
        .map(|(e, r)| (e.owner.as_str(), r))
        .collect();
    let applied = tx.apply(HOUSEKEEPING, &fenced).await?;
    let recovered = applied.iter().filter(|a| a.applied).count() as u64;
    tx.append_audit(record::audit_events(HOUSEKEEPING, &applied))
        .await?;
    tx.commit().await?;
    Ok(recovered)
}

/// Cancels the queued deliveries of cancelled batches (given back after the cancel); how
/// many.
async fn cancel_left_in_cancelled<W: Writes>(tx: &mut W) -> Result<u64, StoreError> {
    let batches = tx
        .db()
        .rows(W::Driver::CANCELLED_WITH_QUEUED, &[])
        .await?
        .iter()
        .map(|row| row.int("id"))
        .collect::<Result<Vec<_>, _>>()?;
    if batches.is_empty() {
        return Ok(0);
    }
    tx.db().exec(CANCEL_QUEUED, &[Arg::Ints(&batches)]).await
}

async fn enqueue_receipts<B: Backend>(store: &B) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    // Another housekeeper is doing the same work; `deliveries_one_receipt` makes any overlap
    // harmless anyway.
    // Ended explicitly: a transaction merely dropped is rolled back only when its connection
    // is next used, and until then it would keep the pass's lock (PostgreSQL's advisory lock
    // is the transaction's), so the next housekeeper would skip a pass nobody ran.
    if !take_receipt_pass(&mut tx).await? {
        return tx.rollback().await;
    }
    let Some(events) = receipts::enqueue(&mut tx).await? else {
        return tx.rollback().await;
    };
    tx.append_audit(events).await?;
    tx.commit().await
}

/// Whether this transaction may run the receipt pass: see [`Statements::TAKE_RECEIPT_PASS`].
async fn take_receipt_pass<W: Writes>(tx: &mut W) -> Result<bool, StoreError> {
    let Some(sql) = W::Driver::TAKE_RECEIPT_PASS else {
        return Ok(true);
    };
    tx.db()
        .row(sql, &[])
        .await?
        .map_or(Ok(false), |row| row.flag("taken"))
}

/// Completes the batches with nothing left, each with an audit event counting its
/// deliveries by state.
async fn complete_finished_batches<B: Backend>(store: &B) -> Result<Vec<i64>, StoreError> {
    let mut tx = store.begin_write().await?;
    let completed = tx
        .db()
        .rows(B::Driver::COMPLETE_FINISHED_BATCHES, &[])
        .await?
        .iter()
        .map(CompletedBatch::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let mut events = Vec::with_capacity(completed.len());
    for batch in &completed {
        let counts: serde_json::Map<String, serde_json::Value> = tx
            .db()
            .rows(STATE_COUNTS, &[Arg::Int(batch.id)])
            .await?
            .iter()
            .map(|row| Ok((row.text("state")?, row.int("n")?.into())))
            .collect::<Result<_, StoreError>>()?;
        events.push(batch_completed_event(
            &batch.campaign_id,
            batch.id.into(),
            counts.into(),
        ));
    }
    tx.append_audit(events).await?;
    tx.commit().await?;
    Ok(completed.into_iter().map(|b| b.id).collect())
}
