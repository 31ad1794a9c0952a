//! The worker's side on PostgreSQL (what recording and housekeeping do is written once in
//! `crate::logic::queue`): claim, load, mark, record, heartbeat. Each is one statement (one
//! round trip) however many deliveries it covers.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;

use super::receipts::RECEIPT_PASS_LOCK;
use super::signatures::signature_columns;
use super::{PgStore, PgWrite, millis};
use crate::logic::queue::{
    Writes, before, claimed_delivery, expired_while_sending, letter_parts, requeue_expired_unsent,
};
use crate::record::{self, Applied};
use crate::{AttemptRecord, Claim, ClaimRequest, KeyLease, LetterParts, StoreError};

/// Candidates are due queued rows of running batches, oldest first, skipping rows other
/// workers have locked and rows whose limited key another worker holds. Each running batch's
/// due rows are walked in order through `deliveries_due_by_batch` (a plan that does not
/// depend on statistics: see migration 0008), up to the limit each, and the oldest of those
/// are claimed. Limited keys among them are leased (or renewed) in the same statement: the
/// upsert only wins when the lease is free, expired or already ours, and only rows of won
/// keys (or unlimited keys) are claimed; the other candidates are simply left for their
/// key's holder.
const CLAIM: &str = "
WITH candidate AS (
    SELECT c.id, c.rate_key
      FROM batches b
     CROSS JOIN LATERAL (
        SELECT d.id, d.rate_key, d.due_at
          FROM deliveries d
         WHERE d.batch_id = b.id
           AND d.state = 'queued'
           AND d.due_at <= now()
           AND NOT (d.rate_key = ANY($3::text[]))
           AND NOT EXISTS (SELECT 1 FROM rate_key_leases l
                            WHERE l.key = d.rate_key AND l.worker_id <> $1 AND l.expires_at > now())
         ORDER BY d.due_at, d.id
         LIMIT $2
           FOR UPDATE OF d SKIP LOCKED
     ) c
     WHERE b.state = 'running'
     ORDER BY c.due_at, c.id
     LIMIT $2
), limited_key AS (
    SELECT DISTINCT rate_key AS key FROM candidate
     WHERE rate_key = ANY($6::text[]) OR ($5 AND NOT (rate_key = ANY($7::text[])))
), won_key AS (
    INSERT INTO rate_key_leases AS l (key, worker_id, expires_at)
    SELECT key, $1, now() + $8 * interval '1 millisecond' FROM limited_key ORDER BY key
    ON CONFLICT (key) DO UPDATE SET worker_id = excluded.worker_id, expires_at = excluded.expires_at
     WHERE l.worker_id = excluded.worker_id OR l.expires_at <= now()
    RETURNING l.key, l.next_send_at
), claimed AS (
    UPDATE deliveries d
       SET state = 'in_flight', lease_owner = $1, leased_at = now(),
           lease_expires_at = now() + $4 * interval '1 millisecond', attempts = d.attempts + 1
      FROM candidate c
     WHERE d.id = c.id
       AND (c.rate_key IN (SELECT key FROM won_key) OR c.rate_key NOT IN (SELECT key FROM limited_key))
 RETURNING d.id, d.batch_id, d.recipient_id, d.signature_id, d.message_id, d.attempts, d.max_attempts,
           d.channel, d.endpoint, d.rate_key, d.possibly_accepted
)
SELECT c.*, NULL::text AS key, NULL::timestamptz AS next_send_at FROM claimed c
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, w.key, w.next_send_at FROM won_key w";

impl PgStore {
    pub async fn claim(&self, request: &ClaimRequest<'_>) -> Result<Claim, StoreError> {
        let rows = sqlx::query(CLAIM)
            .bind(request.worker_id)
            .bind(i64::from(request.limit))
            .bind(request.exclude_keys)
            .bind(millis(request.lease))
            .bind(request.policy.default_limited)
            .bind(&request.policy.limited)
            .bind(&request.policy.unlimited)
            .bind(millis(request.key_lease))
            .fetch_all(self.pool())
            .await?;
        let mut claim = Claim::default();
        for row in rows {
            if let Some(key) = row.try_get::<Option<String>, _>("key")? {
                claim.keys.push(KeyLease {
                    key,
                    next_send_at: row.try_get("next_send_at")?,
                });
                continue;
            }
            claim.deliveries.push(claimed_delivery(&row)?);
        }
        claim.deliveries.sort_by_key(|d| d.id);
        Ok(claim)
    }

