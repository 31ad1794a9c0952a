//! `hillpost signatures import CAMPAIGN FILE [--skip-invalid]`.

use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::{campaign_id, open_store};
use crate::app::App;
use crate::cli::SignaturesCommand;
use crate::config::Settings;

/// Files smaller than this import too fast for a progress bar to be useful.
const PROGRESS_FROM_BYTES: u64 = 1_000_000;

pub async fn run(settings: &Settings, command: SignaturesCommand) -> anyhow::Result<ExitCode> {
    let SignaturesCommand::Import {
        campaign,
        file,
        skip_invalid,
    } = command;
    let campaign = campaign_id(&campaign)?;
    let store = open_store(settings).await?;
    let input = File::open(&file).with_context(|| format!("opening {}", file.display()))?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if size >= PROGRESS_FROM_BYTES {
        ProgressBar::new(size)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let report = App::new(&store, settings)
        .import_signatures(
            &campaign,
            BufReader::new(input),
            &name,
            skip_invalid,
            &super::cli_actor(),
            |bytes| bar.set_position(bytes),
        )
        .await
        .with_context(|| format!("{} was not imported", file.display()))?;
    bar.finish_and_clear();

    for rejection in &report.rejections {
        println!("line {}: {}", rejection.line, rejection.reason);
    }
    if !report.ignored_columns.is_empty() {
        println!("ignored columns: {}", report.ignored_columns.join(", "));
    }
    let c = &report.counts;
    if report.import_id.is_none() {
        println!(
            "{} of {} rows rejected: nothing was imported (fix the rows above, or pass --skip-invalid to import the {} valid rows)",
            c.rejected,
            c.rows_read,
            c.rows_read - c.rejected - report.duplicates_in_file
        );
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "{} rows read: {} new signatures, {} duplicates ({} within the file, {} already signed), {} rejected",
        c.rows_read,
        c.accepted,
        c.duplicates,
        report.duplicates_in_file,
        report.duplicates_stored,
        c.rejected
    );
    Ok(ExitCode::SUCCESS)
}
