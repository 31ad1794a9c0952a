//! PostgreSQL's statement on attempt evidence (the logic is `crate::logic::evidence`):
//! created at the database's `now()`.

use super::PgWrite;
use crate::StoreError;
use crate::evidence::{Encoded, NewEvidence};
use crate::logic::evidence::Writes;

impl Writes for PgWrite {
    async fn insert_evidence(
        &mut self,
        item: &NewEvidence<'_>,
        encoded: Encoded,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO attempt_evidence (delivery_id, attempt_no, kind, content_type,
                 encoding, content, size, truncated, sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (delivery_id, attempt_no, kind) DO NOTHING",
        )
        .bind(item.delivery_id)
        .bind(i32::try_from(item.attempt_no).unwrap_or(i32::MAX))
        .bind(item.evidence.kind.as_str())
        .bind(&item.evidence.content_type)
        .bind(encoded.encoding)
        .bind(encoded.bytes)
        .bind(i32::try_from(item.evidence.content.len()).unwrap_or(i32::MAX))
        .bind(item.evidence.truncated)
        .bind(item.evidence.sha256())
        .execute(self.conn())
        .await?;
        Ok(())
    }
}
