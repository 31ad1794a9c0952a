use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{SqliteStore, now_ms, time};
use crate::StoreError;
use crate::evidence::{EvidenceRow, NewEvidence, decode, encode, kind};

const COLUMNS: &str = "e.id, e.delivery_id, d.batch_id, e.attempt_no, e.kind, e.content_type, \
                       e.size, e.truncated, e.sha256, e.created_at, e.erased_at IS NOT NULL AS erased";

impl SqliteStore {
    pub async fn store_evidence(&self, items: &[NewEvidence<'_>]) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        for item in items {
            let encoded = encode(item.evidence)?;
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
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Rows where `column` (`e.delivery_id` or `d.batch_id`) is `id`.
    pub async fn evidence_rows(
        &self,
        column: &'static str,
        id: i64,
    ) -> Result<Vec<EvidenceRow>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM attempt_evidence e JOIN deliveries d ON d.id = e.delivery_id
             WHERE {column} = ?1 ORDER BY e.delivery_id, e.attempt_no, e.id"
        )))
        .bind(id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(evidence_row)
        .collect()
    }

    pub async fn evidence_content(
        &self,
        id: i64,
    ) -> Result<Option<(EvidenceRow, Vec<u8>)>, StoreError> {
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, e.encoding, e.content FROM attempt_evidence e
             JOIN deliveries d ON d.id = e.delivery_id WHERE e.id = ?1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        let meta = evidence_row(&row)?;
        let encoding: String = row.try_get("encoding")?;
        // An erased page or screenshot is kept as its size and hash only.
        let content = if meta.erased {
            Vec::new()
        } else {
            decode(&encoding, row.try_get("content")?, meta.size)?
        };
        Ok(Some((meta, content)))
    }
}

fn evidence_row(row: &SqliteRow) -> Result<EvidenceRow, StoreError> {
    Ok(EvidenceRow {
        id: row.try_get("id")?,
        delivery_id: row.try_get("delivery_id")?,
        batch_id: row.try_get("batch_id")?,
        attempt_no: u32::try_from(row.try_get::<i64, _>("attempt_no")?).unwrap_or_default(),
        kind: kind(&row.try_get::<String, _>("kind")?)?,
        content_type: row.try_get("content_type")?,
        size: u64::try_from(row.try_get::<i64, _>("size")?).unwrap_or_default(),
        truncated: row.try_get::<i64, _>("truncated")? != 0,
        sha256: row.try_get("sha256")?,
        erased: row.try_get("erased")?,
        created_at: time(row.try_get("created_at")?),
    })
}
