//! The worker's side on SQLite (what recording and housekeeping do is written once in
//! `crate::logic::queue`): the same steps as on PostgreSQL, inside `BEGIN IMMEDIATE`
//! transactions (SQLite has one writer at a time, so no row locks are needed).

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::signatures::signature_columns;
use super::{SqliteStore, SqliteWrite, json_list, millis, ms, now_ms, time};
use crate::logic::queue::{
    Writes, before, claimed_delivery, expired_while_sending, letter_parts, requeue_expired_unsent,
};
use crate::record::{self, Applied, Before};
use crate::{AttemptRecord, Claim, ClaimRequest, KeyLease, LetterParts, StoreError};

impl SqliteStore {
    pub async fn claim(&self, request: &ClaimRequest<'_>) -> Result<Claim, StoreError> {
        let now = now_ms();
        let mut tx = self.write().await?;
        let candidates: Vec<(i64, String)> = sqlx::query_as(
            "SELECT d.id, d.rate_key FROM deliveries d
              WHERE d.state = 'queued' AND d.due_at <= ?1
                AND EXISTS (SELECT 1 FROM batches b WHERE b.id = d.batch_id AND b.state = 'running')
                AND d.rate_key NOT IN (SELECT value FROM json_each(?2))
                AND NOT EXISTS (SELECT 1 FROM rate_key_leases l
                                 WHERE l.key = d.rate_key AND l.worker_id <> ?3 AND l.expires_at > ?1)
              ORDER BY d.due_at, d.id
              LIMIT ?4",
        )
        .bind(now)
        .bind(json_list(request.exclude_keys))
        .bind(request.worker_id)
        .bind(i64::from(request.limit))
        .fetch_all(&mut *tx)
        .await?;
        if candidates.is_empty() {
            tx.rollback().await?;
            return Ok(Claim::default());
        }

        let limited: BTreeSet<&str> = candidates
            .iter()
            .map(|(_, key)| key.as_str())
            .filter(|k| request.policy.is_limited(k))
            .collect();
        let mut claim = Claim::default();
        for key in &limited {
            let won: Option<(String, Option<i64>)> = sqlx::query_as(
                "INSERT INTO rate_key_leases (key, worker_id, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET worker_id = excluded.worker_id, expires_at = excluded.expires_at
                  WHERE rate_key_leases.worker_id = excluded.worker_id OR rate_key_leases.expires_at <= ?4
                 RETURNING key, next_send_at",
            )
            .bind(key)
            .bind(request.worker_id)
            .bind(now + millis(request.key_lease))
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((key, next_send_at)) = won {
                claim.keys.push(KeyLease {
                    key,
                    next_send_at: next_send_at.map(time),
                });
            }
        }
        let ids: Vec<i64> = candidates
            .iter()
            .filter(|(_, key)| {
                !limited.contains(key.as_str()) || claim.keys.iter().any(|k| &k.key == key)
            })
            .map(|(id, _)| *id)
            .collect();
        let rows = sqlx::query(
            "UPDATE deliveries
                SET state = 'in_flight', lease_owner = ?2, leased_at = ?3, lease_expires_at = ?4, attempts = attempts + 1
              WHERE id IN (SELECT value FROM json_each(?1))
          RETURNING id, batch_id, recipient_id, signature_id, message_id, attempts, max_attempts, channel, endpoint, rate_key,
                    possibly_accepted",
        )
        .bind(json_list(&ids))
        .bind(request.worker_id)
        .bind(now)
        .bind(now + millis(request.lease))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        for row in &rows {
            claim.deliveries.push(claimed_delivery(row)?);
        }
        claim.deliveries.sort_by_key(|d| d.id);
        Ok(claim)
    }

