//! PostgreSQL's part of erasing a signer (the logic and the statements both backends share
//! are `crate::logic::erasure`): the signature and every delivery of theirs are locked
//! first (`FOR UPDATE`), so a worker's claim, which skips locked rows, starts no letter of
//! theirs while the erasure runs; the steps that stamp a time use the database's `now()`.

use super::PgWrite;
use crate::StoreError;
use crate::logic::erasure::{Stamped, Writes};

impl Writes for PgWrite {
    async fn lock_campaign_signers(&mut self, campaign: &str) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('hillpost.signers:' || $1, 0))")
            .bind(campaign)
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

    async fn stamped_step(&mut self, step: Stamped, signature_id: i64) -> Result<u64, StoreError> {
        let sql = match step {
            Stamped::CancelUnsent => {
                "UPDATE deliveries SET state = 'cancelled', finalized_at = now()
                  WHERE signature_id = $1 AND state = 'queued'"
            }
            Stamped::EmptyEvidence => {
                "UPDATE attempt_evidence SET content = ''::bytea, encoding = 'identity',
                        erased_at = now()
                  WHERE delivery_id IN (SELECT id FROM deliveries WHERE signature_id = $1)
                    AND erased_at IS NULL"
            }
            Stamped::EraseSignature => {
                "UPDATE signatures SET email_key = 'erased:' || id, email = '', first_name = NULL,
                        last_name = '', organization = NULL, address_line1 = NULL,
                        address_line2 = NULL, city = NULL, state = NULL, postal_code = NULL,
                        country = NULL, district = NULL, phone = NULL, signed_at = NULL,
                        source = NULL, salt = NULL, erased_at = now()
                  WHERE id = $1"
            }
        };
        let done = sqlx::query(sql)
            .bind(signature_id)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }
}
