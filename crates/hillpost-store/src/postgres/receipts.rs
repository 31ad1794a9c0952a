//! Receipts on PostgreSQL (the logic is `crate::logic::receipts`). One housekeeping pass
//! at a time enqueues (a transaction-scoped advisory lock; a worker that does not get it
//! skips the pass, since another is doing the same work), and `deliveries_one_receipt`
//! makes any overlap harmless. Times are the database's `now()`.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::PgStore;
use crate::logic::receipts::{Statements, letters_of_signer};
use crate::receipts::{Candidate, NewReceipt, RECEIPT_ENDPOINT, RECEIPT_RATE_KEY};
use crate::{StoreError, new_idempotency_key};

/// The advisory lock key of the receipt pass ("hp-rcpt" in ASCII).
pub(super) const RECEIPT_PASS_LOCK: i64 = 0x0068_702d_7263_7074;

/// Housekeeping's guard (`queue.rs`) uses the one written once.
pub(super) use crate::logic::receipts::owed_receipt;

impl Statements for PgConnection {
    const SIGNER_STILL_HERE: &'static str =
        "SELECT id FROM signatures WHERE id = $1 AND erased_at IS NULL FOR SHARE";

    const LETTERS: &'static str = letters_of_signer!(
        "(SELECT string_agg(e.from_channel || ': ' || e.reason, E'\n' ORDER BY e.id)
         FROM delivery_events e
         WHERE e.delivery_id = d.id AND e.kind = 'route' AND e.to_channel IS NOT NULL)"
    );

    async fn insert_receipt_delivery(
        &mut self,
        candidate: &Candidate,
        recipient_id: i64,
        message_id: i64,
        max_attempts: i64,
        _now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO deliveries (batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                    idempotency_key, state, max_attempts, due_at, created_at, kind)
             VALUES ($1, $2, $3, $4, 'email', $5, $6, $7, 'queued', $8, now(), now(), 'receipt')
             ON CONFLICT (batch_id, signature_id) WHERE kind = 'receipt' DO NOTHING
             RETURNING id",
        )
        .bind(candidate.batch_id)
        .bind(recipient_id)
        .bind(candidate.signature_id)
        .bind(message_id)
        .bind(RECEIPT_ENDPOINT)
        .bind(RECEIPT_RATE_KEY)
        .bind(new_idempotency_key())
        .bind(i32::try_from(max_attempts).unwrap_or(i32::MAX))
        .fetch_optional(self)
        .await?)
    }

    async fn insert_receipt(
        &mut self,
        delivery_id: i64,
        candidate: &Candidate,
        receipt: &NewReceipt,
        _now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO receipts (delivery_id, batch_id, signature_id, language, subject, lines)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(delivery_id)
        .bind(candidate.batch_id)
        .bind(candidate.signature_id)
        .bind(receipt.rendered.language.as_str())
        .bind(&receipt.rendered.subject)
        .bind(&receipt.lines_json)
        .execute(self)
        .await?;
        Ok(())
    }
}

impl PgStore {
    pub async fn add_receipt_link(
        &self,
        delivery_id: i64,
        token_sha256: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO receipt_links (token_sha256, receipt_id)
             SELECT $2, id FROM receipts WHERE delivery_id = $1",
        )
        .bind(delivery_id)
        .bind(token_sha256)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
