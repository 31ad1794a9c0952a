//! PostgreSQL's insert of an import's signatures (the logic is
//! `crate::logic::signatures`): one statement, the columns as arrays through `unnest`,
//! created at the store's clock.

use hillpost_core::NewSignature;
use hillpost_core::ids::ImportId;
use sqlx::Postgres;

use super::PgWrite;
use crate::StoreError;
use crate::logic::signatures::Writes;
use crate::logic::sql::{Dialect, clocked};
use crate::signature_row::{SignatureColumns, new_salt};

// The claim path (`queue.rs`) reads signers with the reader written once.

impl Writes for PgWrite {
    async fn insert_signatures(
        &mut self,
        campaign: &str,
        import_id: ImportId,
        signatures: &[NewSignature],
    ) -> Result<u64, StoreError> {
        let columns: Vec<SignatureColumns> = signatures.iter().map(SignatureColumns::of).collect();
        macro_rules! array {
            ($field:ident) => {
                columns.iter().map(|c| c.$field.clone()).collect::<Vec<_>>()
            };
        }
        let sql = "INSERT INTO signatures (campaign_id, import_id, email_key, email, first_name, last_name,
                    organization, address_line1, address_line2, city, state, postal_code, country, district,
                    language, phone, receipt_consent, signed_at, source, salt, created_at)
             SELECT $1, $2, *, now() FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::int2[], $15::text[],
                    $16::text[], $17::bool[], $18::timestamptz[], $19::text[], $20::bytea[])
             ON CONFLICT (campaign_id, email_key) DO NOTHING";
        // `now()` is the store's clock: as written, or one more bound parameter.
        let (sql, clock) = clocked(sql, &[], self.now);
        let query = sqlx::query(sql)
            .bind(campaign)
            .bind(import_id.get())
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
            .bind(columns.iter().map(|_| new_salt()).collect::<Vec<_>>());
        let query = clock.into_iter().fold(query, Postgres::bind);
        let done = query.execute(self.conn()).await?;
        Ok(done.rows_affected())
    }
}
