//! PostgreSQL's statements for delivery notices (the logic is `crate::logic::notices`):
//! the bounced delivery is locked (`FOR UPDATE OF d`) and its move is stamped `now()`.

use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::Transition;

use super::PgWrite;
use crate::StoreError;
use crate::logic::notices::{Writes, delivered_for_bounce};

impl Writes for PgWrite {
    const DELIVERED_FOR_BOUNCE: &'static str = delivered_for_bounce!(" FOR UPDATE OF d");

    async fn move_bounced(
        &mut self,
        id: i64,
        next: &Transition,
        to: Option<&Endpoint>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE deliveries
                SET state = $2,
                    finalized_at = CASE WHEN $2 = 'queued' THEN NULL ELSE now() END,
                    due_at = CASE WHEN $2 = 'queued' THEN now() ELSE due_at END,
                    last_error = $3,
                    channel = coalesce($4, channel),
                    endpoint = coalesce($5, endpoint),
                    rate_key = coalesce($6, rate_key),
                    max_attempts = coalesce($7, max_attempts),
                    possibly_accepted = false
              WHERE id = $1",
        )
        .bind(id)
        .bind(next.state.as_str())
        .bind(&next.last_error)
        .bind(to.map(|e| e.channel.as_str()))
        .bind(to.map(|e| e.address.as_str()))
        .bind(to.map(|e| e.rate_key.as_str()))
        .bind(
            next.max_attempts
                .map(|m| i32::try_from(m).unwrap_or(i32::MAX)),
        )
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
