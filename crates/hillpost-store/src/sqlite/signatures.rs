//! SQLite's insert of an import's signatures (the logic is `crate::logic::signatures`):
//! multi-row `VALUES` within SQLite's limit on bound values, created at the transaction's
//! `now`.

use hillpost_core::NewSignature;
use hillpost_core::ids::ImportId;
use sqlx::{QueryBuilder, Sqlite};

use super::{SqliteWrite, ms};
use crate::StoreError;
use crate::logic::signatures::Writes;
use crate::signature_row::{SignatureColumns, new_salt};

// The claim path (`queue.rs`) reads signers with the reader written once.

/// 21 bound values per row; SQLite allows 32,766 per statement.
const ROWS_PER_STATEMENT: usize = 1_000;

impl Writes for SqliteWrite {
    async fn insert_signatures(
        &mut self,
        campaign: &str,
        import_id: ImportId,
        signatures: &[NewSignature],
    ) -> Result<u64, StoreError> {
        let created_at = self.now;
        let mut inserted = 0;
        for chunk in signatures.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO signatures (campaign_id, import_id, email_key, email, first_name, last_name, organization,
                        address_line1, address_line2, city, state, postal_code, country, district, language, phone,
                        receipt_consent, signed_at, source, created_at, salt) ",
            );
            query.push_values(chunk.iter().map(SignatureColumns::of), |mut row, c| {
                row.push_bind(campaign.to_string())
                    .push_bind(import_id.get())
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
            inserted += query.build().execute(self.conn()).await?.rows_affected();
        }
        Ok(inserted)
    }
}
