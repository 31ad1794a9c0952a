//! A person's actions on deliveries, written once: `delivery show | confirm | resend` and
//! `batch retry`. Core decides which states each action applies to; this module applies it,
//! with a delivery event and an audit event each, through the statements a backend supplies
//! ([`Writes`]).

use hillpost_core::ids::{AttemptNo, BatchId, DeliveryId, EventId};
use std::collections::HashMap;

use hillpost_core::audit::NewEvent;
use hillpost_core::batch::Endpoint;
use hillpost_core::batch::SentBefore;
use hillpost_core::delivery::{Channel, DeliveryState, OperatorAction, reopened};
use hillpost_core::{BatchState, CampaignId};
use serde_json::json;

use super::batches::{delivery_row, endpoint};
use super::sql::{Arg, Columns, Run, returned_id};
use super::{Backend, Driver, Statements, Write, WriteTx};
use crate::audit::Privacy;
use crate::audit::batch_retried_event;
use crate::record::{self, DeliveryEventFacts, delivery_event};
use crate::{
    DeliveryAction, DeliveryDetail, DeliveryEventKind, DeliveryEventRow, DeliveryRow, RetryReport,
    RetryRequest, StoreError,
};

/// The events of these deliveries, oldest first.
pub(crate) async fn delivery_events(
    store: &impl Backend,
    delivery_ids: &[DeliveryId],
) -> Result<Vec<DeliveryEventRow>, StoreError> {
    let sql = "SELECT * FROM delivery_events WHERE delivery_id = ANY($1) ORDER BY id";
    let rows = store
        .read()
        .await?
        .rows(
            sql,
            &[Arg::Ints(&hillpost_core::ids::numbers(delivery_ids))],
        )
        .await?;
    rows.iter().map(event_row).collect()
}

/// The statements a person's actions need, inside one write transaction: a backend
/// supplies its locked reads ([`Statements::DELIVERY_FOR_UPDATE`] and the others, through
/// `operator_reads!`); those stamped with the store's clock are written once here.
pub(crate) trait Writes: Write {
    /// The letters of a batch in these states, locked, in id order.
    async fn letters_in_states_for_update(
        &mut self,
        batch_id: BatchId,
        states: &[&str],
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let args = [Arg::Int(batch_id.get()), Arg::Texts(states)];
        let rows = self
            .db()
            .rows(Self::Driver::LETTERS_IN_STATES_FOR_UPDATE, &args)
            .await?;
        rows.iter().map(delivery_row).collect()
    }

    /// Moves a delivery to `next` where it is: queued again (due now, `budget` more
    /// attempts, no longer possibly accepted), or finalized (delivered clears its error).
    async fn set_delivery_state(
        &mut self,
        id: DeliveryId,
        next: DeliveryState,
        budget: u32,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE deliveries
                      SET state = $2,
                          finalized_at = CASE WHEN $2 = 'queued' THEN NULL ELSE now() END,
                          due_at = CASE WHEN $2 = 'queued' THEN now() ELSE due_at END,
                          last_error = CASE WHEN $2 = 'delivered' THEN NULL ELSE last_error END,
                          max_attempts = CASE WHEN $2 = 'queued' THEN attempts + $3 ELSE max_attempts END,
                          possibly_accepted = CASE WHEN $2 = 'queued' THEN false ELSE possibly_accepted END
                    WHERE id = $1";
        let args = [
            Arg::Int(id.get()),
            Arg::Text(next.as_str()),
            budget_arg(budget),
        ];
        self.db().exec(sql, &args).await?;
        Ok(())
    }

    /// Plans a delivery again on `endpoint`: `next` (queued), due now, `budget` attempts.
    async fn replan_delivery(
        &mut self,
        id: DeliveryId,
        next: DeliveryState,
        endpoint: &Endpoint,
        budget: u32,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE deliveries
                      SET state = $2, finalized_at = NULL, due_at = now(), channel = $3, endpoint = $4,
                          rate_key = $5, max_attempts = attempts + $6, possibly_accepted = false
                    WHERE id = $1";
        let args = [
            Arg::Int(id.get()),
            Arg::Text(next.as_str()),
            Arg::Text(endpoint.channel.as_str()),
            Arg::Text(&endpoint.address),
            Arg::Text(&endpoint.rate_key),
            budget_arg(budget),
        ];
        self.db().exec(sql, &args).await?;
        Ok(())
    }

