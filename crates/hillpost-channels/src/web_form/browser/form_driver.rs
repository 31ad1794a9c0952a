//! The browser form driver: page operations in one Chromium session, over WebDriver.
//!
//! ```text
//!  visit ──goto (allow-list before, final URL after)──▶ page
//!  fill_in / select / check / choose ──dom.rs scripts──▶ fields (kept for the hash)
//!  javascript ──Execute Script as written (a click script may submit)
//!  click_on / js click / js submit ──watch.rs: mark the document, watch what the page
//!     sends, click──▶ a form or request went out, or the definition's last click ──▶ sent
//!     a new page without a form (a link) / nothing (a tab, a label) ──▶ page only (a note)
//!  the answer: final URL checked, page source ──▶ the interpreter judges it
//!     + the page and a screenshot as evidence (also of the page a step failed on)
//! ```
//!
//! What a step means is the interpreter's (`web_form/interpret`). A browser does not show
//! what it posted, so `sent_sha256` is the SHA-256 of the values hillpost put into the
//! form: `name=value` pairs (the field's `name`, else its selector), URL-encoded and joined
//! with `&`, in the order the definition fills them.

use std::time::Duration;

use fantoccini::error::CmdError;
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::{Evidence, EvidenceKind, SendReport};
use hillpost_directory::forms::{FormField, ValueSource};
use serde_json::{Value, json};
use url::Url;

use super::dom;
use crate::egress::{EgressClient, EgressGate};
use crate::report::{finished, not_submitted, refused_locally};
use crate::web_form::choose::{Choice, option_to_send};
use crate::web_form::interpret::{
    Answered, Click, FormDriver, Journal, Operated, Selection, Stop, stop,
};
use crate::web_form::judge::Answer;

/// Page operations in one browser session.
pub(super) struct BrowserDriver<'a> {
    pub egress: &'a EgressClient,
    pub client: &'a fantoccini::Client,
    pub gate: &'a EgressGate,
    pub page_timeout: Duration,
    /// What hillpost put into the form, in order (what `sent_sha256` hashes).
    pub(super) filled: Vec<(String, String)>,
    /// The selector of the field holding the letter ($MESSAGE), once filled: a form with it
    /// carries the letter.
    pub(super) letter_css: Option<String>,
    /// The status of the page the letter's submission led to (when a new document loaded
    /// and reported one).
    pub(super) status: Option<u16>,
    /// The pages the run loaded (what the session must clean before the next delivery).
    pub visited: Vec<Url>,
}

impl<'a> BrowserDriver<'a> {
    pub fn new(
        egress: &'a EgressClient,
        client: &'a fantoccini::Client,
        gate: &'a EgressGate,
        page_timeout: Duration,
    ) -> Self {
        Self {
            egress,
            client,
            gate,
            page_timeout,
            filled: Vec::new(),
            letter_css: None,
            status: None,
            visited: Vec::new(),
        }
    }

    /// Runs one of `dom.rs`'s scripts: the outer `Err` is the browser failing (the run
    /// ends), the inner one the step's failure.
    pub(super) async fn dom(
        &self,
        journal: &Journal,
        body: &str,
        args: Vec<Value>,
    ) -> Result<Result<Value, String>, Stop> {
        match self.client.execute(&dom::script(body), args).await {
            Ok(answer) => Ok(dom::outcome(answer)),
            Err(e) => Err(stop(self.failed(journal, e.to_string()))),
        }
    }

    /// Runs a definition's script as written.
    pub(super) async fn script(&self, script: &str) -> Result<(), String> {
        self.client
            .execute(script, Vec::new())
            .await
            .map(|_| ())
            .map_err(|e| format!("the script failed: {e}"))
    }

    /// The browser itself failed (see [`Journal::driver_failed`]).
    pub(super) fn failed(&self, journal: &Journal, reason: String) -> SendReport {
        journal.driver_failed(reason, |note| self.with_refusals(note))
    }

    /// `note` plus what the gate refused during the run, if anything.
    fn with_refusals(&self, note: String) -> String {
        let refusals = self.gate.refusals();
        if refusals.is_empty() {
            note
        } else {
            format!("{note}; the egress policy refused: {}", refusals.join("; "))
        }
    }

    /// Records a field hillpost filled, for the hash.
    fn filled(&mut self, field: &FormField, value: String) {
        self.filled.push((key(field), value));
    }
}

