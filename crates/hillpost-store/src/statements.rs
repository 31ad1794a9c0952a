//! The facts a receipt's signed statement is made of, common to both backends: the stored
//! receipt (its lines, in delivery order) and, per letter in the same order, the last
//! attempt's SHA-256 and `attempt.recorded` event.

use hillpost_core::audit::time_text;
use hillpost_core::ids::{BatchId, SignatureId};
use hillpost_core::receipt::{ReceiptLine, Statement, StatementLine};

use crate::StoreError;

/// One letter's proof: the last attempt's sent SHA-256 and its audit event (seq, hash).
pub(crate) type LetterProof = (Option<String>, Option<i64>, Option<String>);

/// The statement of a receipt, from its stored lines and its letters' proofs.
pub(crate) fn statement(
    batch_id: BatchId,
    signer_id: SignatureId,
    language: String,
    subject: String,
    lines: Vec<ReceiptLine>,
    proofs: Vec<LetterProof>,
) -> Result<Statement, StoreError> {
    if lines.len() != proofs.len() {
        return Err(StoreError::corrupt(format!(
            "a receipt of batch {batch_id} has {} line(s) but its signer took part in {} letter(s)",
            lines.len(),
            proofs.len()
        )));
    }
    Ok(Statement {
        batch_id,
        signer_id,
        language,
        subject,
        lines: lines
            .into_iter()
            .zip(proofs)
            .map(
                |(line, (sent_sha256, audit_seq, audit_hash))| StatementLine {
                    office: line.office,
                    channel: line.channel,
                    at: line.at.map(time_text),
                    outcome: line.outcome,
                    text: line.text,
                    sent_sha256,
                    audit_seq,
                    audit_hash,
                },
            )
            .collect(),
    })
}
