//! Real parts for hillpost's tests.
//!
//! Tests talk to real servers: PostgreSQL, an SMTP server, HTTP servers. A test that needs a
//! server this machine does not have calls [`skip`], which prints a loud line straight to the
//! terminal (test output capture does not swallow it) and returns; with
//! `HILLPOST_TEST_REQUIRE_ALL=1` (set by `.ci/run`) a skip fails the test instead.

pub mod browser;
pub mod cwc;
pub mod disk;
pub mod dkim;
pub mod fixtures;
pub mod fuzz;
pub mod https;
pub mod postgres;
pub mod scan;
pub mod smtp;
pub mod sqlite;
pub mod timing;

use std::future::Future;
use std::io::Write;
use std::time::{Duration, Instant};

/// Reports that a test could not run because `what` is missing, then either returns (plain
/// `cargo test`) or panics (`HILLPOST_TEST_REQUIRE_ALL=1`).
pub fn skip(test: &str, what: &str, how_to_fix: &str) {
    let line = format!("\n!!! SKIPPED {test}: {what} is not available here. {how_to_fix}\n");
    if require_all() {
        panic!("{line}HILLPOST_TEST_REQUIRE_ALL=1 is set, so a skip is a failure.");
    }
    // Written to the process's stderr directly: libtest captures print!/eprint!, not this.
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// `HILLPOST_TEST_REQUIRE_ALL=1`: CI, where every server must be present.
pub fn require_all() -> bool {
    std::env::var("HILLPOST_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1" || v == "true")
}

/// Polls `check` every 20 ms until it returns `Some`, or panics after `timeout` naming `what`.
pub async fn poll_until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The repository's root (for `tests/support` files and `../shared`).
pub fn repo_root() -> std::path::PathBuf {
    let mut dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("Cargo.lock").exists() && !dir.join(".git").exists() {
        if !dir.pop() {
            break;
        }
    }
    dir
}

/// `../shared` next to the repository, when present (tests that read the public data).
pub fn shared_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("HILLPOST_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo_root().join("..").join("shared"));
    dir.join("data").is_dir().then_some(dir)
}
