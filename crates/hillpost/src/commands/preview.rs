//! `hillpost batch preview CAMPAIGN [--out FILE.pdf]`: the petition document exactly as a
//! batch created now would attach it, planned the same way, for the organizer to read before
//! sending. No batch is created.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use hillpost_core::{CampaignId, Mode};
use hillpost_document::PDF_FILENAME;

use crate::app::App;

pub async fn write(app: &App<'_>, id: &CampaignId, out: &Path) -> anyhow::Result<ExitCode> {
    let planned = app.preview_batch(id, false).await?;
    if planned.campaign.mode != Mode::Petition {
        anyhow::bail!(
            "campaign `{id}` is in individual mode: its letters carry no petition document \
             (use `hillpost batch create {id} --dry-run` to read the letters)"
        );
    }
    let pdf = planned
        .plan
        .attachments
        .iter()
        .find(|a| a.filename == PDF_FILENAME)
        .context("the petition plan has no PDF")?;
    std::fs::write(out, &pdf.content).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "petition document for `{id}` ({} signatures, {} recipient(s), {} bytes) written to {}; nothing was stored or sent",
        planned.plan.signature_count,
        planned.plan.recipients.len(),
        pdf.content.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
