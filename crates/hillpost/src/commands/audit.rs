//! `hillpost audit export | verify | checkpoint`: what a batch sent to whom, whether the
//! audit trail is still what was appended, and its newest signed checkpoint.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use hillpost_core::audit::{Anchor, Checkpoint, KeyList, time_text};
use hillpost_store::{ChainReport, ExportLine};

use super::open_store;
use crate::audit_export::{ExportFormat, write_lines};
use crate::cli::AuditCommand;
use crate::config::Settings;
use crate::key_arg::{key_list, read_bounded};

/// `audit verify` exits with this when the chain is broken (1 is any other failure).
const BROKEN: u8 = 2;

pub async fn run(settings: &Settings, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    let code = match command {
        AuditCommand::Export { batch, format, out } => {
            let lines = store.audit_export(batch.into()).await?;
            match out {
                Some(path) => {
                    write_file(&path, &lines, format)?;
                    eprintln!(
                        "batch {batch}: {} line(s) written to {}",
                        lines.len(),
                        path.display()
                    );
                }
                None => {
                    let stdout = std::io::stdout();
                    write_lines(stdout.lock(), &lines, format)?;
                }
            }
            ExitCode::SUCCESS
        }
        AuditCommand::Verify { checkpoint, key } => {
            let keys = match key {
                Some(arg) => key_list(&arg)?,
                None => store.signing_keys().await?,
            };
            let mut anchors = Vec::with_capacity(checkpoint.len());
            for path in &checkpoint {
                anchors.push(read_checkpoint(path, &keys)?);
            }
            let report = store.verify_audit_with(anchors).await?;
            print_report(&report);
            if report.intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(BROKEN)
            }
        }
        AuditCommand::Checkpoint { out } => match store.latest_checkpoint().await? {
            None => {
                eprintln!(
                    "no checkpoint yet: workers sign one within a minute of new events once \
                     signing.key_file is set"
                );
                ExitCode::FAILURE
            }
            Some(checkpoint) => {
                let text = checkpoint.to_json();
                match out {
                    Some(path) => {
                        write_text(&path, &text)?;
                        eprintln!(
                            "checkpoint of seq {} ({}) written to {}",
                            checkpoint.seq,
                            time_text(checkpoint.at),
                            path.display()
                        );
                    }
                    None => print!("{text}"),
                }
                ExitCode::SUCCESS
            }
        },
    };
    store.close().await;
    Ok(code)
}

/// A checkpoint file, its signature checked against `keys`: an anchor for the chain.
fn read_checkpoint(path: &Path, keys: &KeyList) -> anyhow::Result<Anchor> {
    let text = read_bounded(path)?;
    let checkpoint =
        Checkpoint::parse(&text).with_context(|| format!("checkpoint {}", path.display()))?;
    checkpoint
        .verify(keys)
        .with_context(|| format!("checkpoint {}", path.display()))?;
    Ok(Anchor {
        head: checkpoint.head(),
        from: format!(
            "checkpoint {} (signed {})",
            path.display(),
            time_text(checkpoint.at)
        ),
    })
}

fn print_report(report: &ChainReport) {
    match &report.broken {
        None => println!(
            "audit chain intact: {} event(s); head seq {} hash {}; {} checkpoint(s) reached",
            report.verified, report.head.seq, report.head.hash, report.checkpoints
        ),
        Some(link) => println!(
            "audit chain BROKEN at seq {}: {}\n{} event(s) before it check out",
            link.seq, link.problem, report.verified
        ),
    }
    for missing in &report.unrecorded {
        println!("BROKEN: {missing}");
    }
    for altered in &report.altered {
        println!("BROKEN: {altered}");
    }
    if report.altered_count > report.altered.len() {
        println!(
            "BROKEN: {} more attempt row(s) changed after they were recorded",
            report.altered_count - report.altered.len()
        );
    }
}

fn write_text(path: &Path, text: &str) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot move the checkpoint to {}", path.display()))
}

/// Writes next to `path` and renames, so a failed export leaves no half file behind.
fn write_file(path: &Path, lines: &[ExportLine], format: ExportFormat) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    write_lines(std::io::BufWriter::new(file), lines, format)
        .with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path)
        .with_context(|| format!("cannot move the export to {}", path.display()))?;
    Ok(())
}
