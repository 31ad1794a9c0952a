//! Running a definition's steps in one browser session.
//!
//! ```text
//!  visit ──goto (allow-list before, final URL after)──▶ page
//!  fill_in / select / check / choose ──dom.rs scripts──▶ fields (kept for the hash)
//!  javascript ──Execute Script as written (a click script may submit)
//!  click_on / js click ──mark the document, click──▶ new document (or none: in-page)
//!  after the last step: final URL checked, page source judged ──▶ SendReport
//! ```
//!
//! A browser does not show what it posted, so `sent_sha256` is the SHA-256 of the values
//! hillpost put into the form: `name=value` pairs (the field's `name`, else its selector),
//! URL-encoded and joined with `&`, in the order the definition fills them.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use fantoccini::Locator;
use fantoccini::error::{CmdError, ErrorStatus};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;
use hillpost_directory::forms::{
    FormDefinition, FormField, FormStep, ScriptEffect, StepAction, classify_script,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use super::dom;
use crate::egress::{EgressClient, EgressGate};
use crate::report::{falls_back, finished, not_submitted, refused_locally};
use crate::web_form::choose::{Choice, option_to_send};
use crate::web_form::fields::{FieldValues, MissingValue};
use crate::web_form::judge::{Answer, judge};

/// After a submitting click that did not replace the page, how long to watch for a new
/// document before taking the submission as in-page (a script posted it).
const IN_PAGE_SETTLE: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(100);

pub(super) struct BrowserRun<'a> {
    pub definition: &'a FormDefinition,
    pub values: FieldValues<'a>,
    pub egress: &'a EgressClient,
    pub client: &'a fantoccini::Client,
    pub gate: &'a EgressGate,
    pub max_wait: Duration,
    pub page_timeout: Duration,
}

/// A run that stops before its end, with its report.
struct Stop(Box<SendReport>);

fn stop(report: SendReport) -> Stop {
    Stop(Box::new(report))
}

#[derive(Default)]
struct Progress {
    /// What hillpost put into the form, in order (what `sent_sha256` hashes).
    filled: Vec<(String, String)>,
    /// Set once a click may have sent the form: the hash, and the status of the page the
    /// submission led to (when a new document loaded and reported one).
    submitted: Option<Submitted>,
    /// A step that failed after the form was submitted (kept as a note).
    later_failure: Option<String>,
}

struct Submitted {
    sha256: String,
    status: Option<u16>,
}

