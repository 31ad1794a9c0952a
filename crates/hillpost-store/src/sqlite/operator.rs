//! SQLite's statements for a person's actions on deliveries (the logic is
//! `crate::logic::operator`), and what a new batch must not send again. `BEGIN IMMEDIATE`
//! already holds the write lock, so reads "for update" are plain reads; times are the
//! transaction's `now` in epoch milliseconds.

use hillpost_core::batch::{Endpoint, SentBefore};
use hillpost_core::delivery::DeliveryState;
use hillpost_core::{BatchState, CampaignId};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::batches::{parse, unsigned};
use super::{SqliteStore, SqliteWrite, json_list, time};
use crate::logic::batches::delivery_row;
use crate::logic::operator::{NewDeliveryEvent, Reads, Writes};
use crate::{AttemptRow, DeliveryEventRow, DeliveryRow, StoreError};

impl Reads for SqliteStore {
    async fn delivery_in_context(
        &self,
        id: i64,
    ) -> Result<Option<(DeliveryRow, String, String)>, StoreError> {
        let Some(row) = sqlx::query(concat!(delivery_select!(), " WHERE d.id = ?1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((
            delivery_row(&row)?,
            row.try_get("campaign_id")?,
            row.try_get("passed_over")?,
        )))
    }

    async fn delivery_attempts(&self, id: i64) -> Result<Vec<AttemptRow>, StoreError> {
        crate::logic::batches::attempts(self, id).await
    }

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

    pub async fn letters_sent_before(
        &self,
        campaign: &CampaignId,
    ) -> Result<Vec<SentBefore>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.key, d.signature_id, d.batch_id, d.state
               FROM batches b
               JOIN deliveries d ON d.batch_id = b.id
               JOIN recipients r ON r.id = d.recipient_id
              WHERE b.campaign_id = ?1 AND d.kind = 'letter'
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

impl Writes for SqliteWrite {
    async fn delivery_for_update(&mut self, id: i64) -> Result<Option<DeliveryRow>, StoreError> {
        let row = sqlx::query(concat!(delivery_select!(), " WHERE d.id = ?1"))
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.as_ref().map(delivery_row).transpose()
    }

    async fn delivery_now(&mut self, id: i64) -> Result<DeliveryRow, StoreError> {
        let row = sqlx::query(concat!(delivery_select!(), " WHERE d.id = ?1"))
            .bind(id)
            .fetch_one(self.conn())
            .await?;
        delivery_row(&row)
    }

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

    async fn batch_for_update(
        &mut self,
        batch_id: i64,
    ) -> Result<Option<(String, BatchState)>, StoreError> {
        let row = sqlx::query("SELECT campaign_id, state FROM batches WHERE id = ?1")
            .bind(batch_id)
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| Ok((row.try_get("campaign_id")?, parse(row.try_get("state")?)?)))
            .transpose()
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

    async fn set_recipient_endpoints(
        &mut self,
        batch_id: i64,
        key: &str,
        endpoints_json: &str,
        passed_over_json: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE recipients SET endpoints = ?3, passed_over = ?4 WHERE batch_id = ?1 AND key = ?2",
        )
        .bind(batch_id)
        .bind(key)
        .bind(endpoints_json)
        .bind(passed_over_json)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn recipients_endpoints_json(
        &mut self,
        batch_id: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT key, endpoints FROM recipients WHERE batch_id = ?1")
                .bind(batch_id)
                .fetch_all(self.conn())
                .await?,
        )
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

fn event_row(row: &SqliteRow) -> Result<DeliveryEventRow, StoreError> {
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
        at: time(row.try_get("at")?),
        kind: parse(row.try_get("kind")?)?,
        actor: row.try_get("actor")?,
        attempt_no: row.try_get::<Option<i64>, _>("attempt_no")?.map(unsigned),
        from: endpoint("from_channel", "from_endpoint")?,
        to: endpoint("to_channel", "to_endpoint")?,
        reason: row.try_get("reason")?,
    })
}
