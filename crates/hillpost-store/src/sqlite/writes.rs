//! SQLite's writes of many rows at once (what they are for is written once in
//! `crate::logic`): multi-row `INSERT`s within SQLite's limit on bound values (32,766 a
//! statement), inside the caller's `BEGIN IMMEDIATE`, which already holds the one write
//! lock; recording goes record by record (the driver's default).

use hillpost_core::audit::{NewEvent, seal};
use sqlx::{QueryBuilder, Sqlite};

use super::ms;
use crate::StoreResult;
use crate::logic::audit::read_head;
use crate::logic::driver::{Driver, NewDeliveries, NewSignatures, WriteTx, ZipDistrictRow};
use crate::signature_row::{SignatureColumns, new_salt};

/// 14 bound values per delivery row.
const DELIVERY_ROWS_PER_STATEMENT: usize = 2_000;

/// 21 bound values per signature row.
const SIGNATURE_ROWS_PER_STATEMENT: usize = 1_000;

/// 11 bound values per audit event.
const EVENTS_PER_STATEMENT: usize = 2_000;

impl Driver for Sqlite {
    async fn insert_deliveries(tx: &mut WriteTx<Self>, new: NewDeliveries<'_>) -> StoreResult<()> {
        let now = ms(tx.at.instant());
        for rows in new.rows(DELIVERY_ROWS_PER_STATEMENT) {
            let rows = rows?;
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO deliveries (batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                        idempotency_key, state, skip_reason, max_attempts, due_at, created_at, finalized_at) ",
            );
            query.push_values(rows, |mut row, d| {
                let (skipped, state) = (d.is_skipped(), d.state());
                row.push_bind(new.batch_id.get())
                    .push_bind(d.recipient_id.get())
                    .push_bind(d.signature_id.map(i64::from))
                    .push_bind(d.message_id.map(i64::from))
                    .push_bind(d.channel.as_str())
                    .push_bind(d.endpoint)
                    .push_bind(d.rate_key)
                    .push_bind(d.idempotency_key)
                    .push_bind(state)
                    .push_bind(d.skip_reason)
                    .push_bind(i64::from(new.max_attempts))
                    .push_bind(ms(new.start_at))
                    .push_bind(now)
                    .push_bind(skipped.then_some(now));
            });
            query.build().execute(tx.conn()).await?;
        }
        Ok(())
    }

    /// Created at the transaction's `now`.
    async fn insert_signatures(tx: &mut WriteTx<Self>, new: NewSignatures<'_>) -> StoreResult<u64> {
        let created_at = ms(tx.at.instant());
        let mut inserted = 0;
        for chunk in new.signatures.chunks(SIGNATURE_ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO signatures (campaign_id, import_id, email_key, email, first_name, last_name, organization,
                        address_line1, address_line2, city, state, postal_code, country, district, language, phone,
                        receipt_consent, signed_at, source, created_at, salt) ",
            );
            query.push_values(chunk.iter().map(SignatureColumns::of), |mut row, c| {
                row.push_bind(new.campaign.to_string())
                    .push_bind(new.import_id.get())
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
            inserted += query.build().execute(tx.conn()).await?.rows_affected();
        }
        Ok(inserted)
    }

    async fn insert_zip_rows(tx: &mut WriteTx<Self>, rows: &[ZipDistrictRow]) -> StoreResult<()> {
        let mut query =
            QueryBuilder::<Sqlite>::new("INSERT INTO zip_districts (zip, state, district) ");
        query.push_values(rows, |mut row, z| {
            row.push_bind(&z.zip)
                .push_bind(&z.state)
                .push_bind(i64::from(z.district));
        });
        query.build().execute(tx.conn()).await?;
        Ok(())
    }

    /// The head is read and moved inside the transaction of the change the events record,
    /// which holds the one write lock, so no other writer comes between.
    async fn append_events(tx: &mut WriteTx<Self>, events: Vec<NewEvent>) -> StoreResult<()> {
        let head = read_head(tx.conn()).await?;
        let (sealed, head) = seal(&head, tx.at.instant(), events);
        for chunk in sealed.chunks(EVENTS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO audit_events (seq, at, kind, actor, campaign_id, batch_id, delivery_id, attempt_id, payload,
                        prev_hash, hash) ",
            );
            query.push_values(chunk, |mut row, e| {
                row.push_bind(e.seq)
                    .push_bind(ms(e.at))
                    .push_bind(e.kind.as_str())
                    .push_bind(e.actor.as_str())
                    .push_bind(e.subjects.campaign_id.as_deref())
                    .push_bind(e.subjects.batch_id.map(i64::from))
                    .push_bind(e.subjects.delivery_id.map(i64::from))
                    .push_bind(e.subjects.attempt_id.map(i64::from))
                    .push_bind(e.payload.as_str())
                    .push_bind(e.prev_hash.as_str())
                    .push_bind(e.hash.as_str());
            });
            query.build().execute(tx.conn()).await?;
        }
        sqlx::query("UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1")
            .bind(head.seq)
            .bind(&head.hash)
            .execute(tx.conn())
            .await?;
        Ok(())
    }
}
