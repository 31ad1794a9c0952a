//! Deliveries enqueued per second: one batch of `--enqueue-rows` deliveries (signers × 10
//! offices) inserted in one transaction, after rendering. Then, with those deliveries still
//! queued, one worker's memory while it works through them.

use std::time::Instant;

use chrono::Utc;

use crate::databases::{Backend, BenchDatabase};
use crate::report::Report;
use crate::{Args, generate, workers};

const OFFICES: usize = 10;

pub async fn run(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    let signers = args.enqueue_rows.div_ceil(OFFICES);
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = BenchDatabase::create(&backend, &args.postgres, "enqueue").await?;
        let campaign = generate::campaign("enqueue-bench", OFFICES, |i| {
            format!("office{i}.example.org")
        });
        generate::stored_campaign(&db.store, &campaign, signers).await?;
        let rendering = Instant::now();
        let plan = generate::plan(&db.store, &campaign).await?;
        let rendered = rendering.elapsed();
        let started = Instant::now();
        let batch = db
            .store
            .create_batch(&campaign.id, &plan, Utc::now(), 3)
            .await?;
        let elapsed = started.elapsed();
        report.rate(
            &format!("letters rendered ({} letters)", plan.messages.len()),
            plan.messages.len(),
            rendered,
        );
        report.rate(
            &format!(
                "deliveries enqueued ({}, {} rows + {} letters)",
                backend.name(),
                plan.deliveries.len(),
                plan.messages.len()
            ),
            plan.deliveries.len(),
            elapsed,
        );
        drop(plan);

        if let Backend::Postgres = backend {
            let seconds = 20;
            let finished =
                workers::run(1, &db.url, &["--max-seconds".into(), seconds.to_string()]).await?;
            let status = db.store.batch_status(batch).await?;
            let done = status.count(hillpost_core::DeliveryState::Delivered);
            report.note(format!(
                "worker peak RSS with {} deliveries queued (PostgreSQL): {:.1} MiB after delivering {done} in {seconds} s",
                args.enqueue_rows,
                finished.max_rss_mib()
            ));
        }
        db.store.close().await;
    }
    Ok(())
}
