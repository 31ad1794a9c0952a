//! SQLite's statement on attempt evidence (the logic is `crate::logic::evidence`): created
//! at the transaction's `now`, in epoch milliseconds.

use super::SqliteWrite;
use crate::StoreError;
use crate::evidence::{Encoded, NewEvidence};
use crate::logic::evidence::Writes;

impl Writes for SqliteWrite {
    async fn insert_evidence(
        &mut self,
        item: &NewEvidence<'_>,
        encoded: Encoded,
    ) -> Result<(), StoreError> {
        let now = self.now;
        sqlx::query(
            "INSERT INTO attempt_evidence (delivery_id, attempt_no, kind, content_type,
                 encoding, content, size, truncated, sha256, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (delivery_id, attempt_no, kind) DO NOTHING",
        )
        .bind(item.delivery_id)
        .bind(i64::from(item.attempt_no))
        .bind(item.evidence.kind.as_str())
        .bind(&item.evidence.content_type)
        .bind(encoded.encoding)
        .bind(encoded.bytes)
        .bind(i64::try_from(item.evidence.content.len()).unwrap_or(i64::MAX))
        .bind(i64::from(item.evidence.truncated))
        .bind(item.evidence.sha256())
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
