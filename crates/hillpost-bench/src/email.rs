//! Emails per second into Postfix's `smtp-sink`, four ways, into the same sink in one run:
//!
//! 1. Postfix's own `smtp-source` (C, as many sessions as hillpost has connections, kept open with `-d`, messages of the size of
//!    hillpost's letters): the wire's pace on this machine, the reference;
//! 2. hillpost end to end (one worker process, its default SMTP connections; claim → compose
//!    → send → record, enqueue excluded), timed from the database's own timestamps;
//!
//! (1) and (2) take turns for `--email-rounds` rounds and are compared at their medians;
//! 3. hillpost's SMTP channel alone, without the queue (the same connections, 64 letters in
//!    flight): what sending costs, so the distance from it to (2) is the queue's;
//! 4. lettre's own pooled transport alone, the same letters' size and connections: a second
//!    reference, for what our SMTP code adds to or saves on lettre.
//!
//! Skipped (loudly) without `smtp-sink`/`smtp-source` (Debian: `apt-get install postfix`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use hillpost_channels::{Channel, SmtpChannel, SmtpSettings, SmtpTls};
use hillpost_core::delivery::OutgoingLetter;
use lettre::message::Mailbox;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::process::{Child, Command};

use crate::databases::{Backend, BenchDatabase};
use crate::report::Report;
use crate::{Args, generate, workers};

/// hillpost's default `smtp.max_connections`, and smtp-source's sessions.
const CONNECTIONS: usize = 4;
/// lettre alone waits ~45 ms per letter per connection (see docs/email.md): a sample will do.
const LETTRE_LETTERS: usize = 1_000;

pub async fn run(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    let (Some(sink_exe), Some(source_exe)) =
        (postfix_tool("smtp-sink"), postfix_tool("smtp-source"))
    else {
        report.skipped(
            "email",
            "no smtp-sink / smtp-source in /usr/sbin or /usr/lib/postfix (apt-get install postfix)",
        );
        return Ok(());
    };
    let sink = Sink::start(&sink_exe).await?;

    // hillpost (one worker process, SMTP to the sink) and smtp-source take turns, round by
    // round: this machine's pace drifts by a fifth within a minute (docs/benchmarks.md), so
    // each is reported at its median and compared there, with every round's ratio shown.
    let mut child_args = vec!["--smtp-port".to_string(), sink.port.to_string()];
    child_args.extend(workers::settings_args(args));
    if let Some(connections) = args.email_connections {
        child_args.extend(["--smtp-connections".to_string(), connections.to_string()]);
    }
    let connections = args.email_connections.unwrap_or(CONNECTIONS);
    // smtp-source keeps as many sessions open as hillpost's workers have connections in all.
    let sessions = connections * args.email_workers.max(1);
    let (mut sample, mut letter_size) = (None, 0);
    let (mut hillpost_rounds, mut source_rounds) = (Vec::new(), Vec::new());
    for _ in 0..args.email_rounds.max(1) {
        let db = BenchDatabase::create(&Backend::Postgres, &args.postgres, "email").await?;
        let batch = generate::queued_batch(&db.store, "email-bench", args.emails, 1, |_| {
            "sink.example.org".to_string()
        })
        .await?;
        if sample.is_none() {
            let letter = sample_letter(&db).await?;
            letter_size = composed_size(&letter)?;
            sample = Some(letter);
        }
        workers::run(args.email_workers.max(1), &db.url, &child_args).await?;
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
        hillpost_rounds.push(db.busy_seconds(batch).await?);
        db.store.close().await;
        source_rounds
            .push(smtp_source(&source_exe, sink.port, args.emails, letter_size, sessions).await?);
    }
    let sample = sample.context("no round ran")?;
    let hillpost_seconds = median(&hillpost_rounds);
    let source_seconds = median(&source_rounds);
    let channel_seconds = channel_alone(sink.port, args.emails, connections, &sample).await?;
    let lettre_count = args.emails.min(LETTRE_LETTERS);
    let lettre_seconds = lettre_pool(sink.port, lettre_count, letter_size).await?;

    report.note(format!(
        "emails into smtp-sink: letters of {letter_size} bytes; smtp-source {sessions} sessions, \
         lettre {CONNECTIONS} connections, hillpost {connections} per worker"
    ));
    let source = report.rate(
        "emails into smtp-sink, Postfix smtp-source (reference, median)",
        args.emails,
        Duration::from_secs_f64(source_seconds),
    );
    let ours = report.rate(
        &format!(
            "emails into smtp-sink, hillpost end to end ({} worker{}, median)",
            args.email_workers.max(1),
            if args.email_workers > 1 { "s" } else { "" }
        ),
        args.emails,
        Duration::from_secs_f64(hillpost_seconds),
    );
    let channel = report.rate(
        "emails into smtp-sink, hillpost's SMTP channel alone (no queue)",
        args.emails,
        Duration::from_secs_f64(channel_seconds),
    );
    let lettre = report.rate(
        "emails into smtp-sink, lettre's pooled transport alone",
        lettre_count,
        Duration::from_secs_f64(lettre_seconds),
    );
    report.note(format!(
        "hillpost / smtp-source: {:.0} % (target ≥ 50 %), medians of {} rounds (each round: {}); \
         the channel alone / smtp-source: {:.0} %; hillpost / lettre alone: {:.0} %",
        ours / source * 100.0,
        hillpost_rounds.len(),
        hillpost_rounds
            .iter()
            .zip(&source_rounds)
            .map(|(ours, source)| format!("{:.0} %", source / ours * 100.0))
            .collect::<Vec<_>>()
            .join(", "),
        channel / source * 100.0,
        ours / lettre * 100.0
    ));
    crate::dkim::run(&sample, 2_000, report)?;
    Ok(())
}

