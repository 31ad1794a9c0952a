use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{AttemptOutcome, Channel};
use crate::AttemptNo;
use crate::campaign::{CampaignId, Mode};
use crate::signer::{Email, Language, NewSignature};

/// Everything a channel needs to send one delivery, assembled by the worker from the store.
#[derive(Debug, Clone)]
pub struct OutgoingLetter {
    pub delivery_id: crate::DeliveryId,
    /// 1-based number of this attempt.
    pub attempt_no: AttemptNo,
    /// Stable across attempts: the Message-ID's local part, the CWC DeliveryId
    /// (32 hexadecimal characters).
    pub idempotency_key: String,
    pub channel: Channel,
    /// The email address, form id or CWC office code.
    pub endpoint: String,
    pub recipient_name: String,
    /// Whose name the letter goes out under: the organization (petition) or the signer.
    pub sender_name: String,
    /// Where replies go: the signer in individual mode.
    pub reply_to: Option<Email>,
    pub language: Language,
    pub subject: String,
    /// Markdown with signer values escaped; see [`crate::markdown`].
    pub body_markdown: String,
    /// Files carried by every letter of a petition batch; shared, not copied, per letter.
    pub attachments: Arc<[Attachment]>,
    /// The signer, for channels that fill forms or XML with their details.
    pub signer: Option<Arc<NewSignature>>,
    /// The campaign the letter belongs to, for channels that label messages with it (CWC's
    /// CampaignId and Organization). `None` only for letters made outside a batch (tests).
    pub campaign: Option<Arc<LetterCampaign>>,
}

/// Who a letter is from and what it carries, decided once for the worker and the dry run:
/// an individual letter goes out under its signer's name with replies to them and carries
/// nothing; a petition letter goes out under the campaign's sender name and carries the
/// batch's documents (signature list, PDF).
#[derive(Debug, Clone)]
pub struct LetterEnvelope {
    pub sender_name: String,
    pub reply_to: Option<Email>,
    pub attachments: Arc<[Attachment]>,
}

impl LetterEnvelope {
    pub fn of(
        mode: Mode,
        campaign_sender: &str,
        signer: Option<&NewSignature>,
        batch_attachments: &Arc<[Attachment]>,
    ) -> Self {
        match (mode, signer) {
            (Mode::Individual, Some(s)) => LetterEnvelope {
                sender_name: s.full_name(),
                reply_to: Some(s.email.clone()),
                attachments: Arc::from(Vec::new()),
            },
            (Mode::Individual, None) => LetterEnvelope {
                sender_name: campaign_sender.to_string(),
                reply_to: None,
                attachments: Arc::from(Vec::new()),
            },
            (Mode::Petition, _) => LetterEnvelope {
                sender_name: campaign_sender.to_string(),
                reply_to: None,
                attachments: batch_attachments.clone(),
            },
        }
    }
}

/// What a channel may say about a letter's campaign; shared by every letter of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterCampaign {
    pub id: CampaignId,
    pub organization: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// What a channel reports about one attempt. The worker turns it into an attempt row.
#[derive(Debug, Clone, PartialEq)]
pub struct SendReport {
    pub outcome: AttemptOutcome,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// SMTP reply code or HTTP status.
    pub remote_code: Option<i32>,
    /// The remote answer (SMTP reply text, confirmation text, error body), capped.
    pub remote_text: Option<String>,
    /// SHA-256 (hex) of the exact bytes sent; `None` when nothing left hillpost.
    pub sent_sha256: Option<String>,
    /// How long the endpoint asked us to wait (HTTP Retry-After).
    pub retry_after: Option<Duration>,
    /// A note for the record, e.g. why an outcome is `possibly_accepted`.
    pub note: Option<String>,
    /// What the attempt saw, kept as attachments of its attempt row: the page a form
    /// answered with (or the page a step failed on), screenshots on the browser path.
    pub evidence: Vec<Evidence>,
    /// Whether the attempt went to the network for this endpoint (a lookup, a connection,
    /// a page fetched). `false` when the channel decided locally that the endpoint cannot
    /// take the letter (a recaptcha step, a channel not configured, a petition to CWC): that
    /// is a routing decision, recorded as a route event, not an attempt.
    pub touched_network: bool,
    /// What identifies the letter at the receiver, for matching hillpost's record with the
    /// office's: the CWC DeliveryId, the email's Message-ID, the form's final URL (the page
    /// its submission ended on). `None` when nothing was sent.
    pub receiver_id: Option<String>,
}

