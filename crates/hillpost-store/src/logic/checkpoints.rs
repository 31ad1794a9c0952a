//! Signed checkpoints, signing keys and the cross-check, written once (what they decide is
//! `crate::checkpoints`). A checkpoint is checked in a read snapshot, so appends go on
//! meanwhile, and only its insert writes. A backend supplies its snapshot, the insert's
//! interval arithmetic and how writers of checkpoints and of signing keys take turns
//! ([`Writes`]).

use std::time::Duration;

use hillpost_core::audit::{
    BrokenLink, ChainHead, Checkpoint, KeyList, PublicKey, PublishedKey, SigningKey, Verifier,
};

use super::audit::{check_events, read_head};
use super::sql::{Arg, Columns, Run};
use super::{Backend, Driver, Statements, Write, WriteTx};
use crate::StoreError;
use crate::checkpoints::{CheckpointWrite, Unrecorded, due, from_row, still_holds, unrecorded};

/// Inserts a checkpoint (`$1` seq, `$2` hash, `$3` at, `$4` key id, `$5` signature) unless
/// one at or after its seq, or younger than `$6` milliseconds before it, exists;
/// `$interval` is `$6` as the backend subtracts it from a time (the only part of the
/// statement whose SQL differs).
macro_rules! insert_checkpoint {
    ($interval:literal) => {
        concat!(
            "INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature)
             SELECT $1, $2, $3, $4, $5
              WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE seq >= $1 OR at > $3 - ",
            $interval,
            ")"
        )
    };
}
pub(crate) use insert_checkpoint;

/// The turns writers of checkpoints and signing keys take (the statements are the
/// backend's: [`Statements::CHECKPOINT_TURN`], [`Statements::SIGNING_KEY_TURN`]).
pub(crate) trait Writes: Write {
    /// Makes writers of checkpoints take turns until the transaction ends.
    async fn take_turn_at_checkpoints(&mut self) -> Result<(), StoreError> {
        take_turn(self, Self::Driver::CHECKPOINT_TURN).await
    }

    /// Makes registrations of signing keys take turns until the transaction ends.
    async fn take_turn_at_signing_keys(&mut self) -> Result<(), StoreError> {
        take_turn(self, Self::Driver::SIGNING_KEY_TURN).await
    }
}

impl<D: Driver> Writes for WriteTx<D> {}

async fn take_turn(tx: &mut impl Write, turn: Option<&'static str>) -> Result<(), StoreError> {
    if let Some(sql) = turn {
        tx.db().exec(sql, &[]).await?;
    }
    Ok(())
}

/// Per table of `checkpoints::CROSS_CHECKED`, in its order: rows newer than the baseline
/// (rows from before the audit trail) without their event, counted, and the first. A
/// delivery event's audit event is found by the text `"event_id":<id>,` of its canonical
/// payload (`from` always follows), not by parsing JSON: an edited payload that no longer
/// parses must be reported by the chain check, not stop the cross-check with an error.
const CROSS_CHECK: [&str; 3] = [
    "SELECT COUNT(*) AS n, COALESCE(MIN(b.id), 0) AS first_id FROM batches b
       LEFT JOIN audit_events e ON e.batch_id = b.id AND e.kind = 'batch.created'
      WHERE e.seq IS NULL AND b.id > COALESCE((SELECT batch_id FROM audit_baseline), 0)",
    "SELECT COUNT(*) AS n, COALESCE(MIN(a.id), 0) AS first_id FROM attempts a
       LEFT JOIN audit_events e ON e.attempt_id = a.id AND e.kind = 'attempt.recorded'
      WHERE e.seq IS NULL AND a.id > COALESCE((SELECT attempt_id FROM audit_baseline), 0)",
    "SELECT COUNT(*) AS n, COALESCE(MIN(d.id), 0) AS first_id FROM delivery_events d
       LEFT JOIN audit_events e ON e.delivery_id = d.delivery_id AND e.kind LIKE 'delivery.%'
            AND e.payload LIKE '%\"event_id\":' || d.id || ',%'
      WHERE e.seq IS NULL AND d.id > COALESCE((SELECT delivery_event_id FROM audit_baseline), 0)",
];

const CHECKPOINTS: &str =
    "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq";

const LATEST: &str =
    "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1";

/// The rows of every table the cross-check covers that have no audit event.
pub(crate) async fn cross_check(db: &mut impl Run) -> Result<Vec<Unrecorded>, StoreError> {
    let mut found = [(0, 0); 3];
    for (sql, slot) in CROSS_CHECK.iter().zip(found.iter_mut()) {
        if let Some(row) = db.row(sql, &[]).await? {
            *slot = (row.int("n")?, row.int("first_id")?);
        }
    }
    Ok(unrecorded(found))
}

/// Every stored checkpoint, oldest first.
pub(crate) async fn stored(db: &mut impl Run) -> Result<Vec<Checkpoint>, StoreError> {
    db.rows(CHECKPOINTS, &[])
        .await?
        .iter()
        .map(checkpoint)
        .collect()
}

