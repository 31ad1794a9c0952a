//! SQLite's statements for batches (the logic is `crate::logic::batches`): the process
//! clock decides whether a batch starts at once, and deliveries are inserted as
//! multi-row `INSERT`s within SQLite's limit on bound values.

use sqlx::{QueryBuilder, Sqlite};

use super::{SqliteStore, SqliteWrite, ms};
use crate::logic::batches::{NewDeliveries, Reads, Writes};
use crate::{StoreError, new_idempotency_key};

/// 14 bound values per delivery row; SQLite allows 32,766 per statement.
const DELIVERY_ROWS_PER_STATEMENT: usize = 2_000;

impl Reads for SqliteStore {
    async fn batch_created(&self, _deliveries: usize) -> Result<(), StoreError> {
        Ok(())
    }
}

impl Writes for SqliteWrite {
    const BATCH_TO_CONTROL: &'static str = concat!(
        "SELECT campaign_id, state, start_at <= now() AS due FROM batches WHERE id = $1",
        ""
    );

    async fn insert_deliveries(&mut self, new: NewDeliveries<'_>) -> Result<(), StoreError> {
        let (batch_id, start_at) = (new.batch_id, new.start_at);
        let now = self.now;
        for rows in new.rows(DELIVERY_ROWS_PER_STATEMENT) {
            let rows = rows?;
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO deliveries (batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                        idempotency_key, state, skip_reason, max_attempts, due_at, created_at, finalized_at) ",
            );
            query.push_values(rows, |mut row, d| {
                let skipped = d.skip_reason.is_some();
                row.push_bind(batch_id.get())
                    .push_bind(d.recipient_id.get())
                    .push_bind(d.signature_id.map(i64::from))
                    .push_bind(d.message_id.map(i64::from))
                    .push_bind(d.channel.as_str())
                    .push_bind(d.endpoint)
                    .push_bind(d.rate_key)
                    .push_bind(new_idempotency_key())
                    .push_bind(if skipped { "skipped" } else { "queued" })
                    .push_bind(d.skip_reason)
                    .push_bind(i64::from(new.max_attempts))
                    .push_bind(ms(start_at))
                    .push_bind(now)
                    .push_bind(skipped.then_some(now));
            });
            query.build().execute(self.conn()).await?;
        }
        Ok(())
    }
}

pub(super) fn unsigned(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}
