//! `hillpost audit export | verify`: what a batch sent to whom, and whether the audit trail
//! is still what was appended.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use hillpost_store::ExportLine;

use super::open_store;
use crate::audit_export::{ExportFormat, write_lines};
use crate::cli::AuditCommand;
use crate::config::Settings;

/// `audit verify` exits with this when the chain is broken (1 is any other failure).
const BROKEN: u8 = 2;

pub async fn run(settings: &Settings, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    let code = match command {
        AuditCommand::Export { batch, format, out } => {
            let lines = store.audit_export(batch).await?;
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
        AuditCommand::Verify => {
            let report = store.verify_audit().await?;
            match report.broken {
                None => {
                    println!(
                        "audit chain intact: {} event(s); head seq {} hash {}",
                        report.verified, report.head.seq, report.head.hash
                    );
                    ExitCode::SUCCESS
                }
                Some(link) => {
                    println!(
                        "audit chain BROKEN at seq {}: {}\n{} event(s) before it check out",
                        link.seq, link.problem, report.verified
                    );
                    ExitCode::from(BROKEN)
                }
            }
        }
    };
    store.close().await;
    Ok(code)
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