/// One file an attempt keeps as evidence of what happened, so that an operator can see the
/// page the office answered with (and decide an attempt nothing else could judge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// `text/html; charset=utf-8` or `image/png`.
    pub content_type: String,
    /// The bytes as captured, at most [`Evidence::MAX_PAGE_BYTES`] for a page.
    pub content: Vec<u8>,
    /// Whether the page was longer than the cap and was cut.
    pub truncated: bool,
}

/// What a piece of evidence shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EvidenceKind {
    /// The page the office answered the submission with.
    AnswerPage,
    /// The page a step failed on, before anything was submitted.
    FailurePage,
    /// The browser's view of the page after the submission.
    ScreenshotAfterSubmit,
    /// The browser's view of the page when a step failed.
    ScreenshotAtFailure,
}

impl EvidenceKind {
    pub const ALL: &'static [EvidenceKind] = &[
        EvidenceKind::AnswerPage,
        EvidenceKind::FailurePage,
        EvidenceKind::ScreenshotAfterSubmit,
        EvidenceKind::ScreenshotAtFailure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::AnswerPage => "answer_page",
            EvidenceKind::FailurePage => "failure_page",
            EvidenceKind::ScreenshotAfterSubmit => "screenshot_after_submit",
            EvidenceKind::ScreenshotAtFailure => "screenshot_at_failure",
        }
    }

    /// The kind named `text`, as stored.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Evidence {
    /// The most of a page an attempt keeps (pages are stored compressed).
    pub const MAX_PAGE_BYTES: usize = 256 * 1024;
    /// The largest screenshot an attempt keeps; a larger one is left out (a PNG cannot be
    /// cut) and the attempt's note says so.
    pub const MAX_SCREENSHOT_BYTES: usize = 4 * 1024 * 1024;

    /// A page's HTML, cut at [`Self::MAX_PAGE_BYTES`] on a character boundary.
    pub fn page(kind: EvidenceKind, html: &str) -> Self {
        let mut end = html.len().min(Self::MAX_PAGE_BYTES);
        while !html.is_char_boundary(end) {
            end -= 1;
        }
        Self {
            kind,
            content_type: "text/html; charset=utf-8".into(),
            content: html.as_bytes()[..end].to_vec(),
            truncated: end < html.len(),
        }
    }

    /// A PNG screenshot, or `None` when it is larger than [`Self::MAX_SCREENSHOT_BYTES`].
    pub fn screenshot(kind: EvidenceKind, png: Vec<u8>) -> Option<Self> {
        (png.len() <= Self::MAX_SCREENSHOT_BYTES).then(|| Self {
            kind,
            content_type: "image/png".into(),
            content: png,
            truncated: false,
        })
    }

    /// SHA-256 (hex) of the content: what the audit export lists and the API serves.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.content))
    }
}

impl SendReport {
    /// The attempt's outcome in words, for a delivery's last error and route events: the
    /// remote code with the remote answer when it is short enough to read (an SMTP reply, a
    /// CWC error), else with the note (a web form's answer page is not a reason).
    pub fn reason(&self) -> String {
        let answer = self
            .remote_text
            .as_deref()
            .filter(|text| text.len() <= Self::READABLE_ANSWER || self.note.is_none());
        match (self.remote_code, answer.or(self.note.as_deref())) {
            (Some(code), Some(words)) => format!("{code} {words}"),
            (None, Some(words)) => words.to_string(),
            (Some(code), None) => code.to_string(),
            (None, None) => self.outcome.to_string(),
        }
    }

