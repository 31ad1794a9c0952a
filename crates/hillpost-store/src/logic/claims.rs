//! A worker's leases, written once: claiming due deliveries (and their limited rate keys),
//! loading the letters it claimed, marking them sending, giving them back, renewing its
//! leases and handing its keys on. Each backend supplies the statements whose text differs
//! ([`Claims`]): PostgreSQL claims in one statement over arrays; SQLite in a few,
//! inside `BEGIN IMMEDIATE`, over JSON arrays. The clock is the store's (statements say
//! `now()`), so a test clock moves leases as it moves everything else.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hillpost_core::delivery::Channel;
use hillpost_core::ids::{AttemptNo, DeliveryId, numbers};

use super::queue::letter_parts;
use super::signatures::signature_columns;
use super::sql::{Arg, Columns, Run};
use super::{Backend, Statements, Write, WriteTx};
use crate::{Claim, ClaimRequest, KeyLease, LetterParts, StoreError, StoreResult};

/// Gives claimed deliveries back without an attempt: `$1` the worker, `$2` the ids. Only
/// rows still leased to it move; the attempt they were claimed for is given back.
const RELEASE: &str = "UPDATE deliveries SET state = 'queued', attempts = attempts - 1,
        lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL, sending_since = NULL
  WHERE id = ANY($2) AND lease_owner = $1 AND state = 'in_flight'";

/// Renews the leases of `$1`'s in-flight deliveries to `$2` ms from now, those with less
/// than `$3` ms left (the rest need no write yet).
const RENEW_DELIVERY_LEASES: &str = "UPDATE deliveries
    SET lease_expires_at = now() + $2 * interval '1 millisecond'
  WHERE lease_owner = $1 AND state = 'in_flight'
    AND lease_expires_at < now() + $3 * interval '1 millisecond'";

/// Whether a worker other than `$worker` holds delivery `d`'s rate key: a lease of it that
/// has not run out. The rule both backends' claims pass keys by.
macro_rules! key_held_by_another {
    ($worker:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM rate_key_leases l
                      WHERE l.key = d.rate_key AND l.worker_id <> ",
            $worker,
            " AND l.expires_at > now())"
        )
    };
}
pub(crate) use key_held_by_another;

/// How an upsert of a key's lease row (`INSERT INTO rate_key_leases AS l …`) wins it: only
/// when the key is already the worker's or its lease has run out (a free key has no row).
/// The rule both backends' claims lease keys by.
macro_rules! win_key_lease {
    () => {
        "ON CONFLICT (key) DO UPDATE SET worker_id = excluded.worker_id, expires_at = excluded.expires_at
          WHERE l.worker_id = excluded.worker_id OR l.expires_at <= now()"
    };
}
pub(crate) use win_key_lease;

/// [`Claims::LETTER_PARTS`] with a backend's `$joins` of a delivery `d` to its office `r`,
/// its message `m` and its signer `s` (joined as each backend best looks them up).
macro_rules! select_letter_parts {
    ($joins:literal) => {
        concat!(
            "SELECT d.id AS delivery_id, d.kind, d.idempotency_key,
             r.name AS recipient_name, r.endpoints, m.language, m.subject, m.body_markdown,
             s.id AS signature_id, s.email_key, s.email, s.first_name, s.last_name, s.organization,
             s.address_line1, s.address_line2, s.city, s.state, s.postal_code, s.country, s.district,
             s.language AS signer_language, s.phone, s.receipt_consent, s.signed_at, s.source
             FROM deliveries d ",
            $joins,
            " WHERE d.id = ANY($1) ORDER BY d.id"
        )
    };
}
pub(crate) use select_letter_parts;

/// The statements of a worker's leases whose text differs between the backends, and its
/// claim.
pub(crate) trait Claims: Statements {
    /// The letter parts of deliveries `$1`, in id order: each delivery's `delivery_id`,
    /// `kind`, `idempotency_key`, its office's `recipient_name` and `endpoints`, its
    /// message's `language`, `subject`, `body_markdown`, and its signer's columns (the
    /// signer's language as `signer_language`; `signature_id` NULL for none).
    const LETTER_PARTS: &'static str;

    /// Marks deliveries sending, each only while it is still leased to worker `$1` for the
    /// attempt it was claimed for: ids `$2` paired one to one with attempt numbers `$3`.
    /// Returns the `id` of each marked.
    const MARK_SENDING: &'static str;

    /// Renews worker `$1`'s key leases to `$2` ms from now, setting the next send time of
    /// keys `$3` to the times `$4` paired with them (the others keep theirs).
    const RENEW_KEY_LEASES: &'static str;

    /// Hands worker `$1`'s keys `$2` on (expired now), with the next send time `$3` paired
    /// with each, so the next holder keeps the pace.
    const RELEASE_KEYS: &'static str;

