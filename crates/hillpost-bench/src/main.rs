//! `hillpost-bench`: the figures hillpost holds itself to, measured on this machine in one run
//! so that the comparisons (hillpost vs. a raw lettre blast, vs. procrastinate, vs.
//! graphile-worker) are ratios of numbers taken side by side. See docs/benchmarks.md for what
//! each figure means.
//!
//! ```text
//! cargo run --release -p hillpost-bench            # every section
//! cargo run --release -p hillpost-bench -- --only queue,rate
//! ```
//!
//! Workers run as child processes of this binary (`hillpost-bench child-worker …`), as they
//! would in production, so figures with N workers are N processes sharing one database.

mod child;
mod databases;
mod dkim;
mod email;
mod enqueue;
mod forms;
mod generate;
mod graphile;
mod import;
mod procrastinate;
mod queue;
mod rate;
mod report;
mod rss;
mod workers;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "hillpost-bench", about = "Measures hillpost on this machine")]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// PostgreSQL server to use (the bench creates and drops its own databases there).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres: String,
    /// Sections to run, comma separated: import, enqueue, queue, procrastinate, graphile,
    /// email, rate, forms.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Signature rows imported.
    #[arg(long, default_value_t = 100_000)]
    import_rows: usize,
    /// Delivery rows enqueued in one batch (and left queued for the memory figure).
    #[arg(long, default_value_t = 1_000_000)]
    enqueue_rows: usize,
    /// Deliveries completed through the no-op channel per configuration.
    #[arg(long, default_value_t = 100_000)]
    queue_rows: usize,
    /// Queue configurations, comma separated: `sqlite:N` or `postgres:N` (N worker processes).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "sqlite:1,postgres:1,postgres:2,postgres:4"
    )]
    queue_configs: Vec<String>,
    /// Worker `capacity` in the queue, procrastinate and email sections (default: the worker's own).
    #[arg(long)]
    capacity: Option<usize>,
    /// Worker `claim_batch` in the queue, procrastinate and email sections (default: the worker's own).
    #[arg(long)]
    claim_batch: Option<u32>,
    /// Jobs in the procrastinate comparison (and hillpost deliveries beside them).
    #[arg(long, default_value_t = 10_000)]
    procrastinate_jobs: usize,
    /// Jobs in the graphile-worker comparison (and hillpost deliveries beside them).
    #[arg(long, default_value_t = 100_000)]
    graphile_jobs: usize,
    /// graphile-worker configurations, comma separated: `PROCESSES:CONCURRENCY:QUEUE:DELAY`
    /// (`concurrentJobs`, `localQueue.size` and `completeJobBatchDelay`/`failJobBatchDelay`
    /// in ms; -1 turns either off). hillpost runs with each number of processes given. The
    /// default is the best found for 1, 2 and 4 processes on a 2-core machine (see graphile.rs).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1:50:10000:0,2:50:10000:0,4:50:10000:0"
    )]
    graphile_configs: Vec<String>,
    /// Emails sent into smtp-sink by hillpost and by smtp-source (lettre alone sends at
    /// most 1,000: it is slow).
    #[arg(long, default_value_t = 20_000)]
    emails: usize,
    /// SMTP connections for hillpost's worker in the email section (default: hillpost's own
    /// `smtp.max_connections`).
    #[arg(long)]
    email_connections: Option<usize>,
    /// Worker processes in the email section, each with its own connections.
    #[arg(long, default_value_t = 1)]
    email_workers: usize,
    /// Rounds of the email section: hillpost and smtp-source take turns this many times and
    /// are compared at their medians (one round is one of each).
    #[arg(long, default_value_t = 3)]
    email_rounds: usize,
    /// The quota of the rate-limit section, per second.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// How long the rate-limit section sends at that quota.
    #[arg(long, default_value_t = 20)]
    rate_seconds: u32,
    /// Web-form deliveries over the HTTP path.
    #[arg(long, default_value_t = 2_000)]
    form_deliveries: usize,
    /// Web-form deliveries through headless Chromium.
    #[arg(long, default_value_t = 20)]
    browser_deliveries: usize,
    /// Chromium sessions at once on the browser path.
    #[arg(long, default_value_t = 2)]
    browser_sessions: usize,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// (internal) One worker process: delivers until no batch is left, then prints its peak
    /// memory as JSON.
    #[command(hide = true)]
    ChildWorker(child::ChildArgs),
}

impl Args {
    fn wants(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match &args.command {
        Some(Command::ChildWorker(child)) => runtime.block_on(child::run(child)),
        None => runtime.block_on(run_sections(&args)),
    }
}

async fn run_sections(args: &Args) -> anyhow::Result<()> {
    let mut report = report::Report::default();
    report.machine();
    if args.wants("import") {
        import::run(args, &mut report).await?;
    }
    if args.wants("enqueue") {
        enqueue::run(args, &mut report).await?;
    }
    if args.wants("queue") {
        queue::run(args, &mut report).await?;
    }
    if args.wants("procrastinate") {
        procrastinate::run(args, &mut report).await?;
    }
    if args.wants("graphile") {
        graphile::run(args, &mut report).await?;
    }
    if args.wants("email") {
        email::run(args, &mut report).await?;
    }
    if args.wants("rate") {
        rate::run(args, &mut report).await?;
    }
    if args.wants("forms") {
        forms::run(args, &mut report).await?;
    }
    report.finish();
    Ok(())
}