/// The middle of `values` (the mean of the middle two for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() % 2 {
        1 => sorted[middle],
        _ => (sorted[middle - 1] + sorted[middle]) / 2.0,
    }
}

/// A Postfix test tool where Debian puts it.
fn postfix_tool(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/lib/postfix", "/usr/libexec/postfix"]
        .iter()
        .map(|dir| PathBuf::from(dir).join(name))
        .find(|path| path.exists())
}

/// `smtp-sink` on a free loopback port, killed when dropped.
struct Sink {
    port: u16,
    _child: Child,
}

impl Sink {
    async fn start(exe: &PathBuf) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut command = Command::new(exe);
        if is_root() {
            // smtp-sink refuses to run as root without a user to switch to.
            command.args(["-u", "nobody"]);
        }
        let child = command
            .arg(format!("127.0.0.1:{port}"))
            .arg("1000")
            .kill_on_drop(true)
            .spawn()
            .context("starting smtp-sink")?;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(Self {
                    port,
                    _child: child,
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        anyhow::bail!("smtp-sink did not listen on port {port}")
    }
}

/// One of the batch's letters as the worker hands it to the channel.
async fn sample_letter(db: &BenchDatabase) -> anyhow::Result<OutgoingLetter> {
    let campaign = generate::campaign("email-bench", 1, |_| "sink.example.org".into());
    let plan = generate::plan(&db.store, &campaign).await?;
    let rendered = &plan.messages[0].letter;
    Ok(OutgoingLetter {
        delivery_id: hillpost_core::DeliveryId::new(1),
        attempt_no: hillpost_core::AttemptNo::new(1),
        idempotency_key: "0123456789abcdef0123456789abcdef".into(),
        channel: hillpost_core::Channel::Email,
        endpoint: "office0@sink.example.org".into(),
        recipient_name: "Office 0".into(),
        sender_name: "Signer Number0".into(),
        reply_to: None,
        language: rendered.language.clone(),
        subject: rendered.subject.clone(),
        body_markdown: rendered.body_markdown.clone(),
        attachments: Vec::new().into(),
        signer: None,
        campaign: None,
    })
}

/// The size in bytes of `letter` as hillpost sends it.
fn composed_size(letter: &OutgoingLetter) -> anyhow::Result<usize> {
    let identity =
        hillpost_channels::EmailIdentity::new("letters@bench.example.org", "bench.example.org")?;
    let message =
        hillpost_channels::email::compose(&identity, letter, std::time::SystemTime::now())?;
    Ok(message.bytes.len())
}

/// Postfix's `smtp-source`: `count` messages of `size` payload bytes over `sessions` kept
/// open (`-d`, as hillpost keeps its sessions), no pipelining (it has none).
async fn smtp_source(
    exe: &PathBuf,
    port: u16,
    count: usize,
    size: usize,
    sessions: usize,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let status = Command::new(exe)
        .args(["-d", "-s", &sessions.to_string(), "-m", &count.to_string()])
        .args(["-l", &size.to_string()])
        .args([
            "-f",
            "letters@bench.example.org",
            "-t",
            "office0@sink.example.org",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .status()
        .await
        .context("running smtp-source")?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "smtp-source failed: {status}");
    Ok(seconds)
}

/// SMTP to the bench's `smtp-sink` on `port`, in clear, with `connections` (default: the
/// channel's own); the worker under test and the channel alone send alike.
pub fn sink_settings(port: u16, connections: Option<usize>) -> SmtpSettings {
    let mut settings = SmtpSettings::new(
        "127.0.0.1",
        port,
        "letters@bench.example.org",
        "bench.example.org",
    );
    settings.tls = SmtpTls::None;
    if let Some(connections) = connections {
        settings.max_connections = connections;
    }
    settings
}

/// hillpost's own SMTP channel alone, without the queue: every letter of the run composed
/// and sent through one `SmtpChannel` with the same connections, as many in flight as a
/// worker holds (its default `capacity`). What the channel can do on this machine, so the end-to-end
/// figure's distance from it is the queue's (claims, marks, records), not SMTP's.
async fn channel_alone(
    port: u16,
    count: usize,
    connections: usize,
    sample: &OutgoingLetter,
) -> anyhow::Result<f64> {
    let channel = SmtpChannel::new(sink_settings(port, Some(connections)))?;
    let started = Instant::now();
    let reports: Vec<_> = futures::stream::iter(0..count)
        .map(|i| {
            let mut letter = sample.clone();
            letter.delivery_id = i64::try_from(i).unwrap_or(i64::MAX).into();
            let channel = &channel;
            async move { channel.send(&letter).await }
        })
        .buffer_unordered(hillpost_worker::WorkerSettings::default().capacity)
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    channel.close().await;
    let accepted = reports
        .iter()
        .filter(|r| r.outcome == hillpost_core::AttemptOutcome::Ok)
        .count();
    anyhow::ensure!(
        accepted == count,
        "the channel alone: {accepted} of {count} accepted"
    );
    Ok(seconds)
}

/// lettre's pooled transport alone: the same number of letters of about the same size.
async fn lettre_pool(port: u16, count: usize, size: usize) -> anyhow::Result<f64> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .pool_config(PoolConfig::new().max_size(CONNECTIONS as u32))
        .build();
    let from: Mailbox = "Signer <letters@bench.example.org>".parse()?;
    let to: Mailbox = "Office <office0@sink.example.org>".parse()?;
    let body = "Bring the troops home. ".repeat(size / 23 + 1)[..size].to_string();
    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..count)
        .map(|i| {
            let message = Message::builder()
                .from(from.clone())
                .to(to.clone())
                .subject("Bring the troops home")
                .message_id(Some(format!("<raw-{i}@bench.example.org>")))
                .body(body.clone());
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

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_is_the_middle_value_whatever_the_order() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[5.0]), 5.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[9.0, 0.5, 0.5]), 0.5);
    }
}
