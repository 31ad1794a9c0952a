//! PostgreSQL's statements for erasing a signer (the logic is `crate::logic::erasure`).
//! The signature and all its deliveries are locked first (`FOR UPDATE`): a worker's claim
//! skips locked rows, so no letter of theirs starts while the erasure runs. Times are the
//! database's `now()`.

use super::{PgStore, PgWrite};
use crate::StoreError;
use chrono::{DateTime, Utc};

use crate::logic::erasure::{ERASED_TEXT, Reads, RemadeDocument, Step, Writes};

/// Each step's statement (`$1` the signature) and whether `$2` is the text that stands in
/// for what was erased.
fn statement(step: Step) -> (&'static str, bool) {
    match step {
        Step::CancelUnsent => (
            "UPDATE deliveries SET state = 'cancelled', finalized_at = now()
              WHERE signature_id = $1 AND state = 'queued'",
            false,
        ),
        Step::BlankAttempts => (
            "UPDATE attempts SET remote_text = NULL, note = NULL
              WHERE delivery_id IN (SELECT id FROM deliveries WHERE signature_id = $1)
                AND (remote_text IS NOT NULL OR note IS NOT NULL)",
            false,
        ),
        Step::BlankEventReasons => (
            "UPDATE delivery_events SET reason = $2
              WHERE delivery_id IN (SELECT id FROM deliveries WHERE signature_id = $1)
                AND kind IN ('route', 'deferred', 'bounced') AND reason <> $2",
            true,
        ),
        Step::EmptyEvidence => (
            "UPDATE attempt_evidence SET content = ''::bytea, encoding = 'identity', erased_at = now()
              WHERE delivery_id IN (SELECT id FROM deliveries WHERE signature_id = $1)
                AND erased_at IS NULL",
            false,
        ),
        Step::EmptyNotices => (
            "UPDATE delivery_notices SET message = ''::bytea, recipient = NULL, diagnostic = NULL,
                    effect = CASE WHEN effect IS NULL THEN NULL ELSE $2 END
              WHERE delivery_id IN (SELECT id FROM deliveries WHERE signature_id = $1)
                AND (length(message) > 0 OR recipient IS NOT NULL OR diagnostic IS NOT NULL)",
            true,
        ),
        Step::BlankDeliveryErrors => (
            "UPDATE deliveries SET last_error = CASE WHEN last_error IS NULL THEN NULL ELSE $2 END,
                    route_note = NULL
              WHERE signature_id = $1
                AND ((last_error IS NOT NULL AND last_error <> $2) OR route_note IS NOT NULL)",
            true,
        ),
        Step::BlankLetters => (
            "UPDATE messages SET subject = $2, body_markdown = '', sha256 = 'erased:' || id
              WHERE id IN (SELECT message_id FROM deliveries WHERE signature_id = $1)
                AND NOT EXISTS (SELECT 1 FROM deliveries o
                                 WHERE o.message_id = messages.id
                                   AND o.signature_id IS DISTINCT FROM $1)
                AND body_markdown <> ''",
            true,
        ),
        Step::BlankReceipts => (
            "UPDATE receipts SET subject = $2, lines = '[]', statement = NULL
              WHERE signature_id = $1 AND (lines <> '[]' OR statement IS NOT NULL)",
            true,
        ),
        Step::DropReceiptLinks => (
            "DELETE FROM receipt_links
              WHERE receipt_id IN (SELECT id FROM receipts WHERE signature_id = $1)",
            false,
        ),
        Step::EraseSignature => (
            "UPDATE signatures SET email_key = 'erased:' || id, email = '', first_name = NULL,
                    last_name = '', organization = NULL, address_line1 = NULL, address_line2 = NULL,
                    city = NULL, state = NULL, postal_code = NULL, country = NULL, district = NULL,
                    phone = NULL, signed_at = NULL, source = NULL, salt = NULL, erased_at = now()
              WHERE id = $1",
            false,
        ),
    }
}

impl Reads for PgStore {
    async fn petitions_carrying(
        &self,
        campaign: &str,
        signature_id: i64,
    ) -> Result<Vec<(i64, i64, DateTime<Utc>)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, signers_through, created_at FROM batches
              WHERE campaign_id = $1 AND mode = 'petition' AND signers_through >= $2
              ORDER BY id",
        )
        .bind(campaign)
        .bind(signature_id)
        .fetch_all(self.pool())
        .await?)
    }

    async fn office_names(&self, batch_id: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT name FROM recipients WHERE batch_id = $1 AND key <> $2 ORDER BY id",
        )
        .bind(batch_id)
        .bind(crate::receipts::RECIPIENT_KEY)
        .fetch_all(self.pool())
        .await?)
    }
}

impl Writes for PgWrite {
    async fn petition_batches_carrying(
        &mut self,
        signature_id: i64,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT b.id FROM batches b JOIN signatures s ON s.campaign_id = b.campaign_id
              WHERE s.id = $1 AND b.mode = 'petition' AND b.signers_through >= $1",
        )
        .bind(signature_id)
        .fetch_all(self.conn())
        .await?)
    }

    async fn replace_document(&mut self, document: &RemadeDocument) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE attachments SET content = $1, sha256 = $2 WHERE batch_id = $3 AND filename = $4",
        )
        .bind(&document.content)
        .bind(crate::sha256_hex(&document.content))
        .bind(document.batch_id)
        .bind(&document.filename)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    async fn signature_to_erase(
        &mut self,
        campaign: &str,
        email_key: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM signatures
              WHERE campaign_id = $1 AND email_key = $2 AND erased_at IS NULL FOR UPDATE",
        )
        .bind(campaign)
        .bind(email_key)
        .fetch_optional(self.conn())
        .await?)
    }

    async fn deliveries_in_flight(&mut self, signature_id: i64) -> Result<Vec<i64>, StoreError> {
        let all: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, state FROM deliveries WHERE signature_id = $1 ORDER BY id FOR UPDATE",
        )
        .bind(signature_id)
        .fetch_all(self.conn())
        .await?;
        Ok(all
            .into_iter()
            .filter(|(_, state)| state == "in_flight")
            .map(|(id, _)| id)
            .collect())
    }

    async fn signature_erased(&mut self, signature_id: i64) -> Result<bool, StoreError> {
        let erased: Option<bool> =
            sqlx::query_scalar("SELECT erased_at IS NOT NULL FROM signatures WHERE id = $1")
                .bind(signature_id)
                .fetch_optional(self.conn())
                .await?;
        Ok(erased.unwrap_or(false))
    }

    async fn set_erasing(&mut self, signature_id: i64, on: bool) -> Result<(), StoreError> {
        let sql = if on {
            "INSERT INTO erasing (signature_id) VALUES ($1)"
        } else {
            "DELETE FROM erasing WHERE signature_id = $1"
        };
        sqlx::query(sql)
            .bind(signature_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    async fn erase_step(&mut self, step: Step, signature_id: i64) -> Result<u64, StoreError> {
        let (sql, with_text) = statement(step);
        let query = sqlx::query(sql).bind(signature_id);
        let query = if with_text {
            query.bind(ERASED_TEXT)
        } else {
            query
        };
        Ok(query.execute(self.conn()).await?.rows_affected())
    }
}
