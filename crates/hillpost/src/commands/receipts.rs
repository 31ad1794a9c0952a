//! `hillpost receipts verify receipt.json [--key KEY|FILE] [--checkpoint FILE…]`: what a
//! signer (or anyone they show it to) can check about a receipt without trusting whoever
//! runs hillpost.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use hillpost_core::audit::{Anchor, Checkpoint, KeyList, time_text};
use hillpost_core::receipt::{VerifiedReceipt, verify_receipt};
use hillpost_store::Store;

use super::open_store;
use crate::cli::ReceiptsCommand;
use crate::config::Settings;
use crate::key_arg::{key_list, read_bounded};

/// Exit code when the receipt, or its events, do not check out.
const NOT_VERIFIED: u8 = 2;

pub async fn run(
    settings: &Settings,
    command: ReceiptsCommand,
    database_given: bool,
) -> anyhow::Result<ExitCode> {
    let ReceiptsCommand::Verify {
        file,
        key,
        checkpoint,
    } = command;
    let store = match database_given {
        true => Some(open_store(settings).await?),
        false => None,
    };
    let keys = match (&key, &store) {
        (Some(arg), _) => key_list(arg)?,
        (None, Some(store)) => store.signing_keys().await?,
        (None, None) => anyhow::bail!(
            "give the service's public key with --key (or --database to read its keys)"
        ),
    };
    let text = read_bounded(&file)?;
    let receipt = match verify_receipt(&text, &keys) {
        Ok(receipt) => receipt,
        Err(error) => {
            println!("receipt {} does NOT verify: {error}", file.display());
            return Ok(ExitCode::from(NOT_VERIFIED));
        }
    };
    print_receipt(&file, &receipt);
    let mut problems = Vec::new();
    let mut anchors = Vec::new();
    for path in &checkpoint {
        let (anchor, seq) = read_checkpoint(path, &keys)?;
        anchors.push(anchor);
        for line in &receipt.statement.lines {
            if let Some(event) = line.audit_seq.filter(|event| *event > seq) {
                problems.push(format!(
                    "{}: event {event} comes after checkpoint {} (seq {seq}): not covered by it",
                    line.office,
                    path.display()
                ));
            }
        }
    }
    if let Some(store) = &store {
        problems.extend(in_chain(store, &receipt, anchors).await?);
        store.close().await;
    }
    if problems.is_empty() {
        if !checkpoint.is_empty() {
            println!("every event it names comes before the checkpoint(s) given");
        }
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &problems {
        println!("NOT VERIFIED: {problem}");
    }
    Ok(ExitCode::from(NOT_VERIFIED))
}

fn print_receipt(file: &Path, receipt: &VerifiedReceipt) {
    let s = &receipt.statement;
    println!(
        "receipt {} verifies: signed by key {} at {}; batch {}, signer {}",
        file.display(),
        receipt.key_id,
        time_text(receipt.signed_at),
        s.batch_id,
        s.signer_id
    );
    for line in &s.lines {
        println!(
            "- {} ({}): {}; sent SHA-256 {}; audit event {} {}",
            line.office,
            line.channel,
            line.outcome,
            line.sent_sha256.as_deref().unwrap_or("-"),
            line.audit_seq.map_or_else(|| "-".into(), |s| s.to_string()),
            line.audit_hash.as_deref().unwrap_or("")
        );
    }
}

/// A checkpoint file, its signature checked: the anchor, and its seq.
fn read_checkpoint(path: &Path, keys: &KeyList) -> anyhow::Result<(Anchor, i64)> {
    let checkpoint = Checkpoint::parse(&read_bounded(path)?)
        .with_context(|| format!("checkpoint {}", path.display()))?;
    checkpoint
        .verify(keys)
        .with_context(|| format!("checkpoint {}", path.display()))?;
    let anchor = Anchor {
        head: checkpoint.head(),
        from: format!("checkpoint {}", path.display()),
    };
    Ok((anchor, checkpoint.seq))
}

/// With the service's database: the chain verifies (through the checkpoints) and holds
/// each event the receipt names with its hash.
async fn in_chain(
    store: &Store,
    receipt: &VerifiedReceipt,
    anchors: Vec<Anchor>,
) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let report = store.verify_audit_with(anchors).await?;
    if let Some(link) = &report.broken {
        problems.push(format!("the audit chain is broken: {link}"));
    }
    problems.extend(report.unrecorded.iter().map(ToString::to_string));
    problems.extend(report.altered.iter().map(ToString::to_string));
    for line in &receipt.statement.lines {
        let (Some(seq), Some(hash)) = (line.audit_seq, &line.audit_hash) else {
            continue;
        };
        match store.audit_event_hash(seq).await? {
            Some(stored) if stored == *hash => {}
            Some(stored) => problems.push(format!(
                "{}: event {seq} has hash {stored} in the chain, not {hash}",
                line.office
            )),
            None => problems.push(format!("{}: event {seq} is not in the chain", line.office)),
        }
    }
    if problems.is_empty() {
        println!(
            "its events are in the chain (intact: {} event(s), head seq {})",
            report.verified, report.head.seq
        );
    }
    Ok(problems)
}
