use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use hillpost_core::batch::BatchPlan;
use hillpost_core::delivery::{Attachment, AttemptOutcome, BatchAction, BatchState, Channel};
use hillpost_core::{Campaign, CampaignId, Mode};
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::PgStore;
use super::copy_text::CopyBuffer;
use crate::{
    AttemptRow, BatchOptions, BatchRow, BatchStatus, DeliveryRow, RecipientStatus, StoreError,
    new_idempotency_key,
};

/// Deliveries are turned into rows this many at a time (bounding the memory of row values
/// held at once) and streamed to COPY a buffer at a time.
const DELIVERY_CHUNK: usize = 10_000;

/// Batches at least this large refresh the planner's statistics of `deliveries`.
const ANALYZE_AFTER_ROWS: usize = 1_000;

impl PgStore {
    pub async fn create_batch(
        &self,
        campaign: &CampaignId,
        plan: &BatchPlan,
        options: &BatchOptions<'_>,
    ) -> Result<i64, StoreError> {
        let BatchOptions {
            start_at,
            max_attempts,
            actor,
            receipt_base_url,
            include_delivered,
        } = *options;
        let mut tx = self.pool().begin().await?;
        let (batch_id, state): (i64, String) = sqlx::query_as(
            "INSERT INTO batches (campaign_id, state, mode, start_at, signature_count, receipt_base_url, signers_through)
             VALUES ($1, CASE WHEN $2 <= now() THEN 'running' ELSE 'scheduled' END, $3, $2, $4, $5,
                     (SELECT max(id) FROM signatures WHERE campaign_id = $1))
             RETURNING id, state",
        )
        .bind(campaign.as_str())
        .bind(start_at)
        .bind(plan.mode.as_str())
        .bind(i32::try_from(plan.signature_count).unwrap_or(i32::MAX))
        .bind(receipt_base_url)
        .fetch_one(&mut *tx)
        .await?;

        let recipient_ids: HashMap<String, i64> = sqlx::query(
            "INSERT INTO recipients (batch_id, key, name, endpoints, passed_over)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
             RETURNING id, key",
        )
        .bind(batch_id)
        .bind(
            plan.recipients
                .iter()
                .map(|r| r.key.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            plan.recipients
                .iter()
                .map(|r| r.name.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            plan.recipients
                .iter()
                .map(|r| crate::record::endpoints_json(&r.endpoints))
                .collect::<Vec<_>>(),
        )
        .bind(
            plan.recipients
                .iter()
                .map(|r| crate::record::passed_over_json(&r.passed_over))
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("key")?, row.try_get("id")?)))
        .collect::<Result<_, sqlx::Error>>()?;

        let mut copy = tx
            .copy_in_raw(
                "COPY messages (batch_id, sha256, language, subject, body_markdown) FROM STDIN",
            )
            .await?;
        let mut buffer = CopyBuffer::new();
        for message in &plan.messages {
            buffer
                .row()
                .number(batch_id)
                .text(&message.sha256)
                .text(message.letter.language.as_str())
                .text(&message.letter.subject)
                .text(&message.letter.body_markdown)
                .end();
            buffer.send_when_full(&mut copy).await?;
        }
        buffer.finish(copy).await?;
        let message_ids: HashMap<String, i64> =
            sqlx::query_as("SELECT sha256, id FROM messages WHERE batch_id = $1")
                .bind(batch_id)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();

        for attachment in &plan.attachments {
            sqlx::query(
                "INSERT INTO attachments (batch_id, filename, content_type, content, sha256) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(batch_id)
            .bind(&attachment.filename)
            .bind(&attachment.content_type)
            .bind(&attachment.content)
            .bind(crate::sha256_hex(&attachment.content))
            .execute(&mut *tx)
            .await?;
        }

        let created = crate::audit::batch_created_event(
            actor,
            crate::audit::BatchCreated {
                campaign: campaign.as_str(),
                batch_id,
                plan,
                state: &state,
                start_at,
                max_attempts: max_attempts.max(1),
                include_delivered,
            },
        );
        let max_attempts = i64::from(max_attempts.max(1));
        // Skipped deliveries are final from the start; their time is taken once, here.
        let due_at = start_at.to_rfc3339();
        let now = Utc::now().to_rfc3339();
        let mut copy = tx
            .copy_in_raw(
                "COPY deliveries (batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                        idempotency_key, state, skip_reason, max_attempts, due_at, finalized_at)
                 FROM STDIN",
            )
            .await?;
        let mut buffer = CopyBuffer::new();
        for chunk in plan.deliveries.chunks(DELIVERY_CHUNK) {
            for row in crate::delivery_rows(plan, chunk, &recipient_ids, &message_ids)? {
                let skipped = row.skip_reason.is_some();
                buffer
                    .row()
                    .number(batch_id)
                    .number(row.recipient_id)
                    .opt_number(row.signature_id)
                    .opt_number(row.message_id)
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
        super::audit::append(&mut tx, vec![created]).await?;
        tx.commit().await?;
        // A batch can multiply the queue many times over before autovacuum next looks at it.
        // With the old statistics the planner takes `deliveries` for a few rows and plans the
        // claim as "join everything, then sort" instead of walking the due index: 1.6 s per
        // claim with 1,000,000 rows queued instead of 3 ms. Refreshing them here (a sample,
        // well under a second) keeps claims cheap from the first one.
        if plan.deliveries.len() >= ANALYZE_AFTER_ROWS {
            sqlx::query("ANALYZE deliveries")
                .execute(self.pool())
                .await?;
        }
        Ok(batch_id)
    }

    pub async fn batch(&self, id: i64) -> Result<Option<BatchRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, campaign_id, state, mode, start_at, signature_count, created_at, updated_at, finished_at,
                    receipt_base_url
               FROM batches WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(batch_row).transpose()
    }

    pub async fn batches(
        &self,
        campaign: Option<&CampaignId>,
    ) -> Result<Vec<BatchRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, campaign_id, state, mode, start_at, signature_count, created_at, updated_at, finished_at,
                    receipt_base_url
               FROM batches WHERE $1::text IS NULL OR campaign_id = $1 ORDER BY id",
        )
        .bind(campaign.map(|c| c.as_str()))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(batch_row).collect()
    }

