//! PostgreSQL's statements for batches (the logic is `crate::logic::batches`): the
//! database clock decides whether a batch starts at once, a batch's row is locked while a
//! person controls it, and offices, letters and deliveries go in as arrays and `COPY`.

use hillpost_core::ids::BatchId;
use std::collections::HashMap;

use hillpost_core::batch::PlannedMessage;

use super::copy_text::CopyBuffer;
use super::{PgStore, PgWrite};
use crate::logic::batches::{NewDeliveries, Reads, Writes};
use crate::{StoreError, new_idempotency_key};

/// Deliveries are turned into rows this many at a time (bounding the memory of row values
/// held at once) and streamed to COPY a buffer at a time.
const DELIVERY_CHUNK: usize = 10_000;

/// Batches at least this large refresh the planner's statistics of `deliveries`.
const ANALYZE_AFTER_ROWS: usize = 1_000;

impl Reads for PgStore {
    /// A batch can multiply the queue many times over before autovacuum next looks at it.
    /// With the old statistics the planner takes `deliveries` for a few rows and plans the
    /// claim as "join everything, then sort" instead of walking the due index: 1.6 s per
    /// claim with 1,000,000 rows queued instead of 3 ms. Refreshing them here (a sample,
    /// well under a second) keeps claims cheap from the first one.
    async fn batch_created(&self, deliveries: usize) -> Result<(), StoreError> {
        if deliveries >= ANALYZE_AFTER_ROWS {
            sqlx::query("ANALYZE deliveries")
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }
}

impl Writes for PgWrite {
    const BATCH_TO_CONTROL: &'static str = concat!(
        "SELECT campaign_id, state, start_at <= now() AS due FROM batches WHERE id = $1",
        " FOR UPDATE"
    );

    async fn insert_messages(
        &mut self,
        batch_id: BatchId,
        messages: &[PlannedMessage],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut copy = self
            .conn()
            .copy_in_raw(
                "COPY messages (batch_id, sha256, language, subject, body_markdown) FROM STDIN",
            )
            .await?;
        let mut buffer = CopyBuffer::new();
        for message in messages {
            buffer
                .row()
                .number(batch_id.get())
                .text(&message.sha256)
                .text(message.letter.language.as_str())
                .text(&message.letter.subject)
                .text(&message.letter.body_markdown)
                .end();
            buffer.send_when_full(&mut copy).await?;
        }
        buffer.finish(copy).await?;
        Ok(
            sqlx::query_as("SELECT sha256, id FROM messages WHERE batch_id = $1")
                .bind(batch_id.get())
                .fetch_all(self.conn())
                .await?
                .into_iter()
                .collect(),
        )
    }

    async fn insert_deliveries(&mut self, new: NewDeliveries<'_>) -> Result<(), StoreError> {
        let (batch_id, start_at) = (new.batch_id, new.start_at);
        let max_attempts = i64::from(new.max_attempts);
        // Skipped deliveries are final from the start; their time is taken once, here.
        let due_at = start_at.to_rfc3339();
        let now = self.now.instant().to_rfc3339();
        let mut copy = self
            .conn()
            .copy_in_raw(
                "COPY deliveries (batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                        idempotency_key, state, skip_reason, max_attempts, due_at, finalized_at)
                 FROM STDIN",
            )
            .await?;
        let mut buffer = CopyBuffer::new();
        for rows in new.rows(DELIVERY_CHUNK) {
            for row in rows? {
                let skipped = row.skip_reason.is_some();
                buffer
                    .row()
                    .number(batch_id.get())
                    .number(row.recipient_id.get())
                    .opt_number(row.signature_id.map(i64::from))
                    .opt_number(row.message_id.map(i64::from))
                    .text(row.channel.as_str())
                    .text(&row.endpoint)
                    .text(&row.rate_key)
                    .text(&new_idempotency_key())
                    .text(if skipped { "skipped" } else { "queued" })
                    .opt_text(row.skip_reason.as_deref())
                    .number(max_attempts)
                    .text(&due_at)
                    .opt_text(skipped.then_some(now.as_str()))
                    .end();
                buffer.send_when_full(&mut copy).await?;
            }
        }
        buffer.finish(copy).await?;
        Ok(())
    }
}

pub(super) fn unsigned(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}
