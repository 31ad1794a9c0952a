use hillpost_core::{CampaignId, NewSignature};
use sqlx::{Postgres, Row, Transaction};

use super::PgStore;
use crate::signature_row::{SignatureColumns, new_salt};
use crate::{ImportCounts, SignatureRecord, StoreError};

/// An import in one transaction. The `signature_imports` row is written first (so every
/// signature can point at it) and completed with the counts at commit.
pub struct ImportSession {
    tx: Transaction<'static, Postgres>,
    campaign: String,
    import_id: i64,
}

impl PgStore {
    pub async fn begin_import(&self, campaign: &CampaignId) -> Result<ImportSession, StoreError> {
        let mut tx = self.pool().begin().await?;
        let import_id: i64 = sqlx::query_scalar(
            "INSERT INTO signature_imports (campaign_id, source_name, source_sha256, rows_read, accepted, duplicates, rejected)
             VALUES ($1, '', '', 0, 0, 0, 0) RETURNING id",
        )
        .bind(campaign.as_str())
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
               FROM signatures WHERE campaign_id = $1 AND erased_at IS NULL ORDER BY id",
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

/// Reads a signature's columns; `language_column` names the signer's language (queries that
/// also select a message's language alias it).
pub(super) fn signature_columns(
    row: &sqlx::postgres::PgRow,
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
        signed_at: row.try_get("signed_at")?,
        source: row.try_get("source")?,
    })
}

impl ImportSession {
    pub async fn insert(&mut self, signatures: &[NewSignature]) -> Result<u64, StoreError> {
        let columns: Vec<SignatureColumns> = signatures.iter().map(SignatureColumns::of).collect();
        macro_rules! array {
            ($field:ident) => {
                columns.iter().map(|c| c.$field.clone()).collect::<Vec<_>>()
            };
        }
        let done = sqlx::query(
            "INSERT INTO signatures (campaign_id, import_id, email_key, email, first_name, last_name, organization,
                    address_line1, address_line2, city, state, postal_code, country, district, language, phone,
                    receipt_consent, signed_at, source, salt)
             SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::int2[], $15::text[],
                    $16::text[], $17::bool[], $18::timestamptz[], $19::text[], $20::bytea[])
             ON CONFLICT (campaign_id, email_key) DO NOTHING",
        )
        .bind(&self.campaign)
        .bind(self.import_id)
        .bind(array!(email_key))
        .bind(array!(email))
        .bind(array!(first_name))
        .bind(array!(last_name))
        .bind(array!(organization))
        .bind(array!(address_line1))
        .bind(array!(address_line2))
        .bind(array!(city))
        .bind(array!(state))
        .bind(array!(postal_code))
        .bind(array!(country))
        .bind(array!(district))
        .bind(array!(language))
        .bind(array!(phone))
        .bind(array!(receipt_consent))
        .bind(array!(signed_at))
        .bind(array!(source))
        .bind(columns.iter().map(|_| new_salt()).collect::<Vec<_>>())
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn commit(
        mut self,
        source_name: &str,
        source_sha256: &str,
        counts: &ImportCounts,
        actor: &str,
    ) -> Result<i64, StoreError> {
        let count = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
        sqlx::query(
            "UPDATE signature_imports SET source_name = $2, source_sha256 = $3, rows_read = $4, accepted = $5,
                    duplicates = $6, rejected = $7
              WHERE id = $1",
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
