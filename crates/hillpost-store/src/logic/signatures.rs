//! Signatures, written once: an all-or-nothing import (its `signature_imports` row first,
//! so every signature can point at it, completed with the counts and its audit event at
//! commit) and reading a campaign's signatures back. A backend supplies how it inserts many
//! rows at once ([`Driver::insert_signatures`]: SQLite's multi-row `VALUES`, PostgreSQL's `unnest` of arrays).

use hillpost_core::ids::ImportId;
use hillpost_core::{CampaignId, NewSignature};

use super::driver::NewSignatures;
use super::sql::{Arg, Columns, Run, returned_id};
use super::{Backend, Driver, Write, WriteTx};
use crate::signature_row::SignatureColumns;
use crate::{ImportCounts, SignatureRecord, StoreError};

/// Inserting an import's signatures, the backend's way.
pub(crate) trait Writes: Write {
    /// Inserts `signatures` into `campaign` under import `import_id`, each with a fresh
    /// salt, created now; an email the campaign has already is passed over. How many were
    /// new.
    async fn insert_signatures(
        &mut self,
        campaign: &str,
        import_id: ImportId,
        signatures: &[NewSignature],
    ) -> Result<u64, StoreError> {
        let new = NewSignatures {
            campaign,
            import_id,
            signatures,
        };
        Self::Driver::insert_signatures(self.tx(), new).await
    }
}

impl<D: Driver> Writes for WriteTx<D> {}

/// An import in one write transaction.
pub(crate) struct Import<W> {
    tx: W,
    campaign: String,
    import_id: ImportId,
}

/// See [`crate::Store::begin_import`].
pub(crate) async fn begin_import<B: Backend>(
    store: &B,
    campaign: &CampaignId,
) -> Result<Import<WriteTx<B::Driver>>, StoreError> {
    let mut tx = store.begin_write().await?;
    let sql = "INSERT INTO signature_imports (campaign_id, source_name, source_sha256, rows_read, accepted,
                       duplicates, rejected, created_at)
               VALUES ($1, '', '', 0, 0, 0, 0, now()) RETURNING id";
    let row = tx.db().row(sql, &[Arg::Text(campaign.as_str())]).await?;
    let import_id = returned_id(row)?;
    Ok(Import {
        tx,
        campaign: campaign.to_string(),
        import_id: import_id.into(),
    })
}

impl<W: Writes> Import<W> {
    pub(crate) async fn insert(&mut self, signatures: &[NewSignature]) -> Result<u64, StoreError> {
        self.tx
            .insert_signatures(&self.campaign, self.import_id, signatures)
            .await
    }

    pub(crate) async fn commit(
        mut self,
        source_name: &str,
        source_sha256: &str,
        counts: &ImportCounts,
        actor: &str,
    ) -> Result<i64, StoreError> {
        let count = |n: u64| Arg::Int(i64::try_from(n).unwrap_or(i64::MAX));
        let sql = "UPDATE signature_imports SET source_name = $2, source_sha256 = $3, rows_read = $4, accepted = $5,
                          duplicates = $6, rejected = $7
                    WHERE id = $1";
        let args = [
            Arg::Int(self.import_id.get()),
            Arg::Text(source_name),
            Arg::Text(source_sha256),
            count(counts.rows_read),
            count(counts.accepted),
            count(counts.duplicates),
            count(counts.rejected),
        ];
        self.tx.db().exec(sql, &args).await?;
        let event = crate::audit::import_event(
            actor,
            &self.campaign,
            self.import_id,
            source_name,
            source_sha256,
            counts,
        );
        self.tx.append_audit(vec![event]).await?;
        self.tx.commit().await?;
        Ok(self.import_id.get())
    }

    pub(crate) async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await
    }
}

/// Every signature of a campaign not erased, in the order they were stored.
pub(crate) async fn signatures(
    store: &impl Backend,
    campaign: &CampaignId,
) -> Result<Vec<SignatureRecord>, StoreError> {
    let sql = "SELECT id, email_key, email, first_name, last_name, organization, address_line1, address_line2,
                      city, state, postal_code, country, district, language, phone, receipt_consent, signed_at,
                      source
                 FROM signatures WHERE campaign_id = $1 AND erased_at IS NULL ORDER BY id";
    let rows = store
        .read()
        .await?
        .rows(sql, &[Arg::Text(campaign.as_str())])
        .await?;
    rows.iter()
        .map(|row| {
            let id = row.int("id")?;
            Ok((
                id.into(),
                signature_columns(row, "language")?.into_signature(id)?,
            ))
        })
        .collect()
}

/// Reads a signature's columns; `language_column` names the signer's language (statements
/// that also select a message's language alias it).
pub(crate) fn signature_columns(
    row: &impl Columns,
    language_column: &str,
) -> Result<SignatureColumns, StoreError> {
    Ok(SignatureColumns {
        email_key: row.text("email_key")?,
        email: row.text("email")?,
        first_name: row.opt_text("first_name")?,
        last_name: row.opt_text("last_name")?,
        organization: row.opt_text("organization")?,
        address_line1: row.opt_text("address_line1")?,
        address_line2: row.opt_text("address_line2")?,
        city: row.opt_text("city")?,
        state: row.opt_text("state")?,
        postal_code: row.opt_text("postal_code")?,
        country: row.opt_text("country")?,
        district: row.opt_i16("district")?,
        language: row.opt_text(language_column)?,
        phone: row.opt_text("phone")?,
        receipt_consent: row.flag("receipt_consent")?,
        signed_at: row.opt_time("signed_at")?,
        source: row.opt_text("source")?,
    })
}
