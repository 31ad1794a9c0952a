//! Receipts' store side, common to both backends. Housekeeping (`tick`) enqueues a receipt
//! for every consenting signer of a running batch whose letters are all final, in the same
//! queue as letters:
//!
//! ```text
//!  candidates (pending_receipts SQL) ─▶ LetterFacts per signer ─▶ hillpost_core::receipt
//!     ─▶ message row (the text, link left as a placeholder) + delivery (kind 'receipt',
//!        email, endpoint `signer`, rate key `receipts`) + receipts row (the lines)
//!        + audit event `receipt.enqueued`, in one transaction
//! ```
//!
//! `deliveries_one_receipt` (unique per batch and signer) makes a second enqueue a no-op, so
//! any number of workers may run housekeeping at once. The worker mints the page's token
//! just before each attempt ([`crate::Store::add_receipt_link`]).

use chrono::{DateTime, Utc};
use hillpost_core::audit::{EventKind, NewEvent, Subjects};
use hillpost_core::ids::{BatchId, DeliveryId, SignatureId};
use hillpost_core::receipt::{
    LetterFacts, ReceiptLanguage, ReceiptLine, RenderedReceipt, receipt_lines, render_receipt,
};
use serde_json::json;

use crate::StoreError;

/// The recipient row every receipt delivery of a batch points at.
pub(crate) const RECIPIENT_KEY: &str = "receipts";
pub(crate) const RECIPIENT_NAME: &str = "Receipts to signers";
/// A receipt's endpoint as stored: the address is the signer's, read when it is sent, so it
/// stays out of deliveries, attempts and the audit trail.
pub const RECEIPT_ENDPOINT: &str = "signer";
/// The rate key every receipt is sent under (`[rate_limits.keys] receipts = "…"`).
pub const RECEIPT_RATE_KEY: &str = "receipts";
/// How many receipts one housekeeping pass enqueues at most, so a pass stays short (about
/// 1–2 ms per receipt on the development machine; SQLite's write lock is held meanwhile).
pub(crate) const RECEIPTS_PER_PASS: i64 = 200;

/// What the receipt page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptPage {
    pub batch_id: BatchId,
    pub language: ReceiptLanguage,
    pub subject: String,
    pub lines: Vec<ReceiptLine>,
    pub created_at: DateTime<Utc>,
    /// The signed statement (`receipt.json`), once the receipt was sent with a signing key.
    pub statement: Option<String>,
}

/// One signer owed a receipt.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub batch_id: BatchId,
    pub campaign_id: String,
    /// A petition batch: the signer's letters are the batch's petition letters.
    pub petition: bool,
    pub signature_id: SignatureId,
    pub language: Option<String>,
}

/// A receipt ready to insert.
pub(crate) struct NewReceipt {
    pub rendered: RenderedReceipt,
    pub lines_json: String,
    pub message_sha256: String,
    pub max_attempts: i64,
    pub event_lines: serde_json::Value,
}

/// The endpoints a letter passed over, one per line as the backends aggregate them.
pub(crate) fn lines(aggregated: Option<String>) -> Vec<String> {
    aggregated
        .map(|text| text.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Renders the receipt of `candidate` from its letters (with their `max_attempts`).
pub(crate) fn new_receipt(
    candidate: &Candidate,
    campaign_title: &str,
    letters: &[(LetterFacts, i64)],
) -> Result<NewReceipt, StoreError> {
    let language = ReceiptLanguage::for_signer(candidate.language.as_deref());
    let facts: Vec<LetterFacts> = letters.iter().map(|(f, _)| f.clone()).collect();
    let lines = receipt_lines(&facts, language);
    let rendered = render_receipt(campaign_title, &lines, language);
    let message_sha256 = crate::sha256_hex(
        format!(
            "receipt\n{}\n{}\n{}",
            language.as_str(),
            rendered.subject,
            rendered.body_markdown
        )
        .as_bytes(),
    );
    let event_lines = json!(
        lines
            .iter()
            .map(|l| json!({ "office": l.office, "channel": l.channel, "outcome": l.outcome }))
            .collect::<Vec<_>>()
    );
    Ok(NewReceipt {
        lines_json: serde_json::to_string(&lines).map_err(StoreError::corrupt)?,
        rendered,
        message_sha256,
        max_attempts: letters.iter().map(|(_, m)| *m).max().unwrap_or(1).max(1),
        event_lines,
    })
}

/// `receipt.enqueued`: which signer (by id), in which language, about which letters.
pub(crate) fn enqueued_event(
    candidate: &Candidate,
    delivery_id: DeliveryId,
    receipt: &NewReceipt,
) -> NewEvent {
    NewEvent {
        kind: EventKind::ReceiptEnqueued,
        actor: crate::HOUSEKEEPING.to_string(),
        subjects: Subjects {
            campaign_id: Some(candidate.campaign_id.clone()),
            batch_id: Some(candidate.batch_id),
            delivery_id: Some(delivery_id),
            attempt_id: None,
        },
        payload: json!({
            "signer_id": candidate.signature_id,
            "language": receipt.rendered.language.as_str(),
            "message_sha256": receipt.message_sha256,
            "letters": receipt.event_lines,
        }),
    }
}

pub(crate) fn parse_lines(text: &str) -> Result<Vec<ReceiptLine>, StoreError> {
    serde_json::from_str(text).map_err(StoreError::corrupt)
}

pub(crate) fn parse_language(text: &str) -> ReceiptLanguage {
    ReceiptLanguage::for_signer(Some(text))
}