    /// A batch's new state; `finished_at` cleared (a reopened batch has not finished).
    async fn reopen_batch_row(
        &mut self,
        batch_id: BatchId,
        next: BatchState,
    ) -> Result<(), StoreError> {
        let sql =
            "UPDATE batches SET state = $2, updated_at = now(), finished_at = NULL WHERE id = $1";
        self.db()
            .exec(sql, &[Arg::Int(batch_id.get()), Arg::Text(next.as_str())])
            .await?;
        Ok(())
    }

    /// A delivery event's row, stamped now; its id.
    async fn insert_delivery_event(
        &mut self,
        event: &NewDeliveryEvent<'_>,
    ) -> Result<EventId, StoreError> {
        let sql = "INSERT INTO delivery_events (delivery_id, at, kind, actor, from_channel, from_endpoint,
                           to_channel, to_endpoint, reason)
                   VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8) RETURNING id";
        let args = [
            Arg::Int(event.delivery_id.get()),
            Arg::Text(event.kind.as_str()),
            Arg::Text(event.actor),
            Arg::OptText(event.from.map(|(c, _)| c.as_str())),
            Arg::OptText(event.from.map(|(_, e)| e)),
            Arg::OptText(event.to.map(|(c, _)| c.as_str())),
            Arg::OptText(event.to.map(|(_, e)| e)),
            Arg::Text(event.reason),
        ];
        Ok(returned_id(self.db().row(sql, &args).await?)?.into())
    }
}

impl<D: Driver> Writes for WriteTx<D> {}

/// `budget` more attempts (at least one), as bound.
fn budget_arg(budget: u32) -> Arg<'static> {
    Arg::Int(i64::from(budget.max(1)))
}

const DELIVERY: &str = concat!(delivery_select!(), " WHERE d.id = $1");

/// The locked reads of [`Statements`], with a backend's locks: `$of_d` on a delivery read
/// (`" FOR UPDATE OF d"`), `$plain` on a batch's row (`" FOR UPDATE"`); `""` on SQLite,
/// whose `BEGIN IMMEDIATE` holds the write lock already.
macro_rules! operator_reads {
    ($of_d:literal, $plain:literal) => {
        const DELIVERY_FOR_UPDATE: &'static str =
            concat!(delivery_select!(), " WHERE d.id = $1", $of_d);

        const LETTERS_IN_STATES_FOR_UPDATE: &'static str = concat!(
            delivery_select!(),
            " WHERE d.batch_id = $1 AND d.kind = 'letter' AND d.state = ANY($2)
                AND NOT EXISTS (SELECT 1 FROM signatures s WHERE s.id = d.signature_id AND s.erased_at IS NOT NULL)
              ORDER BY d.id",
            $of_d
        );

        const BATCH_FOR_UPDATE: &'static str = concat!(
            "SELECT campaign_id, state FROM batches WHERE id = $1",
            $plain
        );
    };
}
pub(crate) use operator_reads;

/// A row of `delivery_events` to write (its time is the backend's clock).
pub(crate) struct NewDeliveryEvent<'a> {
    pub delivery_id: DeliveryId,
    pub kind: DeliveryEventKind,
    pub actor: &'a str,
    pub from: Option<(Channel, &'a str)>,
    pub to: Option<(Channel, &'a str)>,
    pub reason: &'a str,
}

/// A delivery with every attempt and event: `hillpost delivery show`.
pub(crate) async fn delivery_detail<B: Backend>(
    store: &B,
    id: DeliveryId,
) -> Result<Option<DeliveryDetail>, StoreError> {
    let row = store
        .read()
        .await?
        .row(DELIVERY, &[Arg::Int(id.get())])
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(DeliveryDetail {
        delivery: delivery_row(&row)?,
        campaign_id: row.text("campaign_id")?,
        passed_over: serde_json::from_str(&row.text("passed_over")?)
            .map_err(StoreError::corrupt)?,
        attempts: super::batches::attempts(store, id).await?,
        events: delivery_events(store, &[id]).await?,
    }))
}

