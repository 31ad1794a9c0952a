//! PostgreSQL's statements for a person's actions on deliveries (the logic is
//! `crate::logic::operator`) that differ from SQLite's. Reads "for update"
//! lock the rows (`FOR UPDATE`) against workers writing at the same time.

use super::{PgStore, PgWrite};
use crate::logic::batches::delivery_row;
use crate::logic::operator::{Reads, Writes, event_row};
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

impl Writes for PgWrite {
    const DELIVERY_FOR_UPDATE: &'static str =
        concat!(delivery_select!(), " WHERE d.id = $1 FOR UPDATE OF d");

    const BATCH_FOR_UPDATE: &'static str =
        "SELECT campaign_id, state FROM batches WHERE id = $1 FOR UPDATE";

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
}
