//! Emails per second end to end into Postfix's `smtp-sink`, next to a raw lettre blast of the
//! same number of letters of the same size into the same sink, in the same run. The raw blast
//! is the ceiling (lettre with a pool of as many connections as hillpost's default, nothing
//! else); hillpost adds the queue, rendering, rate-limit turns and recording. Skipped (loudly)
//! without `smtp-sink` (Debian: `apt-get install postfix`).

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt;
use lettre::message::Mailbox;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::process::Command;

use crate::databases::{Backend, BenchDatabase};
use crate::report::Report;
use crate::{Args, generate, workers};

const SMTP_SINK: &str = "/usr/sbin/smtp-sink";
/// hillpost's default `smtp.max_connections`.
const CONNECTIONS: usize = 4;

pub async fn run(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    if !Path::new(SMTP_SINK).exists() {
        report.skipped("email", "no /usr/sbin/smtp-sink (apt-get install postfix)");
        return Ok(());
    }
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let user = if is_root() {
        vec!["-u", "nobody"]
    } else {
        vec![]
    };
    let mut sink = Command::new(SMTP_SINK)
        .args(&user)
        .arg(format!("127.0.0.1:{port}"))
        .arg("1000")
        .kill_on_drop(true)
        .spawn()?;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // hillpost: one worker process, SMTP to the sink.
    let db = BenchDatabase::create(&Backend::Postgres, &args.postgres, "email").await?;
    let batch = generate::queued_batch(&db.store, "email-bench", args.emails, 1, |_| {
        "sink.example.org".to_string()
    })
    .await?;
    let sample = generate::plan(
        &db.store,
        &generate::campaign("email-bench", 1, |_| "sink.example.org".into()),
    )
    .await?
    .messages[0]
        .letter
        .body_markdown
        .clone();
    workers::run(1, &db.url, &["--smtp-port".into(), port.to_string()]).await?;
    let delivered = db
        .store
        .batch_status(batch)
        .await?
        .count(hillpost_core::DeliveryState::Delivered);
    anyhow::ensure!(
        delivered as usize == args.emails,
        "{delivered} of {} delivered",
        args.emails
    );
    let hillpost_seconds = db.busy_seconds(batch).await?;
    db.store.close().await;

    // lettre alone, the same letters' size, the same number of connections.
    let raw_seconds = raw_blast(port, args.emails, &sample).await?;

    let raw = report.rate(
        &format!("emails into smtp-sink, raw lettre ({CONNECTIONS} connections)"),
        args.emails,
        Duration::from_secs_f64(raw_seconds),
    );
    let ours = report.rate(
        "emails into smtp-sink, hillpost end to end (1 worker)",
        args.emails,
        Duration::from_secs_f64(hillpost_seconds),
    );
    report.note(format!(
        "hillpost / raw lettre: {:.0} %",
        ours / raw * 100.0
    ));
    sink.kill().await.ok();
    Ok(())
}

async fn raw_blast(port: u16, count: usize, body: &str) -> anyhow::Result<f64> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .pool_config(PoolConfig::new().max_size(CONNECTIONS as u32))
        .build();
    let from: Mailbox = "Signer <letters@bench.example.org>".parse()?;
    let to: Mailbox = "Office <office0@sink.example.org>".parse()?;
    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..count)
        .map(|i| {
            let message = Message::builder()
                .from(from.clone())
                .to(to.clone())
                .subject("Bring the troops home")
                .message_id(Some(format!("<raw-{i}@bench.example.org>")))
                .body(body.to_string());
            let transport = &transport;
            async move { transport.send(message?).await.map_err(anyhow::Error::from) }
        })
        .buffer_unordered(CONNECTIONS)
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    for result in results {
        result?;
    }
    Ok(seconds)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}
