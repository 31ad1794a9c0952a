//! Appending to and reading the audit chain on PostgreSQL.
//!
//! Many worker processes append at once, so appends are serialised on the one-row
//! `audit_head`, locked as the *last* step of the transaction that made the change: one
//! statement (`hillpost_audit_append`, migration 0009) locks the head, gives the events
//! their places and hashes, inserts them and moves the head; then commit. The head is held
//! for that statement and the commit only (no other row lock is waited for while holding
//! it, so it cannot take part in a deadlock), and a group of attempts takes it once however
//! many events it appends.

use chrono::Utc;
use futures::TryStreamExt;
use hillpost_core::audit::{
    Anchor, BrokenLink, ChainHead, ChainedEvent, NewEvent, Subjects, Verifier, unsealed,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::PgStore;
use crate::{ChainReport, StoreError};

pub(crate) async fn append(
    conn: &mut PgConnection,
    events: Vec<NewEvent>,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let events = unsealed(Utc::now(), events);
    macro_rules! column {
        ($e:ident => $value:expr) => {
            events.iter().map(|$e| $value).collect::<Vec<_>>()
        };
    }
    sqlx::query("SELECT hillpost_audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(column!(e => e.canonical_prefix.as_str()))
        .bind(column!(e => e.at))
        .bind(column!(e => e.kind.as_str()))
        .bind(column!(e => e.actor.as_str()))
        .bind(column!(e => e.subjects.campaign_id.as_deref()))
        .bind(column!(e => e.subjects.batch_id))
        .bind(column!(e => e.subjects.delivery_id))
        .bind(column!(e => e.subjects.attempt_id))
        .bind(column!(e => e.payload.as_str()))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl PgStore {
    /// The stored hash of event `seq`, if there is one.
    pub async fn audit_event_hash(&self, seq: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT hash FROM audit_events WHERE seq = $1")
                .bind(seq)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// `(attempt_id, payload)` of a batch's `attempt.recorded` events, for the export.
    pub(crate) async fn attempt_event_payloads(
        &self,
        batch_id: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT attempt_id, payload FROM audit_events
              WHERE batch_id = $1 AND kind = 'attempt.recorded' AND attempt_id IS NOT NULL",
        )
        .bind(batch_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Recomputes the whole chain in one snapshot (so appends going on meanwhile neither
    /// break nor extend what is checked), streaming the events, holding it to the stored
    /// checkpoints and `anchors`; then the cross-check, in the same snapshot.
    pub async fn verify_audit(&self, anchors: Vec<Anchor>) -> Result<ChainReport, StoreError> {
        let mut tx = self.snapshot().await?;
        let head = read_head(&mut tx).await?;
        let stored = super::checkpoints::stored(&mut tx).await?;
        let checkpoints = anchors.len() + stored.len();
        let anchors = anchors
            .into_iter()
            .chain(stored.iter().map(crate::checkpoints::stored_anchor));
        let (verified, broken, verifier) =
            check_events(&mut tx, Verifier::with_anchors(anchors), 0, i64::MAX).await?;
        let unrecorded = super::checkpoints::cross_check(&mut tx).await?;
        let (altered, altered_count) = crate::altered::altered_attempts(&mut *tx).await?;
        tx.rollback().await?;
        let broken = match broken {
            Some(link) => Some(link),
            None => verifier.finish(&head).err(),
        };
        Ok(ChainReport {
            verified,
            head,
            broken,
            checkpoints,
            unrecorded,
            altered,
            altered_count,
        })
    }

    /// A read-only transaction seeing one snapshot throughout.
    pub(super) async fn snapshot(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

pub(super) async fn read_head(conn: &mut PgConnection) -> Result<ChainHead, StoreError> {
    let (seq, hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
    Ok(ChainHead { seq, hash })
}

/// Feeds the events with `after < seq <= up_to` to `verifier`, streaming; stops at the
/// first broken link. Returns how many checked out, the broken link, and the verifier.
pub(super) async fn check_events(
    conn: &mut PgConnection,
    mut verifier: Verifier,
    after: i64,
    up_to: i64,
) -> Result<(u64, Option<BrokenLink>, Verifier), StoreError> {
    let mut verified = 0;
    let mut rows = sqlx::query(
        "SELECT seq, at, kind, actor, campaign_id, batch_id, delivery_id, attempt_id, payload, prev_hash, hash
           FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq",
    )
    .bind(after)
    .bind(up_to)
    .fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        if let Err(link) = verifier.check(&event(&row)?) {
            return Ok((verified, Some(link), verifier));
        }
        verified += 1;
    }
    Ok((verified, None, verifier))
}

fn event(row: &PgRow) -> Result<ChainedEvent, sqlx::Error> {
    Ok(ChainedEvent {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        kind: row.try_get("kind")?,
        actor: row.try_get("actor")?,
        subjects: Subjects {
            campaign_id: row.try_get("campaign_id")?,
            batch_id: row.try_get("batch_id")?,
            delivery_id: row.try_get("delivery_id")?,
            attempt_id: row.try_get("attempt_id")?,
        },
        payload: row.try_get("payload")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}
