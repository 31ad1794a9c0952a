//! Appending to the audit chain on PostgreSQL (reading it is `crate::logic::audit`).
//!
//! Many worker processes append at once, so appends are serialised on the one-row
//! `audit_head`, locked as the *last* step of the transaction that made the change: one
//! statement (`hillpost_audit_append`, migration 0009) locks the head, gives the events
//! their places and hashes, inserts them and moves the head; then commit. The head is held
//! for that statement and the commit only (no other row lock is waited for while holding
//! it, so it cannot take part in a deadlock), and a group of attempts takes it once however
//! many events it appends.

use chrono::{DateTime, Utc};
use hillpost_core::audit::{NewEvent, unsealed};
use sqlx::PgConnection;

use crate::StoreError;
use crate::logic::audit::Appends;

impl Appends for sqlx::Postgres {
    async fn append_events(
        conn: &mut PgConnection,
        at: DateTime<Utc>,
        events: Vec<NewEvent>,
    ) -> Result<(), StoreError> {
        let events = unsealed(at, events);
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
            .bind(column!(e => e.subjects.batch_id.map(i64::from)))
            .bind(column!(e => e.subjects.delivery_id.map(i64::from)))
            .bind(column!(e => e.subjects.attempt_id.map(i64::from)))
            .bind(column!(e => e.payload.as_str()))
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
