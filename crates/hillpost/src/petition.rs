//! The petition document (PDF) a petition batch attaches next to the CSV, and that
//! `batch preview` writes. Built here, at the edge, because hillpost-core does not carry a
//! PDF writer; the PDF itself comes from hillpost-document.

use chrono::NaiveDate;
use hillpost_core::batch::{BatchPlan, PlannedAttachment};
use hillpost_core::ids::BatchId;
use hillpost_core::petition::signature_list_csv;
use hillpost_core::{Campaign, Mode, NewSignature};
use hillpost_document::{PDF_CONTENT_TYPE, PDF_FILENAME, petition_pdf};
use hillpost_store::RemadeDocument;

/// The salutation names at most this many offices; the rest are counted.
const NAMED_RECIPIENTS: usize = 10;

/// Adds `signatures.pdf` to a petition plan (next to `signatures.csv`); individual plans are
/// left alone. Called by every planner before a batch is stored or dry-run.
pub fn attach_pdf(
    campaign: &Campaign,
    signatures: &[(hillpost_core::SignatureId, NewSignature)],
    plan: &mut BatchPlan,
    date: NaiveDate,
) -> anyhow::Result<()> {
    if campaign.mode != Mode::Petition {
        return Ok(());
    }
    let names: Vec<&str> = plan.recipients.iter().map(|r| r.name.as_str()).collect();
    let pdf = petition_pdf(
        campaign,
        signatures.iter().map(|(_, s)| s),
        &addressed_to(&names),
        date,
    )?;
    plan.attachments.push(PlannedAttachment {
        filename: PDF_FILENAME.into(),
        content_type: PDF_CONTENT_TYPE.into(),
        content: pdf,
    });
    Ok(())
}

/// A petition batch's two documents made again from `signatures` (what an erasure keeps of
/// the list the batch carried), as planning made them: the CSV core plans, and the PDF.
pub fn remade_documents<'a>(
    campaign: &Campaign,
    batch_id: BatchId,
    signatures: impl IntoIterator<Item = &'a NewSignature> + Clone,
    offices: &[&str],
    date: NaiveDate,
) -> anyhow::Result<Vec<RemadeDocument>> {
    let pdf = petition_pdf(campaign, signatures.clone(), &addressed_to(offices), date)?;
    Ok(vec![
        RemadeDocument {
            batch_id,
            filename: hillpost_core::batch::SIGNATURE_LIST_FILENAME.into(),
            content: signature_list_csv(signatures),
        },
        RemadeDocument {
            batch_id,
            filename: PDF_FILENAME.into(),
            content: pdf,
        },
    ])
}

/// One document goes to every office of the batch, so its letters are addressed to all of
/// them: "A; B; C", or the first ten and how many more.
pub fn addressed_to(names: &[&str]) -> String {
    if names.len() <= NAMED_RECIPIENTS {
        return names.join("; ");
    }
    format!(
        "{}; and {} other offices",
        names[..NAMED_RECIPIENTS].join("; "),
        names.len() - NAMED_RECIPIENTS
    )
}

#[cfg(test)]
mod tests {
    use super::addressed_to;

    #[test]
    fn many_recipients_are_counted_not_listed() {
        assert_eq!(addressed_to(&["Staff"]), "Staff");
        assert_eq!(addressed_to(&["A", "B"]), "A; B");
        let many: Vec<String> = (1..=12).map(|i| format!("O{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            addressed_to(&many),
            "O1; O2; O3; O4; O5; O6; O7; O8; O9; O10; and 2 other offices"
        );
    }
}
