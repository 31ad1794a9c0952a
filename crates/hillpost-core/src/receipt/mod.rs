//! Receipts: once every letter a signer took part in has a final state, a signer who
//! consented gets one message that says, office by office, what became of it. This module
//! turns the stored facts about those letters into the receipt's lines and its email text,
//! in the signer's language; the store enqueues the result and the worker sends it.
//!
//! ```text
//!  LetterFacts (one per letter: office, channel, state, last attempt)
//!      │ receipt_lines(language)
//!      ▼
//!  ReceiptLine { office, channel, at, outcome, text }   ─▶ stored with the receipt (page)
//!      │ render_receipt(campaign title, language)
//!      ▼
//!  RenderedReceipt { subject, body_markdown (with LINK_PLACEHOLDER) }
//!      │ with_link(url)   ← at send time: the link's token is minted per attempt
//!      ▼
//!  the email body
//! ```
//!
//! The link is put in only when the receipt is sent, so its token never rests in the
//! database in clear: only its SHA-256 is stored.

mod statement;
mod words;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::delivery::{AttemptOutcome, Channel, DeliveryState};
use crate::markdown::escape;
pub use statement::{
    RECEIPT_TYPE, ReceiptError, Statement, StatementLine, VerifiedReceipt, sign_receipt,
    verify_receipt,
};
pub use words::ReceiptLanguage;

/// Where the receipt page's link goes in a stored receipt body, until it is sent.
pub const LINK_PLACEHOLDER: &str = "{{receipt_link}}";

/// What the store knows about one letter a signer took part in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterFacts {
    pub office: String,
    pub channel: Channel,
    pub state: DeliveryState,
    pub skip_reason: Option<String>,
    /// When the delivery reached its final state.
    pub finalized_at: Option<DateTime<Utc>>,
    pub attempts: u32,
    /// The last attempt's outcome, end time and remote answer, when there was one.
    pub last_outcome: Option<AttemptOutcome>,
    pub last_finished_at: Option<DateTime<Utc>>,
    pub last_remote_text: Option<String>,
    /// The delivery's last error (what the channel said, in short).
    pub last_error: Option<String>,
    /// Endpoints the letter left before its last one, and why ("web_form: the form has a
    /// recaptcha step"), in order; empty when it stayed on its first.
    pub passed_over: Vec<String>,
}

/// One line of a receipt: what became of one letter, in words, plus the facts behind them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub office: String,
    pub channel: String,
    /// When it was accepted (or finally given up on); `None` when nothing was attempted.
    pub at: Option<DateTime<Utc>>,
    /// The delivery's final state: `delivered`, `unconfirmed`, `bounced`, `failed`, `dead`,
    /// `cancelled`, `skipped`.
    pub outcome: String,
    /// In the signer's language: "accepted by … at 10:02 UTC", "could not be delivered: …".
    pub text: String,
}

/// The receipt email before its link is put in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedReceipt {
    pub language: ReceiptLanguage,
    pub subject: String,
    /// Markdown; office names and remote answers are escaped. Contains [`LINK_PLACEHOLDER`].
    pub body_markdown: String,
}

/// The lines of a receipt, one per letter, in the order given (the store gives them in
/// delivery order).
pub fn receipt_lines(letters: &[LetterFacts], language: ReceiptLanguage) -> Vec<ReceiptLine> {
    letters
        .iter()
        .map(|letter| {
            let at = match letter.state {
                DeliveryState::Delivered
                | DeliveryState::Unconfirmed
                | DeliveryState::Bounced
                | DeliveryState::Failed
                | DeliveryState::Dead => letter.last_finished_at.or(letter.finalized_at),
                _ => None,
            };
            ReceiptLine {
                office: letter.office.clone(),
                channel: letter.channel.as_str().to_string(),
                at,
                outcome: letter.state.as_str().to_string(),
                text: language.describe(letter, at),
            }
        })
        .collect()
}

/// The receipt email: a greeting naming the campaign, one list item per line, the link.
pub fn render_receipt(
    campaign_title: &str,
    lines: &[ReceiptLine],
    language: ReceiptLanguage,
) -> RenderedReceipt {
    let mut body = format!("{}\n\n", language.intro(&escape(campaign_title)));
    for line in lines {
        body.push_str(&format!(
            "- **{}**: {}\n",
            escape(&line.office),
            escape(&line.text)
        ));
    }
    body.push_str(&format!(
        "\n{}\n\n<{LINK_PLACEHOLDER}>\n\n{}\n",
        language.link_intro(),
        language.closing()
    ));
    RenderedReceipt {
        language,
        subject: language.subject(campaign_title),
        body_markdown: body,
    }
}

/// The body with the receipt page's address in place of [`LINK_PLACEHOLDER`].
pub fn with_link(body_markdown: &str, url: &str) -> String {
    body_markdown.replace(LINK_PLACEHOLDER, url)
}

/// A receipt page token from 32 random bytes (256 bits), as 64 hexadecimal characters.
/// The caller supplies the randomness (this crate does no I/O).
pub fn token_from_bytes(bytes: [u8; 32]) -> String {
    hex::encode(bytes)
}

/// What the store keeps of a receipt page token: its SHA-256, hex. Anything that is not a
/// token still hashes, and simply finds nothing.
pub fn token_sha256(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The receipt page's address: `base` (the configured public URL) and the token.
pub fn receipt_url(base: &str, token: &str) -> String {
    format!("{}/receipts/{token}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests;
