//! graphile-worker 0.18.0 (npm), a Node.js job queue on PostgreSQL, in its best configuration
//! on this machine, doing the same claim → no-op → record work as hillpost on the same server,
//! in the same run, next to hillpost with the same number of worker processes. The target this
//! answers: "no-op claim → send → record: ≥ graphile-worker 0.18's best configuration".
//!
//! The runner is `graphile_bench/graphile_bench.mjs` (its `package.json` pins graphile-worker
//! 0.18.0 and `package-lock.json` the rest); the section runs `npm ci` there when
//! `node_modules` is missing, and is skipped (loudly) without `node` and `npm` or when that
//! install fails. graphile-worker 0.18.0 declares `node >= 22.18`; it runs on node 20 as
//! this runner uses it (npm warns `EBADENGINE` when installing).
//!
//! Each graphile process runs `runOnce` (work until no job is left, then exit) with a no-op
//! task, graphile's local queue (`localQueue.size`: the pool locks and fetches that many jobs
//! at once and hands them to its workers) and batched completion (`completeJobBatchDelay`,
//! `failJobBatchDelay`): the batching its own performance page recommends for throughput.
//!
//! **Timing.** graphile deletes a job when it completes, so no timestamp of it survives in the
//! database. Rather than a row written per job from the task (a write per job that graphile
//! itself does not do, which would distort its figure), each process reports the wall-clock
//! time its first job started and the time its pool was released, which is after its last
//! batch of completions was committed; this section takes the earliest start and the latest
//! release. That is the span hillpost's figure covers (first attempt's start to last
//! recording), without process start-up, and reads the same machine clock. The runner's
//! `measure` then checks that no job is left in graphile's table.
//!
//! **Configurations tried** (`--graphile-configs PROCESSES:CONCURRENCY:QUEUE:DELAY`), two
//! runs each, jobs per second, on the 2-core machine of docs/benchmarks.md (PostgreSQL 15,
//! node 20) on 2026-12-05, the load average between 1 and 5 from other tests now and then,
//! so neighbouring ranges overlap. Concurrency (`concurrentJobs` 10, 25, 50) and batch delay
//! (0, 1, 10 ms) moved no figure beyond that noise; the local queue's size and the number of
//! processes decide.
//!
//! | jobs | local queue | 1 process | 2 processes | 4 processes |
//! |---|---|---|---|---|
//! | 20,000 | none, unbatched (`-1:-1`), concurrency 25 | 4,100 | 3,400–3,600 | refused: 4 × 27 connections pass `max_connections` (100) |
//! | 20,000 | 100 | 18,000–20,000 | 22,000–25,000 | 20,000–23,000 |
//! | 20,000 | 500 | 33,000–38,000 | 43,000–46,000 | 30,000–38,000 |
//! | 20,000 | 1,000 | 40,000–46,000 | 46,000–54,000 | 34,000–44,000 |
//! | 20,000 | 2,000 | 41,000–46,000 | 53,000–56,000 | 39,000–40,000 |
//! | 100,000 | 1,000 | 28,000–30,000 | 41,000–46,000 | 37,000–39,000 |
//! | 100,000 | 2,000 | 35,000–37,000 | 51,000–54,000 | 45,000–47,000 |
//! | 100,000 | 5,000 | 46,000–49,000 | 65,000–66,000 | 57,000–61,000 |
//! | 100,000 | **10,000** | 50,000–56,000 | **71,000–83,000** | 66,000–77,000 |
//! | 100,000 | 20,000 | 43,000–45,000 | 64,000–66,000 | |
//!
//! The best: **2 processes × 50, local queue 10,000, completions batched with no delay**
//! (`2:50:10000:0`), 76,000–81,000 /s. Larger local queues help until each fetch locks a
//! tenth of the jobs (a local queue that large is graphile's throughput setting, not its
//! latency one: jobs sit locked in one process while another may idle). The default
//! `--graphile-jobs` is 100,000 rather than 20,000 for that reason, and because 20,000 jobs
//! at that rate are a quarter of a second, too short to time across processes.
//!
//! The default runs the best configuration found for 1, 2 and 4 processes, then hillpost
//! with 1, 2 and 4 worker processes; each ratio is against graphile's best with the same
//! number of processes, and a last line compares hillpost's best with graphile's best.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::Command;