    pub async fn letter_parts(&self, delivery_ids: &[i64]) -> Result<Vec<LetterParts>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.id AS delivery_id, d.kind, d.idempotency_key, r.name AS recipient_name, r.endpoints, m.language, m.subject,
                    m.body_markdown, s.id AS signature_id, s.email_key, s.email, s.first_name, s.last_name,
                    s.organization, s.address_line1, s.address_line2, s.city, s.state, s.postal_code, s.country,
                    s.district, s.language AS signer_language, s.phone, s.receipt_consent, s.signed_at, s.source
               FROM deliveries d
               JOIN recipients r ON r.id = d.recipient_id
               JOIN messages m ON m.id = d.message_id
               LEFT JOIN signatures s ON s.id = d.signature_id
              WHERE d.id IN (SELECT value FROM json_each(?1))
              ORDER BY d.id",
        )
        .bind(json_list(delivery_ids))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let signer = match row.try_get::<Option<i64>, _>("signature_id")? {
                    None => None,
                    Some(id) => {
                        Some(signature_columns(row, "signer_language")?.into_signature(id)?)
                    }
                };
                letter_parts(row, signer)
            })
            .collect()
    }

    pub async fn mark_sending(
        &self,
        worker_id: &str,
        deliveries: &[(i64, u32)],
    ) -> Result<Vec<i64>, StoreError> {
        let now = now_ms();
        let pairs: Vec<[i64; 2]> = deliveries
            .iter()
            .map(|(id, n)| [*id, i64::from(*n)])
            .collect();
        let marked = sqlx::query_scalar(
            "UPDATE deliveries SET sending_since = ?3
              WHERE state = 'in_flight' AND lease_owner = ?1
                AND (id, attempts) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?2))
          RETURNING id",
        )
        .bind(worker_id)
        .bind(json_list(&pairs))
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        Ok(marked)
    }

    pub async fn release(&self, worker_id: &str, delivery_ids: &[i64]) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'queued', attempts = attempts - 1,
                    lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL, sending_since = NULL
              WHERE id IN (SELECT value FROM json_each(?2)) AND lease_owner = ?1 AND state = 'in_flight'",
        )
        .bind(worker_id)
        .bind(json_list(delivery_ids))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn heartbeat(
        &self,
        worker_id: &str,
        lease: Duration,
        key_lease: Duration,
        key_positions: &HashMap<String, DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE deliveries SET lease_expires_at = ?2
              WHERE lease_owner = ?1 AND state = 'in_flight' AND lease_expires_at < ?3",
        )
        .bind(worker_id)
        .bind(now + millis(lease))
        .bind(now + millis(lease.mul_f64(crate::RENEW_WHEN_LEFT)))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE rate_key_leases SET expires_at = ?2 WHERE worker_id = ?1")
            .bind(worker_id)
            .bind(now + millis(key_lease))
            .execute(&mut *tx)
            .await?;
        for (key, position) in key_positions {
            sqlx::query(
                "UPDATE rate_key_leases SET next_send_at = ?3 WHERE key = ?2 AND worker_id = ?1",
            )
            .bind(worker_id)
            .bind(key)
            .bind(ms(*position))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn release_keys(
        &self,
        worker_id: &str,
        key_positions: &HashMap<String, DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.write().await?;
        for (key, position) in key_positions {
            sqlx::query(
                "UPDATE rate_key_leases SET expires_at = ?3, next_send_at = ?4 WHERE key = ?2 AND worker_id = ?1",
            )
            .bind(worker_id)
            .bind(key)
            .bind(now - 1)
            .bind(ms(*position))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Applies records inside `tx`, each fenced on its owner's lease: see [`crate::record`].
async fn apply<'a>(
    tx: &mut sqlx::SqliteConnection,
    actor: &str,
    records: &[(&'a str, &'a AttemptRecord)],
    now: i64,
) -> Result<Vec<Applied<'a>>, StoreError> {
    let ids: Vec<i64> = records.iter().map(|(_, r)| r.delivery_id).collect();
    let before = deliveries_before(&mut *tx, &ids).await?;
    let mut applied = Vec::with_capacity(records.len());
    for (owner, record) in records {
        let Some(before) = before.get(&record.delivery_id).cloned() else {
            continue;
        };
        let t = &record.transition;
        let to = t.route.as_ref().and_then(|r| r.to.as_ref());
        let done = sqlx::query(
            "UPDATE deliveries
                SET state = ?4,
                    due_at = CASE WHEN ?4 = 'queued' THEN ?5 + ?6 ELSE due_at END,
                    lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL, sending_since = NULL,
                    last_error = ?7,
                    finalized_at = CASE WHEN ?4 = 'queued' THEN NULL ELSE ?5 END,
                    channel = coalesce(?8, channel),
                    endpoint = coalesce(?9, endpoint),
                    rate_key = coalesce(?10, rate_key),
                    max_attempts = coalesce(?11, max_attempts),
                    possibly_accepted = ?12,
                    attempts = attempts - ?13
              WHERE id = ?1 AND state = 'in_flight' AND lease_owner = ?2 AND attempts = ?3",
        )
        .bind(record.delivery_id)
        .bind(*owner)
        .bind(i64::from(record.attempt_no))
        .bind(t.state.as_str())
        .bind(now)
        .bind(record.due_in_ms())
        .bind(&t.last_error)
        .bind(to.map(|e| e.channel.as_str()))
        .bind(to.map(|e| e.address.as_str()))
        .bind(to.map(|e| e.rate_key.as_str()))
        .bind(t.max_attempts.map(i64::from))
        .bind(t.possibly_accepted)
        .bind(i64::from(!t.spends_budget))
        .execute(&mut *tx)
        .await?;
        let moved = done.rows_affected() == 1;
        let attempt_id = match t.is_attempt {
            false => None,
            true => Some(
                sqlx::query_scalar(
                    "INSERT INTO attempts (delivery_id, attempt_no, worker_id, started_at, finished_at, outcome, endpoint,
                            remote_code, remote_text, sent_sha256, duration_ms, note, channel)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id",
                )
                .bind(record.delivery_id)
                .bind(i64::from(record.attempt_no))
                .bind(*owner)
                .bind(ms(record.started_at))
                .bind(ms(record.finished_at))
                .bind(record.outcome.as_str())
                .bind(&record.endpoint)
                .bind(record.remote_code)
                .bind(&record.remote_text)
                .bind(&record.sent_sha256)
                .bind(record.duration_ms())
                .bind(record::stored_note(record, moved))
                .bind(before.channel.as_str())
                .fetch_one(&mut *tx)
                .await?,
            ),
        };
        let event_id = match record.event().filter(|_| moved) {
            None => None,
            Some(event) => Some(
                sqlx::query_scalar(
                    "INSERT INTO delivery_events (delivery_id, at, kind, actor, attempt_no, from_channel, from_endpoint,
                            to_channel, to_endpoint, reason)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
                )
                .bind(record.delivery_id)
                .bind(now)
                .bind(event.kind.as_str())
                .bind(actor)
                .bind(t.spends_budget.then_some(i64::from(record.attempt_no)))
                .bind(before.channel.as_str())
                .bind(&before.endpoint)
                .bind(event.to.map(|e| e.channel.as_str()))
                .bind(event.to.map(|e| e.address.as_str()))
                .bind(event.reason)
                .fetch_one(&mut *tx)
                .await?,
            ),
        };
        applied.push(Applied {
            record,
            owner,
            before,
            applied: moved,
            attempt_id,
            event_id,
        });
    }
    Ok(applied)
}