/// `delivery confirm | resend`: see [`crate::Store::act_on_delivery`].
pub(crate) async fn act_on_delivery<B: Backend>(
    store: &B,
    id: DeliveryId,
    act: &DeliveryAction<'_>,
) -> Result<DeliveryRow, StoreError> {
    let mut tx = store.begin_write().await?;
    let delivery = tx
        .db()
        .row(B::Driver::DELIVERY_FOR_UPDATE, &[Arg::Int(id.get())])
        .await?
        .as_ref()
        .map(delivery_row)
        .transpose()?
        .ok_or(StoreError::NoDelivery(id))?;
    let refused = || StoreError::DeliveryAction {
        id,
        state: delivery.state.to_string(),
        action: act.action.verb(),
    };
    let next = act.action.apply(delivery.state).ok_or_else(refused)?;
    if next == DeliveryState::Queued
        && let Some(signature_id) = delivery.signature_id
        && super::erasure::signature_erased(&mut tx, signature_id).await?
    {
        return Err(StoreError::SignerErased { delivery: id });
    }
    let mut events = Vec::new();
    if next == DeliveryState::Queued {
        events.extend(reopen_batch(&mut tx, delivery.batch_id, act.actor, act.reason).await?);
    }
    tx.set_delivery_state(id, next, act.budget).await?;
    let kind = match act.action {
        OperatorAction::Confirm => DeliveryEventKind::Confirmed,
        OperatorAction::Resend => DeliveryEventKind::Resent,
        OperatorAction::Replan => DeliveryEventKind::Replanned,
    };
    let from = (delivery.channel, delivery.endpoint.as_str());
    let event = NewDeliveryEvent {
        delivery_id: id,
        kind,
        actor: act.actor,
        from: Some(from),
        to: None,
        reason: act.reason,
    };
    let event_id = tx.insert_delivery_event(&event).await?;
    events.push(delivery_event(
        act.actor,
        DeliveryEventFacts {
            event_id,
            kind,
            delivery_id: id,
            batch_id: delivery.batch_id,
            signature_id: delivery.signature_id,
            recipient: &delivery.recipient_key,
            attempt_no: None,
            from: Some(from),
            to: None,
            reason: act.reason,
            state_after: Some(next.as_str()),
            // The organizer's own words, not a receiver's: kept in clear.
            privacy: &Privacy::Public,
        },
    ));
    tx.append_audit(events).await?;
    let after = tx.db().row(DELIVERY, &[Arg::Int(id.get())]).await?;
    let after = delivery_row(&after.ok_or(StoreError::NoDelivery(id))?)?;
    tx.commit().await?;
    Ok(after)
}

/// `batch retry`: see [`crate::Store::retry_batch`].
pub(crate) async fn retry_batch<B: Backend>(
    store: &B,
    batch_id: BatchId,
    request: &RetryRequest<'_>,
) -> Result<RetryReport, StoreError> {
    let mut tx = store.begin_write().await?;
    let mut events = reopen_batch(&mut tx, batch_id, request.actor, request.reason).await?;
    for (key, (endpoints, passed_over)) in &request.endpoints {
        let endpoints = record::endpoints_json(endpoints);
        let passed_over = record::passed_over_json(passed_over);
        let args = [
            Arg::Int(batch_id.get()),
            Arg::Text(key),
            Arg::Text(&endpoints),
            Arg::Text(&passed_over),
        ];
        let sql = "UPDATE recipients SET endpoints = $3, passed_over = $4 WHERE batch_id = $1 AND key = $2";
        tx.db().exec(sql, &args).await?;
    }
    let states: Vec<&str> = request
        .selection
        .states()
        .iter()
        .map(|s| s.as_str())
        .collect();
    let letters = tx.letters_in_states_for_update(batch_id, &states).await?;
    let endpoints_of = recipients_endpoints(&mut tx, batch_id).await?;
    let mut report = RetryReport::default();
    for delivery in &letters {
        let Some(first) = endpoints_of
            .get(&delivery.recipient_key)
            .and_then(|e| e.first())
        else {
            if !report.without_endpoint.contains(&delivery.recipient_key) {
                report.without_endpoint.push(delivery.recipient_key.clone());
            }
            continue;
        };
        let Some(next) = OperatorAction::Replan.apply(delivery.state) else {
            continue;
        };
        tx.replan_delivery(delivery.id, next, first, request.budget)
            .await?;
        let from = (delivery.channel, delivery.endpoint.as_str());
        let to = (first.channel, first.address.as_str());
        let kind = DeliveryEventKind::Replanned;
        let event = NewDeliveryEvent {
            delivery_id: delivery.id,
            kind,
            actor: request.actor,
            from: Some(from),
            to: Some(to),
            reason: request.reason,
        };
        let event_id = tx.insert_delivery_event(&event).await?;
        events.push(delivery_event(
            request.actor,
            DeliveryEventFacts {
                event_id,
                kind,
                delivery_id: delivery.id,
                batch_id,
                signature_id: delivery.signature_id,
                recipient: &delivery.recipient_key,
                attempt_no: None,
                from: Some(from),
                to: Some(to),
                reason: request.reason,
                state_after: Some(next.as_str()),
                privacy: &Privacy::Public,
            },
        ));
        report.replanned += 1;
    }
    tx.append_audit(events).await?;
    tx.commit().await?;
    Ok(report)
}

