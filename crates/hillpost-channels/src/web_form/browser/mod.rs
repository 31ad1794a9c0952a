//! The browser path: definitions whose `javascript` the HTTP executor cannot interpret run,
//! whole, in headless Chromium driven over WebDriver (chromedriver, with fantoccini).
//!
//! ```text
//!  WebFormChannel ──Browser path──▶ BrowserExecutor::run
//!     one session per delivery (at most max_sessions at once):
//!       EgressGate (loopback proxy: allow-list, overrides, private addresses, proxy)
//!         ▲ every connection
//!       Chromium (fresh profile; --proxy-server=gate; trusts extra_root_certs by key)
//!         ▲ WebDriver
//!       chromedriver (started and owned by hillpost, or a configured WebDriver URL)
//!     steps: visit, find, fill_in, select, check, choose, click_on, wait, javascript
//!     ──▶ judge (the same success rules) on the final page ──▶ SendReport
//! ```
//!
//! Starting a Chromium costs a second or so, so each session slot keeps its browser
//! (`reuse_sessions`) and gives every delivery a fresh tab in a cleaned browser: before a
//! session is handed to the next delivery, every cookie, the cache and the storage of every
//! origin the last one visited are cleared and its tabs are closed, so one signer's cookies
//! and page state never meet another's. (chromedriver refuses DevTools' browser contexts,
//! `Target.createBrowserContext`, which would give the same isolation at once.) A session
//! whose browser misbehaved, or that cannot be cleaned, is closed instead.

mod cdp;
mod dom;
mod driver;
mod flags;
mod form_driver;
mod watch;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;
use hillpost_directory::forms::FormDefinition;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::sync::{Mutex, Semaphore};

use super::fields::FieldValues;
use super::interpret::Interpreter;
use crate::egress::{EgressClient, EgressError};
use crate::report::refused_locally;

pub use flags::spki_sha256_base64;

/// `[web_forms.browser]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserSettings {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    /// A WebDriver server already running on this machine (the gate listens on loopback,
    /// so the browser must run here too); `None`: hillpost starts `chromedriver` itself.
    pub webdriver_url: Option<String>,
    /// Browser sessions at once; each is a Chromium process (a few hundred MB).
    pub max_sessions: usize,
    /// The longest one page may take to load, and a script to run.
    pub page_timeout: Duration,
    /// Run every form in the browser, not only those whose scripts need one (for offices
    /// whose pages break without JavaScript; slower).
    pub all_forms: bool,
    /// Keep each Chromium for the next delivery (cleaned in between) instead of starting a
    /// fresh one per delivery.
    pub reuse_sessions: bool,
}

impl Default for BrowserSettings {
    fn default() -> Self {
        Self {
            chromium: PathBuf::from("/usr/bin/chromium"),
            chromedriver: PathBuf::from("/usr/bin/chromedriver"),
            webdriver_url: None,
            max_sessions: 1,
            page_timeout: Duration::from_secs(30),
            all_forms: false,
            reuse_sessions: true,
        }
    }
}

/// What can go wrong before a browser session runs a single step.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("starting {chromedriver} failed: {reason}")]
    Driver {
        chromedriver: String,
        reason: String,
    },
    #[error("opening the browser's egress gate: {0}")]
    Gate(#[from] EgressError),
    #[error("preparing Chromium's profile: {0}")]
    Profile(String),
    #[error("chromedriver did not start a browser session: {0}")]
    Session(String),
}

/// Runs definitions in headless Chromium; shared by every web-form delivery of a worker.
pub struct BrowserExecutor {
    settings: BrowserSettings,
    sessions: Semaphore,
    /// The chromedriver this executor started (none with a configured WebDriver URL).
    driver: Mutex<Option<driver::Driver>>,
    /// Cleaned sessions waiting for the next delivery (`reuse_sessions`).
    idle: std::sync::Mutex<Vec<Session>>,
}

/// One browser session: the WebDriver client, the gate its Chromium goes through, and the
/// profile directory, all dropped together.
struct Session {
    client: fantoccini::Client,
    gate: crate::egress::EgressGate,
    _profile: tempfile::TempDir,
}

impl BrowserExecutor {
    pub fn new(settings: BrowserSettings) -> Self {
        Self {
            sessions: Semaphore::new(settings.max_sessions.max(1)),
            settings,
            driver: Mutex::new(None),
            idle: std::sync::Mutex::new(Vec::new()),
        }
    }

    pub fn settings(&self) -> &BrowserSettings {
        &self.settings
    }

    /// Runs `definition` with `values` in a fresh browser session.
    pub(super) async fn run(
        &self,
        definition: &FormDefinition,
        values: FieldValues<'_>,
        egress: &EgressClient,
        max_wait: Duration,
        started_at: DateTime<Utc>,
    ) -> SendReport {
        let Ok(_permit) = self.sessions.acquire().await else {
            return refused_locally(
                started_at,
                AttemptOutcome::Transient,
                "the browser executor is shutting down".into(),
            );
        };
        let reused = self.take_idle();
        let session = match reused {
            Some(session) => session,
            None => match self.open_session(egress).await {
                Ok(session) => session,
                Err(err) => {
                    tracing::warn!(error = %err, "no browser session");
                    // Local trouble (a missing binary, a crashed driver): nothing was sent,
                    // and another attempt may find things working.
                    return refused_locally(
                        started_at,
                        AttemptOutcome::Transient,
                        format!("the form needs a browser, and none could be started: {err}"),
                    );
                }
            },
        };
        session.gate.clear_refusals();
        let mut driver = form_driver::BrowserDriver::new(
            egress,
            &session.client,
            &session.gate,
            self.settings.page_timeout,
        );
        let report = Interpreter {
            definition,
            values,
            max_wait,
        }
        .run(&mut driver, started_at)
        .await;
        if let Ok(url) = session.client.current_url().await {
            driver.visited.push(url);
        }
        let visited = driver.visited;
        self.put_back(session, &visited).await;
        report
    }

