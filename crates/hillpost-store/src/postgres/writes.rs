//! PostgreSQL's writes of many rows at once (what they are for is written once in
//! `crate::logic`): letters and deliveries by `COPY`, signatures and recorded attempts as
//! arrays in one statement, audit events in one call of `hillpost_audit_append`.

use std::collections::HashMap;

use hillpost_core::audit::{NewEvent, unsealed};
use hillpost_core::batch::PlannedMessage;
use hillpost_core::ids::BatchId;
use sqlx::{PgConnection, Postgres};

use super::copy_text::CopyBuffer;
use crate::logic::driver::{Driver, NewDeliveries, NewSignatures, WriteTx, ZipDistrictRow};
use crate::logic::sql::{Dialect, clocked};
use crate::record::Applied;
use crate::signature_row::{SignatureColumns, new_salt};
use crate::{AttemptRecord, StoreResult};

/// Deliveries are turned into rows this many at a time (bounding the memory of row values
/// held at once) and streamed to COPY a buffer at a time.
const DELIVERY_CHUNK: usize = 10_000;

/// Batches at least this large refresh the planner's statistics of `deliveries`.
const ANALYZE_AFTER_ROWS: usize = 1_000;

impl Driver for Postgres {
    async fn insert_messages(
        tx: &mut WriteTx<Self>,
        batch_id: BatchId,
        messages: &[PlannedMessage],
    ) -> StoreResult<HashMap<String, i64>> {
        let mut copy = tx
            .conn()
            .copy_in_raw(
                "COPY messages (batch_id, sha256, language, subject, body_markdown) FROM STDIN",
            )
            .await?;
        let mut buffer = CopyBuffer::new();
        for message in messages {
            buffer
                .row()
                .number(batch_id.get())
                .text(&message.sha256)
                .text(message.letter.language.as_str())
                .text(&message.letter.subject)
                .text(&message.letter.body_markdown)
                .end();
            buffer.send_when_full(&mut copy).await?;
        }
        buffer.finish(copy).await?;
        Ok(
            sqlx::query_as("SELECT sha256, id FROM messages WHERE batch_id = $1")
                .bind(batch_id.get())
                .fetch_all(tx.conn())
                .await?
                .into_iter()
                .collect(),
        )
    }

    async fn insert_deliveries(tx: &mut WriteTx<Self>, new: NewDeliveries<'_>) -> StoreResult<()> {
        let max_attempts = i64::from(new.max_attempts);
        // Skipped deliveries are final from the start; their time is taken once, here.
        let due_at = new.start_at.to_rfc3339();
        let now = tx.at.instant().to_rfc3339();
        let mut copy = tx
            .conn()
            .copy_in_raw(
                "COPY deliveries (batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                        idempotency_key, state, skip_reason, max_attempts, due_at, finalized_at)
                 FROM STDIN",
            )
            .await?;
        let mut buffer = CopyBuffer::new();
        for rows in new.rows(DELIVERY_CHUNK) {
            for row in rows? {
                buffer
                    .row()
                    .number(new.batch_id.get())
                    .number(row.recipient_id.get())
                    .opt_number(row.signature_id.map(i64::from))
                    .opt_number(row.message_id.map(i64::from))
                    .text(row.channel.as_str())
                    .text(&row.endpoint)
                    .text(&row.rate_key)
                    .text(&row.idempotency_key)
                    .text(row.state())
                    .opt_text(row.skip_reason.as_deref())
                    .number(max_attempts)
                    .text(&due_at)
                    .opt_text(row.is_skipped().then_some(now.as_str()))
                    .end();
                buffer.send_when_full(&mut copy).await?;
            }
        }
        buffer.finish(copy).await?;
        Ok(())
    }

    /// One statement, the columns as arrays through `unnest`, created at the store's clock.
    async fn insert_signatures(tx: &mut WriteTx<Self>, new: NewSignatures<'_>) -> StoreResult<u64> {
        let columns: Vec<SignatureColumns> =
            new.signatures.iter().map(SignatureColumns::of).collect();
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
        let (sql, clock) = clocked(sql, &[], tx.at);
        let query = sqlx::query(sql)
            .bind(new.campaign)
            .bind(new.import_id.get())
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
        let done = query.execute(tx.conn()).await?;
        Ok(done.rows_affected())
    }

    /// The columns as arrays through `unnest` (the district is a `smallint`).
    async fn insert_zip_rows(tx: &mut WriteTx<Self>, rows: &[ZipDistrictRow]) -> StoreResult<()> {
        let column = |f: fn(&ZipDistrictRow) -> &str| rows.iter().map(f).collect::<Vec<_>>();
        sqlx::query(
            "INSERT INTO zip_districts (zip, state, district)
             SELECT * FROM unnest($1::text[], $2::text[], $3::int2[])",
        )
        .bind(column(|z| &z.zip))
        .bind(column(|z| &z.state))
        .bind(
            rows.iter()
                .map(|z| i16::from(z.district))
                .collect::<Vec<_>>(),
        )
        .execute(tx.conn())
        .await?;
        Ok(())
    }

    /// Many worker processes append at once, so appends are serialised on the one-row
    /// `audit_head`, locked as the *last* step of the transaction that made the change: one
    /// statement (`hillpost_audit_append`, migration 0009) locks the head, gives the events
    /// their places and hashes, inserts them and moves the head; then commit. The head is
    /// held for that statement and the commit only (no other row lock is waited for while
    /// holding it, so it cannot take part in a deadlock), and a group of attempts takes it
    /// once however many events it appends.
    async fn append_events(tx: &mut WriteTx<Self>, events: Vec<NewEvent>) -> StoreResult<()> {
        let events = unsealed(tx.at.instant(), events);
        macro_rules! column {
            ($e:ident => $value:expr) => {
                events.iter().map(|$e| $value).collect::<Vec<_>>()
            };
        }
        sqlx::query("SELECT hillpost_audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(column!(e => e.canonical_prefix.as_str()))
            .bind(column!(e => e.at))
            .bind(column!(e => e.kind.as_str()))
            .bind(column!(e => e.actor.as_str()))
            .bind(column!(e => e.subjects.campaign_id.as_deref()))
            .bind(column!(e => e.subjects.batch_id.map(i64::from)))
            .bind(column!(e => e.subjects.delivery_id.map(i64::from)))
            .bind(column!(e => e.subjects.attempt_id.map(i64::from)))
            .bind(column!(e => e.payload.as_str()))
            .execute(tx.conn())
            .await?;
        Ok(())
    }

    /// In one statement (one round trip) however many records: see `super::queue`.
    async fn apply<'a>(
        tx: &mut WriteTx<Self>,
        actor: &str,
        records: &[(&'a str, &'a AttemptRecord)],
    ) -> StoreResult<Vec<Applied<'a>>> {
        let at = tx.at;
        super::queue::apply(tx.conn(), actor, records, at).await
    }

    /// A batch can multiply the queue many times over before autovacuum next looks at it.
    /// With the old statistics the planner takes `deliveries` for a few rows and plans the
    /// claim as "join everything, then sort" instead of walking the due index: 1.6 s per
    /// claim with 1,000,000 rows queued instead of 3 ms. Refreshing them here (a sample,
    /// well under a second) keeps claims cheap from the first one.
    async fn batch_created(conn: &mut PgConnection, deliveries: usize) -> StoreResult<()> {
        if deliveries >= ANALYZE_AFTER_ROWS {
            sqlx::query("ANALYZE deliveries").execute(conn).await?;
        }
        Ok(())
    }
}
