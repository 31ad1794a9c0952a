use hillpost_core::{CampaignId, NewSignature};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

use super::{SqliteStore, ms, now_ms, time};
use crate::signature_row::{SignatureColumns, new_salt};
use crate::{ImportCounts, SignatureRecord, StoreError};

/// An import in one `BEGIN IMMEDIATE` transaction (see the PostgreSQL twin for the shape).
pub struct ImportSession {
    tx: Transaction<'static, Sqlite>,
    campaign: String,
    import_id: i64,
}

/// 19 bound values per row; SQLite allows 32,766 per statement.
const ROWS_PER_STATEMENT: usize = 1_000;

impl SqliteStore {
    pub async fn begin_import(&self, campaign: &CampaignId) -> Result<ImportSession, StoreError> {
        let mut tx = self.write().await?;
        let import_id: i64 = sqlx::query_scalar(
            "INSERT INTO signature_imports (campaign_id, source_name, source_sha256, rows_read, accepted, duplicates,
                    rejected, created_at)
             VALUES (?1, '', '', 0, 0, 0, 0, ?2) RETURNING id",
        )
        .bind(campaign.as_str())
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        Ok(ImportSession {
            tx,
            campaign: campaign.to_string(),
            import_id,
        })
    }

    pub async fn signatures(
        &self,
        campaign: &CampaignId,
    ) -> Result<Vec<SignatureRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, email_key, email, first_name, last_name, organization, address_line1, address_line2,
                    city, state, postal_code, country, district, language, phone, receipt_consent, signed_at, source
               FROM signatures WHERE campaign_id = ?1 AND erased_at IS NULL ORDER BY id",
        )
        .bind(campaign.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                Ok((id, signature_columns(row, "language")?.into_signature(id)?))
            })
            .collect()
    }
}

/// Reads a signature's columns; `language_column` names the signer's language.
pub(super) fn signature_columns(
    row: &SqliteRow,
    language_column: &str,
) -> Result<SignatureColumns, sqlx::Error> {
    Ok(SignatureColumns {
        email_key: row.try_get("email_key")?,
        email: row.try_get("email")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        organization: row.try_get("organization")?,
        address_line1: row.try_get("address_line1")?,
        address_line2: row.try_get("address_line2")?,
        city: row.try_get("city")?,
        state: row.try_get("state")?,
        postal_code: row.try_get("postal_code")?,
        country: row.try_get("country")?,
        district: row.try_get("district")?,
        language: row.try_get(language_column)?,
        phone: row.try_get("phone")?,
        receipt_consent: row.try_get("receipt_consent")?,
        signed_at: row.try_get::<Option<i64>, _>("signed_at")?.map(time),
        source: row.try_get("source")?,
    })
}

impl ImportSession {
    pub async fn insert(&mut self, signatures: &[NewSignature]) -> Result<u64, StoreError> {
        let created_at = now_ms();
        let mut inserted = 0;
        for chunk in signatures.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO signatures (campaign_id, import_id, email_key, email, first_name, last_name, organization,
                        address_line1, address_line2, city, state, postal_code, country, district, language, phone,
                        receipt_consent, signed_at, source, created_at, salt) ",
            );
            query.push_values(chunk.iter().map(SignatureColumns::of), |mut row, c| {
                row.push_bind(self.campaign.clone())
                    .push_bind(self.import_id)
                    .push_bind(c.email_key)
                    .push_bind(c.email)
                    .push_bind(c.first_name)
                    .push_bind(c.last_name)
                    .push_bind(c.organization)
                    .push_bind(c.address_line1)
                    .push_bind(c.address_line2)
                    .push_bind(c.city)
                    .push_bind(c.state)
                    .push_bind(c.postal_code)
                    .push_bind(c.country)
                    .push_bind(c.district)
                    .push_bind(c.language)
                    .push_bind(c.phone)
                    .push_bind(c.receipt_consent)
                    .push_bind(c.signed_at.map(ms))
                    .push_bind(c.source)
                    .push_bind(created_at)
                    .push_bind(new_salt());
            });
            query.push(" ON CONFLICT (campaign_id, email_key) DO NOTHING");
            inserted += query.build().execute(&mut *self.tx).await?.rows_affected();
        }
        Ok(inserted)
    }

    pub async fn commit(
        mut self,
        source_name: &str,
        source_sha256: &str,
        counts: &ImportCounts,
        actor: &str,
    ) -> Result<i64, StoreError> {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        sqlx::query(
            "UPDATE signature_imports SET source_name = ?2, source_sha256 = ?3, rows_read = ?4, accepted = ?5,
                    duplicates = ?6, rejected = ?7
              WHERE id = ?1",
        )
        .bind(self.import_id)
        .bind(source_name)
        .bind(source_sha256)
        .bind(count(counts.rows_read))
        .bind(count(counts.accepted))
        .bind(count(counts.duplicates))
        .bind(count(counts.rejected))
        .execute(&mut *self.tx)
        .await?;
        let event = crate::audit::import_event(
            actor,
            &self.campaign,
            self.import_id,
            source_name,
            source_sha256,
            counts,
        );
        super::audit::append(&mut self.tx, vec![event]).await?;
        self.tx.commit().await?;
        Ok(self.import_id)
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }
}
