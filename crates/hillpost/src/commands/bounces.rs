//! `hillpost bounces ingest` (one message on stdin, as an MTA's pipe transport gives it, or
//! every message of a Maildir) and `hillpost bounces list`.
//!
//! A message that is not a bounce, or names no letter of ours, is kept aside with the
//! reason and the command still exits 0: the MTA must not retry or bounce it back. Only a
//! failure to record (the database unreachable) exits non-zero, so the MTA keeps the
//! message and tries again.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use hillpost_store::NoticeOutcome;

use super::{cli_actor, open_store};
use crate::bounces::{Incoming, describe, ingest, read_bounded};
use crate::cli::BouncesCommand;
use crate::config::Settings;

pub async fn run(settings: &Settings, command: BouncesCommand) -> anyhow::Result<ExitCode> {
    match command {
        BouncesCommand::Ingest { maildir, recipient } => {
            let store = open_store(settings).await?;
            let result = match maildir {
                Some(dir) => ingest_maildir(settings, &store, &dir).await,
                None => {
                    let message = read_bounded(std::io::stdin().lock())
                        .context("reading the message on standard input")?;
                    let outcome = ingest(
                        &store,
                        settings,
                        &cli_actor(),
                        Incoming {
                            message,
                            source: "stdin".into(),
                            envelope_recipient: recipient.as_deref(),
                            organization: None,
                        },
                    )
                    .await?;
                    println!("{}", describe(&outcome));
                    Ok(())
                }
            };
            store.close().await;
            result?;
        }
        BouncesCommand::List { set_aside, limit } => {
            let store = open_store(settings).await?;
            let notices = store.notices(set_aside, limit).await?;
            store.close().await;
            if notices.is_empty() {
                println!("no notices");
            }
            for n in notices {
                println!(
                    "{:>6}  {}  {:<10} {:<7} {:<10} {}",
                    n.id,
                    n.received_at.format("%Y-%m-%d %H:%M:%S"),
                    n.kind.as_deref().unwrap_or("-"),
                    n.status.as_deref().unwrap_or("-"),
                    n.delivery_id
                        .map(|d| format!("delivery {d}"))
                        .unwrap_or_else(|| "-".into()),
                    match (&n.set_aside, &n.effect) {
                        (Some(reason), _) => format!("set aside: {reason}"),
                        (None, Some(effect)) => effect.clone(),
                        (None, None) => String::new(),
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every file in `dir/new`, oldest name first, each moved to `dir/cur` once recorded.
async fn ingest_maildir(
    settings: &Settings,
    store: &hillpost_store::Store,
    dir: &Path,
) -> anyhow::Result<()> {
    let new = dir.join("new");
    let cur = dir.join("cur");
    std::fs::create_dir_all(&cur).with_context(|| format!("creating {}", cur.display()))?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
        .with_context(|| format!("reading the Maildir folder {}", new.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    let (mut recorded, mut set_aside, mut repeated) = (0, 0, 0);
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let message = read_bounded(file).with_context(|| format!("reading {}", path.display()))?;
        let outcome = ingest(
            store,
            settings,
            &cli_actor(),
            Incoming {
                message,
                source: format!("maildir:{name}"),
                envelope_recipient: None,
                organization: None,
            },
        )
        .await
        .with_context(|| format!("recording {}; it stays in new/", path.display()))?;
        match outcome {
            NoticeOutcome::Recorded { .. } => recorded += 1,
            NoticeOutcome::SetAside { .. } => set_aside += 1,
            NoticeOutcome::AlreadyRecorded { .. } => repeated += 1,
        }
        println!("{name}: {}", describe(&outcome));
        // Maildir's "seen" flag: processed, not to be read again.
        let seen = if name.contains(":2,") {
            name.clone()
        } else {
            format!("{name}:2,S")
        };
        std::fs::rename(path, cur.join(&seen))
            .with_context(|| format!("moving {} to {}", path.display(), cur.display()))?;
    }
    println!(
        "{} messages: {recorded} recorded, {set_aside} set aside, {repeated} already recorded",
        files.len()
    );
    Ok(())
}