    /// A cleaned session from an earlier delivery, if any.
    fn take_idle(&self) -> Option<Session> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    /// Cleans `session` for the next delivery and keeps it, or closes it (no reuse, or the
    /// cleaning failed: a browser in an unknown state is not handed on).
    async fn put_back(&self, session: Session, visited: &[url::Url]) {
        if self.settings.reuse_sessions {
            let cleaned =
                tokio::time::timeout(self.settings.page_timeout, clean(&session.client, visited))
                    .await;
            match cleaned {
                Ok(Ok(())) => {
                    self.idle
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(session);
                    return;
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, "could not clean a browser session; closing it")
                }
                Err(_) => tracing::warn!("cleaning a browser session timed out; closing it"),
            }
        }
        // Ends the session; Chromium quits. Bounded: a hung browser is killed with the
        // driver's process group when the executor goes.
        let _ = tokio::time::timeout(Duration::from_secs(10), session.client.clone().close()).await;
    }

    async fn open_session(&self, egress: &EgressClient) -> Result<Session, BrowserError> {
        let webdriver_url = match &self.settings.webdriver_url {
            Some(url) => url.clone(),
            None => self.driver_url().await?,
        };
        let gate = egress.open_gate().await?;
        let profile = tempfile::Builder::new()
            .prefix("hillpost-chromium-")
            .tempdir()
            .map_err(|e| BrowserError::Profile(e.to_string()))?;
        let args = flags::chromium_args(&flags::FlagInputs {
            gate_url: &gate.proxy_url(),
            profile_dir: profile.path(),
            extra_roots: egress.extra_root_certs(),
            user_agent: None,
        })
        .map_err(BrowserError::Profile)?;
        let page_ms = self.settings.page_timeout.as_millis() as u64;
        let capabilities = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            // An alert() would block every later command.
            "unhandledPromptBehavior": "accept",
            "acceptInsecureCerts": false,
            "timeouts": { "pageLoad": page_ms, "script": page_ms, "implicit": 0 },
            "goog:chromeOptions": {
                "binary": self.settings.chromium,
                "args": args,
                "prefs": flags::quiet_prefs(),
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let connect = fantoccini::ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver_url)
            .await;
        let client = match connect {
            Ok(client) => client,
            Err(e) => {
                let tail = match self.driver.lock().await.as_ref() {
                    Some(driver) => format!("; chromedriver's log: {}", driver.log_tail()),
                    None => String::new(),
                };
                return Err(BrowserError::Session(format!("{e}{tail}")));
            }
        };
        Ok(Session {
            client,
            gate,
            _profile: profile,
        })
    }

    /// Closes every kept session (their Chromium processes quit).
    pub async fn close_idle(&self) {
        let idle: Vec<Session> =
            std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        for session in idle {
            let _ = tokio::time::timeout(Duration::from_secs(10), session.client.close()).await;
        }
    }

    /// The URL of this executor's chromedriver, started (or restarted) when needed.
    async fn driver_url(&self) -> Result<String, BrowserError> {
        let mut driver = self.driver.lock().await;
        if let Some(running) = driver.as_mut()
            && running.alive()
        {
            return Ok(running.url.clone());
        }
        let started = driver::Driver::start(&self.settings.chromedriver).await?;
        let url = started.url.clone();
        *driver = Some(started);
        Ok(url)
    }
}

/// What the last delivery left in a browser, gone: its tabs (a fresh one takes their
/// place), every cookie, the cache, and the storage (local, session, IndexedDB, service
/// workers, cache storage) of every origin it visited.
async fn clean(client: &fantoccini::Client, visited: &[url::Url]) -> Result<(), String> {
    let failed = |what: &str, e: fantoccini::error::CmdError| format!("{what}: {e}");
    let old = client
        .windows()
        .await
        .map_err(|e| failed("listing tabs", e))?;
    let fresh = client
        .new_window(true)
        .await
        .map_err(|e| failed("opening a tab", e))?
        .handle;
    for handle in old {
        client
            .switch_to_window(handle)
            .await
            .map_err(|e| failed("switching tabs", e))?;
        client
            .close_window()
            .await
            .map_err(|e| failed("closing a tab", e))?;
    }
    client
        .switch_to_window(fresh)
        .await
        .map_err(|e| failed("switching tabs", e))?;
    cdp::run(client, "Network.clearBrowserCookies", json!({}))
        .await
        .map_err(|e| failed("clearing cookies", e))?;
    cdp::run(client, "Network.clearBrowserCache", json!({}))
        .await
        .map_err(|e| failed("clearing the cache", e))?;
    let mut origins: Vec<String> = visited
        .iter()
        .map(|url| url.origin().ascii_serialization())
        .filter(|origin| origin != "null")
        .collect();
    origins.sort();
    origins.dedup();
    for origin in origins {
        let params = json!({ "origin": origin, "storageTypes": "all" });
        cdp::run(client, "Storage.clearDataForOrigin", params)
            .await
            .map_err(|e| failed("clearing an origin's storage", e))?;
    }
    Ok(())
}