/// Per delivery, as it is before the records move it: what their events name.
async fn deliveries_before(
    conn: &mut sqlx::SqliteConnection,
    ids: &[i64],
) -> Result<HashMap<i64, Before>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.id, d.batch_id, d.signature_id, d.channel, d.endpoint, r.key AS recipient, s.salt AS signer_salt
           FROM deliveries d
           JOIN recipients r ON r.id = d.recipient_id
           LEFT JOIN signatures s ON s.id = d.signature_id
          WHERE d.id IN (SELECT value FROM json_each(?1))",
    )
    .bind(json_list(ids))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, before(row)?)))
        .collect()
}

impl Writes for SqliteWrite {
    const EXPIRED_WHILE_SENDING: &'static str = expired_while_sending!("");
    const REQUEUE_EXPIRED_UNSENT: &'static str = requeue_expired_unsent!("");

    async fn apply<'a>(
        &mut self,
        actor: &str,
        records: &[(&'a str, &'a AttemptRecord)],
    ) -> Result<Vec<Applied<'a>>, StoreError> {
        let now = self.now;
        apply(self.conn(), actor, records, now).await
    }

    async fn take_receipt_pass(&mut self) -> Result<bool, StoreError> {
        // `BEGIN IMMEDIATE`: this transaction is the only writer already.
        Ok(true)
    }
}
