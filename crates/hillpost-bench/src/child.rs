//! One worker process (`hillpost-bench child-worker`): the real `Worker` with the no-op
//! channel or SMTP, stopping when no batch is left (the same check as
//! `hillpost worker --until-idle`) (or after `--max-seconds`), then printing
//! its peak resident memory as one JSON line for the parent.

use std::sync::Arc;
use std::time::Duration;

use hillpost_channels::{Channels, EmailSender, NoopChannel, SmtpChannel};
use hillpost_core::quota::RateQuota;
use hillpost_store::Store;
use hillpost_worker::{RateLimits, Worker, WorkerSettings};
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct ChildArgs {
    #[arg(long)]
    database: String,
    /// Send by SMTP to 127.0.0.1 at this port instead of through the no-op channel.
    #[arg(long)]
    smtp_port: Option<u16>,
    /// A quota for one rate key: KEY=QUOTA (e.g. office.example.org=100/s).
    #[arg(long)]
    rate: Option<String>,
    /// Stop after this many seconds even if deliveries are left.
    #[arg(long)]
    max_seconds: Option<u64>,
    /// `[worker] capacity` (default: the worker's own).
    #[arg(long)]
    capacity: Option<usize>,
    /// `[worker] claim_batch` (default: the worker's own).
    #[arg(long)]
    claim_batch: Option<u32>,
    /// `[smtp] max_connections` (default: hillpost's own).
    #[arg(long)]
    smtp_connections: Option<usize>,
}

/// With `HILLPOST_BENCH_TRACE` set (a `RUST_LOG`-style filter), the worker's logs go to
/// stderr with each span's time when it closes (`time.busy`, `time.idle`): where one
/// worker spends a delivery's time, per stage (`HILLPOST_BENCH_TRACE=hillpost_worker=info`
/// gives the claim, attempt and record spans).
fn trace_spans_if_asked() {
    let Ok(filter) = std::env::var("HILLPOST_BENCH_TRACE") else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .try_init();
}

pub async fn run(args: &ChildArgs) -> anyhow::Result<()> {
    trace_spans_if_asked();
    let store = Arc::new(Store::connect(&args.database).await?);
    let mut settings = WorkerSettings {
        rate_limits: RateLimits::unlimited(),
        ..WorkerSettings::default()
    };
    if let Some(capacity) = args.capacity {
        settings.capacity = capacity;
    }
    if let Some(claim_batch) = args.claim_batch {
        settings.claim_batch = claim_batch;
    }
    if let Some(rate) = &args.rate {
        let (key, quota) = rate
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--rate is KEY=QUOTA"))?;
        let quota: RateQuota = quota.parse()?;
        settings
            .rate_limits
            .overrides
            .insert(key.to_string(), quota);
    }
    let shutdown = CancellationToken::new();
    tokio::spawn(hillpost::commands::worker::stop_when_idle(
        store.clone(),
        shutdown.clone(),
    ));
    if let Some(seconds) = args.max_seconds {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            shutdown.cancel();
        });
    }
    match args.smtp_port {
        None => {
            Worker::new(store.clone(), NoopChannel, settings)
                .run(shutdown)
                .await?
        }
        Some(port) => {
            let smtp = crate::email::sink_settings(port, args.smtp_connections);
            let channel =
                Channels::default().with_email(EmailSender::Smtp(SmtpChannel::new(smtp)?));
            Worker::new(store.clone(), channel, settings)
                .run(shutdown)
                .await?
        }
    }
    store.close().await;
    println!(
        "{}",
        serde_json::json!({ "peak_rss_kib": crate::rss::peak_rss_kib() })
    );
    Ok(())
}
