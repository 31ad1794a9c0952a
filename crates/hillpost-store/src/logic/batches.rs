//! Batches, written once: creating one (the batch, its offices, letters, attachments and
//! every delivery in one transaction with its audit event), reading it back, its status,
//! and a person's pause / resume / cancel. The statements both dialects share are here;
//! a backend supplies the ones that differ ([`Writes`]: its clock, its locks, how it
//! inserts many rows at once) and what follows a batch's creation ([`Reads`]).

use hillpost_core::ids::{BatchId, DeliveryId, numbers};
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use hillpost_core::batch::{BatchPlan, PlannedMessage, PlannedRecipient};
use hillpost_core::delivery::{Attachment, BatchAction, BatchState};
use hillpost_core::{Campaign, CampaignId, Mode};

use super::driver::NewDeliveries;
use super::erasure::Writes as _;
use super::sql::{Arg, Columns, Run, returned, returned_id};
use super::{Backend, Driver, Statements, Write, WriteTx};
use crate::audit::{BatchCreated, batch_action_event, batch_created_event};
use crate::record::{endpoints_json, passed_over_json};
use crate::{
    AttemptRow, BatchOptions, BatchRow, BatchStatus, DeliveryRow, RecipientStatus, StoreError,
};

/// A batch's campaign, state and whether its start has come, with a backend's lock.
macro_rules! batch_to_control {
    ($lock:literal) => {
        concat!(
            "SELECT campaign_id, state, start_at <= now() AS due FROM batches WHERE id = $1",
            $lock
        )
    };
}
pub(crate) use batch_to_control;

/// The columns of a [`BatchRow`].
macro_rules! batch_select {
    () => {
        "SELECT id, campaign_id, state, mode, start_at, signature_count, created_at, updated_at, finished_at,
                receipt_base_url
           FROM batches"
    };
}

/// Reads of batches, and what a backend does once a batch is stored.
pub(crate) trait Reads: Backend {
    /// Every batch, or a campaign's, in id order.
    async fn batches(&self, campaign: Option<&CampaignId>) -> Result<Vec<BatchRow>, StoreError> {
        let sql = concat!(
            batch_select!(),
            " WHERE CAST($1 AS TEXT) IS NULL OR campaign_id = $1 ORDER BY id"
        );
        let args = [Arg::OptText(campaign.map(CampaignId::as_str))];
        let rows = self.read().await?.rows(sql, &args).await?;
        rows.iter().map(batch_row).collect()
    }

    /// The attempts of these deliveries, in the order they were recorded.
    async fn attempts_of(
        &self,
        delivery_ids: &[DeliveryId],
    ) -> Result<Vec<AttemptRow>, StoreError> {
        let sql = "SELECT * FROM attempts WHERE delivery_id = ANY($1) ORDER BY id";
        let rows = self
            .read()
            .await?
            .rows(sql, &[Arg::Ints(&numbers(delivery_ids))])
            .await?;
        rows.iter().map(attempt_row).collect()
    }

    async fn batch_states(
        &self,
        ids: &[BatchId],
    ) -> Result<HashMap<BatchId, BatchState>, StoreError> {
        let sql = "SELECT id, state FROM batches WHERE id = ANY($1)";
        let rows = self
            .read()
            .await?
            .rows(sql, &[Arg::Ints(&numbers(ids))])
            .await?;
        rows.iter()
            .map(|row| Ok((row.int("id")?.into(), row.parsed("state")?)))
            .collect()
    }

    /// What the backend does after a batch of `deliveries` rows has been committed.
    async fn batch_created(&self, deliveries: usize) -> Result<(), StoreError> {
        Self::Driver::batch_created(&mut *self.read().await?, deliveries).await
    }
}

impl<B: Backend> Reads for B {}

