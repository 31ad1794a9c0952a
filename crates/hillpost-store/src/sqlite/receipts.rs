//! Receipts on SQLite (the logic is `crate::logic::receipts`): enqueued inside
//! housekeeping's `BEGIN IMMEDIATE` transaction (one writer at a time, so no two passes
//! overlap); times are epoch milliseconds of the process clock.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{SqliteStore, ms, now_ms};
use crate::logic::receipts::{Statements, letters_of_signer};
use crate::receipts::{Candidate, NewReceipt, RECEIPT_ENDPOINT, RECEIPT_RATE_KEY};
use crate::{StoreError, new_idempotency_key};

/// Housekeeping's guard (`queue.rs`) uses the one written once.
pub(super) use crate::logic::receipts::owed_receipt;

impl Statements for SqliteConnection {
    const SIGNER_STILL_HERE: &'static str =
        "SELECT id FROM signatures WHERE id = $1 AND erased_at IS NULL";

    const LETTERS: &'static str = letters_of_signer!(
        "(SELECT group_concat(e.from_channel || ': ' || e.reason, char(10))
         FROM (SELECT from_channel, reason FROM delivery_events
         WHERE delivery_id = d.id AND kind = 'route' AND to_channel IS NOT NULL
         ORDER BY id) e)"
    );

    async fn insert_receipt_delivery(
        &mut self,
        candidate: &Candidate,
        recipient_id: i64,
        message_id: i64,
        max_attempts: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO deliveries (batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                    idempotency_key, state, max_attempts, due_at, created_at, kind)
             VALUES (?1, ?2, ?3, ?4, 'email', ?5, ?6, ?7, 'queued', ?8, ?9, ?9, 'receipt')
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
        .bind(max_attempts)
        .bind(ms(now))
        .fetch_optional(self)
        .await?)
    }

    async fn insert_receipt(
        &mut self,
        delivery_id: i64,
        candidate: &Candidate,
        receipt: &NewReceipt,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO receipts (delivery_id, batch_id, signature_id, language, subject, lines, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(delivery_id)
        .bind(candidate.batch_id)
        .bind(candidate.signature_id)
        .bind(receipt.rendered.language.as_str())
        .bind(&receipt.rendered.subject)
        .bind(&receipt.lines_json)
        .bind(ms(now))
        .execute(self)
        .await?;
        Ok(())
    }
}

impl SqliteStore {
    pub async fn add_receipt_link(
        &self,
        delivery_id: i64,
        token_sha256: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO receipt_links (token_sha256, receipt_id, created_at)
             SELECT ?2, id, ?3 FROM receipts WHERE delivery_id = ?1",
        )
        .bind(delivery_id)
        .bind(token_sha256)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
