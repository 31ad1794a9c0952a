//! A person's actions on deliveries on PostgreSQL: `delivery show | confirm | resend`, `batch
//! retry`, and what a new batch must not send again. Core decides which states each action
//! applies to; these statements apply it, with an event and an audit event each.

use std::collections::HashMap;

use hillpost_core::CampaignId;
use hillpost_core::batch::SentBefore;
use hillpost_core::delivery::{DeliveryState, OperatorAction, reopened};
use serde_json::json;
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::PgStore;
use super::batches::{delivery_row, parse, unsigned};
use crate::audit::batch_retried_event;
use crate::record::{self, DeliveryEventFacts, delivery_event};
use crate::{
    DeliveryAction, DeliveryDetail, DeliveryEventKind, DeliveryEventRow, DeliveryRow, RetryReport,
    RetryRequest, StoreError,
};

impl PgStore {
    pub async fn delivery_detail(&self, id: i64) -> Result<Option<DeliveryDetail>, StoreError> {
        let Some(row) = sqlx::query(concat!(delivery_select!(), " WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(DeliveryDetail {
            delivery: delivery_row(&row)?,
            campaign_id: row.try_get("campaign_id")?,
            passed_over: serde_json::from_str(row.try_get("passed_over")?)
                .map_err(StoreError::corrupt)?,
            attempts: self.attempts(id).await?,
            events: self.delivery_events(&[id]).await?,
        }))
    }

    pub async fn delivery_events(
        &self,
        delivery_ids: &[i64],
    ) -> Result<Vec<DeliveryEventRow>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM delivery_events WHERE delivery_id = ANY($1) ORDER BY id")
                .bind(delivery_ids)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(event_row).collect()
    }

    pub async fn act_on_delivery(
        &self,
        id: i64,
        act: &DeliveryAction<'_>,
    ) -> Result<DeliveryRow, StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(concat!(
            delivery_select!(),
            " WHERE d.id = $1 FOR UPDATE OF d"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NoDelivery(id))?;
        let delivery = delivery_row(&row)?;
        let refused = || StoreError::DeliveryAction {
            id,
            state: delivery.state.to_string(),
            action: act.action.verb(),
        };
        let next = act.action.apply(delivery.state).ok_or_else(refused)?;
        let mut events = Vec::new();
        if next == DeliveryState::Queued {
            events.extend(reopen_batch(&mut tx, delivery.batch_id, act.actor, act.reason).await?);
        }
        sqlx::query(
            "UPDATE deliveries
                SET state = $2,
                    finalized_at = CASE WHEN $2 = 'queued' THEN NULL ELSE now() END,
                    due_at = CASE WHEN $2 = 'queued' THEN now() ELSE due_at END,
                    last_error = CASE WHEN $2 = 'delivered' THEN NULL ELSE last_error END,
                    max_attempts = CASE WHEN $2 = 'queued' THEN attempts + $3 ELSE max_attempts END,
                    possibly_accepted = CASE WHEN $2 = 'queued' THEN false ELSE possibly_accepted END
              WHERE id = $1",
        )
        .bind(id)
        .bind(next.as_str())
        .bind(i32::try_from(act.budget.max(1)).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;
        let kind = match act.action {
            OperatorAction::Confirm => DeliveryEventKind::Confirmed,
            OperatorAction::Resend => DeliveryEventKind::Resent,
            OperatorAction::Replan => DeliveryEventKind::Replanned,
        };
        let from = (delivery.channel, delivery.endpoint.as_str());
        let event_id =
            insert_event(&mut tx, id, kind, act.actor, Some(from), None, act.reason).await?;
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
            },
        ));
        super::audit::append(&mut tx, events).await?;
        let row = sqlx::query(concat!(delivery_select!(), " WHERE d.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        delivery_row(&row)
    }

    pub async fn retry_batch(
        &self,
        batch_id: i64,
        request: &RetryRequest<'_>,
    ) -> Result<RetryReport, StoreError> {
        let mut tx = self.pool().begin().await?;
        let mut events = reopen_batch(&mut tx, batch_id, request.actor, request.reason).await?;
        for (key, (endpoints, passed_over)) in &request.endpoints {
            sqlx::query(
                "UPDATE recipients SET endpoints = $3, passed_over = $4 WHERE batch_id = $1 AND key = $2",
            )
            .bind(batch_id)
            .bind(key)
            .bind(record::endpoints_json(endpoints))
            .bind(record::passed_over_json(passed_over))
            .execute(&mut *tx)
            .await?;
        }
        let states: Vec<&str> = request
            .selection
            .states()
            .iter()
            .map(|s| s.as_str())
            .collect();
        let rows = sqlx::query(concat!(
            delivery_select!(),
            " WHERE d.batch_id = $1 AND d.kind = 'letter' AND d.state = ANY($2)
              ORDER BY d.id FOR UPDATE OF d"
        ))
        .bind(batch_id)
        .bind(&states)
        .fetch_all(&mut *tx)
        .await?;
        let endpoints_of = recipients_endpoints(&mut tx, batch_id).await?;
        let mut report = RetryReport::default();
        for row in &rows {
            let delivery = delivery_row(row)?;
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
            sqlx::query(
                "UPDATE deliveries
                    SET state = $2, finalized_at = NULL, due_at = now(), channel = $3, endpoint = $4, rate_key = $5,
                        max_attempts = attempts + $6, possibly_accepted = false
                  WHERE id = $1",
            )
            .bind(delivery.id)
            .bind(next.as_str())
            .bind(first.channel.as_str())
            .bind(&first.address)
            .bind(&first.rate_key)
            .bind(i32::try_from(request.budget.max(1)).unwrap_or(i32::MAX))
            .execute(&mut *tx)
            .await?;
            let from = (delivery.channel, delivery.endpoint.as_str());
            let to = (first.channel, first.address.as_str());
            let kind = DeliveryEventKind::Replanned;
            let event_id = insert_event(
                &mut tx,
                delivery.id,
                kind,
                request.actor,
                Some(from),
                Some(to),
                request.reason,
            )
            .await?;
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
                },
            ));
            report.replanned += 1;
        }
        super::audit::append(&mut tx, events).await?;
        tx.commit().await?;
        Ok(report)
    }

    pub async fn letters_sent_before(
        &self,
        campaign: &CampaignId,
    ) -> Result<Vec<SentBefore>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.key, d.signature_id, d.batch_id, d.state
               FROM batches b
               JOIN deliveries d ON d.batch_id = b.id
               JOIN recipients r ON r.id = d.recipient_id
              WHERE b.campaign_id = $1 AND d.kind = 'letter'
                AND d.state IN ('delivered', 'unconfirmed', 'queued', 'in_flight')
              ORDER BY d.id",
        )
        .bind(campaign.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SentBefore {
                    recipient_key: row.try_get("key")?,
                    signature_id: row.try_get("signature_id")?,
                    batch_id: row.try_get("batch_id")?,
                    state: parse(row.try_get("state")?)?,
                })
            })
            .collect()
    }
}