/// The statements creating and controlling a batch need, inside one write transaction: a
/// backend supplies its lock ([`Statements::BATCH_TO_CONTROL`]) and how it inserts many
/// rows at once ([`Driver`]); the rest is written once.
pub(crate) trait Writes: Write {
    /// The batch's row, `running` when `start_at` has come by the store's clock,
    /// `scheduled` otherwise; its id and that state.
    async fn insert_batch(
        &mut self,
        campaign: &CampaignId,
        plan: &BatchPlan,
        start_at: DateTime<Utc>,
        receipt_base_url: Option<&str>,
    ) -> Result<(i64, BatchState), StoreError> {
        let sql = "INSERT INTO batches (campaign_id, state, mode, start_at, signature_count, created_at, updated_at,
                           receipt_base_url, signers_through)
                   VALUES ($1, CASE WHEN $2 <= now() THEN 'running' ELSE 'scheduled' END, $3, $2, $4, now(), now(),
                           $5, $6)
                   RETURNING id, state";
        let args = [
            Arg::Text(campaign.as_str()),
            Arg::Time(start_at),
            Arg::Text(plan.mode.as_str()),
            Arg::Int(i64::from(plan.signature_count)),
            Arg::OptText(receipt_base_url),
            Arg::Int(plan.signers_through.get()),
        ];
        let row = returned(self.db().row(sql, &args).await?)?;
        Ok((row.int("id")?, row.parsed("state")?))
    }

    /// The batch's offices (a few hundred at most); their ids by key.
    async fn insert_recipients(
        &mut self,
        batch_id: BatchId,
        recipients: &[PlannedRecipient],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut ids = HashMap::with_capacity(recipients.len());
        for recipient in recipients {
            let endpoints = endpoints_json(&recipient.endpoints);
            let passed_over = passed_over_json(&recipient.passed_over);
            let args = [
                Arg::Int(batch_id.get()),
                Arg::Text(&recipient.key),
                Arg::Text(&recipient.name),
                Arg::Text(&endpoints),
                Arg::Text(&passed_over),
            ];
            let row = self.db().row(INSERT_RECIPIENT, &args).await?;
            ids.insert(recipient.key.clone(), returned_id(row)?);
        }
        Ok(ids)
    }

    /// The batch's distinct letters ([`Driver::insert_messages`]); their ids by SHA-256.
    async fn insert_messages(
        &mut self,
        batch_id: BatchId,
        messages: &[PlannedMessage],
    ) -> Result<HashMap<String, i64>, StoreError> {
        Self::Driver::insert_messages(self.tx(), batch_id, messages).await
    }

    /// Every delivery of the plan ([`Driver::insert_deliveries`]).
    async fn insert_deliveries(&mut self, new: NewDeliveries<'_>) -> Result<(), StoreError> {
        Self::Driver::insert_deliveries(self.tx(), new).await
    }

    /// A batch's campaign, its state and whether its start time has come, locked against
    /// other writers until the transaction ends.
    async fn batch_to_control(
        &mut self,
        id: BatchId,
    ) -> Result<Option<(String, BatchState, bool)>, StoreError> {
        let row = self
            .db()
            .row(Self::Driver::BATCH_TO_CONTROL, &[Arg::Int(id.get())])
            .await?;
        row.map(|row| {
            Ok((
                row.text("campaign_id")?,
                row.parsed("state")?,
                row.flag("due")?,
            ))
        })
        .transpose()
    }

    /// A batch's new state, `finished_at` set when it is final.
    async fn set_batch_state(&mut self, id: BatchId, next: BatchState) -> Result<(), StoreError> {
        let sql = "UPDATE batches SET state = $2, updated_at = now(), finished_at = CASE WHEN $3 THEN now() END
                    WHERE id = $1";
        let args = [
            Arg::Int(id.get()),
            Arg::Text(next.as_str()),
            Arg::Flag(next.is_final()),
        ];
        self.db().exec(sql, &args).await?;
        Ok(())
    }

    /// Cancels a batch's queued deliveries; how many.
    async fn cancel_queued(&mut self, id: BatchId) -> Result<u64, StoreError> {
        let sql = "UPDATE deliveries SET state = 'cancelled', finalized_at = now()
                    WHERE batch_id = $1 AND state = 'queued'";
        self.db().exec(sql, &[Arg::Int(id.get())]).await
    }
}

impl<D: Driver> Writes for WriteTx<D> {}

/// The batch's distinct letters one statement each, for a backend without a faster way
/// ([`Driver::insert_messages`]'s default); their ids by SHA-256.
pub(crate) async fn insert_messages_each(
    tx: &mut impl Write,
    batch_id: BatchId,
    messages: &[PlannedMessage],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(messages.len());
    for message in messages {
        let args = [
            Arg::Int(batch_id.get()),
            Arg::Text(&message.sha256),
            Arg::Text(message.letter.language.as_str()),
            Arg::Text(&message.letter.subject),
            Arg::Text(&message.letter.body_markdown),
        ];
        let row = tx.db().row(INSERT_MESSAGE, &args).await?;
        ids.insert(message.sha256.clone(), returned_id(row)?);
    }
    Ok(ids)
}