/// Reopens a batch whose letters a person queues again, as core's [`reopened`] says, with
/// its audit event when its state changes. A cancelled batch refuses.
pub(crate) async fn reopen_batch<W: Writes>(
    tx: &mut W,
    batch_id: BatchId,
    actor: &str,
    reason: &str,
) -> Result<Vec<NewEvent>, StoreError> {
    let row = tx
        .db()
        .row(W::Driver::BATCH_FOR_UPDATE, &[Arg::Int(batch_id.get())])
        .await?;
    let row = row.ok_or(StoreError::NoBatch(batch_id))?;
    let (campaign_id, current): (String, BatchState) =
        (row.text("campaign_id")?, row.parsed("state")?);
    let next = reopened(current).ok_or_else(|| StoreError::BatchTransition {
        id: batch_id,
        state: current.to_string(),
        action: "given letters to send again",
    })?;
    if next == current {
        return Ok(Vec::new());
    }
    tx.reopen_batch_row(batch_id, next).await?;
    Ok(vec![batch_retried_event(
        actor,
        &campaign_id,
        batch_id,
        current.as_str(),
        next.as_str(),
        json!({ "reason": reason }),
    )])
}

/// Each office's endpoints in a batch, as stored now.
async fn recipients_endpoints(
    tx: &mut impl Writes,
    batch_id: BatchId,
) -> Result<HashMap<String, Vec<Endpoint>>, StoreError> {
    let sql = "SELECT key, endpoints FROM recipients WHERE batch_id = $1";
    tx.db()
        .rows(sql, &[Arg::Int(batch_id.get())])
        .await?
        .iter()
        .map(|row| {
            let endpoints = record::parse_endpoints(&row.text("endpoints")?)?;
            Ok((row.text("key")?, endpoints))
        })
        .collect()
}

/// A row of `delivery_events`.
pub(crate) fn event_row(row: &impl Columns) -> Result<DeliveryEventRow, StoreError> {
    Ok(DeliveryEventRow {
        id: row.int("id")?.into(),
        delivery_id: row.int("delivery_id")?.into(),
        at: row.time("at")?,
        kind: row.parsed("kind")?,
        actor: row.text("actor")?,
        attempt_no: row.opt_unsigned("attempt_no")?.map(AttemptNo::new),
        from: endpoint(row, "from_channel", "from_endpoint")?,
        to: endpoint(row, "to_channel", "to_endpoint")?,
        reason: row.text("reason")?,
    })
}

/// Letters of the campaign's earlier batches (not receipts), with their state: what a new
/// batch must not send again.
pub(crate) async fn letters_sent_before(
    store: &impl Backend,
    campaign: &CampaignId,
) -> Result<Vec<SentBefore>, StoreError> {
    let sql = "SELECT r.key, d.signature_id, d.batch_id, d.state
                 FROM batches b
                 JOIN deliveries d ON d.batch_id = b.id
                 JOIN recipients r ON r.id = d.recipient_id
                WHERE b.campaign_id = $1 AND d.kind = 'letter'
                  AND d.state IN ('delivered', 'unconfirmed', 'queued', 'in_flight')
                ORDER BY d.id";
    let rows = store
        .read()
        .await?
        .rows(sql, &[Arg::Text(campaign.as_str())])
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SentBefore {
                recipient_key: row.text("key")?,
                signature_id: row.opt_int("signature_id")?.map(Into::into),
                batch_id: row.int("batch_id")?.into(),
                state: row.parsed("state")?,
            })
        })
        .collect()
}
