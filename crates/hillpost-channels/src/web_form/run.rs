//! Running a definition's steps over HTTP, one step at a time, on one cookie jar.
//!
//! ```text
//!  visit ──GET──▶ Page ─▶ fill_in/select/check/choose/js set-value ─▶ FormState (edits)
//!                  ▲                                                     │ click_on / js click
//!                  └──────────── answer page ◀──POST (or GET)── Submission
//!  after the last step: judge(success block, last answer) ─▶ SendReport
//! ```

use std::time::Duration;

use chrono::{DateTime, Utc};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;
use hillpost_directory::forms::{
    FormDefinition, FormField, ScriptEffect, StepAction, classify_script,
};
use scraper::Html;
use sha2::{Digest, Sha256};
use url::Url;

use super::fields::{FieldValues, MissingValue};
use super::judge::{Answer, judge};
use super::page::{Clicked, FormState, Page, StepFailure, find};
use super::submit;
use crate::egress::{EgressError, EgressRequest, EgressResponse, EgressSession};
use crate::report::{falls_back, finished, not_submitted, refused_locally};

/// Everything one run needs.
pub struct Run<'a> {
    pub definition: &'a FormDefinition,
    pub values: FieldValues<'a>,
    pub max_wait: Duration,
    pub session: EgressSession,
    pub boundary: String,
}

/// A run that stops before its end, with its report.
struct Stop(Box<SendReport>);

fn stop(report: SendReport) -> Stop {
    Stop(Box::new(report))
}

struct Progress {
    page: Option<Page>,
    state: FormState,
    /// The last answer to a submission, and the hash of what was sent.
    submitted: Option<(EgressResponse, String)>,
    /// A step that failed after the form was submitted (kept as a note).
    later_failure: Option<String>,
}