use crate::databases::{Backend, BenchDatabase};
use crate::report::Report;
use crate::{Args, generate, workers};

const RUNNER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/graphile_bench");
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/graphile_bench/graphile_bench.mjs"
);
/// hillpost's deliveries go to this many offices, as in the queue section.
const OFFICES: usize = 50;

/// One graphile-worker configuration: processes, and each one's options.
#[derive(Clone, Copy, Debug)]
struct Config {
    processes: usize,
    /// `concurrentJobs`: jobs each process runs at once.
    concurrency: usize,
    /// `localQueue.size` (-1: no local queue).
    local_queue: i64,
    /// `completeJobBatchDelay` and `failJobBatchDelay`, ms (-1: no batching).
    batch_delay_ms: i64,
}

impl std::str::FromStr for Config {
    type Err = anyhow::Error;

    /// `4:24:500:0`: processes, concurrency, local queue size, batch delay in ms.
    fn from_str(text: &str) -> anyhow::Result<Self> {
        let parts: Vec<&str> = text.split(':').collect();
        let [count, concurrency, local_queue, batch_delay_ms] = parts[..] else {
            anyhow::bail!(
                "graphile configuration {text:?} is not PROCESSES:CONCURRENCY:QUEUE:DELAY"
            );
        };
        let number = |part: &str| {
            part.parse::<i64>().map_err(|_| {
                anyhow::anyhow!("graphile configuration {text:?}: {part:?} is not a number")
            })
        };
        let config = Config {
            processes: number(count)?.try_into().unwrap_or(0),
            concurrency: number(concurrency)?.try_into().unwrap_or(0),
            local_queue: number(local_queue)?,
            batch_delay_ms: number(batch_delay_ms)?,
        };
        anyhow::ensure!(
            config.processes > 0 && config.concurrency > 0,
            "graphile configuration {text:?}: at least one process and a concurrency of one"
        );
        Ok(config)
    }
}

impl std::fmt::Display for Config {
    /// `2 × 25, queue 500, batch 0 ms`: processes × concurrency, local queue, batch delay.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} × {}, queue {}, batch {} ms",
            self.processes, self.concurrency, self.local_queue, self.batch_delay_ms
        )
    }
}

pub async fn run(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    let configs = args
        .graphile_configs
        .iter()
        .map(|text| text.parse::<Config>())
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let Err(why) = runner_ready().await {
        report.skipped("graphile", &why);
        return Ok(());
    }
    // graphile first, each configuration on a fresh database; the best rate per process count.
    let mut best: BTreeMap<usize, (f64, Config)> = BTreeMap::new();
    for config in configs {
        let rate = graphile(args, config, report).await?;
        let entry = best.entry(config.processes).or_insert((rate, config));
        if rate > entry.0 {
            *entry = (rate, config);
        }
    }

    // hillpost right after, the same number of jobs with each of those numbers of processes.
    let mut ours_best = (0.0_f64, 0);
    for (&count, &(theirs, config)) in &best {
        let ours = hillpost(args, count, report).await?;
        if best.len() > 1 {
            report.note(format!(
                "hillpost / graphile-worker, {} each: {:.2}× (graphile: {config})",
                processes(count),
                ours / theirs
            ));
        }
        if ours > ours_best.0 {
            ours_best = (ours, count);
        }
    }
    let (theirs, config) = best
        .into_values()
        .reduce(|a, b| if b.0 > a.0 { b } else { a })
        .context("no graphile configuration (--graphile-configs)")?;
    report.note(format!(
        "hillpost / graphile-worker: {:.2}× (hillpost's best, {}, against graphile's best, {config})",
        ours_best.0 / theirs,
        processes(ours_best.1),
    ));
    Ok(())
}

/// "1 process", "4 processes".
fn processes(count: usize) -> String {
    format!("{count} process{}", if count == 1 { "" } else { "es" })
}

