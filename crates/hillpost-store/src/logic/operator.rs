//! A person's actions on deliveries, written once: `delivery show | confirm | resend` and
//! `batch retry`. Core decides which states each action applies to; this module applies it,
//! with a delivery event and an audit event each, through the statements a backend supplies
//! ([`Reads`], [`Writes`]).

use std::collections::HashMap;

use hillpost_core::BatchState;
use hillpost_core::audit::NewEvent;
use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::{Channel, DeliveryState, OperatorAction, reopened};
use serde_json::json;

use super::erasure::Writes as _;
use super::{Backend, Write};
use crate::audit::Privacy;
use crate::audit::batch_retried_event;
use crate::record::{self, DeliveryEventFacts, delivery_event};
use crate::{
    AttemptRow, DeliveryAction, DeliveryDetail, DeliveryEventKind, DeliveryEventRow, DeliveryRow,
    RetryReport, RetryRequest, StoreError,
};

/// The reads `delivery show` needs, outside any transaction.
pub(crate) trait Reads {
    /// A delivery, with its campaign and what planning passed over (as stored, JSON).
    async fn delivery_in_context(
        &self,
        id: i64,
    ) -> Result<Option<(DeliveryRow, String, String)>, StoreError>;

    async fn delivery_attempts(&self, id: i64) -> Result<Vec<AttemptRow>, StoreError>;

    async fn events_of(&self, delivery_ids: &[i64]) -> Result<Vec<DeliveryEventRow>, StoreError>;
}

/// The statements a person's actions need, inside one write transaction. Every statement
/// that changes a row stamps it with the backend's clock.
pub(crate) trait Writes: Write {
    /// A delivery, locked against other writers until the transaction ends.
    async fn delivery_for_update(&mut self, id: i64) -> Result<Option<DeliveryRow>, StoreError>;

    /// A delivery as this transaction sees it now.
    async fn delivery_now(&mut self, id: i64) -> Result<DeliveryRow, StoreError>;

    /// Moves a delivery to `next` where it is: queued again (due now, `budget` more
    /// attempts, no longer possibly accepted), or finalized (delivered clears its error).
    async fn set_delivery_state(
        &mut self,
        id: i64,
        next: DeliveryState,
        budget: u32,
    ) -> Result<(), StoreError>;

    /// The letters of a batch in these states, locked, in id order.
    async fn letters_in_states_for_update(
        &mut self,
        batch_id: i64,
        states: &[&str],
    ) -> Result<Vec<DeliveryRow>, StoreError>;

    /// Plans a delivery again on `endpoint`: `next` (queued), due now, `budget` attempts.
    async fn replan_delivery(
        &mut self,
        id: i64,
        next: DeliveryState,
        endpoint: &Endpoint,
        budget: u32,
    ) -> Result<(), StoreError>;

    /// A batch's campaign and state, locked.
    async fn batch_for_update(
        &mut self,
        batch_id: i64,
    ) -> Result<Option<(String, BatchState)>, StoreError>;

    /// A batch's new state; `finished_at` cleared (a reopened batch has not finished).
    async fn reopen_batch_row(&mut self, batch_id: i64, next: BatchState)
    -> Result<(), StoreError>;

    /// An office's endpoints and what planning passed over, both as JSON.
    async fn set_recipient_endpoints(
        &mut self,
        batch_id: i64,
        key: &str,
        endpoints_json: &str,
        passed_over_json: &str,
    ) -> Result<(), StoreError>;

    /// Each office's stored endpoints (JSON) in a batch.
    async fn recipients_endpoints_json(
        &mut self,
        batch_id: i64,
    ) -> Result<Vec<(String, String)>, StoreError>;

    /// A delivery event's row; its id.
    async fn insert_delivery_event(
        &mut self,
        event: &NewDeliveryEvent<'_>,
    ) -> Result<i64, StoreError>;
}

/// A row of `delivery_events` to write (its time is the backend's clock).
pub(crate) struct NewDeliveryEvent<'a> {
    pub delivery_id: i64,
    pub kind: DeliveryEventKind,
    pub actor: &'a str,
    pub from: Option<(Channel, &'a str)>,
    pub to: Option<(Channel, &'a str)>,
    pub reason: &'a str,
}

/// A delivery with every attempt and event: `hillpost delivery show`.
pub(crate) async fn delivery_detail(
    store: &impl Reads,
    id: i64,
) -> Result<Option<DeliveryDetail>, StoreError> {
    let Some((delivery, campaign_id, passed_over)) = store.delivery_in_context(id).await? else {
        return Ok(None);
    };
    Ok(Some(DeliveryDetail {
        delivery,
        campaign_id,
        passed_over: serde_json::from_str(&passed_over).map_err(StoreError::corrupt)?,
        attempts: store.delivery_attempts(id).await?,
        events: store.events_of(&[id]).await?,
    }))
}

/// `delivery confirm | resend`: see [`crate::Store::act_on_delivery`].
pub(crate) async fn act_on_delivery<B: Backend>(
    store: &B,
    id: i64,
    act: &DeliveryAction<'_>,
) -> Result<DeliveryRow, StoreError> {
    let mut tx = store.begin_write().await?;
    let delivery = tx
        .delivery_for_update(id)
        .await?
        .ok_or(StoreError::NoDelivery(id))?;
    let refused = || StoreError::DeliveryAction {
        id,
        state: delivery.state.to_string(),
        action: act.action.verb(),
    };
    let next = act.action.apply(delivery.state).ok_or_else(refused)?;
    if next == DeliveryState::Queued
        && let Some(signature_id) = delivery.signature_id
        && tx.signature_erased(signature_id).await?
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
    let after = tx.delivery_now(id).await?;
    tx.commit().await?;
    Ok(after)
}

/// `batch retry`: see [`crate::Store::retry_batch`].
pub(crate) async fn retry_batch<B: Backend>(
    store: &B,
    batch_id: i64,
    request: &RetryRequest<'_>,
) -> Result<RetryReport, StoreError> {
    let mut tx = store.begin_write().await?;
    let mut events = reopen_batch(&mut tx, batch_id, request.actor, request.reason).await?;
    for (key, (endpoints, passed_over)) in &request.endpoints {
        tx.set_recipient_endpoints(
            batch_id,
            key,
            &record::endpoints_json(endpoints),
            &record::passed_over_json(passed_over),
        )
        .await?;
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
pub(crate) async fn reopen_batch(
    tx: &mut impl Writes,
    batch_id: i64,
    actor: &str,
    reason: &str,
) -> Result<Vec<NewEvent>, StoreError> {
    let (campaign_id, current) = tx
        .batch_for_update(batch_id)
        .await?
        .ok_or(StoreError::NoBatch(batch_id))?;
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
    batch_id: i64,
) -> Result<HashMap<String, Vec<Endpoint>>, StoreError> {
    tx.recipients_endpoints_json(batch_id)
        .await?
        .into_iter()
        .map(|(key, json)| Ok((key, record::parse_endpoints(&json)?)))
        .collect()
}