const INSERT_RECIPIENT: &str =
    "INSERT INTO recipients (batch_id, key, name, endpoints, passed_over) VALUES ($1, $2, $3, $4, $5)
     RETURNING id";

const INSERT_MESSAGE: &str =
    "INSERT INTO messages (batch_id, sha256, language, subject, body_markdown) VALUES ($1, $2, $3, $4, $5)
     RETURNING id";

/// The ids a new batch's offices and letters were stored under.
pub(crate) struct InsertedIds {
    pub recipients: HashMap<String, i64>,
    pub messages: HashMap<String, i64>,
}

const INSERT_ATTACHMENT: &str =
    "INSERT INTO attachments (batch_id, filename, content_type, content, sha256)
     VALUES ($1, $2, $3, $4, $5)";

/// `batch create`: see [`crate::Store::create_batch_with`].
pub(crate) async fn create_batch<B: Backend>(
    store: &B,
    campaign: &CampaignId,
    plan: &BatchPlan,
    options: &BatchOptions<'_>,
) -> Result<BatchId, StoreError> {
    let BatchOptions {
        start_at,
        max_attempts,
        actor,
        receipt_base_url,
        include_delivered,
    } = *options;
    let max_attempts = max_attempts.max(1);
    let mut tx = store.begin_write().await?;
    tx.lock_campaign_signers(campaign.as_str()).await?;
    let (batch_id, state) = tx
        .insert_batch(campaign, plan, start_at, receipt_base_url)
        .await?;
    let ids = InsertedIds {
        recipients: tx
            .insert_recipients(batch_id.into(), &plan.recipients)
            .await?,
        messages: tx.insert_messages(batch_id.into(), &plan.messages).await?,
    };
    for attachment in &plan.attachments {
        let sha256 = crate::sha256_hex(&attachment.content);
        let args = [
            Arg::Int(batch_id),
            Arg::Text(&attachment.filename),
            Arg::Text(&attachment.content_type),
            Arg::Bytes(&attachment.content),
            Arg::Text(&sha256),
        ];
        tx.db().exec(INSERT_ATTACHMENT, &args).await?;
    }
    let created = batch_created_event(
        actor,
        BatchCreated {
            campaign: campaign.as_str(),
            batch_id: batch_id.into(),
            plan,
            state: state.as_str(),
            start_at,
            max_attempts,
            include_delivered,
        },
    );
    tx.insert_deliveries(NewDeliveries {
        batch_id: batch_id.into(),
        plan,
        ids: &ids,
        max_attempts,
        start_at,
    })
    .await?;
    super::erasure::refuse_erased_signers(&mut tx, campaign.as_str(), batch_id.into(), plan)
        .await?;
    tx.append_audit(vec![created]).await?;
    tx.commit().await?;
    store.batch_created(plan.deliveries.len()).await?;
    Ok(batch_id.into())
}

/// `batch pause | resume | cancel`: see [`crate::Store::control_batch`].
pub(crate) async fn control_batch<B: Backend>(
    store: &B,
    id: BatchId,
    action: BatchAction,
    actor: &str,
) -> Result<BatchRow, StoreError> {
    let mut tx = store.begin_write().await?;
    let (campaign, current, due) = tx
        .batch_to_control(id)
        .await?
        .ok_or(StoreError::NoBatch(id))?;
    let next = action
        .apply(current, due)
        .ok_or_else(|| StoreError::BatchTransition {
            id,
            state: current.to_string(),
            action: action.verb(),
        })?;
    tx.set_batch_state(id, next).await?;
    let mut cancelled = 0;
    if next == BatchState::Cancelled {
        cancelled = tx.cancel_queued(id).await?;
    }
    let event = batch_action_event(
        actor,
        &campaign,
        id,
        action,
        current.as_str(),
        next.as_str(),
        cancelled,
    );
    tx.append_audit(vec![event]).await?;
    tx.commit().await?;
    batch(store, id).await?.ok_or(StoreError::NoBatch(id))
}

pub(crate) async fn batch(
    store: &impl Backend,
    id: BatchId,
) -> Result<Option<BatchRow>, StoreError> {
    let mut db = store.read().await?;
    batch_on(&mut *db, id).await
}

async fn batch_on(db: &mut impl Run, id: BatchId) -> Result<Option<BatchRow>, StoreError> {
    let sql = concat!(batch_select!(), " WHERE id = $1");
    db.row(sql, &[Arg::Int(id.get())])
        .await?
        .as_ref()
        .map(batch_row)
        .transpose()
}