impl BrowserRun<'_> {
    pub async fn execute(self, started_at: DateTime<Utc>) -> SendReport {
        let mut progress = Progress::default();
        // Every command is bounded by the session's page and script timeouts; this bounds
        // the run as a whole, in case a browser stops answering altogether.
        let budget = self.page_timeout * 4 + self.max_wait * self.definition.steps.len() as u32;
        let steps = async {
            for step in &self.definition.steps {
                self.step(&mut progress, step, started_at).await?;
            }
            Ok::<(), Stop>(())
        };
        match tokio::time::timeout(budget, steps).await {
            Ok(Ok(())) => {}
            Ok(Err(Stop(report))) => return *report,
            Err(_) => {
                return self.browser_failed(
                    &progress,
                    started_at,
                    format!("the browser run took longer than {budget:?}"),
                );
            }
        }
        let Some(submitted) = &progress.submitted else {
            return not_submitted(
                started_at,
                AttemptOutcome::Permanent,
                "the definition never submits the form (no click_on step)".into(),
            );
        };
        let page = async {
            let url = self.client.current_url().await?;
            let source = self.client.source().await?;
            Ok::<_, CmdError>((url, source))
        };
        let (url, source) = match tokio::time::timeout(self.page_timeout, page).await {
            Ok(Ok(page)) => page,
            Ok(Err(e)) => {
                return self.browser_failed(
                    &progress,
                    started_at,
                    format!("reading the answer: {e}"),
                );
            }
            Err(_) => {
                return self.browser_failed(
                    &progress,
                    started_at,
                    "reading the answer timed out".into(),
                );
            }
        };
        if self.egress.permits(&url).is_err() {
            let refusal = crate::egress::EgressError::RedirectRefused(url.to_string());
            return SendReport {
                sent_sha256: Some(submitted.sha256.clone()),
                note: Some(self.with_refusals(format!(
                    "final URL {url}: {refusal}; the form may have been sent"
                ))),
                remote_text: Some(SendReport::cap_remote_text(&source)),
                ..finished(started_at, AttemptOutcome::PossiblyAccepted)
            };
        }
        let mut report = judge(
            started_at,
            self.definition.success.as_ref(),
            &Answer {
                url: url.to_string(),
                status: submitted.status,
                text: source,
                retry_after: None,
            },
            submitted.sha256.clone(),
            progress.later_failure.clone(),
        );
        let status_note = match submitted.status {
            Some(_) => "browser path: the status is the answer page's, from Navigation Timing",
            None => "browser path: WebDriver reports no HTTP status for this answer",
        };
        // What the gate refused while the form went through is left out: it is the
        // browser's own chatter (component updates, sign-in), not the office's page.
        report.note = report.note.map(|note| format!("{note}; {status_note}"));
        report
    }

    async fn step(
        &self,
        progress: &mut Progress,
        step: &FormStep,
        started_at: DateTime<Utc>,
    ) -> Result<(), Stop> {
        let line = step.line;
        match &step.action {
            StepAction::Visit { url } => self.visit(progress, url, line, started_at).await?,
            StepAction::Wait { millis } => {
                tokio::time::sleep(Duration::from_millis(*millis).min(self.max_wait)).await;
            }
            StepAction::Find { targets } => {
                for target in targets {
                    let args = vec![json!(target.selector), json!(target.value)];
                    let result = self.dom(progress, dom::FIND, args, started_at).await?;
                    self.settle(progress, line, result.map(|_| ()), started_at)?;
                }
            }
            StepAction::FillIn { fields } => {
                for field in fields {
                    let Some(value) = self.value(field, started_at, |v, f| v.fill_value(f))? else {
                        continue;
                    };
                    let args = vec![json!(field.selector), json!(value)];
                    let result = self.dom(progress, dom::FILL, args, started_at).await?;
                    if result.is_ok() {
                        progress.filled.push((key(field), value));
                    }
                    self.settle(progress, line, result.map(|_| ()), started_at)?;
                }
            }
            StepAction::Select { fields } => {
                for field in fields {
                    let Some(value) = self.value(field, started_at, |v, f| v.value_of(f))? else {
                        continue;
                    };
                    let result = self.select(progress, field, &value, started_at).await?;
                    if let Ok(sent) = &result {
                        progress.filled.push((key(field), sent.clone()));
                    }
                    self.settle(progress, line, result.map(|_| ()), started_at)?;
                }
            }
            StepAction::Check { fields } | StepAction::Uncheck { fields } => {
                let checked = matches!(step.action, StepAction::Check { .. });
                for field in fields {
                    let args = vec![json!(field.selector), json!(checked)];
                    let result = self
                        .dom(progress, dom::SET_CHECKED, args, started_at)
                        .await?;
                    if result.is_ok() {
                        let state = if checked { "checked" } else { "unchecked" };
                        progress.filled.push((key(field), state.into()));
                    }
                    self.settle(progress, line, result.map(|_| ()), started_at)?;
                }
            }
            StepAction::Choose { fields } => {
                for field in fields {
                    let value = self.value(field, started_at, |v, f| v.value_of(f))?;
                    let args = vec![json!(field.selector), json!(value)];
                    let result = self.dom(progress, dom::CHOOSE, args, started_at).await?;
                    if result.is_ok() {
                        let chosen = value.unwrap_or_else(|| "chosen".into());
                        progress.filled.push((key(field), chosen));
                    }
                    self.settle(progress, line, result.map(|_| ()), started_at)?;
                }
            }
            StepAction::ClickOn { targets } => {
                for target in targets {
                    let result = self
                        .click(progress, &target.selector, None, started_at)
                        .await?;
                    self.settle(progress, line, result, started_at)?;
                }
            }
            StepAction::Javascript { scripts } => {
                for script in scripts {
                    let result = match classify_script(script) {
                        ScriptEffect::Click { selector, optional } => {
                            let kind = self
                                .dom(progress, dom::CLICK_KIND, vec![json!(selector)], started_at)
                                .await?;
                            if optional && kind.as_ref().is_ok_and(|k| k == "absent") {
                                Ok(())
                            } else {
                                self.click(progress, &selector, Some(script), started_at)
                                    .await?
                            }
                        }
                        _ => self.script(script).await,
                    };
                    self.settle(progress, line, result, started_at)?;
                }
            }
            StepAction::Recaptcha { .. } => {
                return Err(stop(falls_back(
                    started_at,
                    "the form has a recaptcha step".into(),
                )));
            }
        }
        Ok(())
    }

    /// `visit`: the URL must be on the allow-list before, and the page Chromium ends on
    /// after (redirects are followed by the browser, through the gate).
    async fn visit(
        &self,
        progress: &mut Progress,
        raw: &str,
        line: u32,
        started_at: DateTime<Utc>,
    ) -> Result<(), Stop> {
        let refused =
            |note: String| stop(refused_locally(started_at, AttemptOutcome::Permanent, note));
        let url = Url::parse(raw)
            .map_err(|e| refused(format!("line {line}: `{raw}` is not a URL: {e}")))?;
        self.egress
            .permits(&url)
            .map_err(|e| refused(format!("loading the form: {e}")))?;
        if let Err(err) = self.client.goto(url.as_str()).await {
            let refusals = self.gate.refusals();
            if !refusals.is_empty() {
                return Err(refused(format!(
                    "loading the form: the egress policy refused {}",
                    refusals.join("; ")
                )));
            }
            if progress.submitted.is_some() {
                progress
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
            .map_err(|e| stop(self.browser_failed(progress, started_at, e.to_string())))?;
        if let Err(refusal) = self.egress.permits(&landed) {
            return Err(refused(format!(
                "loading the form: it ended on {landed}, refused: {refusal}"
            )));
        }
        let state = self.page_state(progress, started_at).await?;
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

    /// `select`: the page's options, then the same choice as the HTTP path.
    async fn select(
        &self,
        progress: &Progress,
        field: &FormField,
        value: &str,
        started_at: DateTime<Utc>,
    ) -> Result<Result<String, String>, Stop> {
        let css = &field.selector;
        let offered = match self
            .dom(progress, dom::OPTIONS, vec![json!(css)], started_at)
            .await?
        {
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
        let allowed = self.values.choices(field);
        let (matching, fallback) = self.values.matching(field);
        let chosen = match option_to_send(css, value, &allowed, &offered, matching, fallback) {
            Ok(chosen) => chosen,
            Err(reason) => return Ok(Err(reason)),
        };
        let args = vec![json!(css), json!(chosen)];
        Ok(self
            .dom(progress, dom::SELECT, args, started_at)
            .await?
            .map(|_| chosen))
    }

    /// A click (a `click_on` target, or a script that clicks): a checkbox or radio button
    /// just changes; anything else may send the form, so the document is marked first and
    /// the run waits for the next one. `script` is the definition's own script, run
    /// instead of a WebDriver click.
    async fn click(
        &self,
        progress: &mut Progress,
        css: &str,
        script: Option<&str>,
        started_at: DateTime<Utc>,
    ) -> Result<Result<(), String>, Stop> {
        let kind = match self
            .dom(progress, dom::CLICK_KIND, vec![json!(css)], started_at)
            .await?
        {
            Ok(kind) => kind,
            Err(reason) => return Ok(Err(reason)),
        };
        match kind.as_str() {
            Some("absent") => return Ok(Err(format!("`{css}` is not on the page"))),
            Some("toggle") => {
                let clicked = match script {
                    Some(script) => self.script(script).await,
                    None => self.click_element(css).await,
                };
                return Ok(clicked);
            }
            _ => {}
        }
        if let Err(reason) = self
            .dom(progress, dom::MARK, Vec::new(), started_at)
            .await?
        {
            return Ok(Err(reason));
        }
        let clicked = match script {
            Some(script) => self.script(script).await,
            None => self.click_element(css).await,
        };
        if let Err(reason) = clicked {
            // The click did not happen unless the page went away meanwhile.
            let state = self.page_state(progress, started_at).await?;
            if state.marked {
                return Ok(Err(reason));
            }
        }
        // From here on the form may have been sent.
        let sha256 = hex::encode(Sha256::digest(serialize(&progress.filled)));
        progress.submitted = Some(Submitted {
            sha256,
            status: None,
        });
        let status = self.await_answer(progress, started_at).await?;
        if let Some(submitted) = progress.submitted.as_mut() {
            submitted.status = status;
        }
        Ok(Ok(()))
    }

    /// A WebDriver click, as a person would; a script's click for an element WebDriver will
    /// not click (hidden, covered by a banner).
    async fn click_element(&self, css: &str) -> Result<(), String> {
        let element = self.client.find(Locator::Css(css)).await;
        let clicked = match element {
            Ok(element) => element.click().await,
            Err(e) => Err(e),
        };
        match clicked {
            Ok(()) => Ok(()),
            Err(e) if not_clicked(&e) => {
                let answer = self
                    .client
                    .execute(&dom::script(dom::CLICK), vec![json!(css)])
                    .await
                    .map_err(|e| e.to_string())?;
                dom::outcome(answer).map(|_| ())
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// Waits for the document a submission leads to; returns its status when a new document
    /// loaded (none for an in-page submission).
    async fn await_answer(
        &self,
        progress: &Progress,
        started_at: DateTime<Utc>,
    ) -> Result<Option<u16>, Stop> {
        let began = Instant::now();
        loop {
            let state = self.page_state(progress, started_at).await?;
            if !state.marked && state.ready {
                return Ok(state.status);
            }
            let waited = began.elapsed();
            if state.marked && waited >= IN_PAGE_SETTLE {
                return Ok(None);
            }
            if waited >= self.page_timeout {
                return Ok(None);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn page_state(
        &self,
        progress: &Progress,
        started_at: DateTime<Utc>,
    ) -> Result<PageState, Stop> {
        let answer = self
            .dom(progress, dom::STATE, Vec::new(), started_at)
            .await?
            .unwrap_or(Value::Null);
        Ok(PageState {
            marked: answer[0].as_bool().unwrap_or(false),
            ready: answer[1].as_str() == Some("complete"),
            status: answer[2].as_u64().and_then(|s| u16::try_from(s).ok()),
        })
    }

    /// Runs a definition's script as written.
    async fn script(&self, script: &str) -> Result<(), String> {
        self.client
            .execute(script, Vec::new())
            .await
            .map(|_| ())
            .map_err(|e| format!("the script failed: {e}"))
    }

    /// Runs one of `dom.rs`'s scripts: the outer `Err` is the browser failing (the run
    /// ends), the inner one the step's failure.
    async fn dom(
        &self,
        progress: &Progress,
        body: &str,
        args: Vec<Value>,
        started_at: DateTime<Utc>,
    ) -> Result<Result<Value, String>, Stop> {
        match self.client.execute(&dom::script(body), args).await {
            Ok(answer) => Ok(dom::outcome(answer)),
            Err(e) => Err(stop(self.browser_failed(
                progress,
                started_at,
                e.to_string(),
            ))),
        }
    }

    /// A field's value; a required one without a value ends the run falling back.
    fn value(
        &self,
        field: &FormField,
        started_at: DateTime<Utc>,
        pick: fn(&FieldValues, &FormField) -> Result<Option<String>, MissingValue>,
    ) -> Result<Option<String>, Stop> {
        pick(&self.values, field)
            .map_err(|MissingValue(reason)| stop(falls_back(started_at, reason)))
    }

    /// A step's own failure: before the form was sent it stops the run (the form no longer
    /// matches its definition); after, it only adds to the note.
    fn settle(
        &self,
        progress: &mut Progress,
        line: u32,
        result: Result<(), String>,
        started_at: DateTime<Utc>,
    ) -> Result<(), Stop> {
        let Err(reason) = result else {
            return Ok(());
        };
        let reason = format!("line {line}: {reason}");
        if progress.submitted.is_some() {
            progress.later_failure.get_or_insert(reason);
            return Ok(());
        }
        Err(stop(not_submitted(
            started_at,
            AttemptOutcome::Permanent,
            format!("the form no longer matches its definition: {reason}"),
        )))
    }

    /// The browser itself failed (crashed, stopped answering): before a submission nothing
    /// was sent (`transient`); after, the form may have arrived (`unknown`).
    fn browser_failed(
        &self,
        progress: &Progress,
        started_at: DateTime<Utc>,
        reason: String,
    ) -> SendReport {
        match &progress.submitted {
            None => not_submitted(
                started_at,
                AttemptOutcome::Transient,
                self.with_refusals(format!(
                    "the browser failed before the form was sent: {reason}"
                )),
            ),
            Some(submitted) => SendReport {
                sent_sha256: Some(submitted.sha256.clone()),
                note: Some(self.with_refusals(format!(
                    "the browser failed after the form was submitted: {reason}"
                ))),
                ..finished(started_at, AttemptOutcome::PossiblyAccepted)
            },
        }
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
}

struct PageState {
    /// The document marked before a click is still the current one.
    marked: bool,
    ready: bool,
    status: Option<u16>,
}

/// The field's name in the hash: its `name`, else its selector.
fn key(field: &FormField) -> String {
    field.name.clone().unwrap_or_else(|| field.selector.clone())
}

/// `name=value&…`, URL-encoded, in filling order: what `sent_sha256` hashes on this path.
fn serialize(filled: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(filled)
        .finish()
}

/// Errors after which the click certainly did not happen.
fn not_clicked(err: &CmdError) -> bool {
    err.is_no_such_element()
        || err.is_element_not_interactable()
        || err.is_stale_element_reference()
        || err.is_invalid_selector()
        || matches!(err, CmdError::Standard(w) if w.error == ErrorStatus::ElementClickIntercepted)
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