/// Reopens a batch whose letters a person queues again, as core's [`reopened`] says, with
/// its audit event when its state changes. A cancelled batch refuses.
pub(super) async fn reopen_batch(
    tx: &mut sqlx::PgConnection,
    batch_id: i64,
    actor: &str,
    reason: &str,
) -> Result<Vec<hillpost_core::audit::NewEvent>, StoreError> {
    let row = sqlx::query("SELECT campaign_id, state FROM batches WHERE id = $1 FOR UPDATE")
        .bind(batch_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NoBatch(batch_id))?;
    let current: hillpost_core::BatchState = parse(row.try_get("state")?)?;
    let next = reopened(current).ok_or_else(|| StoreError::BatchTransition {
        id: batch_id,
        state: current.to_string(),
        action: "given letters to send again",
    })?;
    if next == current {
        return Ok(Vec::new());
    }
    sqlx::query(
        "UPDATE batches SET state = $2, updated_at = now(), finished_at = NULL WHERE id = $1",
    )
    .bind(batch_id)
    .bind(next.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(vec![batch_retried_event(
        actor,
        row.try_get("campaign_id")?,
        batch_id,
        current.as_str(),
        next.as_str(),
        json!({ "reason": reason }),
    )])
}

/// Each office's endpoints in a batch, as stored now.
async fn recipients_endpoints(
    tx: &mut sqlx::PgConnection,
    batch_id: i64,
) -> Result<HashMap<String, Vec<hillpost_core::batch::Endpoint>>, StoreError> {
    let rows = sqlx::query("SELECT key, endpoints FROM recipients WHERE batch_id = $1")
        .bind(batch_id)
        .fetch_all(&mut *tx)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("key")?,
                record::parse_endpoints(row.try_get("endpoints")?)?,
            ))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn insert_event(
    tx: &mut sqlx::PgConnection,
    delivery_id: i64,
    kind: DeliveryEventKind,
    actor: &str,
    from: Option<(hillpost_core::Channel, &str)>,
    to: Option<(hillpost_core::Channel, &str)>,
    reason: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO delivery_events (delivery_id, kind, actor, from_channel, from_endpoint, to_channel,
                to_endpoint, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(delivery_id)
    .bind(kind.as_str())
    .bind(actor)
    .bind(from.map(|(c, _)| c.as_str()))
    .bind(from.map(|(_, e)| e))
    .bind(to.map(|(c, _)| c.as_str()))
    .bind(to.map(|(_, e)| e))
    .bind(reason)
    .fetch_one(&mut *tx)
    .await?)
}

fn event_row(row: &PgRow) -> Result<DeliveryEventRow, StoreError> {
    let endpoint = |channel: &str, address: &str| -> Result<_, StoreError> {
        let channel: Option<&str> = row.try_get(channel)?;
        let address: Option<String> = row.try_get(address)?;
        Ok(match (channel, address) {
            (Some(c), Some(a)) => Some((parse(c)?, a)),
            _ => None,
        })
    };
    Ok(DeliveryEventRow {
        id: row.try_get("id")?,
        delivery_id: row.try_get("delivery_id")?,
        at: row.try_get("at")?,
        kind: parse(row.try_get("kind")?)?,
        actor: row.try_get("actor")?,
        attempt_no: row.try_get::<Option<i32>, _>("attempt_no")?.map(unsigned),
        from: endpoint("from_channel", "from_endpoint")?,
        to: endpoint("to_channel", "to_endpoint")?,
        reason: row.try_get("reason")?,
    })
}
