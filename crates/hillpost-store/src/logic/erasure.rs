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
use hillpost_core::batch::BatchPlan;
use hillpost_core::ids::{BatchId, SignatureId};
use serde::Serialize;
use serde_json::json;

use super::sql::{Arg, Columns, Run};
use super::{Backend, Driver, Statements, Write, WriteTx};
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
    pub batch_id: BatchId,
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
    pub batch_id: BatchId,
    pub filename: String,
    pub content: Vec<u8>,
}

const PETITIONS_CARRYING: &str = "SELECT id, signers_through, created_at FROM batches
      WHERE campaign_id = $1 AND mode = 'petition' AND signers_through >= $2 ORDER BY id";

/// The offices a batch addresses, the receipts' pseudo-office left out.
const OFFICE_NAMES: &str =
    "SELECT name FROM recipients WHERE batch_id = $1 AND key <> $2 ORDER BY id";

const PETITION_BATCHES_CARRYING: &str =
    "SELECT b.id FROM batches b JOIN signatures s ON s.campaign_id = b.campaign_id
      WHERE s.id = $1 AND b.mode = 'petition' AND b.signers_through >= $1";

const REPLACE_DOCUMENT: &str =
    "UPDATE attachments SET content = $1, sha256 = $2 WHERE batch_id = $3 AND filename = $4";

const SIGNATURE_ERASED: &str =
    "SELECT erased_at IS NOT NULL AS erased FROM signatures WHERE id = $1";

const LIST_ERASING: &str = "INSERT INTO erasing (signature_id) VALUES ($1)";
const UNLIST_ERASING: &str = "DELETE FROM erasing WHERE signature_id = $1";

/// What a shared step binds after the signature (`$1`).
enum Then {
    Nothing,
    /// `$2`: what stands in for erased text.
    ErasedText,
    /// `$2`: empty bytes.
    EmptyBytes,
    /// `$2`: what stands in for erased text, `$3`: empty bytes.
    ErasedTextAndEmptyBytes,
}

/// A step's statement and what it binds after the signature; the steps that stamp a
/// time say `now()` (the store's clock).
fn step_statement(step: Step) -> (&'static str, Then) {
    let then = match step {
        Step::BlankAttempts
        | Step::DropReceiptLinks
        | Step::CancelUnsent
        | Step::EraseSignature => Then::Nothing,
        Step::EmptyNotices => Then::ErasedTextAndEmptyBytes,
        Step::EmptyEvidence => Then::EmptyBytes,
        _ => Then::ErasedText,
    };
    let sql = match step {
        Step::CancelUnsent => {
            "UPDATE deliveries SET state = 'cancelled', finalized_at = now()
              WHERE signature_id = $1 AND state = 'queued'"
        }
        Step::EmptyEvidence => {
            "UPDATE attempt_evidence SET content = $2, encoding = 'identity', erased_at = now()
              WHERE delivery_id IN (SELECT id FROM deliveries WHERE signature_id = $1)
                AND erased_at IS NULL"
        }
        Step::EraseSignature => {
            "UPDATE signatures SET email_key = 'erased:' || id, email = '', first_name = NULL,
                    last_name = '', organization = NULL, address_line1 = NULL,
                    address_line2 = NULL, city = NULL, state = NULL, postal_code = NULL,
                    country = NULL, district = NULL, phone = NULL, signed_at = NULL,
                    source = NULL, salt = NULL, erased_at = now()
              WHERE id = $1"
        }
        Step::BlankAttempts => {
            "UPDATE attempts SET remote_text = NULL, note = NULL
              WHERE delivery_id IN (SELECT id FROM deliveries WHERE signature_id = $1)
                AND (remote_text IS NOT NULL OR note IS NOT NULL)"
        }
        Step::BlankEventReasons => {
            "UPDATE delivery_events SET reason = $2
              WHERE delivery_id IN (SELECT id FROM deliveries WHERE signature_id = $1)
                AND kind IN ('route', 'deferred', 'bounced') AND reason <> $2"
        }
        Step::EmptyNotices => {
            "UPDATE delivery_notices SET message = $3, recipient = NULL, diagnostic = NULL,
                    effect = CASE WHEN effect IS NULL THEN NULL ELSE $2 END
              WHERE delivery_id IN (SELECT id FROM deliveries WHERE signature_id = $1)
                AND (length(message) > 0 OR recipient IS NOT NULL OR diagnostic IS NOT NULL)"
        }
        Step::BlankDeliveryErrors => {
            "UPDATE deliveries SET last_error = CASE WHEN last_error IS NULL THEN NULL ELSE $2 END,
                    route_note = NULL
              WHERE signature_id = $1
                AND ((last_error IS NOT NULL AND last_error <> $2) OR route_note IS NOT NULL)"
        }
        Step::BlankLetters => {
            "UPDATE messages SET subject = $2, body_markdown = '', sha256 = 'erased:' || id
              WHERE id IN (SELECT message_id FROM deliveries WHERE signature_id = $1)
                AND NOT EXISTS (SELECT 1 FROM deliveries o
                                 WHERE o.message_id = messages.id
                                   AND o.signature_id IS DISTINCT FROM $1)
                AND body_markdown <> ''"
        }
        Step::BlankReceipts => {
            "UPDATE receipts SET subject = $2, lines = '[]', statement = NULL
              WHERE signature_id = $1 AND (lines <> '[]' OR statement IS NOT NULL)"
        }
        Step::DropReceiptLinks => {
            "DELETE FROM receipt_links
              WHERE receipt_id IN (SELECT id FROM receipts WHERE signature_id = $1)
               "
        }
    };
    (sql, then)
}

