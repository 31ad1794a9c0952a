//! `hillpost delivery show | confirm | resend`: one letter's record, and a person's decision
//! about a letter that may have arrived without a confirmation.

use hillpost_core::ids::DeliveryId;
use std::process::ExitCode;

use hillpost_core::delivery::OperatorAction;
use hillpost_store::{DeliveryDetail, Store};

use super::open_store;
use crate::app::App;
use crate::cli::DeliveryCommand;
use crate::config::Settings;

pub async fn run(settings: &Settings, command: DeliveryCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    match command {
        DeliveryCommand::Show { id } => {
            let detail = store
                .delivery_detail(id.into())
                .await?
                .ok_or_else(|| anyhow::anyhow!("there is no delivery {id}"))?;
            print_detail(&detail);
        }
        DeliveryCommand::Confirm { id, reason } => {
            act(
                &store,
                id.into(),
                OperatorAction::Confirm,
                &reason,
                settings,
            )
            .await?
        }
        DeliveryCommand::Resend { id, reason } => {
            act(&store, id.into(), OperatorAction::Resend, &reason, settings).await?
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn act(
    store: &Store,
    id: DeliveryId,
    action: OperatorAction,
    reason: &str,
    settings: &Settings,
) -> anyhow::Result<()> {
    let row = App::new(store, settings)
        .decide_delivery(id, action, reason, &super::cli_actor())
        .await?;
    println!("delivery {id} {}: now {}", action.verb(), row.state);
    Ok(())
}

fn print_detail(detail: &DeliveryDetail) {
    let d = &detail.delivery;
    println!(
        "delivery {} ({}) of batch {} (campaign `{}`) to {} ({})",
        d.id, d.kind, d.batch_id, detail.campaign_id, d.recipient_name, d.recipient_key
    );
    println!("  state       {}", d.state);
    println!("  endpoint    {} {}", d.channel, d.endpoint);
    println!(
        "  attempts    {} of {} (idempotency key {})",
        d.attempts, d.max_attempts, d.idempotency_key
    );
    if d.possibly_accepted {
        println!("  note        an attempt may have reached the office");
    }
    if let Some(error) = &d.last_error {
        println!("  last error  {error}");
    }
    if let Some(reason) = &d.skip_reason {
        println!("  skipped     {reason}");
    }
    for passed in &detail.passed_over {
        println!("  not an endpoint: {passed}");
    }
    println!("  record:");
    let mut lines: Vec<(chrono::DateTime<chrono::Utc>, String)> = Vec::new();
    for a in &detail.attempts {
        let channel = a.channel.unwrap_or(d.channel);
        let mut line = format!(
            "attempt {} on {channel} {}: {}",
            a.attempt_no, a.endpoint, a.outcome
        );
        if let Some(code) = a.remote_code {
            line.push_str(&format!(" ({code})"));
        }
        if let Some(sha) = &a.sent_sha256 {
            line.push_str(&format!("; sent sha256 {sha}"));
        }
        if let Some(note) = &a.note {
            line.push_str(&format!("; {note}"));
        }
        lines.push((a.finished_at, line));
    }
    for e in &detail.events {
        lines.push((e.at, e.describe()));
    }
    lines.sort_by_key(|(at, _)| *at);
    for (at, line) in lines {
        println!("    {}  {line}", at.format("%Y-%m-%d %H:%M:%S UTC"));
    }
}
