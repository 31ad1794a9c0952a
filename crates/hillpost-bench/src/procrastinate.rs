//! procrastinate, a Python job queue on PostgreSQL, doing the same claim → no-op → record
//! work with the same number of worker processes on the same server, in the same run, so the
//! ratio to hillpost's figure is fair. Skipped (loudly) when procrastinate isn't installed:
//! `pip install procrastinate 'psycopg[binary]'`.

use std::time::Duration;

use anyhow::Context;
use tokio::process::Command;

use crate::databases::{Backend, BenchDatabase};
use crate::report::Report;
use crate::{Args, generate, workers};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/procrastinate_bench.py");
const PROCESSES: usize = 4;
/// Jobs each procrastinate process runs at once (its async concurrency).
const CONCURRENCY: usize = 10;

pub async fn run(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    let available = Command::new("python3")
        .args(["-c", "import procrastinate, psycopg"])
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !available {
        report.skipped(
            "procrastinate",
            "python3 cannot import procrastinate (pip install procrastinate 'psycopg[binary]')",
        );
        return Ok(());
    }
    let jobs = args.procrastinate_jobs;

    // procrastinate first, on a database of its own.
    let db = BenchDatabase::create(&Backend::Postgres, &args.postgres, "procrastinate").await?;
    let conninfo = db.url.clone();
    python(&["setup", &conninfo, &jobs.to_string()]).await?;
    let mut children = Vec::new();
    for _ in 0..PROCESSES {
        children.push(
            Command::new("python3")
                .args([SCRIPT, "worker", &conninfo, &CONCURRENCY.to_string()])
                .kill_on_drop(true)
                .spawn()?,
        );
    }
    for mut child in children {
        anyhow::ensure!(
            child.wait().await?.success(),
            "a procrastinate worker failed"
        );
    }
    let measured: serde_json::Value =
        serde_json::from_str(&python(&["measure", &conninfo]).await?)?;
    let done = measured["jobs"].as_u64().unwrap_or(0) as usize;
    anyhow::ensure!(done == jobs, "procrastinate finished {done} of {jobs} jobs");
    let seconds = measured["seconds"]
        .as_f64()
        .context("procrastinate's elapsed time")?;
    let theirs = report.rate(
        &format!("procrastinate no-op jobs ({PROCESSES} processes × concurrency {CONCURRENCY})"),
        done,
        Duration::from_secs_f64(seconds),
    );
    db.store.close().await;

    // hillpost, the same number of processes, right after.
    let db = BenchDatabase::create(&Backend::Postgres, &args.postgres, "procrastinate").await?;
    let batch = generate::queued_batch(&db.store, "vs-procrastinate", jobs.div_ceil(50), 50, |i| {
        format!("office{i}.example.org")
    })
    .await?;
    workers::run(PROCESSES, &db.url, &workers::settings_args(args)).await?;
    let delivered = db
        .store
        .batch_status(batch)
        .await?
        .count(hillpost_core::DeliveryState::Delivered);
    let ours = report.rate(
        &format!("hillpost no-op deliveries ({PROCESSES} processes), same run"),
        delivered as usize,
        Duration::from_secs_f64(db.busy_seconds(batch).await?),
    );
    report.note(format!("hillpost / procrastinate: {:.1}×", ours / theirs));
    db.store.close().await;
    Ok(())
}

async fn python(args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("python3")
        .arg(SCRIPT)
        .args(args)
        .output()
        .await?;
    anyhow::ensure!(
        output.status.success(),
        "procrastinate_bench.py {}: {}",
        args[0],
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