impl FormDriver for BrowserDriver<'_> {
    /// Every command is bounded by the session's page and script timeouts; this bounds the
    /// run as a whole, in case a browser stops answering altogether.
    fn budget(&self, max_wait: Duration, steps: usize) -> Option<Duration> {
        Some(self.page_timeout * 4 + max_wait * steps as u32)
    }

    fn overran(&self, journal: &Journal, budget: Duration) -> SendReport {
        self.failed(
            journal,
            format!("the browser run took longer than {budget:?}"),
        )
    }

    /// `visit`: the URL must be on the allow-list before, and the page Chromium ends on
    /// after (redirects are followed by the browser, through the gate).
    async fn visit(&mut self, journal: &mut Journal, url: Url, line: u32) -> Result<(), Stop> {
        let started_at = journal.started_at;
        let refused =
            |note: String| stop(refused_locally(started_at, AttemptOutcome::Permanent, note));
        self.egress
            .permits(&url)
            .map_err(|e| refused(format!("loading the form: {e}")))?;
        self.visited.push(url.clone());
        if let Err(err) = self.client.goto(url.as_str()).await {
            let refusals = self.gate.refusals();
            if !refusals.is_empty() {
                return Err(refused(format!(
                    "loading the form: the egress policy refused {}",
                    refusals.join("; ")
                )));
            }
            if journal.sent() {
                journal
                    .later_failure
                    .get_or_insert(format!("line {line}: loading {url}: {err}"));
                return Ok(());
            }
            return Err(stop(not_submitted(
                started_at,
                AttemptOutcome::Transient,
                format!("loading the form at {url}: {err}"),
            )));
        }
        let landed = self
            .client
            .current_url()
            .await
            .map_err(|e| stop(self.failed(journal, e.to_string())))?;
        if let Err(refusal) = self.egress.permits(&landed) {
            return Err(refused(format!(
                "loading the form: it ended on {landed}, refused: {refusal}"
            )));
        }
        let state = self.page_state(journal).await?;
        if let Some(status) = state.status.filter(|s| *s >= 400) {
            let outcome = match status {
                429 | 500..=599 => AttemptOutcome::Transient,
                _ => AttemptOutcome::Permanent,
            };
            let source = self.client.source().await.unwrap_or_default();
            return Err(stop(SendReport {
                remote_code: Some(i32::from(status)),
                remote_text: Some(SendReport::cap_remote_text(&source)),
                note: Some(format!("loading the form at {landed} answered {status}")),
                ..finished(started_at, outcome)
            }));
        }
        Ok(())
    }

    async fn find(&mut self, journal: &mut Journal, css: &str, text: Option<&str>) -> Operated {
        let args = vec![json!(css), json!(text)];
        Ok(self.dom(journal, dom::FIND, args).await?.map(|_| ()))
    }

    async fn fill(
        &mut self,
        journal: &mut Journal,
        field: &FormField,
        value: String,
        holds_letter: bool,
    ) -> Operated {
        let args = vec![json!(field.selector), json!(value)];
        let result = self.dom(journal, dom::FILL, args).await?;
        if result.is_ok() {
            self.filled(field, value);
            if holds_letter {
                self.letter_css = Some(field.selector.clone());
            }
        }
        Ok(result.map(|_| ()))
    }

    /// `select`: the page's options, then the same choice as the HTTP path.
    async fn select(
        &mut self,
        journal: &mut Journal,
        field: &FormField,
        selection: Selection<'_>,
    ) -> Operated {
        let css = &field.selector;
        let offered = match self.dom(journal, dom::OPTIONS, vec![json!(css)]).await? {
            Ok(Value::Array(options)) => options
                .iter()
                .map(|o| Choice {
                    label: o["label"].as_str().unwrap_or_default().to_string(),
                    value: o["value"].as_str().unwrap_or_default().to_string(),
                })
                .collect(),
            Ok(_) => Vec::new(),
            Err(reason) => return Ok(Err(reason)),
        };
        let chosen = match option_to_send(
            css,
            selection.value,
            selection.allowed,
            &offered,
            selection.matching,
            selection.fallback,
        ) {
            Ok(chosen) => chosen,
            Err(reason) => return Ok(Err(reason)),
        };
        let args = vec![json!(css), json!(chosen)];
        let result = self.dom(journal, dom::SELECT, args).await?;
        if result.is_ok() {
            self.filled(field, chosen);
        }
        Ok(result.map(|_| ()))
    }

    async fn set_checked(
        &mut self,
        journal: &mut Journal,
        field: &FormField,
        checked: bool,
    ) -> Operated {
        let args = vec![json!(field.selector), json!(checked)];
        let result = self.dom(journal, dom::SET_CHECKED, args).await?;
        if result.is_ok() {
            let state = if checked { "checked" } else { "unchecked" };
            self.filled(field, state.into());
        }
        Ok(result.map(|_| ()))
    }

    async fn choose(
        &mut self,
        journal: &mut Journal,
        field: &FormField,
        value: Option<String>,
    ) -> Operated {
        let args = vec![json!(field.selector), json!(value)];
        let result = self.dom(journal, dom::CHOOSE, args).await?;
        if result.is_ok() {
            self.filled(field, value.unwrap_or_else(|| "chosen".into()));
        }
        Ok(result.map(|_| ()))
    }

    async fn present(&mut self, journal: &mut Journal, css: &str) -> Operated<bool> {
        let kind = self.dom(journal, dom::CLICK_KIND, vec![json!(css)]).await?;
        Ok(kind.map(|kind| kind != "absent"))
    }

    async fn click(&mut self, journal: &mut Journal, click: Click<'_>) -> Operated {
        self.click_watched(journal, click).await
    }

    /// A script's submit is watched like a click: the page shows whether it sent the letter.
    async fn submit(&mut self, journal: &mut Journal, click: Click<'_>) -> Operated {
        self.click_watched(journal, click).await
    }

    /// Run as written, watched: the page's own scripts may send the form.
    async fn set_value(
        &mut self,
        journal: &mut Journal,
        script: &str,
        _css: &str,
        _value: &ValueSource,
        line: u32,
    ) -> Operated {
        self.script_watched(journal, script, line).await
    }

    /// Run as written, watched (see [`Self::set_value`]).
    async fn enable(
        &mut self,
        journal: &mut Journal,
        script: &str,
        _css: &str,
        line: u32,
    ) -> Operated {
        self.script_watched(journal, script, line).await
    }

    async fn cosmetic(&mut self, script: &str) -> Result<(), String> {
        self.script(script).await
    }

    /// Any other script may still send the form (a page's own submit function): watched
    /// like a click.
    async fn other_script(
        &mut self,
        journal: &mut Journal,
        script: &str,
        _why: String,
        line: u32,
    ) -> Operated {
        self.script_watched(journal, script, line).await
    }

    /// The current page's source and a screenshot, as far as the browser gives them (a
    /// failure to take them costs the evidence, not the attempt).
    async fn evidence(&mut self, page: EvidenceKind, screenshot: EvidenceKind) -> Vec<Evidence> {
        let mut kept = Vec::new();
        if let Ok(Ok(source)) = tokio::time::timeout(self.page_timeout, self.client.source()).await
        {
            kept.push(Evidence::page(page, &source));
        }
        if let Ok(Ok(png)) = tokio::time::timeout(self.page_timeout, self.client.screenshot()).await
            && let Some(shot) = Evidence::screenshot(screenshot, png)
        {
            kept.push(shot);
        }
        kept
    }

    /// The page Chromium ended on: its URL must be one the egress policy allows.
    async fn answer(&mut self, journal: &Journal) -> Result<Answered, SendReport> {
        let page = async {
            let url = self.client.current_url().await?;
            let source = self.client.source().await?;
            Ok::<_, CmdError>((url, source))
        };
        let (url, source) = match tokio::time::timeout(self.page_timeout, page).await {
            Ok(Ok(page)) => page,
            Ok(Err(e)) => return Err(self.failed(journal, format!("reading the answer: {e}"))),
            Err(_) => return Err(self.failed(journal, "reading the answer timed out".into())),
        };
        let evidence = self
            .evidence(
                EvidenceKind::AnswerPage,
                EvidenceKind::ScreenshotAfterSubmit,
            )
            .await;
        if self.egress.permits(&url).is_err() {
            let page = crate::web_form::judge::page_address(url.as_str());
            let refusal = crate::egress::EgressError::RedirectRefused(page.clone());
            return Err(SendReport {
                evidence,
                sent_sha256: journal.sent_sha256.clone(),
                note: Some(self.with_refusals(format!(
                    "final URL {page}: {refusal}; the form may have been sent"
                ))),
                remote_text: Some(SendReport::cap_remote_text(&source)),
                ..finished(journal.started_at, AttemptOutcome::PossiblyAccepted)
            });
        }
        // What the gate refused while the form went through is left out: it is the
        // browser's own chatter (component updates, sign-in), not the office's page.
        let note = match self.status {
            Some(_) => "browser path: the status is the answer page's, from Navigation Timing",
            None => "browser path: WebDriver reports no HTTP status for this answer",
        };
        Ok(Answered {
            answer: Answer {
                url: url.to_string(),
                status: self.status,
                text: source,
                retry_after: None,
            },
            evidence,
            note: Some(note),
        })
    }
}

/// The field's name in the hash: its `name`, else its selector.
fn key(field: &FormField) -> String {
    field.name.clone().unwrap_or_else(|| field.selector.clone())
}

/// `name=value&…`, URL-encoded, in filling order: what `sent_sha256` hashes on this path.
pub(super) fn serialize(filled: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(filled)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filled_values_serialize_in_order() {
        let filled = vec![
            ("input_phone".to_string(), "208-555-0134".to_string()),
            ("#title".to_string(), "Ms.".to_string()),
            ("msg".to_string(), "a & b = \"c\"".to_string()),
        ];
        assert_eq!(
            serialize(&filled),
            "input_phone=208-555-0134&%23title=Ms.&msg=a+%26+b+%3D+%22c%22"
        );
    }
}
