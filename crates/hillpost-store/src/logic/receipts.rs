//! Receipts, written once (what a receipt says is `crate::receipts`): housekeeping's pass
//! enqueuing the receipts owed, the page a token opens, and the signed statement. A
//! backend supplies the letters each signer took part in (their SQL differs: string
//! aggregation; [`Statements::SIGNER_LETTERS`]) and its lock on the signer
//! ([`Statements::SIGNER_STILL_HERE`]); and runs the pass inside its own transaction and
//! turn-taking (SQLite: housekeeping's `BEGIN IMMEDIATE`; PostgreSQL: an advisory lock).

use hillpost_core::ids::{BatchId, DeliveryId};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use hillpost_core::Campaign;
use hillpost_core::audit::NewEvent;
use hillpost_core::receipt::{LetterFacts, Statement};

use super::sql::{Arg, Columns, Run, returned_id};
use super::{Backend, Statements, Write};
use crate::receipts::{
    Candidate, NewReceipt, RECEIPT_ENDPOINT, RECEIPT_RATE_KEY, RECEIPTS_PER_PASS, RECIPIENT_KEY,
    RECIPIENT_NAME, ReceiptPage, enqueued_event, lines, new_receipt, parse_language, parse_lines,
};
use crate::statements::LetterProof;
use crate::{StoreError, new_idempotency_key};

