//! Erasing a signer (`hillpost signers erase`), written once. One transaction:
//!
//! ```text
//!  find the signature (campaign + email, not yet erased), refuse while a letter of theirs
//!  is being sent ─▶ list it in `erasing` (the append-only triggers let only the steps
//!  below through, and only for its deliveries) ─▶ cancel what was not sent ─▶ blank each
//!  kind of row that may quote them ─▶ the signature itself, salt included ─▶ unlist it
//!  ─▶ `signer.erased` audit event (ids and counts only)
//! ```
//!
//! No audit event changes: events about a signer's letters hold salted commitments, not
//! their words (`crate::audit::Privacy`), so the chain verifies as before, and without the
//! salt the commitments say nothing about anyone. What each step blanks, and why the
//! record keeps the rest, is in docs/erasure.md.

use chrono::{DateTime, Utc};
use hillpost_core::audit::{EventKind, NewEvent, Subjects};
use serde::Serialize;
use serde_json::json;

use super::{Backend, Write};
use crate::StoreError;

/// What an erasure blanks, one statement each, in the order they run. Every step touches
/// only rows of the signature being erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Letters and receipts not sent yet: cancelled (nothing may go out in their name).
    CancelUnsent,
    /// Attempts: the receiver's answer and the note (outcome, codes, hashes stay).
    BlankAttempts,
    /// Route, wait and bounce events: the reason, which may quote the receiver.
    BlankEventReasons,
    /// Pages and screenshots an attempt kept: emptied (size and SHA-256 stay).
    EmptyEvidence,
    /// Bounces and replies: the message, the address and the remote answer.
    EmptyNotices,
    /// A delivery's last error and route note.
    BlankDeliveryErrors,
    /// The letters' text and its SHA-256 (unsalted, so a guess of the text could be tested
    /// against it), where no one else's delivery uses the same text.
    BlankLetters,
    /// The receipt: its lines, signed statement and page links.
    BlankReceipts,
    DropReceiptLinks,
    /// The signature: every personal field, and the salt.
    EraseSignature,
}

impl Step {
    pub(crate) const ALL: [Step; 10] = [
        Step::CancelUnsent,
        Step::BlankAttempts,
        Step::BlankEventReasons,
        Step::EmptyEvidence,
        Step::EmptyNotices,
        Step::BlankDeliveryErrors,
        Step::BlankLetters,
        Step::BlankReceipts,
        Step::DropReceiptLinks,
        Step::EraseSignature,
    ];
}

/// What is left where a receiver's words or a letter's text were.
pub const ERASED_TEXT: &str = "(erased with the signer's personal data)";

/// A petition batch whose signature list carried a signer: its documents must be made
/// again without them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PetitionCarrying {
    pub batch_id: i64,
    /// The last signature id the batch carried (`batches.signers_through`).
    pub signers_through: i64,
    pub created_at: DateTime<Utc>,
    /// The offices its letters are addressed to, in planning order.
    pub offices: Vec<String>,
}

/// A petition document made again without an erased signer: it replaces the stored one of
/// the same batch and file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemadeDocument {
    pub batch_id: i64,
    pub filename: String,
    pub content: Vec<u8>,
}

/// The reads the use case needs before an erasure, to remake petition documents.
pub(crate) trait Reads {
    /// Petition batches of `campaign` that carried signature `signature_id`: id, the last
    /// signature they carried, when they were made.
    async fn petitions_carrying(
        &self,
        campaign: &str,
        signature_id: i64,
    ) -> Result<Vec<(i64, i64, DateTime<Utc>)>, StoreError>;

    /// The names of the offices a batch addresses (receipts' pseudo-office left out).
    async fn office_names(&self, batch_id: i64) -> Result<Vec<String>, StoreError>;
}

/// See [`crate::Store::petitions_carrying`].
pub(crate) async fn petitions_carrying(
    store: &impl Reads,
    campaign: &str,
    signature_id: i64,
) -> Result<Vec<PetitionCarrying>, StoreError> {
    let mut found = Vec::new();
    for (batch_id, signers_through, created_at) in
        store.petitions_carrying(campaign, signature_id).await?
    {
        found.push(PetitionCarrying {
            batch_id,
            signers_through,
            created_at,
            offices: store.office_names(batch_id).await?,
        });
    }
    Ok(found)
}

/// The statements an erasure needs, inside one write transaction.
pub(crate) trait Writes: Write {
    /// The petition batches that carried the signature, as this transaction sees them.
    async fn petition_batches_carrying(
        &mut self,
        signature_id: i64,
    ) -> Result<Vec<i64>, StoreError>;

    /// Replaces a stored petition document's content (and its SHA-256).
    async fn replace_document(&mut self, document: &RemadeDocument) -> Result<(), StoreError>;

    /// The signature of `email_key` in `campaign` not yet erased, locked.
    async fn signature_to_erase(
        &mut self,
        campaign: &str,
        email_key: &str,
    ) -> Result<Option<i64>, StoreError>;

    /// Their deliveries being sent right now (in flight).
    async fn deliveries_in_flight(&mut self, signature_id: i64) -> Result<Vec<i64>, StoreError>;

