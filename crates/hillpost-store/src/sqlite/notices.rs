//! SQLite's statements for delivery notices (the logic is `crate::logic::notices`):
//! `BEGIN IMMEDIATE` already holds the write lock, and the move is stamped with the
//! transaction's `now`.

use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::Transition;

use super::SqliteWrite;
use crate::StoreError;
use crate::logic::notices::Writes;

impl Writes for SqliteWrite {
    const DELIVERED_FOR_BOUNCE: &'static str =
        "SELECT d.batch_id, d.signature_id, d.channel, d.endpoint, d.attempts, d.max_attempts,
                r.key AS recipient, r.endpoints,
                (SELECT s.salt FROM signatures s WHERE s.id = d.signature_id) AS signer_salt
           FROM deliveries d JOIN recipients r ON r.id = d.recipient_id
          WHERE d.id = $1 AND d.state = 'delivered'";

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
