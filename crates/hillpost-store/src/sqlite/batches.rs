//! SQLite's statements for batches (the logic is `crate::logic::batches`): the process
//! clock decides whether a batch starts at once, and deliveries are inserted as
//! multi-row `INSERT`s within SQLite's limit on bound values.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hillpost_core::CampaignId;
use hillpost_core::batch::{BatchPlan, PlannedMessage, PlannedRecipient};
use hillpost_core::delivery::BatchState;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{SqliteStore, SqliteWrite, json_list, ms};
use crate::logic::batches::{InsertedIds, Reads, Writes, attempt_row, batch_row, batch_select};
pub(super) use crate::logic::sql::parse;
use crate::record::{endpoints_json, passed_over_json};
use crate::{AttemptRow, BatchRow, StoreError, new_idempotency_key};

/// 14 bound values per delivery row; SQLite allows 32,766 per statement.
const DELIVERY_ROWS_PER_STATEMENT: usize = 2_000;

impl Reads for SqliteStore {
    async fn batches(&self, campaign: Option<&CampaignId>) -> Result<Vec<BatchRow>, StoreError> {
        let rows = sqlx::query(concat!(
            batch_select!(),
            " WHERE ?1 IS NULL OR campaign_id = ?1 ORDER BY id"
        ))
        .bind(campaign.map(|c| c.as_str()))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(batch_row).collect()
    }

    async fn attempts_of(&self, delivery_ids: &[i64]) -> Result<Vec<AttemptRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
        )
        .bind(json_list(delivery_ids))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(attempt_row).collect()
    }

    async fn batch_states(&self, ids: &[i64]) -> Result<HashMap<i64, BatchState>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, state FROM batches WHERE id IN (SELECT value FROM json_each(?1))",
        )
        .bind(json_list(ids))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, parse(row.try_get("state")?)?)))
            .collect()
    }

    async fn batch_created(&self, _deliveries: usize) -> Result<(), StoreError> {
        Ok(())
    }
}

impl Writes for SqliteWrite {
    async fn insert_batch(
        &mut self,
        campaign: &CampaignId,
        plan: &BatchPlan,
        start_at: DateTime<Utc>,
        receipt_base_url: Option<&str>,
    ) -> Result<(i64, BatchState), StoreError> {
        let now = self.now;
        let state = if ms(start_at) <= now {
            BatchState::Running
        } else {
            BatchState::Scheduled
        };
        let id = sqlx::query_scalar(
            "INSERT INTO batches (campaign_id, state, mode, start_at, signature_count, created_at, updated_at,
                    receipt_base_url, signers_through)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8)
             RETURNING id",
        )
        .bind(campaign.as_str())
        .bind(state.as_str())
        .bind(plan.mode.as_str())
        .bind(ms(start_at))
        .bind(i64::from(plan.signature_count))
        .bind(now)
        .bind(receipt_base_url)
        .bind(plan.signers_through)
        .fetch_one(self.conn())
        .await?;
        Ok((id, state))
    }

    async fn insert_recipients(
        &mut self,
        batch_id: i64,
        recipients: &[PlannedRecipient],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut ids = HashMap::new();
        for recipient in recipients {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO recipients (batch_id, key, name, endpoints, passed_over) VALUES (?1, ?2, ?3, ?4, ?5)
                 RETURNING id",
            )
            .bind(batch_id)
            .bind(&recipient.key)
            .bind(&recipient.name)
            .bind(endpoints_json(&recipient.endpoints))
            .bind(passed_over_json(&recipient.passed_over))
            .fetch_one(self.conn())
            .await?;
            ids.insert(recipient.key.clone(), id);
        }
        Ok(ids)
    }

    async fn insert_messages(
        &mut self,
        batch_id: i64,
        messages: &[PlannedMessage],
    ) -> Result<HashMap<String, i64>, StoreError> {
        let mut ids = HashMap::new();
        for message in messages {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO messages (batch_id, sha256, language, subject, body_markdown) VALUES (?1, ?2, ?3, ?4, ?5)
                 RETURNING id",
            )
            .bind(batch_id)
            .bind(&message.sha256)
            .bind(message.letter.language.as_str())
            .bind(&message.letter.subject)
            .bind(&message.letter.body_markdown)
            .fetch_one(self.conn())
            .await?;
            ids.insert(message.sha256.clone(), id);
        }
        Ok(ids)
    }

    async fn insert_deliveries(
        &mut self,
        batch_id: i64,
        plan: &BatchPlan,
        ids: &InsertedIds,
        max_attempts: u32,
        start_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = self.now;
        for chunk in plan.deliveries.chunks(DELIVERY_ROWS_PER_STATEMENT) {
            let rows = crate::delivery_rows(plan, chunk, &ids.recipients, &ids.messages)?;
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO deliveries (batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                        idempotency_key, state, skip_reason, max_attempts, due_at, created_at, finalized_at) ",
            );
            query.push_values(rows, |mut row, d| {
                let skipped = d.skip_reason.is_some();
                row.push_bind(batch_id)
                    .push_bind(d.recipient_id)
                    .push_bind(d.signature_id)
                    .push_bind(d.message_id)
                    .push_bind(d.channel.as_str())
                    .push_bind(d.endpoint)
                    .push_bind(d.rate_key)
                    .push_bind(new_idempotency_key())
                    .push_bind(if skipped { "skipped" } else { "queued" })
                    .push_bind(d.skip_reason)
                    .push_bind(i64::from(max_attempts))
                    .push_bind(ms(start_at))
                    .push_bind(now)
                    .push_bind(skipped.then_some(now));
            });
            query.build().execute(self.conn()).await?;
        }
        Ok(())
    }

    async fn batch_to_control(
        &mut self,
        id: i64,
    ) -> Result<Option<(String, BatchState, bool)>, StoreError> {
        let now = self.now;
        let row = sqlx::query("SELECT campaign_id, state, start_at FROM batches WHERE id = ?1")
            .bind(id)
            .fetch_optional(self.conn())
            .await?;
        row.map(|row| {
            Ok((
                row.try_get("campaign_id")?,
                parse(row.try_get("state")?)?,
                row.try_get::<i64, _>("start_at")? <= now,
            ))
        })
        .transpose()
    }

    async fn set_batch_state(&mut self, id: i64, next: BatchState) -> Result<(), StoreError> {
        let now = self.now;
        sqlx::query(
            "UPDATE batches SET state = ?2, updated_at = ?3, finished_at = ?4 WHERE id = ?1",
        )
        .bind(id)
        .bind(next.as_str())
        .bind(now)
        .bind(next.is_final().then_some(now))
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn cancel_queued(&mut self, id: i64) -> Result<u64, StoreError> {
        let now = self.now;
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'cancelled', finalized_at = ?2 WHERE batch_id = ?1 AND state = 'queued'",
        )
        .bind(id)
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(done.rows_affected())
    }
}

pub(super) fn unsigned(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}
