//! Starting worker processes (this binary's `child-worker`) and collecting what they report.

use std::process::Stdio;

use anyhow::Context;

pub struct Finished {
    /// Peak resident memory of each process, KiB.
    pub peak_rss_kib: Vec<u64>,
}

impl Finished {
    pub fn max_rss_mib(&self) -> f64 {
        self.peak_rss_kib.iter().copied().max().unwrap_or(0) as f64 / 1024.0
    }
}

/// Runs `count` worker processes against `database` with the extra child arguments, and
/// waits for all of them.
pub async fn run(count: usize, database: &str, extra: &[String]) -> anyhow::Result<Finished> {
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for _ in 0..count {
        let child = tokio::process::Command::new(&exe)
            .arg("child-worker")
            .arg("--database")
            .arg(database)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting a worker process")?;
        children.push(child);
    }
    let mut peak_rss_kib = Vec::new();
    for child in children {
        let report = json_report(child, "a worker process").await?;
        peak_rss_kib.push(report["peak_rss_kib"].as_u64().unwrap_or(0));
    }
    Ok(Finished { peak_rss_kib })
}

/// The child arguments that carry the worker settings chosen on the command line.
pub fn settings_args(args: &crate::Args) -> Vec<String> {
    let mut extra = Vec::new();
    if let Some(capacity) = args.capacity {
        extra.extend(["--capacity".to_string(), capacity.to_string()]);
    }
    if let Some(claim_batch) = args.claim_batch {
        extra.extend(["--claim-batch".to_string(), claim_batch.to_string()]);
    }
    extra
}

/// Waits for a child process that prints its report as JSON on its last line of stdout
/// (`what` names it in errors), and reads that report.
pub async fn json_report(
    child: tokio::process::Child,
    what: &str,
) -> anyhow::Result<serde_json::Value> {
    let output = child.wait_with_output().await?;
    anyhow::ensure!(output.status.success(), "{what} failed: {}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("reading {what}'s report: {line:?}"))
}