    /// The reason, when the channel decided without touching the network that this endpoint
    /// can never take the letter (a recaptcha step, a channel not configured): the
    /// delivery passes the endpoint over for the office's next one.
    pub fn passed_over(&self) -> Option<&str> {
        (!self.touched_network && self.outcome == AttemptOutcome::Permanent).then(|| {
            self.note
                .as_deref()
                .unwrap_or("the endpoint cannot take this letter")
        })
    }

    /// A remote answer longer than this is evidence to keep, not a reason to quote.
    const READABLE_ANSWER: usize = 300;

    /// The longest remote answer kept in an attempt row.
    pub const MAX_REMOTE_TEXT: usize = 2048;

    /// Caps `text` at [`Self::MAX_REMOTE_TEXT`] bytes on a character boundary.
    pub fn cap_remote_text(text: &str) -> String {
        if text.len() <= Self::MAX_REMOTE_TEXT {
            return text.to_string();
        }
        let mut end = Self::MAX_REMOTE_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text[..end].to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::PersonName;

    #[test]
    fn the_envelope_follows_the_mode_not_whether_a_signer_is_at_hand() {
        let signer = NewSignature {
            email: Email::parse("ana@example.org").unwrap(),
            first_name: Some(PersonName::parse("Ana").unwrap()),
            last_name: None,
            organization: None,
            address: Default::default(),
            district: None,
            language: None,
            phone: None,
            receipt_consent: false,
            signed_at: None,
            source: None,
        };
        let documents: Arc<[Attachment]> = Arc::from(vec![Attachment {
            filename: "signatures.csv".into(),
            content_type: "text/csv".into(),
            content: b"name\nAna\n".to_vec(),
        }]);
        let individual =
            LetterEnvelope::of(Mode::Individual, "Coalition", Some(&signer), &documents);
        assert_eq!(individual.sender_name, "Ana");
        assert_eq!(individual.reply_to.unwrap().as_str(), "ana@example.org");
        assert!(individual.attachments.is_empty());
        // A petition goes under the organization's name even where a signer is known, and
        // carries the documents.
        for signer in [Some(&signer), None] {
            let petition = LetterEnvelope::of(Mode::Petition, "Coalition", signer, &documents);
            assert_eq!(petition.sender_name, "Coalition");
            assert!(petition.reply_to.is_none());
            assert_eq!(petition.attachments.len(), 1);
        }
        let unsigned = LetterEnvelope::of(Mode::Individual, "Coalition", None, &documents);
        assert_eq!(unsigned.sender_name, "Coalition");
        assert!(unsigned.attachments.is_empty());
    }

    #[test]
    fn pages_are_cut_on_a_character_boundary_and_screenshots_capped() {
        let long = "é".repeat(Evidence::MAX_PAGE_BYTES);
        let page = Evidence::page(EvidenceKind::AnswerPage, &long);
        assert!(page.truncated);
        assert!(page.content.len() <= Evidence::MAX_PAGE_BYTES);
        assert!(std::str::from_utf8(&page.content).is_ok());
        let short = Evidence::page(EvidenceKind::FailurePage, "<p>ok</p>");
        assert!(!short.truncated);
        assert_eq!(
            short.sha256(),
            "87622117335b8dd9a6da15dab58083bc7212f0994fe5f05ce4708075e98cd61b"
        );
        let big = vec![0u8; Evidence::MAX_SCREENSHOT_BYTES + 1];
        assert!(Evidence::screenshot(EvidenceKind::ScreenshotAtFailure, big).is_none());
        for kind in EvidenceKind::ALL {
            assert_eq!(EvidenceKind::parse(kind.as_str()), Some(*kind));
        }
    }
}