/// Runs one graphile-worker configuration on `--graphile-jobs` jobs; returns its rate.
async fn graphile(args: &Args, config: Config, report: &mut Report) -> anyhow::Result<f64> {
    let jobs = args.graphile_jobs;
    let db = BenchDatabase::create(&Backend::Postgres, &args.postgres, "graphile").await?;
    let url = db.url.clone();
    db.store.close().await;
    node(&["setup", &url, &jobs.to_string()]).await?;
    let mut children = Vec::new();
    for _ in 0..config.processes {
        children.push(
            Command::new("node")
                .arg(SCRIPT)
                .args([
                    "worker",
                    &url,
                    &config.concurrency.to_string(),
                    &config.local_queue.to_string(),
                    &config.batch_delay_ms.to_string(),
                ])
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .context("starting a graphile-worker process")?,
        );
    }
    let (mut done, mut first_start, mut last_completion) = (0, f64::INFINITY, 0.0_f64);
    for child in children {
        let finished = workers::json_report(child, "a graphile-worker process").await?;
        let ran = finished["jobs"].as_u64().unwrap_or(0);
        done += ran as usize;
        // A process that found no job left reports no times.
        if ran > 0 {
            first_start = first_start.min(finished["first_start"].as_f64().context("first_start")?);
            last_completion = last_completion.max(
                finished["last_completion"]
                    .as_f64()
                    .context("last_completion")?,
            );
        }
    }
    let left: serde_json::Value = serde_json::from_str(&node(&["measure", &url]).await?)?;
    let left = left["left"].as_u64().context("graphile's jobs left")?;
    anyhow::ensure!(
        done == jobs && left == 0,
        "graphile-worker ran {done} of {jobs} jobs, {left} left in its table"
    );
    Ok(report.rate(
        &format!("graphile-worker no-op jobs ({config})"),
        done,
        Duration::from_secs_f64(last_completion - first_start),
    ))
}

/// hillpost doing `--graphile-jobs` no-op deliveries with `count` worker processes.
async fn hillpost(args: &Args, count: usize, report: &mut Report) -> anyhow::Result<f64> {
    let jobs = args.graphile_jobs;
    let db = BenchDatabase::create(&Backend::Postgres, &args.postgres, "graphile").await?;
    let batch = generate::queued_batch(
        &db.store,
        "vs-graphile",
        jobs.div_ceil(OFFICES),
        OFFICES,
        |i| format!("office{i}.example.org"),
    )
    .await?;
    workers::run(count, &db.url, &workers::settings_args(args)).await?;
    let delivered = db
        .store
        .batch_status(batch)
        .await?
        .count(hillpost_core::DeliveryState::Delivered) as usize;
    anyhow::ensure!(
        delivered == jobs.div_ceil(OFFICES) * OFFICES,
        "hillpost delivered {delivered} of {}",
        jobs.div_ceil(OFFICES) * OFFICES
    );
    let rate = report.rate(
        &format!("hillpost no-op deliveries ({}), same run", processes(count)),
        delivered,
        Duration::from_secs_f64(db.busy_seconds(batch).await?),
    );
    db.store.close().await;
    Ok(rate)
}

/// Checks for node and npm and installs the runner's dependencies if they are missing (`npm
/// ci`: exactly the committed lock file). The error says why the section cannot run.
async fn runner_ready() -> Result<(), String> {
    for tool in ["node", "npm"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .await
            .is_ok_and(|s| s.success());
        if !found {
            return Err(format!(
                "no `{tool}` on PATH (graphile-worker needs Node.js and npm)"
            ));
        }
    }
    let installed = Path::new(RUNNER_DIR)
        .join("node_modules/graphile-worker/package.json")
        .exists();
    if !installed {
        println!("graphile: installing the runner's node_modules (npm ci in {RUNNER_DIR})");
        let output = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(RUNNER_DIR)
            .output()
            .await
            .map_err(|e| format!("npm ci in {RUNNER_DIR}: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "npm ci in {RUNNER_DIR} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
    }
    Ok(())
}

async fn node(args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("node")
        .arg(SCRIPT)
        .args(args)
        .output()
        .await
        .context("running node")?;
    anyhow::ensure!(
        output.status.success(),
        "graphile_bench.mjs {}: {}",
        args[0],
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
