//! Receipts on SQLite: enqueued inside housekeeping's `BEGIN IMMEDIATE` transaction (one
//! writer at a time, so no two passes overlap); see `crate::receipts`.

use std::collections::HashMap;

use hillpost_core::Campaign;
use hillpost_core::audit::NewEvent;
use hillpost_core::receipt::{LetterFacts, Statement};

use crate::statements::LetterProof;
use sqlx::{Row, SqliteConnection};

use super::batches::{parse, unsigned};
use super::{SqliteStore, now_ms, time};
use crate::receipts::{
    Candidate, RECEIPT_ENDPOINT, RECEIPT_RATE_KEY, RECEIPTS_PER_PASS, RECIPIENT_KEY,
    RECIPIENT_NAME, ReceiptPage, enqueued_event, lines, new_receipt, parse_language, parse_lines,
};
use crate::{StoreError, new_idempotency_key};

/// The signers of batch `b` owed a receipt: consenting, carried by the batch, every letter
/// of theirs final, no receipt yet. Also the guard that keeps a batch from completing
/// before its receipts are enqueued. Conditions on `b` (a batch) and `s` (a signature of
/// its campaign); a macro, so the
/// statements that use it stay `&'static str` (sqlx audits dynamic SQL).
macro_rules! owed_receipt {
    () => {
        "
           b.state = 'running' AND b.receipt_base_url IS NOT NULL
       AND s.receipt_consent = 1 AND s.id <= b.signers_through AND s.erased_at IS NULL
       AND (b.mode = 'petition' OR EXISTS (SELECT 1 FROM deliveries d
                                           WHERE d.batch_id = b.id AND d.signature_id = s.id AND d.kind = 'letter'))
       AND NOT EXISTS (SELECT 1 FROM deliveries d
                        WHERE d.batch_id = b.id AND d.signature_id = s.id AND d.kind = 'letter'
                          AND d.state IN ('queued', 'in_flight'))
       AND (b.mode <> 'petition' OR NOT EXISTS (SELECT 1 FROM deliveries d
                        WHERE d.batch_id = b.id AND d.signature_id IS NULL AND d.kind = 'letter'
                          AND d.state IN ('queued', 'in_flight')))
       AND NOT EXISTS (SELECT 1 FROM deliveries r
                        WHERE r.batch_id = b.id AND r.kind = 'receipt' AND r.signature_id = s.id)"
    };
}
pub(super) use owed_receipt;

/// Enqueues the receipts owed (up to [`RECEIPTS_PER_PASS`]); returns their audit events.
pub(super) async fn enqueue(conn: &mut SqliteConnection) -> Result<Vec<NewEvent>, StoreError> {
    let now = now_ms();
    let rows = sqlx::query(concat!(
        "SELECT b.id AS batch_id, b.campaign_id, b.mode, s.id AS signature_id, s.language
           FROM batches b JOIN signatures s ON s.campaign_id = b.campaign_id
          WHERE ",
        owed_receipt!(),
        " ORDER BY b.id, s.id LIMIT ?1"
    ))
    .bind(RECEIPTS_PER_PASS)
    .fetch_all(&mut *conn)
    .await?;
    let mut titles: HashMap<i64, String> = HashMap::new();
    let mut recipient_ids: HashMap<i64, i64> = HashMap::new();
    let mut events = Vec::new();
    for row in rows {
        let candidate = Candidate {
            batch_id: row.try_get("batch_id")?,
            campaign_id: row.try_get("campaign_id")?,
            petition: row.try_get::<&str, _>("mode")? == "petition",
            signature_id: row.try_get("signature_id")?,
            language: row.try_get("language")?,
        };
        let title = match titles.get(&candidate.batch_id) {
            Some(title) => title.clone(),
            None => {
                let title = campaign_title(conn, candidate.batch_id).await?;
                titles.insert(candidate.batch_id, title.clone());
                title
            }
        };
        let letters = letters(conn, &candidate).await?;
        let receipt = new_receipt(&candidate, &title, &letters)?;
        let recipient_id = match recipient_ids.get(&candidate.batch_id) {
            Some(id) => *id,
            None => {
                let id = receipts_recipient(conn, candidate.batch_id).await?;
                recipient_ids.insert(candidate.batch_id, id);
                id
            }
        };
        sqlx::query(
            "INSERT INTO messages (batch_id, sha256, language, subject, body_markdown) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (batch_id, sha256) DO NOTHING",
        )
        .bind(candidate.batch_id)
        .bind(&receipt.message_sha256)
        .bind(receipt.rendered.language.as_str())
        .bind(&receipt.rendered.subject)
        .bind(&receipt.rendered.body_markdown)
        .execute(&mut *conn)
        .await?;
        let message_id: i64 =
            sqlx::query_scalar("SELECT id FROM messages WHERE batch_id = ?1 AND sha256 = ?2")
                .bind(candidate.batch_id)
                .bind(&receipt.message_sha256)
                .fetch_one(&mut *conn)
                .await?;
        let delivery_id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO deliveries (batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                    idempotency_key, state, max_attempts, due_at, created_at, kind)
             VALUES (?1, ?2, ?3, ?4, 'email', ?5, ?6, ?7, 'queued', ?8, ?9, ?9, 'receipt')
             ON CONFLICT (batch_id, signature_id) WHERE kind = 'receipt' DO NOTHING
             RETURNING id",
        )
        .bind(candidate.batch_id)
        .bind(recipient_id)
        .bind(candidate.signature_id)
        .bind(message_id)
        .bind(RECEIPT_ENDPOINT)
        .bind(RECEIPT_RATE_KEY)
        .bind(new_idempotency_key())
        .bind(receipt.max_attempts)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(delivery_id) = delivery_id else {
            continue;
        };
        sqlx::query(
            "INSERT INTO receipts (delivery_id, batch_id, signature_id, language, subject, lines, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(delivery_id)
        .bind(candidate.batch_id)
        .bind(candidate.signature_id)
        .bind(receipt.rendered.language.as_str())
        .bind(&receipt.rendered.subject)
        .bind(&receipt.lines_json)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        events.push(enqueued_event(&candidate, delivery_id, &receipt));
    }
    Ok(events)
}

