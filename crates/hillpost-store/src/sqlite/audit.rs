//! Appending to the audit chain on SQLite (reading it is `crate::logic::audit`). Appends
//! run inside the `BEGIN IMMEDIATE` transaction of the change they record, which already
//! holds the one write lock, so reading the head and writing after it cannot interleave
//! with another writer.

use chrono::{DateTime, Utc};
use hillpost_core::audit::{NewEvent, seal};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::ms;
use crate::StoreError;
use crate::logic::audit::{Appends, read_head};

/// 11 bound values per event; SQLite allows 32,766 per statement.
const EVENTS_PER_STATEMENT: usize = 2_000;

impl Appends for sqlx::Sqlite {
    async fn append_events(
        conn: &mut SqliteConnection,
        at: DateTime<Utc>,
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        let head = read_head(&mut *conn).await?;
        let (sealed, head) = seal(&head, at, events);
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
                    .push_bind(e.subjects.batch_id.map(i64::from))
                    .push_bind(e.subjects.delivery_id.map(i64::from))
                    .push_bind(e.subjects.attempt_id.map(i64::from))
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
}
