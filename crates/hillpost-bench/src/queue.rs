//! Deliveries completed per second through the no-op channel: claim → send → record, with
//! 1, 2 and 4 worker processes on PostgreSQL and one on SQLite. Every delivery goes to one of
//! 50 offices on unlimited keys, so only the queue is measured.

use crate::databases::{Backend, BenchDatabase};
use crate::report::Report;
use crate::{Args, generate, workers};

const OFFICES: usize = 50;

pub async fn run(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    let signers = args.queue_rows.div_ceil(OFFICES);
    for configuration in &args.queue_configs {
        let (backend, count) = parse_configuration(configuration)?;
        let db = BenchDatabase::create(&backend, &args.postgres, "queue").await?;
        let batch = generate::queued_batch(&db.store, "queue-bench", signers, OFFICES, |i| {
            format!("office{i}.example.org")
        })
        .await?;
        let finished = workers::run(count, &db.url, &workers::settings_args(args)).await?;
        let status = db.store.batch_status(batch).await?;
        let delivered = status.count(hillpost_core::DeliveryState::Delivered) as usize;
        anyhow::ensure!(
            delivered == signers * OFFICES,
            "{delivered} of {} delivered",
            signers * OFFICES
        );
        let seconds = db.busy_seconds(batch).await?;
        report.rate(
            &format!(
                "no-op deliveries completed ({}, {count} worker{}), peak RSS {:.0} MiB",
                backend.name(),
                if count == 1 { "" } else { "s" },
                finished.max_rss_mib()
            ),
            delivered,
            std::time::Duration::from_secs_f64(seconds),
        );
        db.store.close().await;
    }
    Ok(())
}

/// `sqlite:1`, `postgres:4`: a backend and a number of worker processes.
fn parse_configuration(text: &str) -> anyhow::Result<(Backend, usize)> {
    let (backend, count) = text
        .split_once(':')
        .ok_or_else(|| anyhow::anyhow!("queue configuration {text:?} is not BACKEND:WORKERS"))?;
    let backend = match backend {
        "sqlite" => Backend::Sqlite,
        "postgres" => Backend::Postgres,
        other => anyhow::bail!("queue configuration {text:?}: unknown backend {other:?}"),
    };
    let count: usize = count
        .parse()
        .map_err(|_| anyhow::anyhow!("queue configuration {text:?}: {count:?} is not a number"))?;
    anyhow::ensure!(
        count > 0,
        "queue configuration {text:?}: at least one worker"
    );
    Ok((backend, count))
}