/// The batch's `receipts` recipient row, added with its first receipt.
async fn receipts_recipient(conn: &mut SqliteConnection, batch_id: i64) -> Result<i64, StoreError> {
    sqlx::query(
        "INSERT INTO recipients (batch_id, key, name) VALUES (?1, ?2, ?3) ON CONFLICT (batch_id, key) DO NOTHING",
    )
    .bind(batch_id)
    .bind(RECIPIENT_KEY)
    .bind(RECIPIENT_NAME)
    .execute(&mut *conn)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM recipients WHERE batch_id = ?1 AND key = ?2")
            .bind(batch_id)
            .bind(RECIPIENT_KEY)
            .fetch_one(&mut *conn)
            .await?,
    )
}

async fn campaign_title(conn: &mut SqliteConnection, batch_id: i64) -> Result<String, StoreError> {
    let definition: String = sqlx::query_scalar(
        "SELECT c.definition FROM campaigns c JOIN batches b ON b.campaign_id = c.id WHERE b.id = ?1",
    )
    .bind(batch_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Campaign::from_stored(&definition)
        .map_err(StoreError::corrupt)?
        .title)
}

/// The letters `candidate` took part in, with their last attempt and `max_attempts`.
async fn letters(
    conn: &mut SqliteConnection,
    candidate: &Candidate,
) -> Result<Vec<(LetterFacts, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT r.name AS office, d.channel, d.state, d.skip_reason, d.finalized_at, d.attempts, d.max_attempts,
                d.last_error, a.outcome, a.finished_at AS last_finished_at, a.remote_text,
                (SELECT group_concat(e.from_channel || ': ' || e.reason, char(10))
                   FROM (SELECT from_channel, reason FROM delivery_events
                          WHERE delivery_id = d.id AND kind = 'route' AND to_channel IS NOT NULL
                          ORDER BY id) e) AS passed_over
           FROM deliveries d
           JOIN recipients r ON r.id = d.recipient_id
           LEFT JOIN attempts a ON a.id = (SELECT max(id) FROM attempts WHERE delivery_id = d.id)
          WHERE d.batch_id = ?1 AND d.kind = 'letter'
            AND ((?2 AND d.signature_id IS NULL) OR d.signature_id = ?3)
          ORDER BY d.id",
    )
    .bind(candidate.batch_id)
    .bind(candidate.petition)
    // A petition's letters carry no signer; an individual signer's carry theirs.
    .bind((!candidate.petition).then_some(candidate.signature_id))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let outcome: Option<String> = row.try_get("outcome")?;
            Ok((
                LetterFacts {
                    office: row.try_get("office")?,
                    channel: parse(row.try_get("channel")?)?,
                    state: parse(row.try_get("state")?)?,
                    skip_reason: row.try_get("skip_reason")?,
                    finalized_at: row.try_get::<Option<i64>, _>("finalized_at")?.map(time),
                    attempts: unsigned(row.try_get("attempts")?),
                    last_outcome: outcome.as_deref().map(parse).transpose()?,
                    last_finished_at: row.try_get::<Option<i64>, _>("last_finished_at")?.map(time),
                    last_remote_text: row.try_get("remote_text")?,
                    last_error: row.try_get("last_error")?,
                    passed_over: lines(row.try_get("passed_over")?),
                },
                row.try_get("max_attempts")?,
            ))
        })
        .collect()
}

