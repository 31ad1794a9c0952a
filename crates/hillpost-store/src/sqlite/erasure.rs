//! SQLite's part of erasing a signer (the logic and the statements both backends share
//! are `crate::logic::erasure`): `BEGIN IMMEDIATE` already holds the write lock, so no
//! worker claims a letter of theirs meanwhile and reads need no lock; the steps that stamp
//! a time bind the transaction's `now` (epoch milliseconds).

use super::SqliteWrite;
use crate::StoreError;
use crate::logic::erasure::{Stamped, Writes};

impl Writes for SqliteWrite {
    async fn lock_campaign_signers(&mut self, _campaign: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn signature_to_erase(
        &mut self,
        campaign: &str,
        email_key: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM signatures
              WHERE campaign_id = ?1 AND email_key = ?2 AND erased_at IS NULL",
        )
        .bind(campaign)
        .bind(email_key)
        .fetch_optional(self.conn())
        .await?)
    }

    async fn deliveries_in_flight(&mut self, signature_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM deliveries WHERE signature_id = ?1 AND state = 'in_flight' ORDER BY id",
        )
        .bind(signature_id)
        .fetch_all(self.conn())
        .await?)
    }

    async fn stamped_step(&mut self, step: Stamped, signature_id: i64) -> Result<u64, StoreError> {
        let sql = match step {
            Stamped::CancelUnsent => {
                "UPDATE deliveries SET state = 'cancelled', finalized_at = ?2
                  WHERE signature_id = ?1 AND state = 'queued'"
            }
            Stamped::EmptyEvidence => {
                "UPDATE attempt_evidence SET content = x'', encoding = 'identity', erased_at = ?2
                  WHERE delivery_id IN (SELECT id FROM deliveries WHERE signature_id = ?1)
                    AND erased_at IS NULL"
            }
            Stamped::EraseSignature => {
                "UPDATE signatures SET email_key = 'erased:' || id, email = '', first_name = NULL,
                        last_name = '', organization = NULL, address_line1 = NULL,
                        address_line2 = NULL, city = NULL, state = NULL, postal_code = NULL,
                        country = NULL, district = NULL, phone = NULL, signed_at = NULL,
                        source = NULL, salt = NULL, erased_at = ?2
                  WHERE id = ?1"
            }
        };
        let now = self.now;
        let done = sqlx::query(sql)
            .bind(signature_id)
            .bind(now)
            .execute(self.conn())
            .await?;
        Ok(done.rows_affected())
    }
}
