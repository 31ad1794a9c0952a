//! Signed checkpoints, signing keys and the cross-check on SQLite.

use std::time::Duration;

use chrono::Utc;
use hillpost_core::audit::{
    BrokenLink, ChainHead, Checkpoint, KeyList, PublicKey, PublishedKey, SigningKey, Verifier,
};
use sqlx::SqliteConnection;

use super::audit::{check_events, read_head};
use super::{SqliteStore, millis, ms, time};
use crate::StoreError;
use crate::checkpoints::{CheckpointWrite, Unrecorded, due, from_row, still_holds, unrecorded};

/// Per table of `checkpoints::CROSS_CHECKED`, in its order: rows newer than the baseline
/// (rows from before the audit trail) without their event, counted, and the first. A
/// delivery event's audit event is found by the text `"event_id":<id>,` of its canonical
/// payload (`from` always follows), not by parsing JSON: an edited payload that no longer
/// parses must be reported by the chain check, not stop the cross-check with an error.
const CROSS_CHECK: [&str; 3] = [
    "SELECT COUNT(*), COALESCE(MIN(b.id), 0) FROM batches b
       LEFT JOIN audit_events e ON e.batch_id = b.id AND e.kind = 'batch.created'
      WHERE e.seq IS NULL AND b.id > COALESCE((SELECT batch_id FROM audit_baseline), 0)",
    "SELECT COUNT(*), COALESCE(MIN(a.id), 0) FROM attempts a
       LEFT JOIN audit_events e ON e.attempt_id = a.id AND e.kind = 'attempt.recorded'
      WHERE e.seq IS NULL AND a.id > COALESCE((SELECT attempt_id FROM audit_baseline), 0)",
    "SELECT COUNT(*), COALESCE(MIN(d.id), 0) FROM delivery_events d
       LEFT JOIN audit_events e ON e.delivery_id = d.delivery_id AND e.kind LIKE 'delivery.%'
            AND e.payload LIKE '%\"event_id\":' || d.id || ',%'
      WHERE e.seq IS NULL AND d.id > COALESCE((SELECT delivery_event_id FROM audit_baseline), 0)",
];

pub(super) async fn cross_check(
    conn: &mut SqliteConnection,
) -> Result<Vec<Unrecorded>, StoreError> {
    let mut found = [(0, 0); 3];
    for (sql, slot) in CROSS_CHECK.iter().zip(found.iter_mut()) {
        *slot = sqlx::query_as(*sql).fetch_one(&mut *conn).await?;
    }
    Ok(unrecorded(found))
}

/// Every stored checkpoint, oldest first.
pub(super) async fn stored(conn: &mut SqliteConnection) -> Result<Vec<Checkpoint>, StoreError> {
    let rows: Vec<(i64, String, i64, String, String)> = sqlx::query_as(
        "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(seq, hash, at, key_id, signature)| from_row(seq, hash, time(at), key_id, signature))
        .collect())
}

async fn latest(conn: &mut SqliteConnection) -> Result<Option<Checkpoint>, StoreError> {
    let row: Option<(i64, String, i64, String, String)> = sqlx::query_as(
        "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .map(|(seq, hash, at, key_id, signature)| from_row(seq, hash, time(at), key_id, signature)))
}

/// Whether the events after `last` (up to `head`) link to it: only such a chain is signed.
async fn extends(
    conn: &mut SqliteConnection,
    last: Option<&Checkpoint>,
    head: &ChainHead,
) -> Result<Option<BrokenLink>, StoreError> {
    let from = last.map_or_else(ChainHead::genesis, Checkpoint::head);
    let stored: Option<String> = sqlx::query_scalar("SELECT hash FROM audit_events WHERE seq = ?1")
        .bind(from.seq)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(broken) = still_holds(&from, stored.as_deref()) {
        return Ok(Some(broken));
    }
    let (_, broken, verifier) =
        check_events(conn, Verifier::after(from.clone()), from.seq, head.seq).await?;
    Ok(broken.or_else(|| verifier.finish(head).err()))
}

impl SqliteStore {
    pub async fn write_checkpoint(
        &self,
        key: &SigningKey,
        interval: Duration,
    ) -> Result<CheckpointWrite, StoreError> {
        let now = Utc::now();
        // Checked in a read snapshot, so appends go on meanwhile; only the insert writes.
        let mut tx = self.pool().begin().await?;
        let last = latest(&mut tx).await?;
        let head = read_head(&mut tx).await?;
        if !due(last.as_ref(), &head, now, interval) {
            return Ok(CheckpointWrite::NotDue);
        }
        if let Some(broken) = extends(&mut tx, last.as_ref(), &head).await? {
            return Ok(CheckpointWrite::Broken(broken));
        }
        tx.rollback().await?;
        let checkpoint = Checkpoint::sign(&head, now, key);
        // Another process may have written one meanwhile: then this one is not due.
        let mut tx = self.write().await?;
        let written = sqlx::query(
            "INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature)
             SELECT ?1, ?2, ?3, ?4, ?5
              WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE seq >= ?1 OR at > ?3 - ?6)",
        )
        .bind(checkpoint.seq)
        .bind(&checkpoint.hash)
        .bind(ms(checkpoint.at))
        .bind(&checkpoint.key_id)
        .bind(&checkpoint.signature)
        .bind(millis(interval))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(match written {
            0 => CheckpointWrite::NotDue,
            _ => CheckpointWrite::Written(checkpoint),
        })
    }

    pub async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        latest(&mut conn).await
    }

    pub async fn register_signing_key(&self, key: PublicKey) -> Result<KeyList, StoreError> {
        let now = ms(Utc::now());
        let mut tx = self.write().await?;
        let known: Option<String> =
            sqlx::query_scalar("SELECT key_id FROM signing_keys WHERE key_id = ?1")
                .bind(key.key_id())
                .fetch_optional(&mut *tx)
                .await?;
        if known.is_none() {
            sqlx::query("UPDATE signing_keys SET valid_until = ?1 WHERE valid_until IS NULL")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO signing_keys (key_id, public_key, valid_from) VALUES (?1, ?2, ?3)",
            )
            .bind(key.key_id())
            .bind(key.to_hex())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.signing_keys().await
    }

    pub async fn signing_keys(&self) -> Result<KeyList, StoreError> {
        let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT key_id, public_key, valid_from, valid_until FROM signing_keys
              ORDER BY valid_until IS NOT NULL, valid_from DESC",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(KeyList {
            keys: rows
                .into_iter()
                .map(|(key_id, public_key, from, until)| PublishedKey {
                    key_id,
                    algorithm: "ed25519".into(),
                    public_key,
                    valid_from: time(from),
                    valid_until: until.map(time),
                })
                .collect(),
        })
    }
}
