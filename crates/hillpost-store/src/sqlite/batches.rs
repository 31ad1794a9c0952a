use std::collections::{BTreeMap, HashMap};

use hillpost_core::batch::BatchPlan;
use hillpost_core::delivery::{Attachment, AttemptOutcome, BatchAction, BatchState, Channel};
use hillpost_core::{Campaign, CampaignId, Mode};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{SqliteStore, json_list, ms, now_ms, time};
use crate::{
    AttemptRow, BatchOptions, BatchRow, BatchStatus, DeliveryRow, RecipientStatus, StoreError,
    new_idempotency_key,
};

/// 14 bound values per delivery row; SQLite allows 32,766 per statement.
const DELIVERY_ROWS_PER_STATEMENT: usize = 2_000;

impl SqliteStore {
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
        let now = now_ms();
        let mut tx = self.write().await?;
        let state = if ms(start_at) <= now {
            BatchState::Running
        } else {
            BatchState::Scheduled
        };
        let batch_id: i64 = sqlx::query_scalar(
            "INSERT INTO batches (campaign_id, state, mode, start_at, signature_count, created_at, updated_at,
                    receipt_base_url, signers_through)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, (SELECT max(id) FROM signatures WHERE campaign_id = ?1))
             RETURNING id",
        )
        .bind(campaign.as_str())
        .bind(state.as_str())
        .bind(plan.mode.as_str())
        .bind(ms(start_at))
        .bind(i64::from(plan.signature_count))
        .bind(now)
        .bind(receipt_base_url)
        .fetch_one(&mut *tx)
        .await?;

        let mut recipient_ids = HashMap::new();
        for recipient in &plan.recipients {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO recipients (batch_id, key, name, endpoints, passed_over) VALUES (?1, ?2, ?3, ?4, ?5)
                 RETURNING id",
            )
            .bind(batch_id)
            .bind(&recipient.key)
            .bind(&recipient.name)
            .bind(crate::record::endpoints_json(&recipient.endpoints))
            .bind(crate::record::passed_over_json(&recipient.passed_over))
            .fetch_one(&mut *tx)
            .await?;
            recipient_ids.insert(recipient.key.clone(), id);
        }
        let mut message_ids = HashMap::new();
        for message in &plan.messages {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO messages (batch_id, sha256, language, subject, body_markdown) VALUES (?1, ?2, ?3, ?4, ?5)
                 RETURNING id",
            )
            .bind(batch_id)
            .bind(&message.sha256)
            .bind(message.letter.language.as_str())
            .bind(&message.letter.subject)
            .bind(&message.letter.body_markdown)
            .fetch_one(&mut *tx)
            .await?;
            message_ids.insert(message.sha256.clone(), id);
        }
        for attachment in &plan.attachments {
            sqlx::query(
                "INSERT INTO attachments (batch_id, filename, content_type, content, sha256) VALUES (?1, ?2, ?3, ?4, ?5)",
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
                state: state.as_str(),
                start_at,
                max_attempts: max_attempts.max(1),
                include_delivered,
            },
        );
        let max_attempts = i64::from(max_attempts.max(1));
        for chunk in plan.deliveries.chunks(DELIVERY_ROWS_PER_STATEMENT) {
            let rows = crate::delivery_rows(plan, chunk, &recipient_ids, &message_ids)?;
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
                    .push_bind(max_attempts)
                    .push_bind(ms(start_at))
                    .push_bind(now)
                    .push_bind(skipped.then_some(now));
            });
            query.build().execute(&mut *tx).await?;
        }
        super::audit::append(&mut tx, vec![created]).await?;
        tx.commit().await?;
        Ok(batch_id)
    }

    pub async fn batch(&self, id: i64) -> Result<Option<BatchRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, campaign_id, state, mode, start_at, signature_count, created_at, updated_at, finished_at,
                    receipt_base_url
               FROM batches WHERE id = ?1",
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
               FROM batches WHERE ?1 IS NULL OR campaign_id = ?1 ORDER BY id",
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
            "SELECT state, count(*) AS n FROM deliveries WHERE batch_id = ?1 GROUP BY state",
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
              WHERE r.batch_id = ?1
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
            "SELECT skip_reason, count(*) AS n FROM deliveries WHERE batch_id = ?1 AND state = 'skipped'
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
              WHERE d.batch_id = ?1 AND e.kind = 'route'
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
               FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.batch_id = ?1",
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
        let now = now_ms();
        let mut tx = self.write().await?;
        let row = sqlx::query("SELECT campaign_id, state, start_at FROM batches WHERE id = ?1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NoBatch(id))?;
        let current: BatchState = parse(row.try_get("state")?)?;
        let due = row.try_get::<i64, _>("start_at")? <= now;
        let next = action
            .apply(current, due)
            .ok_or_else(|| StoreError::BatchTransition {
                id,
                state: current.to_string(),
                action: action.verb(),
            })?;
        sqlx::query(
            "UPDATE batches SET state = ?2, updated_at = ?3, finished_at = ?4 WHERE id = ?1",
        )
        .bind(id)
        .bind(next.as_str())
        .bind(now)
        .bind(next.is_final().then_some(now))
        .execute(&mut *tx)
        .await?;
        let mut cancelled = 0;
        if next == BatchState::Cancelled {
            cancelled = sqlx::query("UPDATE deliveries SET state = 'cancelled', finalized_at = ?2 WHERE batch_id = ?1 AND state = 'queued'")
                .bind(id)
                .bind(now)
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
            " WHERE d.batch_id = ?1 AND d.id > ?2 ORDER BY d.id LIMIT ?3"
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
            sqlx::query("SELECT * FROM attempts WHERE delivery_id = ?1 ORDER BY attempt_no, id")
                .bind(delivery_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(attempt_row).collect()
    }

    pub async fn attempts_of(&self, delivery_ids: &[i64]) -> Result<Vec<AttemptRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
        )
        .bind(json_list(delivery_ids))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(attempt_row).collect()
    }

    pub async fn batch_attempts(&self, batch_id: i64) -> Result<Vec<AttemptRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.* FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.batch_id = ?1 ORDER BY a.id",
        )
        .bind(batch_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(attempt_row).collect()
    }

    pub async fn batch_campaign(&self, batch_id: i64) -> Result<Campaign, StoreError> {
        let definition: String = sqlx::query_scalar(
            "SELECT c.definition FROM campaigns c JOIN batches b ON b.campaign_id = c.id WHERE b.id = ?1",
        )
        .bind(batch_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NoBatch(batch_id))?;
        Campaign::from_stored(&definition).map_err(StoreError::corrupt)
    }

    pub async fn attachments(&self, batch_id: i64) -> Result<Vec<Attachment>, StoreError> {
        let rows = sqlx::query("SELECT filename, content_type, content FROM attachments WHERE batch_id = ?1 ORDER BY id")
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
}

