//! Recording attempts on PostgreSQL (what recording does is written once in
//! `crate::logic::queue`): one statement (one round trip) however many records it covers.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::clock::Now;
use crate::logic::queue::before;
use crate::logic::sql::{Arg, clocked};
use crate::record::{self, Applied};
use crate::{AttemptRecord, StoreError};

/// Applies records inside `tx` in one statement, each fenced on its owner's lease: see
/// [`crate::record`]. The deliveries are read as they were before the statement (its
/// snapshot), so events name the endpoint each attempt used.
pub(super) const APPLY: &str = "
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
    INSERT INTO delivery_events (delivery_id, at, kind, actor, attempt_no, from_channel, from_endpoint,
                                 to_channel, to_endpoint, reason)
    SELECT i.delivery_id, now(), i.event_kind, $1, CASE WHEN i.spends_budget THEN i.attempt_no END,
           bf.channel, bf.endpoint, i.event_to_channel, i.event_to_endpoint, i.event_reason
      FROM input i JOIN before bf ON bf.id = i.delivery_id JOIN moved mv ON mv.id = i.delivery_id
     WHERE i.event_kind IS NOT NULL
 RETURNING id, delivery_id
), written AS (
    -- What each write did, as one row of maps keyed by delivery id, looked up per record.
    -- Joined to `before` instead, the planner (reading ten rows from every unnest) chose
    -- nested loops that rescanned a CTE for each record: quadratic in the group's size.
    SELECT (SELECT jsonb_object_agg(id::text, true) FROM moved) AS moved,
           (SELECT jsonb_object_agg(delivery_id::text, id) FROM recorded) AS attempts,
           (SELECT jsonb_object_agg(delivery_id::text, id) FROM evented) AS events
)
SELECT bf.id AS delivery_id, bf.batch_id, bf.signature_id, bf.channel, bf.endpoint, rc.key AS recipient,
       coalesce(w.moved ? bf.id::text, false) AS moved, (w.attempts ->> bf.id::text)::int8 AS attempt_id,
       (w.events ->> bf.id::text)::int8 AS event_id, sg.salt AS signer_salt
  FROM before bf
 CROSS JOIN written w
  JOIN recipients rc ON rc.id = bf.recipient_id
  -- By key per record, as in `letter_parts`: a join may hash every signature.
  LEFT JOIN LATERAL (SELECT sg.salt FROM signatures sg WHERE sg.id = bf.signature_id OFFSET 0) sg ON true";

pub(super) async fn apply<'a>(
    tx: &mut sqlx::PgConnection,
    actor: &str,
    records: &[(&'a str, &'a AttemptRecord)],
    at: Now,
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
    // Under a clock of this process, `now()` is one more parameter (after the 28 above).
    let (sql, clock) = clocked(APPLY, &[], at);
    let mut query = sqlx::query(sql)
        .bind(actor)
        .bind(
            records
                .iter()
                .map(|(_, r)| r.delivery_id.get())
                .collect::<Vec<_>>(),
        )
        .bind(
            records
                .iter()
                .map(|(_, r)| i32::try_from(r.attempt_no.get()).unwrap_or(i32::MAX))
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
        );
    if let Some(Arg::Time(now)) = clock.first() {
        query = query.bind(*now);
    }
    let rows = query.fetch_all(&mut *tx).await?;
    let mut by_delivery: HashMap<i64, PgRow> = HashMap::with_capacity(rows.len());
    for row in rows {
        by_delivery.insert(row.try_get("delivery_id")?, row);
    }
    let mut applied = Vec::with_capacity(records.len());
    for (owner, record) in records {
        let Some(row) = by_delivery.get(&record.delivery_id.get()) else {
            continue;
        };
        applied.push(Applied {
            record,
            owner,
            before: before(row)?,
            applied: row.try_get("moved")?,
            attempt_id: row.try_get::<Option<i64>, _>("attempt_id")?.map(Into::into),
            event_id: row.try_get::<Option<i64>, _>("event_id")?.map(Into::into),
        });
    }
    Ok(applied)
}