impl Run<'_> {
    pub async fn execute(self, started_at: DateTime<Utc>) -> SendReport {
        let mut progress = Progress {
            page: None,
            state: FormState::default(),
            submitted: None,
            later_failure: None,
        };
        for step in &self.definition.steps {
            if let Err(Stop(report)) = self.step(&mut progress, step, started_at).await {
                return *report;
            }
        }
        match progress.submitted {
            Some((answer, sha)) => judge(
                started_at,
                self.definition.success.as_ref(),
                &Answer::from(&answer),
                sha,
                progress.later_failure,
            ),
            None => not_submitted(
                started_at,
                AttemptOutcome::Permanent,
                "the definition never submits the form (no click_on step)".into(),
            ),
        }
    }

    async fn step(
        &self,
        progress: &mut Progress,
        step: &hillpost_directory::forms::FormStep,
        started_at: DateTime<Utc>,
    ) -> Result<(), Stop> {
        let line = step.line;
        // Before the form is sent a failed step stops the run (nothing left hillpost); after,
        // it only adds to the note.
        let fail = |progress: &mut Progress, reason: StepFailure| -> Result<(), Stop> {
            let reason = format!("line {line}: {reason}");
            if progress.submitted.is_some() {
                progress.later_failure.get_or_insert(reason);
                Ok(())
            } else {
                Err(stop(not_submitted(
                    started_at,
                    AttemptOutcome::Permanent,
                    format!("the form no longer matches its definition: {reason}"),
                )))
            }
        };
        match &step.action {
            StepAction::Visit { url } => {
                let url = Url::parse(url).map_err(|e| {
                    stop(refused_locally(
                        started_at,
                        AttemptOutcome::Permanent,
                        format!("line {line}: `{url}` is not a URL: {e}"),
                    ))
                })?;
                let answer = self
                    .session
                    .fetch(EgressRequest::get(url))
                    .await
                    .map_err(|e| stop(before_sending(started_at, &e)))?;
                if answer.status >= 400 {
                    return Err(stop(page_refused(started_at, &answer)));
                }
                progress.page = Some(page_of(&answer));
                progress.state = FormState::default();
            }
            StepAction::Wait { millis } => {
                tokio::time::sleep(Duration::from_millis(*millis).min(self.max_wait)).await;
            }
            StepAction::Find { targets } => {
                for target in targets {
                    let result = self.with_page(progress, |doc, _| {
                        find(doc, &target.selector, target.value.as_deref())
                    });
                    if let Err(reason) = result {
                        fail(progress, reason)?;
                    }
                }
            }
            StepAction::FillIn { fields } => {
                for field in fields {
                    let Some(value) = self.fill_value(field, started_at)? else {
                        continue;
                    };
                    let result = self.with_page(progress, |doc, state| {
                        state.fill(doc, &field.selector, value)
                    });
                    if let Err(reason) = result {
                        fail(progress, reason)?;
                    }
                }
            }
            StepAction::Select { fields } => {
                for field in fields {
                    let Some(value) = self.value_of(field, started_at)? else {
                        continue;
                    };
                    let allowed = self.values.choices(field);
                    let (matching, fallback) = self.values.matching(field);
                    let result = self.with_page(progress, |doc, state| {
                        state
                            .select(doc, &field.selector, &value, &allowed, matching, fallback)
                            .map(|_| ())
                    });
                    if let Err(reason) = result {
                        fail(progress, reason)?;
                    }
                }
            }
            StepAction::Check { fields } | StepAction::Uncheck { fields } => {
                let checked = matches!(step.action, StepAction::Check { .. });
                for field in fields {
                    let result = self.with_page(progress, |doc, state| {
                        state.set_checked(doc, &field.selector, checked)
                    });
                    if let Err(reason) = result {
                        fail(progress, reason)?;
                    }
                }
            }
            StepAction::Choose { fields } => {
                for field in fields {
                    let value = self.value_of(field, started_at)?;
                    let result = self.with_page(progress, |doc, state| {
                        state.choose_radio(doc, &field.selector, value.as_deref())
                    });
                    if let Err(reason) = result {
                        fail(progress, reason)?;
                    }
                }
            }
            StepAction::ClickOn { targets } => {
                for target in targets {
                    if let Err(reason) = self.click(progress, &target.selector, started_at).await? {
                        fail(progress, reason)?;
                    }
                }
            }
            StepAction::Javascript { scripts } => {
                for script in scripts {
                    let result = match classify_script(script) {
                        ScriptEffect::Cosmetic => Ok(()),
                        ScriptEffect::SetValue { selector, value } => {
                            self.with_page(progress, |doc, state| {
                                let current = state.current_value(doc, &selector)?;
                                state.fill(doc, &selector, value.evaluate(&current))
                            })
                        }
                        ScriptEffect::Enable { selector } => {
                            self.with_page(progress, |doc, state| state.enable(doc, &selector))
                        }
                        ScriptEffect::Click { selector, optional } => {
                            let present = self.with_page(progress, |doc, _| {
                                Ok(super::page::matches(doc, &selector))
                            });
                            if optional && present == Ok(false) {
                                Ok(())
                            } else {
                                self.click(progress, &selector, started_at).await?
                            }
                        }
                        // The execution path sends such definitions elsewhere; never half-run.
                        ScriptEffect::Other { why } => Err(why),
                    };
                    if let Err(reason) = result {
                        fail(progress, reason)?;
                    }
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

    /// Runs `work` on the current page, parsed for the occasion (see `page.rs` on why).
    fn with_page<T>(
        &self,
        progress: &mut Progress,
        work: impl FnOnce(&Html, &mut FormState) -> Result<T, StepFailure>,
    ) -> Result<T, StepFailure> {
        let page = progress
            .page
            .as_ref()
            .ok_or_else(|| "no page was visited yet".to_string())?;
        let doc = Html::parse_document(&page.html);
        work(&doc, &mut progress.state)
    }

    /// A click: toggles a checkbox, or submits. The outer `Err` ends the run with a report.
    async fn click(
        &self,
        progress: &mut Progress,
        selector: &str,
        started_at: DateTime<Utc>,
    ) -> Result<Result<(), StepFailure>, Stop> {
        let method = self.definition.method.map(|m| match m {
            hillpost_directory::forms::FormMethod::Get => "get",
            hillpost_directory::forms::FormMethod::Post => "post",
        });
        let action = self.definition.action.as_deref();
        let Some(page_url) = progress.page.as_ref().map(|p| p.url.clone()) else {
            return Ok(Err("no page was visited yet".into()));
        };
        let planned = self.with_page(progress, |doc, state| match state.click(doc, selector)? {
            Clicked::Changed => Ok(None),
            Clicked::Submits => state
                .submission(doc, &page_url, selector, method, action)
                .map(Some),
        });
        let submission = match planned {
            Err(reason) => return Ok(Err(reason)),
            Ok(None) => return Ok(Ok(())),
            Ok(Some(submission)) => submission,
        };
        let request = submit::request(&submission, &self.boundary);
        let sha = hex::encode(Sha256::digest(submit::sent_bytes(&request)));
        match self.session.fetch(request).await {
            Ok(answer) => {
                progress.page = Some(page_of(&answer));
                progress.state = FormState::default();
                progress.submitted = Some((answer, sha));
                Ok(Ok(()))
            }
            Err(err) => Err(stop(after_sending(started_at, &err, sha))),
        }
    }

    /// A field's text (see [`FieldValues::value_of`]); a required one without a value
    /// ends the run falling back.
    fn value_of(
        &self,
        field: &FormField,
        started_at: DateTime<Utc>,
    ) -> Result<Option<String>, Stop> {
        self.values
            .value_of(field)
            .map_err(|MissingValue(reason)| stop(falls_back(started_at, reason)))
    }

    /// What a `fill_in` types (see [`FieldValues::fill_value`]).
    fn fill_value(
        &self,
        field: &FormField,
        started_at: DateTime<Utc>,
    ) -> Result<Option<String>, Stop> {
        self.values
            .fill_value(field)
            .map_err(|MissingValue(reason)| stop(falls_back(started_at, reason)))
    }
}

fn page_of(answer: &EgressResponse) -> Page {
    Page {
        url: answer.url.clone(),
        html: answer.text(),
    }
}

/// A failure before the form was sent: nothing of the letter left hillpost.
fn before_sending(started_at: DateTime<Utc>, err: &EgressError) -> SendReport {
    let outcome = if err.is_transient() {
        AttemptOutcome::Transient
    } else {
        AttemptOutcome::Permanent
    };
    not_submitted(started_at, outcome, format!("loading the form: {err}"))
}

/// The form page itself was refused (429/503 with Retry-After, 5xx, 4xx).
fn page_refused(started_at: DateTime<Utc>, answer: &EgressResponse) -> SendReport {
    let outcome = match answer.status {
        429 | 500..=599 => AttemptOutcome::Transient,
        _ => AttemptOutcome::Permanent,
    };
    SendReport {
        remote_code: Some(i32::from(answer.status)),
        remote_text: Some(SendReport::cap_remote_text(&answer.text())),
        retry_after: answer.retry_after,
        note: Some(format!(
            "loading the form at {} answered {}",
            answer.url, answer.status
        )),
        ..finished(started_at, outcome)
    }
}

/// A failure while the form was being sent: it may have arrived unless the request
/// certainly never left.
fn after_sending(started_at: DateTime<Utc>, err: &EgressError, sha: String) -> SendReport {
    let (outcome, sent) = if err.nothing_sent() {
        (AttemptOutcome::Transient, None)
    } else {
        (AttemptOutcome::PossiblyAccepted, Some(sha))
    };
    SendReport {
        sent_sha256: sent,
        note: Some(format!("submitting the form: {err}")),
        ..finished(started_at, outcome)
    }
}