fn batch_row(row: &SqliteRow) -> Result<BatchRow, StoreError> {
    Ok(BatchRow {
        id: row.try_get("id")?,
        campaign_id: row.try_get("campaign_id")?,
        state: parse(row.try_get("state")?)?,
        mode: match row.try_get::<&str, _>("mode")? {
            "petition" => Mode::Petition,
            _ => Mode::Individual,
        },
        start_at: time(row.try_get("start_at")?),
        signature_count: unsigned(row.try_get("signature_count")?),
        created_at: time(row.try_get("created_at")?),
        updated_at: time(row.try_get("updated_at")?),
        finished_at: row.try_get::<Option<i64>, _>("finished_at")?.map(time),
        receipt_base_url: row.try_get("receipt_base_url")?,
    })
}

pub(super) fn delivery_row(row: &SqliteRow) -> Result<DeliveryRow, StoreError> {
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
        due_at: time(row.try_get("due_at")?),
        last_error: row.try_get("last_error")?,
        possibly_accepted: row.try_get("possibly_accepted")?,
        finalized_at: row.try_get::<Option<i64>, _>("finalized_at")?.map(time),
    })
}

fn attempt_row(row: &SqliteRow) -> Result<AttemptRow, StoreError> {
    Ok(AttemptRow {
        id: row.try_get("id")?,
        delivery_id: row.try_get("delivery_id")?,
        attempt_no: unsigned(row.try_get("attempt_no")?),
        worker_id: row.try_get("worker_id")?,
        started_at: time(row.try_get("started_at")?),
        finished_at: time(row.try_get("finished_at")?),
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

pub(super) fn unsigned(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

fn count(row: &SqliteRow) -> Result<u64, StoreError> {
    Ok(u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0))
}