    pub async fn letter_parts(&self, delivery_ids: &[i64]) -> Result<Vec<LetterParts>, StoreError> {
        // Each delivery's recipient, message and signer by primary key (`OFFSET 0` keeps
        // each lateral subquery a lookup per delivery). As plain joins, the planner hashed
        // whole tables for a claim of a few hundred: every signature and message of the
        // database read per claim (20,000 of each in the email benchmark, half the claims),
        // a cost that grew with the tables rather than with the claim.
        let rows = sqlx::query(
            "SELECT d.id AS delivery_id, d.kind, d.idempotency_key, r.name AS recipient_name, r.endpoints, m.language, m.subject,
                    m.body_markdown, s.id AS signature_id, s.email_key, s.email, s.first_name, s.last_name,
                    s.organization, s.address_line1, s.address_line2, s.city, s.state, s.postal_code, s.country,
                    s.district, s.language AS signer_language, s.phone, s.receipt_consent, s.signed_at, s.source
               FROM deliveries d
              CROSS JOIN LATERAL (SELECT r.name, r.endpoints FROM recipients r
                                   WHERE r.id = d.recipient_id OFFSET 0) r
              CROSS JOIN LATERAL (SELECT m.language, m.subject, m.body_markdown FROM messages m
                                   WHERE m.id = d.message_id OFFSET 0) m
               LEFT JOIN LATERAL (SELECT s.* FROM signatures s WHERE s.id = d.signature_id OFFSET 0) s ON true
              WHERE d.id = ANY($1)
              ORDER BY d.id",
        )
        .bind(delivery_ids)
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
        let marked = sqlx::query_scalar(
            // `lease_owner = $1` implies in flight (a check constraint), and leaving the state
            // out keeps the planner off `deliveries_leased`: estimating it empty, it joined
            // every in-flight row to every mark (quadratic). By primary key instead.
            "UPDATE deliveries d SET sending_since = now()
               FROM unnest($2::int8[], $3::int4[]) AS m(id, attempt_no)
              WHERE d.id = m.id AND d.attempts = m.attempt_no AND d.lease_owner = $1
          RETURNING d.id",
        )
        .bind(worker_id)
        .bind(deliveries.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(
            deliveries
                .iter()
                .map(|(_, n)| i32::try_from(*n).unwrap_or(i32::MAX))
                .collect::<Vec<_>>(),
        )
        .fetch_all(self.pool())
        .await?;
        Ok(marked)
    }

    pub async fn release(&self, worker_id: &str, delivery_ids: &[i64]) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET state = 'queued', attempts = attempts - 1,
                    lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL, sending_since = NULL
              WHERE id = ANY($2) AND lease_owner = $1 AND state = 'in_flight'",
        )
        .bind(worker_id)
        .bind(delivery_ids)
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
        let (keys, positions): (Vec<String>, Vec<DateTime<Utc>>) =
            key_positions.iter().map(|(k, t)| (k.clone(), *t)).unzip();
        sqlx::query(
            "WITH deliveries_renewed AS (
                UPDATE deliveries SET lease_expires_at = now() + $2 * interval '1 millisecond'
                 WHERE lease_owner = $1 AND state = 'in_flight'
                   AND lease_expires_at < now() + $6 * interval '1 millisecond'
             )
             UPDATE rate_key_leases l
                SET expires_at = now() + $3 * interval '1 millisecond',
                    next_send_at = coalesce(
                        (SELECT p.next_send_at FROM unnest($4::text[], $5::timestamptz[]) AS p(key, next_send_at)
                          WHERE p.key = l.key),
                        l.next_send_at)
              WHERE l.worker_id = $1",
        )
        .bind(worker_id)
        .bind(millis(lease))
        .bind(millis(key_lease))
        .bind(keys)
        .bind(positions)
        .bind(millis(lease.mul_f64(crate::RENEW_WHEN_LEFT)))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn release_keys(
        &self,
        worker_id: &str,
        key_positions: &HashMap<String, DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let (keys, positions): (Vec<String>, Vec<DateTime<Utc>>) =
            key_positions.iter().map(|(k, t)| (k.clone(), *t)).unzip();
        sqlx::query(
            "UPDATE rate_key_leases l SET expires_at = now() - interval '1 millisecond', next_send_at = p.next_send_at
               FROM unnest($2::text[], $3::timestamptz[]) AS p(key, next_send_at)
              WHERE l.key = p.key AND l.worker_id = $1",
        )
        .bind(worker_id)
        .bind(keys)
        .bind(positions)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// Applies records inside `tx` in one statement, each fenced on its owner's lease: see
/// [`crate::record`]. The deliveries are read as they were before the statement (its
/// snapshot), so events name the endpoint each attempt used.
const APPLY: &str = "
WITH input AS (
    SELECT * FROM unnest($2::int8[], $3::int4[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[],
                         $8::text[], $9::int4[], $10::text[], $11::text[], $12::int4[], $13::text[], $14::text[],
                         $15::text[], $16::int8[], $17::text[], $18::text[], $19::text[], $20::text[], $21::int4[],
                         $22::bool[], $23::bool[], $24::text[], $25::text[], $26::text[], $27::text[], $28::bool[])
        AS t(delivery_id, attempt_no, owner, started_at, finished_at, outcome,
             endpoint, remote_code, remote_text, sent_sha256, duration_ms, note, note_if_lost,
             next_state, delay_ms, last_error, new_channel, new_endpoint, new_rate_key, max_attempts,
             possibly_accepted, is_attempt, event_kind, event_reason, event_to_channel, event_to_endpoint,
             spends_budget)
), before AS (
    -- By primary key: a join would let the planner read every delivery.
    SELECT d.id, d.batch_id, d.signature_id, d.channel, d.endpoint, d.recipient_id
      FROM deliveries d WHERE d.id = ANY($2::int8[])
), moved AS (
    UPDATE deliveries d
       SET state = i.next_state,
           due_at = CASE WHEN i.next_state = 'queued' THEN now() + i.delay_ms * interval '1 millisecond'
                         ELSE d.due_at END,
           lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL, sending_since = NULL,
           last_error = i.last_error,
           finalized_at = CASE WHEN i.next_state = 'queued' THEN NULL ELSE now() END,
           channel = coalesce(i.new_channel, d.channel),
           endpoint = coalesce(i.new_endpoint, d.endpoint),
           rate_key = coalesce(i.new_rate_key, d.rate_key),
           max_attempts = coalesce(i.max_attempts, d.max_attempts),
           possibly_accepted = i.possibly_accepted,
           attempts = d.attempts - CASE WHEN i.spends_budget THEN 0 ELSE 1 END
      FROM input i
     -- In flight is implied by the owner; see mark_sending for why it is left out.
     WHERE d.id = i.delivery_id AND d.lease_owner = i.owner AND d.attempts = i.attempt_no
 RETURNING d.id
), recorded AS (
    INSERT INTO attempts (delivery_id, attempt_no, worker_id, started_at, finished_at, outcome, endpoint,
                          remote_code, remote_text, sent_sha256, duration_ms, note, channel)
    SELECT i.delivery_id, i.attempt_no, i.owner, i.started_at, i.finished_at, i.outcome, i.endpoint,
           i.remote_code, i.remote_text, i.sent_sha256, i.duration_ms,
           CASE WHEN mv.id IS NOT NULL THEN i.note ELSE i.note_if_lost END,
           bf.channel
      FROM input i JOIN before bf ON bf.id = i.delivery_id
      -- Joined rather than tested row by row with `IN (SELECT id FROM moved)` (a subplan).
      LEFT JOIN moved mv ON mv.id = i.delivery_id
     WHERE i.is_attempt
 RETURNING id, delivery_id
), evented AS (
    INSERT INTO delivery_events (delivery_id, kind, actor, attempt_no, from_channel, from_endpoint,
                                 to_channel, to_endpoint, reason)
    SELECT i.delivery_id, i.event_kind, $1, CASE WHEN i.spends_budget THEN i.attempt_no END,
           bf.channel, bf.endpoint, i.event_to_channel, i.event_to_endpoint, i.event_reason
      FROM input i JOIN before bf ON bf.id = i.delivery_id JOIN moved mv ON mv.id = i.delivery_id
     WHERE i.event_kind IS NOT NULL
 RETURNING id, delivery_id
)
SELECT bf.id AS delivery_id, bf.batch_id, bf.signature_id, bf.channel, bf.endpoint, rc.key AS recipient,
       m.id IS NOT NULL AS moved, r.id AS attempt_id, e.id AS event_id, sg.salt AS signer_salt
  FROM before bf
  JOIN recipients rc ON rc.id = bf.recipient_id
  -- By key per record, as in `letter_parts`: a join may hash every signature.
  LEFT JOIN LATERAL (SELECT sg.salt FROM signatures sg WHERE sg.id = bf.signature_id OFFSET 0) sg ON true
  LEFT JOIN moved m ON m.id = bf.id
  LEFT JOIN recorded r ON r.delivery_id = bf.id
  LEFT JOIN evented e ON e.delivery_id = bf.id";

async fn apply<'a>(
    tx: &mut sqlx::PgConnection,
    actor: &str,
    records: &[(&'a str, &'a AttemptRecord)],
) -> Result<Vec<Applied<'a>>, StoreError> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let column = |f: &dyn Fn(&str, &AttemptRecord) -> Option<String>| -> Vec<Option<String>> {
        records.iter().map(|(owner, r)| f(owner, r)).collect()
    };
    let to = |r: &AttemptRecord| {
        r.transition
            .route
            .as_ref()
            .and_then(|route| route.to.clone())
    };
    let event = |r: &AttemptRecord| r.event().map(|e| (e.kind.as_str(), e.reason.to_string()));
    let rows = sqlx::query(APPLY)
        .bind(actor)
        .bind(
            records
                .iter()
                .map(|(_, r)| r.delivery_id)
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(_, r)| i32::try_from(r.attempt_no).unwrap_or(i32::MAX))
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(owner, _)| owner.to_string())
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(_, r)| r.started_at)
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(_, r)| r.finished_at)
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(_, r)| r.outcome.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(_, r)| r.endpoint.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(_, r)| r.remote_code)
                .collect::<Vec<_>>(),
        )
        .bind(column(&|_, r| r.remote_text.clone()))
        .bind(column(&|_, r| r.sent_sha256.clone()))
        .bind(
            records
                .iter()
                .map(|(_, r)| r.duration_ms())
                .collect::<Vec<_>>(),
        )
        .bind(column(&|_, r| record::stored_note(r, true)))
        .bind(column(&|_, r| record::stored_note(r, false)))
        .bind(
            records
                .iter()
                .map(|(_, r)| r.transition.state.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(_, r)| r.due_in_ms())
                .collect::<Vec<_>>(),
        )
        .bind(column(&|_, r| r.transition.last_error.clone()))
        .bind(column(&|_, r| {
            to(r).map(|e| e.channel.as_str().to_string())
        }))
        .bind(column(&|_, r| to(r).map(|e| e.address)))
        .bind(column(&|_, r| to(r).map(|e| e.rate_key)))
        .bind(
            records
                .iter()
                .map(|(_, r)| {
                    r.transition
                        .max_attempts
                        .map(|n| i32::try_from(n).unwrap_or(i32::MAX))
                })
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(_, r)| r.transition.possibly_accepted)
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(_, r)| r.transition.is_attempt)
                .collect::<Vec<_>>(),
        )
        .bind(column(&|_, r| event(r).map(|(kind, _)| kind.to_string())))
        .bind(column(&|_, r| event(r).map(|(_, reason)| reason)))
        .bind(column(&|_, r| {
            r.event()
                .and_then(|e| e.to)
                .map(|e| e.channel.as_str().to_string())
        }))
        .bind(column(&|_, r| {
            r.event().and_then(|e| e.to).map(|e| e.address.clone())
        }))
        .bind(
            records
                .iter()
                .map(|(_, r)| r.transition.spends_budget)
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut *tx)
        .await?;
    let mut by_delivery: HashMap<i64, PgRow> = HashMap::with_capacity(rows.len());
    for row in rows {
        by_delivery.insert(row.try_get("delivery_id")?, row);
    }
    let mut applied = Vec::with_capacity(records.len());
    for (owner, record) in records {
        let Some(row) = by_delivery.get(&record.delivery_id) else {
            continue;
        };
        applied.push(Applied {
            record,
            owner,
            before: before(row)?,
            applied: row.try_get("moved")?,
            attempt_id: row.try_get("attempt_id")?,
            event_id: row.try_get("event_id")?,
        });
    }
    Ok(applied)
}

impl Writes for PgWrite {
    const EXPIRED_WHILE_SENDING: &'static str =
        expired_while_sending!(" FOR UPDATE OF d SKIP LOCKED");
    const REQUEUE_EXPIRED_UNSENT: &'static str = requeue_expired_unsent!(" FOR UPDATE SKIP LOCKED");

    async fn apply<'a>(
        &mut self,
        actor: &str,
        records: &[(&'a str, &'a AttemptRecord)],
    ) -> Result<Vec<Applied<'a>>, StoreError> {
        apply(self.conn(), actor, records).await
    }

    async fn take_receipt_pass(&mut self) -> Result<bool, StoreError> {
        // A transaction-scoped advisory lock; a housekeeper that does not get it skips the
        // pass.
        Ok(sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(RECEIPT_PASS_LOCK)
            .fetch_one(self.conn())
            .await?)
    }
}