    pub async fn batch_status(&self, id: i64) -> Result<BatchStatus, StoreError> {
        let batch = self.batch(id).await?.ok_or(StoreError::NoBatch(id))?;
        let mut by_state = BTreeMap::new();
        for row in sqlx::query(
            "SELECT state, count(*) AS n FROM deliveries WHERE batch_id = $1 GROUP BY state",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        {
            by_state.insert(parse(row.try_get("state")?)?, count(&row)?);
        }
        let mut by_recipient: Vec<RecipientStatus> = Vec::new();
        for row in sqlx::query(
            "SELECT r.id, r.key, r.name, d.state, count(*) AS n
               FROM recipients r JOIN deliveries d ON d.recipient_id = r.id
              WHERE r.batch_id = $1
              GROUP BY r.id, r.key, r.name, d.state ORDER BY r.id, d.state",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        {
            let key: String = row.try_get("key")?;
            if by_recipient.last().is_none_or(|r| r.key != key) {
                by_recipient.push(RecipientStatus {
                    key,
                    name: row.try_get("name")?,
                    by_state: BTreeMap::new(),
                });
            }
            if let Some(last) = by_recipient.last_mut() {
                last.by_state
                    .insert(parse(row.try_get("state")?)?, count(&row)?);
            }
        }
        let skip_reasons = sqlx::query(
            "SELECT skip_reason, count(*) AS n FROM deliveries WHERE batch_id = $1 AND state = 'skipped'
              GROUP BY skip_reason ORDER BY n DESC, skip_reason",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| Ok((row.try_get("skip_reason")?, count(row)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
        let route_notes = sqlx::query(
            "SELECT e.from_channel, e.from_endpoint, e.to_channel, e.to_endpoint, e.reason, count(*) AS n
               FROM delivery_events e JOIN deliveries d ON d.id = e.delivery_id
              WHERE d.batch_id = $1 AND e.kind = 'route'
              GROUP BY e.from_channel, e.from_endpoint, e.to_channel, e.to_endpoint, e.reason
              ORDER BY n DESC, e.reason",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| {
            let endpoint = |channel: &str, address: &str| -> Result<_, StoreError> {
                let channel: Option<String> = row.try_get(channel)?;
                let address: Option<String> = row.try_get(address)?;
                Ok(match (channel, address) {
                    (Some(c), Some(a)) => Some((parse(&c)?, a)),
                    _ => None,
                })
            };
            let words = crate::model::route_words(
                endpoint("from_channel", "from_endpoint")?.as_ref(),
                endpoint("to_channel", "to_endpoint")?.as_ref(),
                row.try_get("reason")?,
            );
            Ok((words, count(row)?))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let row = sqlx::query(
            "SELECT count(*) AS n,
                    count(*) FILTER (WHERE a.outcome IN ('possibly_accepted', 'unconfirmed', 'unknown')) AS unconfirmed
               FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.batch_id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(BatchStatus {
            batch,
            by_state,
            by_recipient,
            skip_reasons,
            route_notes,
            attempts: count(&row)?,
            unconfirmed_attempts: u64::try_from(row.try_get::<i64, _>("unconfirmed")?).unwrap_or(0),
        })
    }

    pub async fn control_batch(
        &self,
        id: i64,
        action: BatchAction,
        actor: &str,
    ) -> Result<BatchRow, StoreError> {
        let mut tx = self.pool().begin().await?;
        let row = sqlx::query(
            "SELECT campaign_id, state, start_at <= now() AS due FROM batches WHERE id = $1 FOR UPDATE",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NoBatch(id))?;
        let current: BatchState = parse(row.try_get("state")?)?;
        let next = action.apply(current, row.try_get("due")?).ok_or_else(|| {
            StoreError::BatchTransition {
                id,
                state: current.to_string(),
                action: action.verb(),
            }
        })?;
        sqlx::query(
            "UPDATE batches SET state = $2, updated_at = now(),
                    finished_at = CASE WHEN $2 IN ('completed', 'cancelled') THEN now() END
              WHERE id = $1",
        )
        .bind(id)
        .bind(next.as_str())
        .execute(&mut *tx)
        .await?;
        let mut cancelled = 0;
        if next == BatchState::Cancelled {
            cancelled = sqlx::query(
                "UPDATE deliveries SET state = 'cancelled', finalized_at = now()
                  WHERE batch_id = $1 AND state = 'queued'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        let campaign: String = row.try_get("campaign_id")?;
        let event = crate::audit::batch_action_event(
            actor,
            &campaign,
            id,
            action,
            current.as_str(),
            next.as_str(),
            cancelled,
        );
        super::audit::append(&mut tx, vec![event]).await?;
        tx.commit().await?;
        self.batch(id).await?.ok_or(StoreError::NoBatch(id))
    }

    pub async fn deliveries(&self, batch_id: i64) -> Result<Vec<DeliveryRow>, StoreError> {
        self.deliveries_page(batch_id, 0, i64::MAX).await
    }

    pub async fn deliveries_page(
        &self,
        batch_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        let rows = sqlx::query(concat!(
            delivery_select!(),
            " WHERE d.batch_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3"
        ))
        .bind(batch_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery_row).collect()
    }

    pub async fn attempts(&self, delivery_id: i64) -> Result<Vec<AttemptRow>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY attempt_no, id")
                .bind(delivery_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(attempt_row).collect()
    }

    pub async fn attempts_of(&self, delivery_ids: &[i64]) -> Result<Vec<AttemptRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM attempts WHERE delivery_id = ANY($1) ORDER BY id")
            .bind(delivery_ids)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(attempt_row).collect()
    }

    pub async fn batch_attempts(&self, batch_id: i64) -> Result<Vec<AttemptRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.* FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
              WHERE d.batch_id = $1 ORDER BY a.id",
        )
        .bind(batch_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(attempt_row).collect()
    }

    pub async fn batch_campaign(&self, batch_id: i64) -> Result<Campaign, StoreError> {
        let definition: String = sqlx::query_scalar(
            "SELECT c.definition FROM campaigns c JOIN batches b ON b.campaign_id = c.id WHERE b.id = $1",
        )
        .bind(batch_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NoBatch(batch_id))?;
        Campaign::from_stored(&definition).map_err(StoreError::corrupt)
    }

    pub async fn attachments(&self, batch_id: i64) -> Result<Vec<Attachment>, StoreError> {
        let rows = sqlx::query("SELECT filename, content_type, content FROM attachments WHERE batch_id = $1 ORDER BY id")
            .bind(batch_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Attachment {
                    filename: row.try_get("filename")?,
                    content_type: row.try_get("content_type")?,
                    content: row.try_get("content")?,
                })
            })
            .collect()
    }

    pub async fn batch_states(&self, ids: &[i64]) -> Result<HashMap<i64, BatchState>, StoreError> {
        let rows = sqlx::query("SELECT id, state FROM batches WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, parse(row.try_get("state")?)?)))
            .collect()
    }
}

fn batch_row(row: &PgRow) -> Result<BatchRow, StoreError> {
    Ok(BatchRow {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        state: parse(row.try_get("state")?)?,
        mode: match row.try_get::<&str, _>("mode")? {
            "petition" => Mode::Petition,
            _ => Mode::Individual,
        },
        start_at: row.try_get("start_at")?,
        signature_count: unsigned(row.try_get("signature_count")?),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        finished_at: row.try_get("finished_at")?,
        receipt_base_url: row.try_get("receipt_base_url")?,
    })
}

pub(super) fn delivery_row(row: &PgRow) -> Result<DeliveryRow, StoreError> {
    Ok(DeliveryRow {
        id: row.try_get("id")?,
        batch_id: row.try_get("batch_id")?,
        kind: parse(row.try_get("kind")?)?,
        recipient_key: row.try_get("recipient_key")?,
        recipient_name: row.try_get("recipient_name")?,
        signature_id: row.try_get("signature_id")?,
        channel: parse(row.try_get("channel")?)?,
        endpoint: row.try_get("endpoint")?,
        rate_key: row.try_get("rate_key")?,
        idempotency_key: row.try_get("idempotency_key")?,
        state: parse(row.try_get("state")?)?,
        skip_reason: row.try_get("skip_reason")?,
        attempts: unsigned(row.try_get("attempts")?),
        max_attempts: unsigned(row.try_get("max_attempts")?),
        due_at: row.try_get("due_at")?,
        last_error: row.try_get("last_error")?,
        possibly_accepted: row.try_get("possibly_accepted")?,
        finalized_at: row.try_get("finalized_at")?,
    })
}

fn attempt_row(row: &PgRow) -> Result<AttemptRow, StoreError> {
    Ok(AttemptRow {
        id: row.try_get("id")?,
        delivery_id: row.try_get("delivery_id")?,
        attempt_no: unsigned(row.try_get("attempt_no")?),
        worker_id: row.try_get("worker_id")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        outcome: parse::<AttemptOutcome>(row.try_get("outcome")?)?,
        channel: row
            .try_get::<Option<&str>, _>("channel")?
            .map(parse::<Channel>)
            .transpose()?,
        endpoint: row.try_get("endpoint")?,
        remote_code: row.try_get("remote_code")?,
        remote_text: row.try_get("remote_text")?,
        sent_sha256: row.try_get("sent_sha256")?,
        duration_ms: unsigned(row.try_get("duration_ms")?),
        note: row.try_get("note")?,
    })
}

pub(super) fn parse<T: std::str::FromStr<Err = String>>(text: &str) -> Result<T, StoreError> {
    text.parse().map_err(StoreError::Corrupt)
}

pub(super) fn unsigned(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn count(row: &PgRow) -> Result<u64, StoreError> {
    Ok(u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0))
}
