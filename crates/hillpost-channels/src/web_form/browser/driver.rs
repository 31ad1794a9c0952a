//! The chromedriver process hillpost owns: started on a free loopback port when the first
//! browser delivery needs it, in a process group of its own so that stopping it also stops
//! every Chromium it started, and restarted if it has died.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::BrowserError;

/// How long chromedriver may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Driver {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: tempfile::NamedTempFile,
}

impl Driver {
    /// Starts `chromedriver`, accepting connections from loopback only, and waits until it
    /// listens.
    pub async fn start(chromedriver: &Path) -> Result<Self, BrowserError> {
        let failed = |reason: String| BrowserError::Driver {
            chromedriver: chromedriver.display().to_string(),
            reason,
        };
        let log = tempfile::Builder::new()
            .prefix("hillpost-chromedriver-")
            .suffix(".log")
            .tempfile()
            .map_err(|e| failed(format!("creating its log file: {e}")))?;
        let mut last = String::new();
        for _ in 0..3 {
            // chromedriver cannot pick a port itself: take a free one and hand it over;
            // another process could take it in between, hence the retries.
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| failed(format!("finding a free port: {e}")))?
                .port();
            let mut child = Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .arg(format!("--log-path={}", log.path().display()))
                // A worker runs for weeks: only what goes wrong.
                .arg("--log-level=WARNING")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .process_group(0)
                .spawn()
                .map_err(|e| failed(e.to_string()))?;
            let deadline = Instant::now() + START_TIMEOUT;
            while Instant::now() < deadline {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    return Ok(Self {
                        child,
                        url: format!("http://127.0.0.1:{port}"),
                        log,
                    });
                }
                if let Ok(Some(status)) = child.try_wait() {
                    last = format!("exited with {status}");
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                let _ = pipe.read_to_string(&mut stderr);
            }
            kill_group(&mut child);
            if last.is_empty() {
                last = "did not listen in time".into();
            }
            last = format!("{last}: {}", stderr.trim());
        }
        Err(failed(format!(
            "{last}; its log: {}",
            std::fs::read_to_string(log.path()).unwrap_or_default()
        )))
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last lines of chromedriver's log, for a failure report.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        kill_group(&mut self.child);
    }
}

/// Kills chromedriver's process group (chromedriver and every browser it started), by the
/// id of the process this module spawned.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}
