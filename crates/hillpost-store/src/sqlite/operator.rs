//! SQLite's statements for a person's actions on deliveries (the logic is
//! `crate::logic::operator`) that differ from PostgreSQL's. `BEGIN IMMEDIATE`
//! already holds the write lock, so reads "for update" are plain reads.

use super::{SqliteStore, SqliteWrite, json_list};
use crate::logic::batches::delivery_row;
use crate::logic::operator::{Reads, Writes, event_row};
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
}
