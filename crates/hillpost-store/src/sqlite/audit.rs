//! Appending to and reading the audit chain on SQLite. Appends run inside the `BEGIN
//! IMMEDIATE` transaction of the change they record, which already holds the one write
//! lock, so reading the head and writing after it cannot interleave with another writer.

use chrono::Utc;
use futures::TryStreamExt;
use hillpost_core::audit::{ChainHead, ChainedEvent, NewEvent, Subjects, Verifier, seal};
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
    /// Recomputes the whole chain inside one read transaction (a WAL snapshot), streaming.
    pub async fn verify_audit(&self) -> Result<ChainReport, StoreError> {
        let mut tx = self.pool().begin().await?;
        let head: (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let head = ChainHead {
            seq: head.0,
            hash: head.1,
        };
        let mut verifier = Verifier::new();
        let mut verified = 0;
        let mut broken = None;
        {
            let mut rows = sqlx::query(
                "SELECT seq, at, kind, actor, campaign_id, batch_id, delivery_id, attempt_id, payload, prev_hash, hash
                   FROM audit_events ORDER BY seq",
            )
            .fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                if let Err(link) = verifier.check(&event(&row)?) {
                    broken = Some(link);
                    break;
                }
                verified += 1;
            }
        }
        tx.rollback().await?;
        if broken.is_none() {
            broken = verifier.finish(&head).err();
        }
        Ok(ChainReport {
            verified,
            head,
            broken,
        })
    }
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