/// See [`crate::Store::petitions_carrying`].
pub(crate) async fn petitions_carrying(
    store: &impl Backend,
    campaign: &str,
    signature_id: SignatureId,
) -> Result<Vec<PetitionCarrying>, StoreError> {
    let mut db = store.read().await?;
    let batches = db
        .rows(
            PETITIONS_CARRYING,
            &[Arg::Text(campaign), Arg::Int(signature_id.get())],
        )
        .await?;
    let mut found = Vec::new();
    for batch in batches {
        let batch_id = batch.int("id")?;
        let offices = db
            .rows(
                OFFICE_NAMES,
                &[
                    Arg::Int(batch_id),
                    Arg::Text(crate::receipts::RECIPIENT_KEY),
                ],
            )
            .await?
            .iter()
            .map(|row| row.text("name"))
            .collect::<Result<_, _>>()?;
        found.push(PetitionCarrying {
            batch_id: batch_id.into(),
            signers_through: batch.int("signers_through")?,
            created_at: batch.time("created_at")?,
            offices,
        });
    }
    Ok(found)
}

/// An erased signer of the campaign with a letter in the batch. Erased signers are few
/// (a partial index lists them), and each is looked up in the batch by index: the cost does
/// not grow with the batch.
const ERASED_IN_BATCH: &str = "SELECT s.id AS signature_id FROM signatures s
      WHERE s.campaign_id = $2 AND s.erased_at IS NOT NULL
        AND EXISTS (SELECT 1 FROM deliveries d WHERE d.batch_id = $1 AND d.signature_id = s.id)
      LIMIT 1";

/// How many signatures of the campaign up to `$2` are not erased.
const LIVE_SIGNERS_THROUGH: &str = "SELECT count(*) AS live FROM signatures
      WHERE campaign_id = $1 AND erased_at IS NULL AND id <= $2";

/// Refuses a new batch planned from signatures one of which was erased since planning read
/// them (the caller holds [`Writes::lock_campaign_signers`], so an erasure either committed
/// before this check or waits for the batch and then finds it). An individual letter names
/// its signer; a petition's list does not, so fewer live signatures than it counted up to
/// the last one it read means one of them went.
pub(crate) async fn refuse_erased_signers(
    tx: &mut impl Write,
    campaign: &str,
    batch_id: BatchId,
    plan: &BatchPlan,
) -> Result<(), StoreError> {
    let args = [Arg::Int(batch_id.get()), Arg::Text(campaign)];
    if let Some(row) = tx.db().row(ERASED_IN_BATCH, &args).await? {
        return Err(StoreError::ErasedWhilePlanned {
            signature_id: Some(row.int("signature_id")?.into()),
        });
    }
    let args = [Arg::Text(campaign), Arg::Int(plan.signers_through.get())];
    let live = match tx.db().row(LIVE_SIGNERS_THROUGH, &args).await? {
        Some(row) => row.count("live")?,
        None => 0,
    };
    if live < u64::from(plan.signature_count) {
        return Err(StoreError::ErasedWhilePlanned { signature_id: None });
    }
    Ok(())
}

/// Whether the signature was erased: its letters are never sent again.
pub(crate) async fn signature_erased(
    tx: &mut impl Write,
    signature_id: SignatureId,
) -> Result<bool, StoreError> {
    let row = tx
        .db()
        .row(SIGNATURE_ERASED, &[Arg::Int(signature_id.get())])
        .await?;
    row.map(|r| r.flag("erased"))
        .transpose()
        .map(|erased| erased.unwrap_or(false))
}

/// The statements an erasure needs: a backend supplies its locks
/// ([`Statements::SIGNATURE_TO_ERASE`], [`Statements::DELIVERIES_OF_SIGNER`],
/// [`Statements::CAMPAIGN_SIGNERS_TURN`]); the rest is written once.
pub(crate) trait Writes: Write {
    /// Orders this transaction with every other that erases a signer of `campaign` or
    /// creates a batch of it ([`Statements::CAMPAIGN_SIGNERS_TURN`]).
    async fn lock_campaign_signers(&mut self, campaign: &str) -> Result<(), StoreError> {
        if let Some(sql) = Self::Driver::CAMPAIGN_SIGNERS_TURN {
            self.db().exec(sql, &[Arg::Text(campaign)]).await?;
        }
        Ok(())
    }

