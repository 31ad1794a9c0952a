//! `hillpost batch create | preview | status | list | pause | resume | cancel`.

use std::path::Path;
use std::process::ExitCode;

use hillpost_core::delivery::{BatchAction, DeliveryState};
use hillpost_store::BatchStatus;

use super::{campaign_id, open_store, preview};
use crate::app::{App, BatchStart, NewBatch};
use crate::cli::BatchCommand;
use crate::config::Settings;
use crate::{channels, planning};

pub async fn run(settings: &Settings, command: BatchCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    let app = || App::new(&store, settings);
    match command {
        BatchCommand::Create {
            campaign,
            at,
            timezone,
            dry_run,
            outbox,
            include_delivered,
        } => {
            let id = campaign_id(&campaign)?;
            let app = App::new(&store, settings);
            if dry_run {
                let planned = app.preview_batch(&id, include_delivered).await?;
                print_left_out(&planned.plan.left_out);
                let dir = outbox.unwrap_or_else(|| settings.email.outbox_dir.clone());
                return dry_run_into(&planned, &dir, settings).await;
            }
            let request = NewBatch {
                start: BatchStart::from_parts(at, timezone)?,
                include_delivered,
            };
            let created = app.create_batch(&id, &request, &super::cli_actor()).await?;
            print_left_out(&created.left_out);
            let (batch, status) = (created.id, &created.status);
            println!(
                "batch {batch} created for `{id}`: {} deliveries to {} recipient(s), {} skipped; {}",
                status.total(),
                status.by_recipient.len(),
                status.count(DeliveryState::Skipped),
                match status.batch.state {
                    hillpost_core::BatchState::Scheduled =>
                        format!("starts at {}", status.batch.start_at.to_rfc3339()),
                    _ => "queued now; run `hillpost worker` to deliver".to_string(),
                }
            );
        }
        BatchCommand::Preview { campaign, out } => {
            let id = campaign_id(&campaign)?;
            let out = out.unwrap_or_else(|| format!("{id}-petition.pdf").into());
            return preview::write(&App::new(&store, settings), &id, &out).await;
        }
        BatchCommand::Status { id } => print_status(&store.batch_status(id.into()).await?),
        BatchCommand::List { campaign } => {
            let campaign = campaign.map(|c| campaign_id(&c)).transpose()?;
            for batch in store.batches(campaign.as_ref()).await? {
                println!(
                    "{:>6}  {:<24} {:<10} {:<10} start {}",
                    batch.id,
                    batch.campaign_id,
                    batch.mode.as_str(),
                    batch.state.as_str(),
                    batch.start_at.to_rfc3339()
                );
            }
        }
        BatchCommand::Pause { id } => control(app(), id, BatchAction::Pause).await?,
        BatchCommand::Resume { id } => control(app(), id, BatchAction::Resume).await?,
        BatchCommand::Cancel { id } => control(app(), id, BatchAction::Cancel).await?,
        BatchCommand::Retry {
            id,
            failed: _,
            unconfirmed,
            reason,
        } => {
            let selection = if unconfirmed { "unconfirmed" } else { "failed" };
            let report = App::new(&store, settings)
                .retry_batch(id.into(), selection, &reason, &super::cli_actor())
                .await?;
            println!(
                "batch {id}: {} letter(s) planned again and queued",
                report.replanned
            );
            for office in &report.without_endpoint {
                println!("  {office}: no endpoint now; its letters stay as they were");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn control(app: App<'_>, id: i64, action: BatchAction) -> anyhow::Result<()> {
    let batch = app
        .control_batch(id.into(), action, &super::cli_actor())
        .await?;
    println!("batch {id} {}: now {}", action.verb(), batch.state);
    Ok(())
}

/// Renders every letter into `dir` as .eml files; nothing is stored or sent.
async fn dry_run_into(
    planned: &planning::Planned,
    dir: &Path,
    settings: &Settings,
) -> anyhow::Result<ExitCode> {
    let written =
        channels::write_outbox(dir, planning::outgoing_letters(planned), settings).await?;
    let skipped = planned.plan.deliveries.len() - written;
    println!(
        "dry run: {written} letter(s) for {} recipient(s) written to {} ({skipped} skipped); nothing was stored or sent",
        planned.plan.recipients.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Lists what a plan left out because earlier batches delivered it.
fn print_left_out(left_out: &[hillpost_core::batch::LeftOut]) {
    if left_out.is_empty() {
        return;
    }
    println!(
        "{} letter(s) left out: earlier batches of this campaign delivered them to the same \
         office (--include-delivered sends them again):",
        left_out.len()
    );
    for line in planning::left_out_lines(left_out) {
        println!("{line}");
    }
}

pub fn print_status(status: &BatchStatus) {
    let b = &status.batch;
    println!(
        "batch {} of `{}` ({}): {}",
        b.id,
        b.campaign_id,
        b.mode.as_str(),
        b.state
    );
    println!(
        "  start {}{}",
        b.start_at.to_rfc3339(),
        b.finished_at
            .map(|t| format!(", finished {}", t.to_rfc3339()))
            .unwrap_or_default()
    );
    println!(
        "  {} deliveries, {} attempts ({} may have arrived without a confirmation)",
        status.total(),
        status.attempts,
        status.unconfirmed_attempts
    );
    for (state, count) in &status.by_state {
        println!("    {:<10} {count:>8}", state.as_str());
    }
    if !status.skip_reasons.is_empty() {
        println!("  skipped because:");
        for (reason, count) in &status.skip_reasons {
            println!("    {count:>8}  {reason}");
        }
    }
    if !status.route_notes.is_empty() {
        println!("  moved to another endpoint because:");
        for (note, count) in &status.route_notes {
            println!("    {count:>8}  {note}");
        }
    }
    println!("  per recipient:");
    for recipient in &status.by_recipient {
        let counts: Vec<String> = recipient
            .by_state
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        println!("    {:<40} {}", recipient.name, counts.join(", "));
    }
}