    /// Claims up to the request's limit of due deliveries of running batches, and leases
    /// (or renews) their limited keys; only deliveries of won (or unlimited) keys are
    /// claimed, the others are left to their key's holder. Runs inside the caller's write
    /// transaction.
    async fn claim(tx: &mut WriteTx<Self>, request: &ClaimRequest<'_>) -> StoreResult<Claim>;
}

/// Claims due deliveries for a worker, in id order, with the limited keys it now holds.
pub(crate) async fn claim<B: Backend>(
    store: &B,
    request: &ClaimRequest<'_>,
) -> Result<Claim, StoreError> {
    let mut tx = store.begin_write().await?;
    let mut claim = B::Driver::claim(tx.tx(), request).await?;
    if claim.deliveries.is_empty() && claim.keys.is_empty() {
        tx.rollback().await?;
        return Ok(claim);
    }
    tx.commit().await?;
    claim.deliveries.sort_by_key(|d| d.id);
    Ok(claim)
}

/// Letter content for claimed deliveries (message, recipient, signer), in id order.
pub(crate) async fn letter_parts_of<B: Backend>(
    store: &B,
    delivery_ids: &[DeliveryId],
) -> Result<Vec<LetterParts>, StoreError> {
    let ids = numbers(delivery_ids);
    let rows = store
        .read()
        .await?
        .rows(B::Driver::LETTER_PARTS, &[Arg::Ints(&ids)])
        .await?;
    rows.iter()
        .map(|row| {
            let signer = match row.opt_int("signature_id")? {
                None => None,
                Some(id) => Some(signature_columns(row, "signer_language")?.into_signature(id)?),
            };
            letter_parts(row, signer)
        })
        .collect()
}

/// Marks claimed deliveries as sending (each with the attempt it was claimed for); the ids
/// still leased to `worker_id` for that attempt, which are the only ones it may send.
pub(crate) async fn mark_sending<B: Backend>(
    store: &B,
    worker_id: &str,
    deliveries: &[(DeliveryId, AttemptNo)],
) -> Result<Vec<DeliveryId>, StoreError> {
    let (ids, attempts): (Vec<i64>, Vec<i64>) = deliveries
        .iter()
        .map(|&(id, n)| (id.get(), i64::from(n)))
        .unzip();
    let args = [Arg::Text(worker_id), Arg::Ints(&ids), Arg::Ints(&attempts)];
    store
        .read_now()
        .await?
        .db()
        .rows(B::Driver::MARK_SENDING, &args)
        .await?
        .iter()
        .map(|row| Ok(row.int("id")?.into()))
        .collect()
}

/// Gives claimed deliveries back without an attempt (a paused batch, shutting down); how
/// many were still the worker's to give.
pub(crate) async fn release<B: Backend>(
    store: &B,
    worker_id: &str,
    delivery_ids: &[DeliveryId],
) -> Result<u64, StoreError> {
    let ids = numbers(delivery_ids);
    let args = [Arg::Text(worker_id), Arg::Ints(&ids)];
    store.read().await?.exec(RELEASE, &args).await
}

/// Renews a worker's leases (deliveries and keys) and records where each key's pace stands.
pub(crate) async fn heartbeat<B: Backend>(
    store: &B,
    worker_id: &str,
    lease: Duration,
    key_lease: Duration,
    key_positions: &HashMap<String, DateTime<Utc>>,
) -> Result<(), StoreError> {
    let (keys, positions) = split(key_positions);
    let mut tx = store.begin_write().await?;
    let renew_when_left = lease.mul_f64(crate::RENEW_WHEN_LEFT);
    let args = [
        Arg::Text(worker_id),
        Arg::Int(millis(lease)),
        Arg::Int(millis(renew_when_left)),
    ];
    tx.db().exec(RENEW_DELIVERY_LEASES, &args).await?;
    let args = [
        Arg::Text(worker_id),
        Arg::Int(millis(key_lease)),
        Arg::Strings(&keys),
        Arg::Times(&positions),
    ];
    tx.db().exec(B::Driver::RENEW_KEY_LEASES, &args).await?;
    tx.commit().await
}

/// Hands a worker's keys on (when it stops), with the pace each had reached.
pub(crate) async fn release_keys<B: Backend>(
    store: &B,
    worker_id: &str,
    key_positions: &HashMap<String, DateTime<Utc>>,
) -> Result<(), StoreError> {
    let (keys, positions) = split(key_positions);
    let args = [
        Arg::Text(worker_id),
        Arg::Strings(&keys),
        Arg::Times(&positions),
    ];
    store
        .read_now()
        .await?
        .db()
        .exec(B::Driver::RELEASE_KEYS, &args)
        .await?;
    Ok(())
}

/// A row of a key a claim won: its `key` and `next_send_at`.
pub(crate) fn key_lease(row: &impl Columns) -> Result<KeyLease, StoreError> {
    Ok(KeyLease {
        key: row.text("key")?,
        next_send_at: row.opt_time("next_send_at")?,
    })
}

/// A span as the whole milliseconds statements bind.
pub(crate) fn millis(span: Duration) -> i64 {
    i64::try_from(span.as_millis()).unwrap_or(i64::MAX)
}

/// Channels as statements bind them.
pub(crate) fn channel_names(channels: &[Channel]) -> Vec<String> {
    channels.iter().map(|c| c.as_str().to_string()).collect()
}

fn split(key_positions: &HashMap<String, DateTime<Utc>>) -> (Vec<String>, Vec<DateTime<Utc>>) {
    key_positions.iter().map(|(k, t)| (k.clone(), *t)).unzip()
}
