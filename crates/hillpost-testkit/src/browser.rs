//! A real browser per test: Debian's headless `chromium` driven through `chromedriver`
//! (WebDriver) with fantoccini, over plain HTTP on loopback.
//!
//! ```no_run
//! # async fn example() {
//! use hillpost_testkit::browser::{Browser, fantoccini::Locator};
//! let Some(browser) = Browser::start("my_test").await else { return };
//! browser.client.goto("http://127.0.0.1:8080/dashboard/login").await.unwrap();
//! browser.client.find(Locator::Id("token")).await.unwrap();
//! browser.close().await;
//! # }
//! ```
//!
//! chromedriver runs on a free loopback port in a process group of its own, with a fresh
//! profile directory; dropping the [`Browser`] kills the group (chromedriver and the
//! browser it started). Without chromium or chromedriver the test is skipped loudly (a
//! failure under `HILLPOST_TEST_REQUIRE_ALL=1`), like a missing SMTP server.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use fantoccini;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// The flags Chromium runs with here: headless, as root (no sandbox), without a GPU, and
/// without reaching for anything beyond loopback (no QUIC, updates, sync or background
/// requests).
pub const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
    // Chromium's own requests (component updates, sign-in, the search engine) would
    // otherwise try the network: it resolves no name at all, so only IP literals work, and
    // tests use 127.0.0.1.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/// A headless Chromium session; chromedriver and the browser are killed when dropped.
pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a browser session for `test`, or reports the skip and returns
    /// `None` when chromium or chromedriver is not installed.
    pub async fn start(test: &str) -> Option<Browser> {
        let (chromium, chromedriver) = installed(test)?;
        let profile = tempfile::tempdir().expect("create a browser profile directory");
        let (driver, port) = start_driver(&chromedriver, profile.path());
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chromium, "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let client = match fantoccini::ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => client,
            Err(e) => {
                let mut driver = driver;
                kill_group(&mut driver);
                panic!(
                    "chromedriver did not start a browser session: {e}\nchromedriver log:\n{}",
                    std::fs::read_to_string(profile.path().join("chromedriver.log"))
                        .unwrap_or_default()
                );
            }
        };
        Some(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Ends the session (the browser quits), then stops chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        kill_group(&mut self.driver);
    }

    /// Saves a PNG of the visible page to `path`, creating its directory.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("take a screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the screenshot directory");
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

/// `target/test-artifacts/NAME`: where tests leave files for people to look at (CI keeps
/// the directory).
pub fn artifact_path(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join("target"));
    target.join("test-artifacts").join(name)
}

/// The paths of chromium and chromedriver, or `None` after reporting the skip of `test`
/// (a failure under `HILLPOST_TEST_REQUIRE_ALL=1`). For tests that hand the binaries to
/// code that starts its own browser.
pub fn installed(test: &str) -> Option<(PathBuf, PathBuf)> {
    match binaries() {
        Ok(found) => Some(found),
        Err(missing) => {
            crate::skip(
                test,
                &missing,
                "Install Debian's chromium and chromium-driver, or set HILLPOST_TEST_CHROMIUM \
                 and HILLPOST_TEST_CHROMEDRIVER.",
            );
            None
        }
    }
}

fn binaries() -> Result<(PathBuf, PathBuf), String> {
    let chromium = find("HILLPOST_TEST_CHROMIUM", &["chromium", "chromium-browser"])
        .ok_or_else(|| "chromium (a headless browser)".to_string())?;
    let chromedriver = find("HILLPOST_TEST_CHROMEDRIVER", &["chromedriver"])
        .ok_or_else(|| "chromedriver (Debian chromium-driver)".to_string())?;
    Ok((chromium, chromedriver))
}

/// The binary named by `variable`, else the first of `names` in /usr/bin or on PATH.
fn find(variable: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(variable) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::iter::once(PathBuf::from("/usr/bin"))
        .chain(std::env::split_paths(&path))
        .collect();
    names
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Starts chromedriver on a free loopback port and waits until it answers.
fn start_driver(chromedriver: &Path, profile: &Path) -> (Child, u16) {
    let log = profile.join("chromedriver.log");
    for _ in 0..3 {
        // Ask the OS for a free port, then hand it to chromedriver (which cannot pick one
        // itself); another process could take it in between, hence the retries.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            // Its own process group, so dropping kills the browser it starts too.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", chromedriver.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (child, port);
            }
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        kill_group(&mut child);
        eprintln!("chromedriver on port {port} did not come up: {stderr}");
    }
    panic!(
        "chromedriver did not start; its log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

/// Kills chromedriver's process group (chromedriver and the browser it started), by the
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
