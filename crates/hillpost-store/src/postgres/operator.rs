//! PostgreSQL's statements for a person's actions on deliveries (the logic is
//! `crate::logic::operator`) that differ from SQLite's. Reads "for update"
//! lock the rows (`FOR UPDATE`) against workers writing at the same time; times are the
//! database's `now()`.

use hillpost_core::BatchState;
use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::DeliveryState;

use super::{PgStore, PgWrite};
use crate::logic::batches::delivery_row;
use crate::logic::operator::{NewDeliveryEvent, Reads, Writes, event_row};
use crate::{DeliveryEventRow, DeliveryRow, StoreError};

impl Reads for PgStore {
    async fn events_of(&self, delivery_ids: &[i64]) -> Result<Vec<DeliveryEventRow>, StoreError> {
        self.delivery_events(delivery_ids).await
    }
}

impl PgStore {
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
}

/// A budget as PostgreSQL's `integer` attempts columns hold it (at least one).
fn budget_i32(budget: u32) -> i32 {
    i32::try_from(budget.max(1)).unwrap_or(i32::MAX)
}

impl Writes for PgWrite {
    const DELIVERY_FOR_UPDATE: &'static str =
        concat!(delivery_select!(), " WHERE d.id = $1 FOR UPDATE OF d");

    const BATCH_FOR_UPDATE: &'static str =
        "SELECT campaign_id, state FROM batches WHERE id = $1 FOR UPDATE";

    async fn set_delivery_state(
        &mut self,
        id: i64,
        next: DeliveryState,
        budget: u32,
    ) -> Result<(), StoreError> {
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
        .bind(budget_i32(budget))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn letters_in_states_for_update(
        &mut self,
        batch_id: i64,
        states: &[&str],
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let rows = sqlx::query(concat!(
            delivery_select!(),
            " WHERE d.batch_id = $1 AND d.kind = 'letter' AND d.state = ANY($2)
                AND NOT EXISTS (SELECT 1 FROM signatures s WHERE s.id = d.signature_id AND s.erased_at IS NOT NULL)
              ORDER BY d.id FOR UPDATE OF d"
        ))
        .bind(batch_id)
        .bind(states)
        .fetch_all(self.conn())
        .await?;
        rows.iter().map(delivery_row).collect()
    }

    async fn replan_delivery(
        &mut self,
        id: i64,
        next: DeliveryState,
        endpoint: &Endpoint,
        budget: u32,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE deliveries
                SET state = $2, finalized_at = NULL, due_at = now(), channel = $3, endpoint = $4, rate_key = $5,
                    max_attempts = attempts + $6, possibly_accepted = false
              WHERE id = $1",
        )
        .bind(id)
        .bind(next.as_str())
        .bind(endpoint.channel.as_str())
        .bind(&endpoint.address)
        .bind(&endpoint.rate_key)
        .bind(budget_i32(budget))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn reopen_batch_row(
        &mut self,
        batch_id: i64,
        next: BatchState,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE batches SET state = $2, updated_at = now(), finished_at = NULL WHERE id = $1",
        )
        .bind(batch_id)
        .bind(next.as_str())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn insert_delivery_event(
        &mut self,
        event: &NewDeliveryEvent<'_>,
    ) -> Result<i64, StoreError> {
        insert_event(self.conn(), event).await
    }
}

/// A `delivery_events` row stamped with the database's clock; its id.
pub(super) async fn insert_event(
    conn: &mut sqlx::PgConnection,
    event: &NewDeliveryEvent<'_>,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO delivery_events (delivery_id, kind, actor, from_channel, from_endpoint, to_channel,
                to_endpoint, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(event.delivery_id)
    .bind(event.kind.as_str())
    .bind(event.actor)
    .bind(event.from.map(|(c, _)| c.as_str()))
    .bind(event.from.map(|(_, e)| e))
    .bind(event.to.map(|(c, _)| c.as_str()))
    .bind(event.to.map(|(_, e)| e))
    .bind(event.reason)
    .fetch_one(conn)
    .await?)
}
