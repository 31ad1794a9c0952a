//! Recording attempts on SQLite (what recording and housekeeping do is written once in
//! `crate::logic::queue`): row by row inside `BEGIN IMMEDIATE` (SQLite has one writer at a
//! time, so no row locks are needed).

use std::collections::HashMap;

use sqlx::Row;

use super::{SqliteWrite, json_list, ms};
use crate::logic::queue::{Writes, before, expired_while_sending, requeue_expired_unsent};
use crate::record::{self, Applied, Before};
use crate::{AttemptRecord, StoreError};

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
    // `BEGIN IMMEDIATE`: this transaction is the only writer already.
    const TAKE_RECEIPT_PASS: Option<&'static str> = None;

    async fn apply<'a>(
        &mut self,
        actor: &str,
        records: &[(&'a str, &'a AttemptRecord)],
    ) -> Result<Vec<Applied<'a>>, StoreError> {
        let now = self.now;
        apply(self.conn(), actor, records, now).await
    }
}
