//! The web-form channel: fills an office's contact form the way contact-congress describes
//! it, over plain HTTP, or in headless Chromium when its scripts need a browser.
//!
//! ```text
//!  OutgoingLetter { endpoint: form id } ──▶ definition (from the stored directory)
//!        │ execution path: Unsupported ──▶ falls back (reason) to the next endpoint
//!        │ Browser, and no browser configured ──▶ falls back (reason)
//!        │ no signer (petition) and no petition_sender ──▶ falls back
//!        ▼ Http                                   ▼ Browser
//!  $VARIABLES from the signer + letter ──▶ run (visit, fill, select, click … on one cookie
//!  jar, or in one Chromium session; both through the egress policy) ──▶ judge (success
//!  block) ──▶ SendReport with evidence: final URL (note), status, confirmation text or
//!  first 2 KB, SHA-256 of the posted body (browser: of the values filled in)
//! ```

pub mod browser;
mod choose;
mod fields;
mod http;
mod interpret;
mod judge;
#[cfg(test)]
mod option_table;
mod page;
mod submit;
mod text;
mod values;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use hillpost_core::delivery::{OutgoingLetter, SendReport};
use hillpost_core::signer::NewSignature;
use hillpost_directory::forms::{ExecutionPath, FormDefinition, FormSupport};

use crate::Channel;
use crate::egress::EgressClient;
use crate::report::{falls_back, refused_locally};

pub use browser::{BrowserExecutor, BrowserSettings};
pub use page::matches as selector_matches;
pub use text::{normalise, truncate_on_word};
pub use values::{FormDefaults, sender_variables};

/// How the channel fills forms.
#[derive(Debug, Clone)]
pub struct WebFormSettings {
    /// The longest a `wait` step may pause (definitions ask for up to 10 s; a browser needs
    /// it to run scripts, HTTP rarely does).
    pub max_wait: Duration,
    pub defaults: FormDefaults,
    /// Whose details fill a form for a petition letter (no individual signer); without one,
    /// petition letters fall back to the next endpoint.
    pub petition_sender: Option<Arc<NewSignature>>,
}

impl Default for WebFormSettings {
    fn default() -> Self {
        Self {
            max_wait: Duration::from_secs(3),
            defaults: FormDefaults::default(),
            petition_sender: None,
        }
    }
}

/// Sends letters through office contact forms.
pub struct WebFormChannel {
    egress: EgressClient,
    forms: HashMap<String, Arc<FormDefinition>>,
    support: Arc<FormSupport>,
    settings: WebFormSettings,
    /// Runs Browser-path definitions; without one they fall back.
    browser: Option<Arc<BrowserExecutor>>,
}

impl WebFormChannel {
    /// `forms` are the stored directory's definitions, keyed by their id (the endpoint
    /// address of a web-form delivery).
    pub fn new(
        egress: EgressClient,
        forms: impl IntoIterator<Item = FormDefinition>,
        support: FormSupport,
        settings: WebFormSettings,
    ) -> Self {
        Self {
            egress,
            forms: forms
                .into_iter()
                .map(|f| (f.id.clone(), Arc::new(f)))
                .collect(),
            support: Arc::new(support),
            settings,
            browser: None,
        }
    }

    /// Lets Browser-path definitions run in headless Chromium instead of falling back.
    pub fn with_browser(mut self, browser: BrowserExecutor) -> Self {
        self.browser = Some(Arc::new(browser));
        self
    }

    /// Closes the browsers kept for the next delivery (a worker stopping).
    pub async fn close_browser(&self) {
        if let Some(browser) = &self.browser {
            browser.close_idle().await;
        }
    }

    pub fn has_browser(&self) -> bool {
        self.browser.is_some()
    }

    pub fn definition(&self, id: &str) -> Option<&FormDefinition> {
        self.forms.get(id).map(Arc::as_ref)
    }

    pub fn egress(&self) -> &EgressClient {
        &self.egress
    }
}

impl Channel for WebFormChannel {
    async fn send(&self, letter: &OutgoingLetter) -> SendReport {
        let started_at = Utc::now();
        let report = self.attempt(letter, started_at).await;
        tracing::info!(
            delivery_id = letter.delivery_id.get(),
            form = %letter.endpoint,
            outcome = %report.outcome,
            attempt = report.touched_network,
            "web form attempt"
        );
        report
    }
}

impl WebFormChannel {
    async fn attempt(
        &self,
        letter: &OutgoingLetter,
        started_at: chrono::DateTime<Utc>,
    ) -> SendReport {
        let Some(definition) = self.forms.get(&letter.endpoint) else {
            return falls_back(
                started_at,
                format!(
                    "no form definition `{}` in the stored directory",
                    letter.endpoint
                ),
            );
        };
        let browser = match definition.execution_path() {
            ExecutionPath::Http => self
                .browser
                .as_ref()
                .filter(|browser| browser.settings().all_forms),
            ExecutionPath::Browser { why } => match &self.browser {
                Some(browser) => Some(browser),
                None => {
                    return falls_back(
                        started_at,
                        format!(
                            "the form needs a browser ({why}), and this hillpost has none \
                             ([web_forms.browser] is off)"
                        ),
                    );
                }
            },
            ExecutionPath::Unsupported { why } => return falls_back(started_at, why),
        };
        let Some(signer) = letter
            .signer
            .clone()
            .or_else(|| self.settings.petition_sender.clone())
        else {
            return falls_back(
                started_at,
                "the form needs a sender's name and address, and this petition letter has no \
                 signer and no petition_sender is configured"
                    .into(),
            );
        };
        let variables = values::variables(letter, &signer, &self.settings.defaults);
        let values = fields::FieldValues {
            support: &self.support,
            variables: &variables,
            topic_fallback: &self.settings.defaults.topic,
        };
        if let Some(browser) = browser {
            return browser
                .run(
                    definition,
                    values,
                    &self.egress,
                    self.settings.max_wait,
                    started_at,
                )
                .await;
        }
        let session = match self.egress.session() {
            Ok(session) => session,
            Err(err) => {
                return refused_locally(
                    started_at,
                    hillpost_core::AttemptOutcome::Transient,
                    format!("setting up the HTTP session: {err}"),
                );
            }
        };
        let boundary = format!("----hillpost{}", letter.idempotency_key);
        let mut driver = http::HttpDriver::new(definition, session, boundary);
        interpret::Interpreter {
            definition,
            values,
            max_wait: self.settings.max_wait,
        }
        .run(&mut driver, started_at)
        .await
    }
}