    /// The signature of `email_key` in `campaign` not yet erased, locked.
    async fn signature_to_erase(
        &mut self,
        campaign: &str,
        email_key: &str,
    ) -> Result<Option<i64>, StoreError> {
        let args = [Arg::Text(campaign), Arg::Text(email_key)];
        let row = self
            .db()
            .row(Self::Driver::SIGNATURE_TO_ERASE, &args)
            .await?;
        row.map(|row| row.int("id")).transpose()
    }

    /// Locks every delivery of the signature (a worker's claim then passes them by);
    /// those being sent right now (in flight).
    async fn deliveries_in_flight(
        &mut self,
        signature_id: SignatureId,
    ) -> Result<Vec<i64>, StoreError> {
        let rows = self
            .db()
            .rows(
                Self::Driver::DELIVERIES_OF_SIGNER,
                &[Arg::Int(signature_id.get())],
            )
            .await?;
        let mut sending = Vec::new();
        for row in &rows {
            if row.text("state")? == "in_flight" {
                sending.push(row.int("id")?);
            }
        }
        Ok(sending)
    }
}

impl<D: Driver> Writes for WriteTx<D> {}

/// The two locked reads of an erasure, with a backend's lock (`""` or `" FOR UPDATE"`).
macro_rules! erasure_reads {
    ($lock:literal) => {
        const SIGNATURE_TO_ERASE: &'static str = concat!(
            "SELECT id FROM signatures WHERE campaign_id = $1 AND email_key = $2 AND erased_at IS NULL",
            $lock
        );
        const DELIVERIES_OF_SIGNER: &'static str = concat!(
            "SELECT id, state FROM deliveries WHERE signature_id = $1 ORDER BY id",
            $lock
        );
    };
}
pub(crate) use erasure_reads;

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
    pub signature_id: SignatureId,
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
    tx.lock_campaign_signers(erasure.campaign).await?;
    let Some(signature_id) = tx.signature_to_erase(erasure.campaign, email_key).await? else {
        return Err(StoreError::NoSigner {
            campaign: erasure.campaign.to_string(),
        });
    };
    let sending = tx.deliveries_in_flight(signature_id.into()).await?;
    if !sending.is_empty() {
        return Err(StoreError::SignerBeingSent {
            signature_id: signature_id.into(),
            deliveries: sending,
        });
    }
    // Every petition list that carried them must be remade, or their name stays in it.
    let mut carrying: Vec<BatchId> = tx
        .db()
        .rows(PETITION_BATCHES_CARRYING, &[Arg::Int(signature_id)])
        .await?
        .iter()
        .map(|row| row.int("id").map(BatchId::from))
        .collect::<Result<_, _>>()?;
    let mut remade: Vec<BatchId> = erasure.documents.iter().map(|d| d.batch_id).collect();
    carrying.sort_unstable();
    remade.sort_unstable();
    remade.dedup();
    if carrying != remade {
        return Err(StoreError::PetitionsChanged {
            signature_id: signature_id.into(),
        });
    }
    tx.db()
        .exec(LIST_ERASING, &[Arg::Int(signature_id)])
        .await?;
    let mut report = ErasureReport {
        signature_id: signature_id.into(),
        ..ErasureReport::default()
    };
    for document in erasure.documents {
        let sha256 = crate::sha256_hex(&document.content);
        let args = [
            Arg::Bytes(&document.content),
            Arg::Text(&sha256),
            Arg::Int(document.batch_id.get()),
            Arg::Text(&document.filename),
        ];
        report.documents += tx.db().exec(REPLACE_DOCUMENT, &args).await?;
    }
    for step in Step::ALL {
        let (sql, then) = step_statement(step);
        let (signature, text, empty) = (
            Arg::Int(signature_id),
            Arg::Text(ERASED_TEXT),
            Arg::Bytes(&[]),
        );
        let rows = match then {
            Then::Nothing => tx.db().exec(sql, &[signature]).await?,
            Then::ErasedText => tx.db().exec(sql, &[signature, text]).await?,
            Then::EmptyBytes => tx.db().exec(sql, &[signature, empty]).await?,
            Then::ErasedTextAndEmptyBytes => tx.db().exec(sql, &[signature, text, empty]).await?,
        };
        report.count(step, rows);
    }
    tx.db()
        .exec(UNLIST_ERASING, &[Arg::Int(signature_id)])
        .await?;
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
            signature_id: SignatureId::new(7),
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
