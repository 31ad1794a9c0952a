//! SQLite's statements for a worker's leases (what they do is written once in
//! `crate::logic::claims`). Lists are JSON arrays; a claim is a few statements inside the
//! caller's `BEGIN IMMEDIATE` (one writer at a time, so no row locks are needed).

use std::collections::BTreeSet;

use crate::logic::claims::{self, Claims};
use crate::logic::queue::claimed_delivery;
use crate::logic::sql::{Arg, Columns, Run};
use crate::logic::{Write, WriteTx};
use crate::{Claim, ClaimRequest, StoreError, StoreResult};

/// Due queued deliveries of running batches, oldest first, but those of keys `$1` (the
/// worker has enough of them) and of keys another worker than `$2` holds; up to `$3`.
const CANDIDATES: &str = concat!(
    "SELECT d.id, d.rate_key, d.channel FROM deliveries d
      WHERE d.state = 'queued' AND d.due_at <= now()
        AND EXISTS (SELECT 1 FROM batches b WHERE b.id = d.batch_id AND b.state = 'running')
        AND NOT (d.rate_key = ANY($1))
        AND NOT ",
    claims::key_held_by_another!("$2"),
    " ORDER BY d.due_at, d.id LIMIT $3"
);

/// Leases key `$1` to worker `$2` for `$3` ms when it is free, expired or already the
/// worker's; the key and its pace when won.
const LEASE_KEY: &str = concat!(
    "INSERT INTO rate_key_leases AS l (key, worker_id, expires_at)
     VALUES ($1, $2, now() + $3 * interval '1 millisecond') ",
    claims::win_key_lease!(),
    " RETURNING key, next_send_at"
);

/// Leases deliveries `$1` to worker `$2` for `$3` ms, for their next attempt, marking those
/// among `$4` sending.
const CLAIM_DELIVERIES: &str = "UPDATE deliveries
    SET state = 'in_flight', lease_owner = $2, leased_at = now(),
        lease_expires_at = now() + $3 * interval '1 millisecond', attempts = attempts + 1,
        sending_since = CASE WHEN id = ANY($4) THEN now() END
  WHERE id = ANY($1)
  RETURNING id, batch_id, recipient_id, signature_id, message_id, attempts, max_attempts, channel,
            endpoint, rate_key, possibly_accepted, sending_since IS NOT NULL AS marked_sending";

impl Claims for sqlx::Sqlite {
    const LETTER_PARTS: &'static str = claims::select_letter_parts!(
        "JOIN recipients r ON r.id = d.recipient_id
         JOIN messages m ON m.id = d.message_id
         LEFT JOIN signatures s ON s.id = d.signature_id"
    );

    const MARK_SENDING: &'static str = "UPDATE deliveries SET sending_since = now()
      WHERE state = 'in_flight' AND lease_owner = $1
        AND (id, attempts) IN (SELECT i.value, n.value FROM json_each($2) i
                                 JOIN json_each($3) n ON n.key = i.key)
      RETURNING id";

    const RENEW_KEY_LEASES: &'static str = "UPDATE rate_key_leases
        SET expires_at = now() + $2 * interval '1 millisecond',
            next_send_at = coalesce((SELECT t.value FROM json_each($3) k JOIN json_each($4) t ON t.key = k.key
                                      WHERE k.value = rate_key_leases.key), next_send_at)
      WHERE worker_id = $1";

    const RELEASE_KEYS: &'static str = "UPDATE rate_key_leases
        SET expires_at = now() - 1, next_send_at = t.value
       FROM json_each($2) k JOIN json_each($3) t ON t.key = k.key
      WHERE rate_key_leases.key = k.value AND rate_key_leases.worker_id = $1";

    async fn claim(tx: &mut WriteTx<Self>, request: &ClaimRequest<'_>) -> StoreResult<Claim> {
        let args = [
            Arg::Strings(request.exclude_keys),
            Arg::Text(request.worker_id),
            Arg::Int(i64::from(request.limit)),
        ];
        let candidates = tx
            .db()
            .rows(CANDIDATES, &args)
            .await?
            .iter()
            .map(|row| Ok((row.int("id")?, row.text("rate_key")?, row.text("channel")?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut claim = Claim::default();
        if candidates.is_empty() {
            return Ok(claim);
        }
        let limited: BTreeSet<&str> = candidates
            .iter()
            .map(|(_, key, _)| key.as_str())
            .filter(|key| request.policy.is_limited(key))
            .collect();
        for key in &limited {
            let args = [
                Arg::Text(key),
                Arg::Text(request.worker_id),
                Arg::Int(claims::millis(request.key_lease)),
            ];
            if let Some(row) = tx.db().row(LEASE_KEY, &args).await? {
                claim.keys.push(claims::key_lease(&row)?);
            }
        }
        let ids: Vec<i64> = candidates
            .iter()
            .filter(|(_, key, _)| {
                !limited.contains(key.as_str()) || claim.keys.iter().any(|k| &k.key == key)
            })
            .map(|(id, _, _)| *id)
            .collect();
        let marked_channels = claims::channel_names(request.mark_sending_on_claim);
        let marked: Vec<i64> = candidates
            .iter()
            .filter(|(_, key, channel)| {
                !limited.contains(key.as_str()) && marked_channels.contains(channel)
            })
            .map(|(id, _, _)| *id)
            .collect();
        let args = [
            Arg::Ints(&ids),
            Arg::Text(request.worker_id),
            Arg::Int(claims::millis(request.lease)),
            Arg::Ints(&marked),
        ];
        for row in tx.db().rows(CLAIM_DELIVERIES, &args).await? {
            claim.deliveries.push(claimed_delivery(&row)?);
        }
        Ok(claim)
    }
}
