//! `hillpost directory import | show`.
//!
//! An import reads and parses every file first; only a directory that parsed whole is
//! compared with the stored one, printed as a diff, and written in one transaction. A
//! malformed file stops the import with its file, line and reason, and the store is as it was.

mod show;

use std::process::ExitCode;

use hillpost_directory::load::read_sources;
use hillpost_directory::{Directory, DirectoryDiff, SourcePaths, build_directory};

use super::open_store;
use crate::cli::{DirectoryCommand, ShowCommand};
use crate::config::Settings;
use crate::directory;

pub async fn run(settings: &Settings, command: DirectoryCommand) -> anyhow::Result<ExitCode> {
    match command {
        DirectoryCommand::Import {
            legislators,
            forms,
            officials,
            zip_districts,
        } => {
            let paths = SourcePaths {
                legislators,
                forms,
                officials,
                zip_districts,
            };
            import(settings, &paths).await
        }
        DirectoryCommand::Show(what) => {
            let store = open_store(settings).await?;
            let directory = directory::load(&store).await?.ok_or_else(|| {
                anyhow::anyhow!("no directory yet: import one with `hillpost directory import`")
            })?;
            let resolve = settings.directory.resolve_settings();
            match what {
                ShowCommand::Committee { id } => show::committee(
                    &directory,
                    &id.to_ascii_uppercase(),
                    &resolve,
                    &crate::targets::sendable_channels(settings),
                )?,
                ShowCommand::Member { bioguide } => show::member(
                    &directory,
                    &bioguide.to_ascii_uppercase(),
                    &resolve,
                    &crate::targets::sendable_channels(settings),
                )?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn import(settings: &Settings, paths: &SourcePaths) -> anyhow::Result<ExitCode> {
    // Parse everything before the database is touched.
    let sources = read_sources(paths)?;
    let mut imported = build_directory(&sources).map_err(|e| {
        anyhow::anyhow!("{e}\nnothing was imported; the stored directory is unchanged")
    })?;
    let store = open_store(settings).await?;
    let stored = directory::load(&store).await?;
    if sources.zip_districts.is_none()
        && let Some(old) = &stored
    {
        // The stored table stays; compare like with like.
        imported.zip_districts = old.zip_districts.clone();
    }
    match &stored {
        Some(old) => {
            println!("changes against the stored directory:");
            print!("{}", DirectoryDiff::between(old, &imported));
        }
        None => println!("first import: no stored directory to compare with"),
    }
    store
        .replace_directory(&directory::new_directory(&sources, &imported))
        .await?;
    print_summary(
        &imported,
        sources.zip_districts.is_none() && stored.is_some(),
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

fn print_summary(directory: &Directory, kept_zip_table: bool) {
    let subcommittees: usize = directory
        .committees
        .values()
        .map(|c| c.subcommittees.len())
        .sum();
    println!(
        "directory stored: {} legislators, {} committees ({} subcommittees), {} rosters, {} form definitions{}",
        directory.legislators.len(),
        directory.committees.len(),
        subcommittees,
        directory.rosters.len(),
        directory.forms.len(),
        match &directory.executive {
            Some(e) => format!(", President {}", e.president.name),
            None => String::new(),
        }
    );
    let zips = &directory.zip_districts;
    if zips.is_empty() {
        println!("no ZIP → district table (signers are placed by their own district only)");
    } else {
        println!(
            "ZIP → district table{}: {} ZIP areas, {} spanning more than one district",
            if kept_zip_table { " (kept)" } else { "" },
            zips.len(),
            zips.ambiguous()
        );
    }
    if !directory.rejected_forms.is_empty() {
        println!(
            "{} form definition(s) could not be used and were left out:",
            directory.rejected_forms.len()
        );
        for error in &directory.rejected_forms {
            println!("  {error}");
        }
    }
}
