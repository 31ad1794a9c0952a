//! SQLite's statements for delivery notices (the logic is `crate::logic::notices`):
//! `BEGIN IMMEDIATE` already holds the write lock, and the move is stamped with the
//! transaction's `now`.

use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::Transition;

use super::SqliteWrite;
use crate::StoreError;
use crate::logic::notices::{Writes, delivered_for_bounce};

impl Writes for SqliteWrite {
    // BEGIN IMMEDIATE holds the write lock already.
    const DELIVERED_FOR_BOUNCE: &'static str = delivered_for_bounce!("");

    async fn move_bounced(
        &mut self,
        id: i64,
        next: &Transition,
        to: Option<&Endpoint>,
    ) -> Result<(), StoreError> {
        let now = self.now;
        sqlx::query(
            "UPDATE deliveries
                SET state = ?2,
                    finalized_at = CASE WHEN ?2 = 'queued' THEN NULL ELSE ?3 END,
                    due_at = CASE WHEN ?2 = 'queued' THEN ?3 ELSE due_at END,
                    last_error = ?4,
                    channel = coalesce(?5, channel),
                    endpoint = coalesce(?6, endpoint),
                    rate_key = coalesce(?7, rate_key),
                    max_attempts = coalesce(?8, max_attempts),
                    possibly_accepted = 0
              WHERE id = ?1",
        )
        .bind(id)
        .bind(next.state.as_str())
        .bind(now)
        .bind(&next.last_error)
        .bind(to.map(|e| e.channel.as_str()))
        .bind(to.map(|e| e.address.as_str()))
        .bind(to.map(|e| e.rate_key.as_str()))
        .bind(next.max_attempts.map(i64::from))
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
