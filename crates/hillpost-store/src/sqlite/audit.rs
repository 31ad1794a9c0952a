//! Appending to and reading the audit chain on SQLite. Appends run inside the `BEGIN
//! IMMEDIATE` transaction of the change they record, which already holds the one write
//! lock, so reading the head and writing after it cannot interleave with another writer.

use chrono::Utc;
use futures::TryStreamExt;
use hillpost_core::audit::{
    Anchor, BrokenLink, ChainHead, ChainedEvent, NewEvent, Subjects, Verifier, seal,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::{SqliteStore, ms, time};
use crate::{ChainReport, StoreError};

/// 11 bound values per event; SQLite allows 32,766 per statement.
const EVENTS_PER_STATEMENT: usize = 2_000;

pub(crate) async fn append(
    conn: &mut SqliteConnection,
    events: Vec<NewEvent>,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let head: (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let (sealed, head) = seal(
        &ChainHead {
            seq: head.0,
            hash: head.1,
        },
        Utc::now(),
        events,
    );
    for chunk in sealed.chunks(EVENTS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO audit_events (seq, at, kind, actor, campaign_id, batch_id, delivery_id, attempt_id, payload,
                    prev_hash, hash) ",
        );
        query.push_values(chunk, |mut row, e| {
            row.push_bind(e.seq)
                .push_bind(ms(e.at))
                .push_bind(e.kind.as_str())
                .push_bind(e.actor.as_str())
                .push_bind(e.subjects.campaign_id.as_deref())
                .push_bind(e.subjects.batch_id)
                .push_bind(e.subjects.delivery_id)
                .push_bind(e.subjects.attempt_id)
                .push_bind(e.payload.as_str())
                .push_bind(e.prev_hash.as_str())
                .push_bind(e.hash.as_str());
        });
        query.build().execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1")
        .bind(head.seq)
        .bind(&head.hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl SqliteStore {
    /// The stored hash of event `seq`, if there is one.
    pub async fn audit_event_hash(&self, seq: i64) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT hash FROM audit_events WHERE seq = ?1")
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
              WHERE batch_id = ?1 AND kind = 'attempt.recorded' AND attempt_id IS NOT NULL",
        )
        .bind(batch_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Recomputes the whole chain inside one read transaction (a WAL snapshot), streaming,
    /// holding it to the stored checkpoints and `anchors`; then the cross-check.
    pub async fn verify_audit(&self, anchors: Vec<Anchor>) -> Result<ChainReport, StoreError> {
        let mut tx = self.pool().begin().await?;
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
}

pub(super) async fn read_head(conn: &mut SqliteConnection) -> Result<ChainHead, StoreError> {
    let (seq, hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
    Ok(ChainHead { seq, hash })
}

/// Feeds the events with `after < seq <= up_to` to `verifier`, streaming; stops at the
/// first broken link. Returns how many checked out, the broken link, and the verifier.
pub(super) async fn check_events(
    conn: &mut SqliteConnection,
    mut verifier: Verifier,
    after: i64,
    up_to: i64,
) -> Result<(u64, Option<BrokenLink>, Verifier), StoreError> {
    let mut verified = 0;
    let mut rows = sqlx::query(
        "SELECT seq, at, kind, actor, campaign_id, batch_id, delivery_id, attempt_id, payload, prev_hash, hash
           FROM audit_events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
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

fn event(row: &SqliteRow) -> Result<ChainedEvent, sqlx::Error> {
    Ok(ChainedEvent {
        seq: row.try_get("seq")?,
        at: time(row.try_get("at")?),
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