/// `batch status`: see [`crate::Store::batch_status`].
pub(crate) async fn batch_status(
    store: &impl Backend,
    id: BatchId,
) -> Result<BatchStatus, StoreError> {
    let mut db = store.read().await?;
    let db = &mut *db;
    let batch = batch_on(db, id).await?.ok_or(StoreError::NoBatch(id))?;
    let by_id = [Arg::Int(id.get())];
    let mut by_state = BTreeMap::new();
    let sql = "SELECT state, count(*) AS n FROM deliveries WHERE batch_id = $1 GROUP BY state";
    for row in db.rows(sql, &by_id).await? {
        by_state.insert(row.parsed("state")?, row.count("n")?);
    }
    let mut by_recipient: Vec<RecipientStatus> = Vec::new();
    let sql = "SELECT r.id, r.key, r.name, d.state, count(*) AS n
                 FROM recipients r JOIN deliveries d ON d.recipient_id = r.id
                WHERE r.batch_id = $1
                GROUP BY r.id, r.key, r.name, d.state ORDER BY r.id, d.state";
    for row in db.rows(sql, &by_id).await? {
        let key = row.text("key")?;
        if by_recipient.last().is_none_or(|r| r.key != key) {
            by_recipient.push(RecipientStatus {
                key,
                name: row.text("name")?,
                by_state: BTreeMap::new(),
            });
        }
        if let Some(last) = by_recipient.last_mut() {
            last.by_state.insert(row.parsed("state")?, row.count("n")?);
        }
    }
    let sql = "SELECT skip_reason, count(*) AS n FROM deliveries WHERE batch_id = $1 AND state = 'skipped'
                GROUP BY skip_reason ORDER BY n DESC, skip_reason";
    let skip_reasons = db
        .rows(sql, &by_id)
        .await?
        .iter()
        .map(|row| Ok((row.text("skip_reason")?, row.count("n")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let sql = "SELECT e.from_channel, e.from_endpoint, e.to_channel, e.to_endpoint, e.reason, count(*) AS n
                 FROM delivery_events e JOIN deliveries d ON d.id = e.delivery_id
                WHERE d.batch_id = $1 AND e.kind = 'route'
                GROUP BY e.from_channel, e.from_endpoint, e.to_channel, e.to_endpoint, e.reason
                ORDER BY n DESC, e.reason";
    let route_notes = db
        .rows(sql, &by_id)
        .await?
        .iter()
        .map(|row| {
            let words = crate::model::route_words(
                endpoint(row, "from_channel", "from_endpoint")?.as_ref(),
                endpoint(row, "to_channel", "to_endpoint")?.as_ref(),
                &row.text("reason")?,
            );
            Ok((words, row.count("n")?))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let sql = "SELECT count(*) AS n,
                      count(*) FILTER (WHERE a.outcome IN ('possibly_accepted', 'unconfirmed', 'unknown')) AS unconfirmed
                 FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.batch_id = $1";
    let row = db.row(sql, &by_id).await?.ok_or(StoreError::NoBatch(id))?;
    Ok(BatchStatus {
        batch,
        by_state,
        by_recipient,
        skip_reasons,
        route_notes,
        attempts: row.count("n")?,
        unconfirmed_attempts: row.count("unconfirmed")?,
    })
}

/// An endpoint named by a channel column and an address column, when both are set.
pub(crate) fn endpoint<T: std::str::FromStr<Err = String>>(
    row: &impl Columns,
    channel: &str,
    address: &str,
) -> Result<Option<(T, String)>, StoreError> {
    Ok(match (row.opt_parsed(channel)?, row.opt_text(address)?) {
        (Some(c), Some(a)) => Some((c, a)),
        _ => None,
    })
}

/// Up to `limit` deliveries of a batch with ids above `after`, in id order.
pub(crate) async fn deliveries_page(
    store: &impl Backend,
    batch_id: BatchId,
    after: i64,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let sql = concat!(
        delivery_select!(),
        " WHERE d.batch_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3"
    );
    let args = [Arg::Int(batch_id.get()), Arg::Int(after), Arg::Int(limit)];
    let rows = store.read().await?.rows(sql, &args).await?;
    rows.iter().map(delivery_row).collect()
}

/// A delivery's attempts, in attempt order.
pub(crate) async fn attempts(
    store: &impl Backend,
    delivery_id: DeliveryId,
) -> Result<Vec<AttemptRow>, StoreError> {
    let sql = "SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY attempt_no, id";
    let rows = store
        .read()
        .await?
        .rows(sql, &[Arg::Int(delivery_id.get())])
        .await?;
    rows.iter().map(attempt_row).collect()
}

/// Every attempt of a batch, in the order they were recorded.
pub(crate) async fn batch_attempts(
    store: &impl Backend,
    batch_id: BatchId,
) -> Result<Vec<AttemptRow>, StoreError> {
    let sql = "SELECT a.* FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
                WHERE d.batch_id = $1 ORDER BY a.id";
    let rows = store
        .read()
        .await?
        .rows(sql, &[Arg::Int(batch_id.get())])
        .await?;
    rows.iter().map(attempt_row).collect()
}

/// The campaign a batch was created from, as it was then.
pub(crate) async fn batch_campaign(
    store: &impl Backend,
    batch_id: BatchId,
) -> Result<Campaign, StoreError> {
    let sql = "SELECT c.definition FROM campaigns c JOIN batches b ON b.campaign_id = c.id WHERE b.id = $1";
    let row = store
        .read()
        .await?
        .row(sql, &[Arg::Int(batch_id.get())])
        .await?;
    let definition = row
        .ok_or(StoreError::NoBatch(batch_id))?
        .text("definition")?;
    Campaign::from_stored(&definition).map_err(StoreError::corrupt)
}

pub(crate) async fn attachments(
    store: &impl Backend,
    batch_id: BatchId,
) -> Result<Vec<Attachment>, StoreError> {
    let sql =
        "SELECT filename, content_type, content FROM attachments WHERE batch_id = $1 ORDER BY id";
    let rows = store
        .read()
        .await?
        .rows(sql, &[Arg::Int(batch_id.get())])
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Attachment {
                filename: row.text("filename")?,
                content_type: row.text("content_type")?,
                content: row.bytes("content")?,
            })
        })
        .collect()
}

pub(crate) fn batch_row(row: &impl Columns) -> Result<BatchRow, StoreError> {
    Ok(BatchRow {
        id: row.int("id")?.into(),
        campaign_id: row.text("campaign_id")?,
        state: row.parsed("state")?,
        mode: match row.text("mode")?.as_str() {
            "petition" => Mode::Petition,
            _ => Mode::Individual,
        },
        start_at: row.time("start_at")?,
        signature_count: row.unsigned("signature_count")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        finished_at: row.opt_time("finished_at")?,
        receipt_base_url: row.opt_text("receipt_base_url")?,
    })
}

/// A row of `delivery_select!()`.
pub(crate) fn delivery_row(row: &impl Columns) -> Result<DeliveryRow, StoreError> {
    Ok(DeliveryRow {
        id: row.int("id")?.into(),
        batch_id: row.int("batch_id")?.into(),
        kind: row.parsed("kind")?,
        recipient_key: row.text("recipient_key")?,
        recipient_name: row.text("recipient_name")?,
        signature_id: row.opt_int("signature_id")?.map(Into::into),
        channel: row.parsed("channel")?,
        endpoint: row.text("endpoint")?,
        rate_key: row.text("rate_key")?,
        idempotency_key: row.text("idempotency_key")?,
        state: row.parsed("state")?,
        skip_reason: row.opt_text("skip_reason")?,
        attempts: row.unsigned("attempts")?,
        max_attempts: row.unsigned("max_attempts")?,
        due_at: row.time("due_at")?,
        last_error: row.opt_text("last_error")?,
        possibly_accepted: row.flag("possibly_accepted")?,
        finalized_at: row.opt_time("finalized_at")?,
    })
}

/// A row of `attempts`.
pub(crate) fn attempt_row(row: &impl Columns) -> Result<AttemptRow, StoreError> {
    Ok(AttemptRow {
        id: row.int("id")?.into(),
        delivery_id: row.int("delivery_id")?.into(),
        attempt_no: row.unsigned("attempt_no")?.into(),
        worker_id: row.text("worker_id")?,
        started_at: row.time("started_at")?,
        finished_at: row.time("finished_at")?,
        outcome: row.parsed("outcome")?,
        channel: row.opt_parsed("channel")?,
        endpoint: row.text("endpoint")?,
        remote_code: row.opt_i32("remote_code")?,
        remote_text: row.opt_text("remote_text")?,
        sent_sha256: row.opt_text("sent_sha256")?,
        duration_ms: row.unsigned("duration_ms")?,
        note: row.opt_text("note")?,
    })
}