impl SqliteStore {
    pub async fn add_receipt_link(
        &self,
        delivery_id: i64,
        token_sha256: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO receipt_links (token_sha256, receipt_id, created_at)
             SELECT ?2, id, ?3 FROM receipts WHERE delivery_id = ?1",
        )
        .bind(delivery_id)
        .bind(token_sha256)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn receipt_by_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<ReceiptPage>, StoreError> {
        let row = sqlx::query(
            "SELECT r.batch_id, r.language, r.subject, r.lines, r.created_at, r.statement
               FROM receipt_links l JOIN receipts r ON r.id = l.receipt_id WHERE l.token_sha256 = ?1",
        )
        .bind(token_sha256)
        .fetch_optional(self.pool())
        .await?;
        row.map(|row| {
            Ok(ReceiptPage {
                batch_id: row.try_get("batch_id")?,
                language: parse_language(row.try_get("language")?),
                subject: row.try_get("subject")?,
                lines: parse_lines(row.try_get("lines")?)?,
                statement: row.try_get("statement")?,
                created_at: time(row.try_get("created_at")?),
            })
        })
        .transpose()
    }

    /// What receipt delivery `delivery_id`'s signed statement says; `None` when it is not a
    /// receipt.
    pub async fn receipt_statement(
        &self,
        delivery_id: i64,
    ) -> Result<Option<Statement>, StoreError> {
        let row: Option<(i64, i64, String, String, String)> = sqlx::query_as(
            "SELECT batch_id, signature_id, language, subject, lines FROM receipts WHERE delivery_id = ?1",
        )
        .bind(delivery_id)
        .fetch_optional(self.pool())
        .await?;
        let Some((batch_id, signer_id, language, subject, lines)) = row else {
            return Ok(None);
        };
        // The signer's letters in delivery order, as the lines were made (see `letters`).
        let proofs: Vec<LetterProof> = sqlx::query_as(
            "SELECT a.sent_sha256, e.seq, e.hash
               FROM receipts r
               JOIN batches b ON b.id = r.batch_id
               JOIN deliveries d ON d.batch_id = r.batch_id AND d.kind = 'letter'
                AND ((b.mode = 'petition' AND d.signature_id IS NULL) OR d.signature_id = r.signature_id)
               LEFT JOIN attempts a ON a.id = (SELECT max(id) FROM attempts WHERE delivery_id = d.id)
               LEFT JOIN audit_events e ON e.attempt_id = a.id AND e.kind = 'attempt.recorded'
              WHERE r.delivery_id = ?1
              ORDER BY d.id",
        )
        .bind(delivery_id)
        .fetch_all(self.pool())
        .await?;
        crate::statements::statement(
            batch_id,
            signer_id,
            language,
            subject,
            parse_lines(&lines)?,
            proofs,
        )
        .map(Some)
    }

    /// Keeps `signed` as the receipt's statement unless one is kept already; returns the
    /// one kept, so every attempt and the page carry the same.
    pub async fn keep_receipt_statement(
        &self,
        delivery_id: i64,
        signed: &str,
    ) -> Result<Option<String>, StoreError> {
        sqlx::query(
            "UPDATE receipts SET statement = ?2 WHERE delivery_id = ?1 AND statement IS NULL",
        )
        .bind(delivery_id)
        .bind(signed)
        .execute(self.pool())
        .await?;
        Ok(
            sqlx::query_scalar("SELECT statement FROM receipts WHERE delivery_id = ?1")
                .bind(delivery_id)
                .fetch_optional(self.pool())
                .await?
                .flatten(),
        )
    }
}