/// The signers of batch `b` owed a receipt: consenting, carried by the batch, every letter
/// of theirs final, no receipt yet. Also the guard that keeps a batch from completing
/// before its receipts are enqueued. Conditions on `b` (a batch) and `s` (a signature of
/// its campaign); a macro, so the statements that use it stay `&'static str`. Consent is
/// the bare column: a boolean on PostgreSQL, 0 or 1 on SQLite (a CHECK), the same test.
macro_rules! owed_receipt {
    () => {
        "
           b.state = 'running' AND b.receipt_base_url IS NOT NULL
       AND s.receipt_consent AND s.id <= b.signers_through AND s.erased_at IS NULL
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
pub(crate) use owed_receipt;

/// The letters of batch `$1` a signer took part in — a petition's (`$2` true) or the signer
/// `$3`'s — in delivery order, with their last attempt; `$passed_over` is the backend's
/// aggregation of the endpoints each letter passed over, one per line (the only part of
/// the statement whose SQL differs).
macro_rules! letters_of_signer {
    ($passed_over:literal) => {
        concat!(
            "SELECT r.name AS office, d.channel, d.state, d.skip_reason, d.finalized_at, d.attempts,
                    d.max_attempts, d.last_error, a.outcome, a.finished_at AS last_finished_at,
                    a.remote_text, ",
            $passed_over,
            " AS passed_over
               FROM deliveries d
               JOIN recipients r ON r.id = d.recipient_id
               LEFT JOIN attempts a ON a.id = (SELECT max(id) FROM attempts WHERE delivery_id = d.id)
              WHERE d.batch_id = $1 AND d.kind = 'letter'
                AND (($2 AND d.signature_id IS NULL) OR d.signature_id = $3)
              ORDER BY d.id"
        )
    };
}
pub(crate) use letters_of_signer;

/// The signers owed a receipt, at most `$1`.
const OWED: &str = concat!(
    "SELECT b.id AS batch_id, b.campaign_id, b.mode, s.id AS signature_id, s.language
       FROM batches b JOIN signatures s ON s.campaign_id = b.campaign_id
      WHERE ",
    owed_receipt!(),
    " ORDER BY b.id, s.id LIMIT $1"
);

/// Signer `$1`'s signature when it is not erased, with a backend's lock.
macro_rules! signer_still_here {
    ($lock:literal) => {
        concat!(
            "SELECT id FROM signatures WHERE id = $1 AND erased_at IS NULL",
            $lock
        )
    };
}
pub(crate) use signer_still_here;

/// Enqueues the receipts owed (up to [`RECEIPTS_PER_PASS`]) inside the caller's
/// transaction (housekeeping's), stamped with its clock; their audit events, or `None`
/// when nobody is owed one.
pub(crate) async fn enqueue<W: Write>(tx: &mut W) -> Result<Option<Vec<NewEvent>>, StoreError> {
    let mut db = tx.db();
    let conn = &mut db;
    let found = conn.rows(OWED, &[Arg::Int(RECEIPTS_PER_PASS)]).await?;
    if found.is_empty() {
        return Ok(None);
    }
    let mut titles: HashMap<i64, String> = HashMap::new();
    let mut recipient_ids: HashMap<i64, i64> = HashMap::new();
    let mut events = Vec::new();
    for row in &found {
        let candidate = Candidate {
            batch_id: row.int("batch_id")?.into(),
            campaign_id: row.text("campaign_id")?,
            petition: row.text("mode")? == "petition",
            signature_id: row.int("signature_id")?.into(),
            language: row.opt_text("language")?,
        };
        let still_here = conn
            .row(
                W::Driver::SIGNER_STILL_HERE,
                &[Arg::Int(candidate.signature_id.get())],
            )
            .await?;
        if still_here.is_none() {
            continue;
        }
        let title = match titles.entry(candidate.batch_id.get()) {
            Entry::Occupied(title) => title.get().clone(),
            Entry::Vacant(slot) => slot
                .insert(campaign_title(conn, candidate.batch_id).await?)
                .clone(),
        };
        let letters = letters::<W::Driver>(conn, &candidate).await?;
        let receipt = new_receipt(&candidate, &title, &letters)?;
        let recipient_id = match recipient_ids.entry(candidate.batch_id.get()) {
            Entry::Occupied(id) => *id.get(),
            Entry::Vacant(slot) => {
                *slot.insert(receipts_recipient(conn, candidate.batch_id).await?)
            }
        };
        let message_id = message(conn, candidate.batch_id, &receipt).await?;
        let ids = (recipient_id, message_id);
        let Some(delivery_id) = insert_receipt_delivery(conn, &candidate, ids, &receipt).await?
        else {
            continue;
        };
        insert_receipt(conn, delivery_id.into(), &candidate, &receipt).await?;
        events.push(enqueued_event(&candidate, delivery_id.into(), &receipt));
    }
    Ok(Some(events))
}

/// The receipt's delivery, queued and due at once, unless the signer has one; its id.
async fn insert_receipt_delivery(
    db: &mut impl Run,
    candidate: &Candidate,
    (recipient_id, message_id): (i64, i64),
    receipt: &NewReceipt,
) -> Result<Option<i64>, StoreError> {
    let sql = "INSERT INTO deliveries (batch_id, recipient_id, signature_id, message_id, channel, endpoint, rate_key,
                       idempotency_key, state, max_attempts, due_at, created_at, kind)
               VALUES ($1, $2, $3, $4, 'email', $5, $6, $7, 'queued', $8, now(), now(), 'receipt')
               ON CONFLICT (batch_id, signature_id) WHERE kind = 'receipt' DO NOTHING
               RETURNING id";
    let key = new_idempotency_key();
    let args = [
        Arg::Int(candidate.batch_id.get()),
        Arg::Int(recipient_id),
        Arg::Int(candidate.signature_id.get()),
        Arg::Int(message_id),
        Arg::Text(RECEIPT_ENDPOINT),
        Arg::Text(RECEIPT_RATE_KEY),
        Arg::Text(&key),
        Arg::Int(receipt.max_attempts),
    ];
    db.row(sql, &args)
        .await?
        .map(|row| row.int("id"))
        .transpose()
}

/// The receipt's row (its lines), created now.
async fn insert_receipt(
    db: &mut impl Run,
    delivery_id: DeliveryId,
    candidate: &Candidate,
    receipt: &NewReceipt,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO receipts (delivery_id, batch_id, signature_id, language, subject, lines, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, now())";
    let args = [
        Arg::Int(delivery_id.get()),
        Arg::Int(candidate.batch_id.get()),
        Arg::Int(candidate.signature_id.get()),
        Arg::Text(receipt.rendered.language.as_str()),
        Arg::Text(&receipt.rendered.subject),
        Arg::Text(&receipt.lines_json),
    ];
    db.exec(sql, &args).await?;
    Ok(())
}

/// See [`crate::Store::add_receipt_link`].
pub(crate) async fn add_receipt_link(
    store: &impl Backend,
    delivery_id: DeliveryId,
    token_sha256: &str,
) -> Result<bool, StoreError> {
    let sql = "INSERT INTO receipt_links (token_sha256, receipt_id, created_at)
               SELECT $2, id, now() FROM receipts WHERE delivery_id = $1";
    let args = [Arg::Int(delivery_id.get()), Arg::Text(token_sha256)];
    Ok(store.read_now().await?.db().exec(sql, &args).await? == 1)
}

/// The batch's `receipts` recipient row, added with its first receipt; its id.
async fn receipts_recipient(conn: &mut impl Run, batch_id: BatchId) -> Result<i64, StoreError> {
    let sql = "INSERT INTO recipients (batch_id, key, name) VALUES ($1, $2, $3)
               ON CONFLICT (batch_id, key) DO UPDATE SET name = excluded.name RETURNING id";
    let args = [
        Arg::Int(batch_id.get()),
        Arg::Text(RECIPIENT_KEY),
        Arg::Text(RECIPIENT_NAME),
    ];
    returned_id(conn.row(sql, &args).await?)
}

/// The receipt's text as a message row of its batch (stored once per text); its id.
async fn message(
    conn: &mut impl Run,
    batch_id: BatchId,
    receipt: &NewReceipt,
) -> Result<i64, StoreError> {
    let sql = "INSERT INTO messages (batch_id, sha256, language, subject, body_markdown) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (batch_id, sha256) DO UPDATE SET sha256 = excluded.sha256 RETURNING id";
    let args = [
        Arg::Int(batch_id.get()),
        Arg::Text(&receipt.message_sha256),
        Arg::Text(receipt.rendered.language.as_str()),
        Arg::Text(&receipt.rendered.subject),
        Arg::Text(&receipt.rendered.body_markdown),
    ];
    returned_id(conn.row(sql, &args).await?)
}

async fn campaign_title(conn: &mut impl Run, batch_id: BatchId) -> Result<String, StoreError> {
    let sql = "SELECT c.definition FROM campaigns c JOIN batches b ON b.campaign_id = c.id WHERE b.id = $1";
    let row = conn.row(sql, &[Arg::Int(batch_id.get())]).await?;
    let definition = row
        .ok_or(StoreError::NoBatch(batch_id))?
        .text("definition")?;
    Ok(Campaign::from_stored(&definition)
        .map_err(StoreError::corrupt)?
        .title)
}

/// The letters `candidate` took part in, with their last attempt and `max_attempts`.
async fn letters<S: Statements>(
    conn: &mut impl Run,
    candidate: &Candidate,
) -> Result<Vec<(LetterFacts, i64)>, StoreError> {
    let args = [
        Arg::Int(candidate.batch_id.get()),
        Arg::Flag(candidate.petition),
        // A petition's letters carry no signer; an individual signer's carry theirs.
        Arg::OptInt((!candidate.petition).then_some(candidate.signature_id.get())),
    ];
    let rows = conn.rows(S::SIGNER_LETTERS, &args).await?;
    rows.iter()
        .map(|row| {
            Ok((
                LetterFacts {
                    office: row.text("office")?,
                    channel: row.parsed("channel")?,
                    state: row.parsed("state")?,
                    skip_reason: row.opt_text("skip_reason")?,
                    finalized_at: row.opt_time("finalized_at")?,
                    attempts: row.unsigned("attempts")?,
                    last_outcome: row.opt_parsed("outcome")?,
                    last_finished_at: row.opt_time("last_finished_at")?,
                    last_remote_text: row.opt_text("remote_text")?,
                    last_error: row.opt_text("last_error")?,
                    passed_over: lines(row.opt_text("passed_over")?),
                },
                i64::from(row.unsigned("max_attempts")?),
            ))
        })
        .collect()
}

/// The receipt a page token opens, by the token's SHA-256.
pub(crate) async fn receipt_by_token(
    store: &impl Backend,
    token_sha256: &str,
) -> Result<Option<ReceiptPage>, StoreError> {
    let sql = "SELECT r.batch_id, r.language, r.subject, r.lines, r.created_at, r.statement
                 FROM receipt_links l JOIN receipts r ON r.id = l.receipt_id WHERE l.token_sha256 = $1";
    let row = store
        .read()
        .await?
        .row(sql, &[Arg::Text(token_sha256)])
        .await?;
    row.map(|row| {
        Ok(ReceiptPage {
            batch_id: row.int("batch_id")?.into(),
            language: parse_language(&row.text("language")?),
            subject: row.text("subject")?,
            lines: parse_lines(&row.text("lines")?)?,
            statement: row.opt_text("statement")?,
            created_at: row.time("created_at")?,
        })
    })
    .transpose()
}

/// What receipt delivery `delivery_id`'s signed statement says; `None` when it is not a
/// receipt.
pub(crate) async fn receipt_statement(
    store: &impl Backend,
    delivery_id: DeliveryId,
) -> Result<Option<Statement>, StoreError> {
    let mut db = store.read().await?;
    let by_delivery = [Arg::Int(delivery_id.get())];
    let sql = "SELECT batch_id, signature_id, language, subject, lines FROM receipts WHERE delivery_id = $1";
    let Some(receipt) = db.row(sql, &by_delivery).await? else {
        return Ok(None);
    };
    // The signer's letters in delivery order, as the lines were made (see `letters`).
    let sql = "SELECT a.sent_sha256, e.seq, e.hash
                 FROM receipts r
                 JOIN batches b ON b.id = r.batch_id
                 JOIN deliveries d ON d.batch_id = r.batch_id AND d.kind = 'letter'
                  AND ((b.mode = 'petition' AND d.signature_id IS NULL) OR d.signature_id = r.signature_id)
                 LEFT JOIN attempts a ON a.id = (SELECT max(id) FROM attempts WHERE delivery_id = d.id)
                 LEFT JOIN audit_events e ON e.attempt_id = a.id AND e.kind = 'attempt.recorded'
                WHERE r.delivery_id = $1
                ORDER BY d.id";
    let proofs = db
        .rows(sql, &by_delivery)
        .await?
        .iter()
        .map(|row| -> Result<LetterProof, StoreError> {
            Ok((
                row.opt_text("sent_sha256")?,
                row.opt_int("seq")?,
                row.opt_text("hash")?,
            ))
        })
        .collect::<Result<_, _>>()?;
    crate::statements::statement(
        receipt.int("batch_id")?.into(),
        receipt.int("signature_id")?.into(),
        receipt.text("language")?,
        receipt.text("subject")?,
        parse_lines(&receipt.text("lines")?)?,
        proofs,
    )
    .map(Some)
}

/// Keeps `signed` as the receipt's statement unless one is kept already; the one kept.
pub(crate) async fn keep_receipt_statement(
    store: &impl Backend,
    delivery_id: DeliveryId,
    signed: &str,
) -> Result<Option<String>, StoreError> {
    let mut db = store.read().await?;
    let sql = "UPDATE receipts SET statement = $2 WHERE delivery_id = $1 AND statement IS NULL";
    db.exec(sql, &[Arg::Int(delivery_id.get()), Arg::Text(signed)])
        .await?;
    let sql = "SELECT statement FROM receipts WHERE delivery_id = $1";
    let row = db.row(sql, &[Arg::Int(delivery_id.get())]).await?;
    row.map(|row| row.opt_text("statement"))
        .transpose()
        .map(Option::flatten)
}