    /// Lists (`true`) or unlists the signature in `erasing`.
    async fn set_erasing(&mut self, signature_id: i64, on: bool) -> Result<(), StoreError>;

    /// Whether the signature was erased: its letters are never sent again.
    async fn signature_erased(&mut self, signature_id: i64) -> Result<bool, StoreError>;

    /// Runs one step for the signature; how many rows it changed.
    async fn erase_step(&mut self, step: Step, signature_id: i64) -> Result<u64, StoreError>;
}

/// A signer to erase.
pub struct Erasure<'a> {
    pub campaign: &'a str,
    /// The address as the signer gives it (matched the way imports deduplicate).
    pub email: &'a str,
    pub actor: &'a str,
    /// The petition documents that carried them, made again without them
    /// ([`crate::Store::petitions_carrying`] says which).
    pub documents: &'a [RemadeDocument],
}

/// What an erasure did, in counts (also the `signer.erased` event's payload).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    pub signature_id: i64,
    pub cancelled: u64,
    pub attempts: u64,
    pub event_reasons: u64,
    pub evidence: u64,
    pub notices: u64,
    pub deliveries: u64,
    pub letters: u64,
    pub receipts: u64,
    /// Petition documents (signature lists, PDFs) made again without them.
    pub documents: u64,
}

impl ErasureReport {
    fn count(&mut self, step: Step, rows: u64) {
        let field = match step {
            Step::CancelUnsent => &mut self.cancelled,
            Step::BlankAttempts => &mut self.attempts,
            Step::BlankEventReasons => &mut self.event_reasons,
            Step::EmptyEvidence => &mut self.evidence,
            Step::EmptyNotices => &mut self.notices,
            Step::BlankDeliveryErrors => &mut self.deliveries,
            Step::BlankLetters => &mut self.letters,
            Step::BlankReceipts => &mut self.receipts,
            Step::DropReceiptLinks | Step::EraseSignature => return,
        };
        *field += rows;
    }
}

/// See [`crate::Store::erase_signer`].
pub(crate) async fn erase_signer<B: Backend>(
    store: &B,
    erasure: &Erasure<'_>,
    email_key: &str,
) -> Result<ErasureReport, StoreError> {
    let mut tx = store.begin_write().await?;
    let Some(signature_id) = tx.signature_to_erase(erasure.campaign, email_key).await? else {
        return Err(StoreError::NoSigner {
            campaign: erasure.campaign.to_string(),
        });
    };
    let sending = tx.deliveries_in_flight(signature_id).await?;
    if !sending.is_empty() {
        return Err(StoreError::SignerBeingSent {
            signature_id,
            deliveries: sending,
        });
    }
    // Every petition list that carried them must be remade, or their name stays in it.
    let mut carrying = tx.petition_batches_carrying(signature_id).await?;
    let mut remade: Vec<i64> = erasure.documents.iter().map(|d| d.batch_id).collect();
    carrying.sort_unstable();
    remade.sort_unstable();
    remade.dedup();
    if carrying != remade {
        return Err(StoreError::PetitionsChanged { signature_id });
    }
    tx.set_erasing(signature_id, true).await?;
    let mut report = ErasureReport {
        signature_id,
        ..ErasureReport::default()
    };
    for document in erasure.documents {
        tx.replace_document(document).await?;
        report.documents += 1;
    }
    for step in Step::ALL {
        let rows = tx.erase_step(step, signature_id).await?;
        report.count(step, rows);
    }
    tx.set_erasing(signature_id, false).await?;
    tx.append_audit(vec![erased_event(erasure, &report)])
        .await?;
    tx.commit().await?;
    Ok(report)
}

/// `signer.erased`: who erased which signature (by id) and how many rows of each kind.
fn erased_event(erasure: &Erasure<'_>, report: &ErasureReport) -> NewEvent {
    NewEvent {
        kind: EventKind::SignerErased,
        actor: erasure.actor.to_string(),
        subjects: Subjects {
            campaign_id: Some(erasure.campaign.to_string()),
            batch_id: None,
            delivery_id: None,
            attempt_id: None,
        },
        payload: json!(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_runs_once_and_the_signature_goes_last() {
        let mut seen = Step::ALL.to_vec();
        seen.dedup();
        assert_eq!(seen.len(), Step::ALL.len());
        // The signature (and so the salt) goes last: until then, every other step can still
        // find the rows by it.
        assert_eq!(Step::ALL.last(), Some(&Step::EraseSignature));
        assert_eq!(Step::ALL.first(), Some(&Step::CancelUnsent));
    }

    #[test]
    fn the_event_names_ids_and_counts_only() {
        let erasure = Erasure {
            campaign: "peru",
            email: "ana@example.org",
            actor: "cli:ops",
            documents: &[],
        };
        let mut report = ErasureReport {
            signature_id: 7,
            ..ErasureReport::default()
        };
        report.count(Step::BlankAttempts, 3);
        report.count(Step::DropReceiptLinks, 5);
        let event = erased_event(&erasure, &report);
        assert_eq!(event.kind, EventKind::SignerErased);
        assert_eq!(event.payload["signature_id"], 7);
        assert_eq!(event.payload["attempts"], 3);
        assert!(!event.payload.to_string().contains("ana@"));
    }
}
