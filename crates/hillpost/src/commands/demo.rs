//! `hillpost demo`: the whole pipeline on bundled data, into an outbox folder. Needs no
//! server: SQLite for the store, .eml files for the letters.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use hillpost_core::Campaign;
use hillpost_core::quota::RateQuota;
use hillpost_store::Store;
use hillpost_worker::Worker;
use tokio_util::sync::CancellationToken;

use super::batch::print_status;
use super::worker::{stop_when_idle, worker_settings};
use crate::app::{App, NewBatch};
use crate::channels;
use crate::config::{EmailTransport, Settings};

const CAMPAIGN: &str = include_str!("../../demo/campaign.toml");
const SIGNERS: &str = include_str!("../../demo/signers.csv");

pub async fn run(mut settings: Settings, dir: &Path) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let database = dir.join("hillpost.db");
    let outbox = dir.join("outbox");
    // The demo owns these two: start from scratch so it can be run again.
    for stale in ["hillpost.db", "hillpost.db-wal", "hillpost.db-shm"] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    if outbox.exists() {
        std::fs::remove_dir_all(&outbox)
            .with_context(|| format!("clearing {}", outbox.display()))?;
    }
    std::fs::create_dir_all(&outbox)?;
    settings.database.url = format!("sqlite:{}", database.display());
    settings.email.transport = EmailTransport::Outbox;
    settings.email.outbox_dir = outbox.clone();
    // An outbox is not an office: nothing to protect with a rate limit.
    settings.rate_limits.default = RateQuota::Unlimited;
    settings.rate_limits.overrides.clear();

    let started = Instant::now();
    let store = Arc::new(Store::connect(&settings.database.url).await?);
    let campaign = Campaign::from_toml(CAMPAIGN)?;
    store.add_campaign(&campaign, false).await?;
    println!(
        "1. campaign `{}` added: {} ({} mode, letters in English and Spanish)",
        campaign.id,
        campaign.title,
        campaign.mode.as_str()
    );

    let app = App::new(&store, &settings);
    let report = app
        .import_signatures(
            &campaign.id,
            SIGNERS.as_bytes(),
            "signers.csv",
            false,
            &super::cli_actor(),
            |_| {},
        )
        .await?;
    println!(
        "2. {} signatures imported from {} rows ({} duplicates kept out, {} rejected)",
        report.counts.accepted,
        report.counts.rows_read,
        report.counts.duplicates,
        report.counts.rejected
    );

    // Created as every batch is (receipts as configured, the retry budget), by the use
    // case the CLI, the API and the dashboard call.
    let created = app
        .create_batch(&campaign.id, &NewBatch::default(), &super::cli_actor())
        .await?;
    let batch = created.id;
    println!(
        "3. batch {batch} created: {} letters rendered and queued in one transaction",
        created.deliveries
    );

    let worker = Worker::new(
        store.clone(),
        channels::for_worker(&settings, &store).await?,
        worker_settings(&settings),
    );
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_when_idle(store.clone(), shutdown.clone()));
    worker.run(shutdown).await?;
    println!(
        "4. the worker delivered the batch into the outbox in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    println!();
    print_status(&store.batch_status(batch).await?);
    store.close().await;

    let files = std::fs::read_dir(&outbox).map(|d| d.count()).unwrap_or(0);
    println!();
    println!(
        "The letters are in {} ({files} .eml files). To look around:",
        outbox.display()
    );
    println!("  ls {} | head", outbox.display());
    // `hillpost` is not on PATH after `cargo run`: name what works from the checkout (or
    // after `cargo install --path crates/hillpost`, plain `hillpost …`).
    println!(
        "  cargo run --release -- --database sqlite:{} batch status {batch}",
        database.display()
    );
    println!(
        "  cargo run --release -- --database sqlite:{} campaign show {}",
        database.display(),
        campaign.id
    );
    println!("  (or `cargo install --path crates/hillpost` once, then `hillpost …`)");
    Ok(ExitCode::SUCCESS)
}
