//! PostgreSQL's statements for a worker's leases (what they do is written once in
//! `crate::logic::claims`): each is one statement (one round trip) over arrays, however
//! many deliveries or keys it covers.

use crate::logic::claims::{self, Claims};
use crate::logic::queue::claimed_delivery;
use crate::logic::sql::{Arg, Columns, Run};
use crate::logic::{Write, WriteTx};
use crate::{Claim, ClaimRequest, StoreResult};

/// Candidates are due queued rows of running batches, oldest first, skipping rows other
/// workers have locked and rows whose limited key another worker holds. Each running batch's
/// due rows are walked in order through `deliveries_due_by_batch` (a plan that does not
/// depend on statistics: see migration 0008), up to the limit each, and the oldest of those
/// are claimed. Limited keys among them are leased (or renewed) in the same statement: the
/// upsert only wins when the lease is free, expired or already ours, and only rows of won
/// keys (or unlimited keys) are claimed; the other candidates are simply left for their
/// key's holder. Claimed rows of channels `$9` on unlimited keys are marked sending in the
/// same write (see `ClaimRequest::mark_sending_on_claim`).
const CLAIM: &str = concat!(
    "
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
           AND NOT ",
    claims::key_held_by_another!("$1"),
    "
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
    ",
    claims::win_key_lease!(),
    "
    RETURNING l.key, l.next_send_at
), claimed AS (
    UPDATE deliveries d
       SET state = 'in_flight', lease_owner = $1, leased_at = now(),
           lease_expires_at = now() + $4 * interval '1 millisecond', attempts = d.attempts + 1,
           sending_since = CASE WHEN d.channel = ANY($9::text[])
                                 AND c.rate_key NOT IN (SELECT key FROM limited_key) THEN now() END
      FROM candidate c
     WHERE d.id = c.id
       AND (c.rate_key IN (SELECT key FROM won_key) OR c.rate_key NOT IN (SELECT key FROM limited_key))
 RETURNING d.id, d.batch_id, d.recipient_id, d.signature_id, d.message_id, d.attempts, d.max_attempts,
           d.channel, d.endpoint, d.rate_key, d.possibly_accepted, d.sending_since IS NOT NULL AS marked_sending
)
SELECT c.*, NULL::text AS key, NULL::timestamptz AS next_send_at FROM claimed c
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, w.key, w.next_send_at
  FROM won_key w"
);

impl Claims for sqlx::Postgres {
    // Each delivery's recipient, message and signer by primary key (`OFFSET 0` keeps each
    // lateral subquery a lookup per delivery). As plain joins, the planner hashed whole
    // tables for a claim of a few hundred: every signature and message of the database read
    // per claim (20,000 of each in the email benchmark, half the claims), a cost that grew
    // with the tables rather than with the claim.
    const LETTER_PARTS: &'static str = claims::select_letter_parts!(
        "CROSS JOIN LATERAL (SELECT r.name, r.endpoints FROM recipients r
                             WHERE r.id = d.recipient_id OFFSET 0) r
         CROSS JOIN LATERAL (SELECT m.language, m.subject, m.body_markdown FROM messages m
                             WHERE m.id = d.message_id OFFSET 0) m
          LEFT JOIN LATERAL (SELECT s.* FROM signatures s WHERE s.id = d.signature_id OFFSET 0) s ON true"
    );

    // `lease_owner = $1` implies in flight (a check constraint), and leaving the state out
    // keeps the planner off `deliveries_in_flight`: estimating it empty, it joined every
    // in-flight row to every mark (quadratic). By primary key instead.
    const MARK_SENDING: &'static str = "UPDATE deliveries d SET sending_since = now()
       FROM unnest($2::int8[], $3::int8[]) AS m(id, attempt_no)
      WHERE d.id = m.id AND d.attempts = m.attempt_no AND d.lease_owner = $1
      RETURNING d.id";

    const RENEW_KEY_LEASES: &'static str = "UPDATE rate_key_leases l
        SET expires_at = now() + $2 * interval '1 millisecond',
            next_send_at = coalesce(
                (SELECT p.next_send_at FROM unnest($3::text[], $4::timestamptz[]) AS p(key, next_send_at)
                  WHERE p.key = l.key),
                l.next_send_at)
      WHERE l.worker_id = $1";

    const RELEASE_KEYS: &'static str = "UPDATE rate_key_leases l
        SET expires_at = now() - interval '1 millisecond', next_send_at = p.next_send_at
       FROM unnest($2::text[], $3::timestamptz[]) AS p(key, next_send_at)
      WHERE l.key = p.key AND l.worker_id = $1";

    async fn claim(tx: &mut WriteTx<Self>, request: &ClaimRequest<'_>) -> StoreResult<Claim> {
        let args = [
            Arg::Text(request.worker_id),
            Arg::Int(i64::from(request.limit)),
            Arg::Strings(request.exclude_keys),
            Arg::Int(claims::millis(request.lease)),
            Arg::Flag(request.policy.default_limited),
            Arg::Strings(&request.policy.limited),
            Arg::Strings(&request.policy.unlimited),
            Arg::Int(claims::millis(request.key_lease)),
            Arg::Strings(&claims::channel_names(request.mark_sending_on_claim)),
        ];
        let mut claim = Claim::default();
        for row in tx.db().rows(CLAIM, &args).await? {
            match row.opt_text("key")? {
                Some(_) => claim.keys.push(claims::key_lease(&row)?),
                None => claim.deliveries.push(claimed_delivery(&row)?),
            }
        }
        Ok(claim)
    }
}