pub(crate) async fn latest_checkpoint(
    store: &impl Backend,
) -> Result<Option<Checkpoint>, StoreError> {
    latest(&mut *store.read().await?).await
}

async fn latest(db: &mut impl Run) -> Result<Option<Checkpoint>, StoreError> {
    db.row(LATEST, &[])
        .await?
        .as_ref()
        .map(checkpoint)
        .transpose()
}

fn checkpoint(row: &impl Columns) -> Result<Checkpoint, StoreError> {
    Ok(from_row(
        row.int("seq")?,
        row.text("hash")?,
        row.time("at")?,
        row.text("key_id")?,
        row.text("signature")?,
    ))
}

/// Whether the events after `last` (up to `head`) link to it: only such a chain is signed.
async fn extends(
    conn: &mut impl Run,
    last: Option<&Checkpoint>,
    head: &ChainHead,
) -> Result<Option<BrokenLink>, StoreError> {
    let from = last.map_or_else(ChainHead::genesis, Checkpoint::head);
    let row = conn
        .row(
            "SELECT hash FROM audit_events WHERE seq = $1",
            &[Arg::Int(from.seq)],
        )
        .await?;
    let stored = row.as_ref().map(|row| row.text("hash")).transpose()?;
    if let Some(broken) = still_holds(&from, stored.as_deref()) {
        return Ok(Some(broken));
    }
    let (after, up_to) = (from.seq, head.seq);
    let (_, broken, verifier) = check_events(conn, Verifier::after(from), after, up_to).await?;
    Ok(broken.or_else(|| verifier.finish(head).err()))
}

/// Housekeeping's checkpoint: see [`crate::Store::write_checkpoint`].
pub(crate) async fn write_checkpoint<B: Backend>(
    store: &B,
    key: &SigningKey,
    interval: Duration,
) -> Result<CheckpointWrite, StoreError> {
    let now = store.now().instant();
    let mut snapshot = store.snapshot().await?;
    let last = latest(&mut *snapshot).await?;
    let head = read_head(&mut *snapshot).await?;
    if !due(last.as_ref(), &head, now, interval) {
        return Ok(CheckpointWrite::NotDue);
    }
    if let Some(broken) = extends(&mut *snapshot, last.as_ref(), &head).await? {
        return Ok(CheckpointWrite::Broken(broken));
    }
    snapshot.rollback().await?;
    let checkpoint = Checkpoint::sign(&head, now, key);
    // Another process may have written one meanwhile: then this one is not due.
    let mut tx = store.begin_write().await?;
    tx.take_turn_at_checkpoints().await?;
    let args = [
        Arg::Int(checkpoint.seq),
        Arg::Text(&checkpoint.hash),
        Arg::Time(checkpoint.at),
        Arg::Text(&checkpoint.key_id),
        Arg::Text(&checkpoint.signature),
        Arg::Int(i64::try_from(interval.as_millis()).unwrap_or(i64::MAX)),
    ];
    let written = tx.db().exec(B::Driver::INSERT_CHECKPOINT, &args).await?;
    tx.commit().await?;
    Ok(match written {
        0 => CheckpointWrite::NotDue,
        _ => CheckpointWrite::Written(checkpoint),
    })
}

/// See [`crate::Store::register_signing_key`]: a new key is valid from now, and the one
/// it replaces until now.
pub(crate) async fn register_signing_key(
    store: &impl Backend,
    key: PublicKey,
) -> Result<KeyList, StoreError> {
    let mut tx = store.begin_write().await?;
    tx.take_turn_at_signing_keys().await?;
    let key_id = key.key_id();
    let known = tx
        .db()
        .row(
            "SELECT key_id FROM signing_keys WHERE key_id = $1",
            &[Arg::Text(&key_id)],
        )
        .await?;
    if known.is_none() {
        let mut db = tx.db();
        db.exec(
            "UPDATE signing_keys SET valid_until = now() WHERE valid_until IS NULL",
            &[],
        )
        .await?;
        let public_key = key.to_hex();
        db.exec(
            "INSERT INTO signing_keys (key_id, public_key, valid_from) VALUES ($1, $2, now())",
            &[Arg::Text(&key_id), Arg::Text(&public_key)],
        )
        .await?;
    }
    tx.commit().await?;
    signing_keys(store).await
}

/// Every signing key, the current one first.
pub(crate) async fn signing_keys(store: &impl Backend) -> Result<KeyList, StoreError> {
    let sql = "SELECT key_id, public_key, valid_from, valid_until FROM signing_keys
                ORDER BY valid_until IS NOT NULL, valid_from DESC";
    let rows = store.read().await?.rows(sql, &[]).await?;
    let keys = rows
        .iter()
        .map(|row| {
            Ok(PublishedKey {
                key_id: row.text("key_id")?,
                algorithm: "ed25519".into(),
                public_key: row.text("public_key")?,
                valid_from: row.time("valid_from")?,
                valid_until: row.opt_time("valid_until")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(KeyList { keys })
}
