//! SQLite's statements for a person's actions on deliveries (the logic is
//! `crate::logic::operator`) that differ from PostgreSQL's. `BEGIN IMMEDIATE`
//! already holds the write lock, so reads "for update" are plain reads; times are the
//! transaction's `now` in epoch milliseconds.

use hillpost_core::BatchState;
use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::DeliveryState;

use super::{SqliteStore, SqliteWrite, json_list};
use crate::logic::batches::delivery_row;
use crate::logic::operator::{NewDeliveryEvent, Reads, Writes, event_row};
use crate::{DeliveryEventRow, DeliveryRow, StoreError};

impl Reads for SqliteStore {
    async fn events_of(&self, delivery_ids: &[i64]) -> Result<Vec<DeliveryEventRow>, StoreError> {
        self.delivery_events(delivery_ids).await
    }
}

impl SqliteStore {
    pub async fn delivery_events(
        &self,
        delivery_ids: &[i64],
    ) -> Result<Vec<DeliveryEventRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM delivery_events WHERE delivery_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
        )
        .bind(json_list(delivery_ids))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(event_row).collect()
    }
}

impl Writes for SqliteWrite {
    const DELIVERY_FOR_UPDATE: &'static str = concat!(delivery_select!(), " WHERE d.id = $1");

    const BATCH_FOR_UPDATE: &'static str = "SELECT campaign_id, state FROM batches WHERE id = $1";

    async fn set_delivery_state(
        &mut self,
        id: i64,
        next: DeliveryState,
        budget: u32,
    ) -> Result<(), StoreError> {
        let now = self.now;
        sqlx::query(
            "UPDATE deliveries
                SET state = ?2,
                    finalized_at = CASE WHEN ?2 = 'queued' THEN NULL ELSE ?3 END,
                    due_at = CASE WHEN ?2 = 'queued' THEN ?3 ELSE due_at END,
                    last_error = CASE WHEN ?2 = 'delivered' THEN NULL ELSE last_error END,
                    max_attempts = CASE WHEN ?2 = 'queued' THEN attempts + ?4 ELSE max_attempts END,
                    possibly_accepted = CASE WHEN ?2 = 'queued' THEN 0 ELSE possibly_accepted END
              WHERE id = ?1",
        )
        .bind(id)
        .bind(next.as_str())
        .bind(now)
        .bind(i64::from(budget.max(1)))
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
            " WHERE d.batch_id = ?1 AND d.kind = 'letter' AND d.state IN (SELECT value FROM json_each(?2))
                AND NOT EXISTS (SELECT 1 FROM signatures s WHERE s.id = d.signature_id AND s.erased_at IS NOT NULL)
              ORDER BY d.id"
        ))
        .bind(batch_id)
        .bind(json_list(states))
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
        let now = self.now;
        sqlx::query(
            "UPDATE deliveries
                SET state = ?2, finalized_at = NULL, due_at = ?3, channel = ?4, endpoint = ?5, rate_key = ?6,
                    max_attempts = attempts + ?7, possibly_accepted = 0
              WHERE id = ?1",
        )
        .bind(id)
        .bind(next.as_str())
        .bind(now)
        .bind(endpoint.channel.as_str())
        .bind(&endpoint.address)
        .bind(&endpoint.rate_key)
        .bind(i64::from(budget.max(1)))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn reopen_batch_row(
        &mut self,
        batch_id: i64,
        next: BatchState,
    ) -> Result<(), StoreError> {
        let now = self.now;
        sqlx::query(
            "UPDATE batches SET state = ?2, updated_at = ?3, finished_at = NULL WHERE id = ?1",
        )
        .bind(batch_id)
        .bind(next.as_str())
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn insert_delivery_event(
        &mut self,
        event: &NewDeliveryEvent<'_>,
    ) -> Result<i64, StoreError> {
        let now = self.now;
        insert_event(self.conn(), now, event).await
    }
}

/// A `delivery_events` row stamped `now`; its id.
pub(super) async fn insert_event(
    conn: &mut sqlx::SqliteConnection,
    now: i64,
    event: &NewDeliveryEvent<'_>,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO delivery_events (delivery_id, at, kind, actor, from_channel, from_endpoint, to_channel,
                to_endpoint, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
    )
    .bind(event.delivery_id)
    .bind(now)
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
