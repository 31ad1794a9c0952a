//! Running a definition's steps over HTTP, one step at a time, on one cookie jar.
//!
//! ```text
//!  visit ──GET──▶ Page ─▶ fill_in/select/check/choose/js set-value ─▶ FormState (edits)
//!                  ▲                                                     │ click_on / js click
//!                  │                          label, checkbox, tab ◀─────┤ (page only: a note)
//!                  │                                 link ──GET──────────┤
//!                  └──────────── answer page ◀──POST (or GET)── Submission (a submit control,
//!                                                      the last click, js submit()/trigger)
//!  after the last step: judge(success block, last answer) ─▶ SendReport + answer page
//! ```
//!
//! Only a submission that carries the letter (a control filled with `$MESSAGE`, or the
//! definition's final submit) counts as sending it: a ZIP lookup form posted on the way to
//! the real one does not, so a step failing after it still means nothing was sent.

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

use hillpost_core::delivery::{Evidence, EvidenceKind};

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
    /// What the run did that sent nothing (labels, tabs, links followed), for the note.
    notes: Vec<String>,
}

/// Which click or script is the definition's final submit: (step index, item index).
pub(crate) type Position = (usize, usize);

/// The last click or submitting script of the definition: the one that submits the form
/// whatever it is (see [`FormState::click`]).
pub(crate) fn final_submit(definition: &FormDefinition) -> Option<Position> {
    let mut last = None;
    for (index, step) in definition.steps.iter().enumerate() {
        match &step.action {
            StepAction::ClickOn { targets } if !targets.is_empty() => {
                last = Some((index, targets.len() - 1));
            }
            StepAction::Javascript { scripts } => {
                for (item, script) in scripts.iter().enumerate() {
                    if matches!(
                        classify_script(script),
                        ScriptEffect::Click { .. } | ScriptEffect::Submit { .. }
                    ) {
                        last = Some((index, item));
                    }
                }
            }
            _ => {}
        }
    }
    last
}

impl Run<'_> {
    pub async fn execute(self, started_at: DateTime<Utc>) -> SendReport {
        let mut progress = Progress {
            page: None,
            state: FormState::default(),
            submitted: None,
            later_failure: None,
            notes: Vec::new(),
        };
        let last = final_submit(self.definition);
        for (index, step) in self.definition.steps.iter().enumerate() {
            if let Err(Stop(mut report)) = self
                .step(&mut progress, index, last, step, started_at)
                .await
            {
                if report.sent_sha256.is_none()
                    && report.evidence.is_empty()
                    && let Some(page) = &progress.page
                {
                    // What the page looked like when the run stopped: the evidence an
                    // operator needs to fix the definition.
                    report
                        .evidence
                        .push(Evidence::page(EvidenceKind::FailurePage, &page.html));
                }
                return with_notes(*report, &progress.notes);
            }
        }
        let report = match progress.submitted {
            Some((answer, sha)) => {
                let mut report = judge(
                    started_at,
                    self.definition.success.as_ref(),
                    &Answer::from(&answer),
                    sha,
                    progress.later_failure,
                );
                report
                    .evidence
                    .push(Evidence::page(EvidenceKind::AnswerPage, &answer.text()));
                report
            }
            None => {
                let mut report = not_submitted(
                    started_at,
                    AttemptOutcome::Permanent,
                    "the definition never submits the form (no submit button is clicked and \
                     no script submits it)"
                        .into(),
                );
                if let Some(page) = &progress.page {
                    report
                        .evidence
                        .push(Evidence::page(EvidenceKind::FailurePage, &page.html));
                }
                report
            }
        };
        with_notes(report, &progress.notes)
    }

    async fn step(
        &self,
        progress: &mut Progress,
        index: usize,
        last: Option<Position>,
        step: &hillpost_directory::forms::FormStep,
        started_at: DateTime<Utc>,
    ) -> Result<(), Stop> {
        let line = step.line;
        let is_last = |item: usize| last == Some((index, item));
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
                self.navigate(progress, url, started_at).await?;
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
                    let holds_letter = matches!(&field.value,
                        Some(hillpost_directory::forms::FieldValue::Variable(v)) if v == "$MESSAGE");
                    let result = self.with_page(progress, |doc, state| {
                        state.fill(doc, &field.selector, value)?;
                        if holds_letter {
                            state.mark_letter(doc, &field.selector);
                        }
                        Ok(())
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
                for (item, target) in targets.iter().enumerate() {
                    let clicked = self
                        .click(progress, &target.selector, is_last(item), line, started_at)
                        .await?;
                    if let Err(reason) = clicked {
                        fail(progress, reason)?;
                    }
                }
            }
            StepAction::Javascript { scripts } => {
                for (item, script) in scripts.iter().enumerate() {
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
                                self.click(progress, &selector, is_last(item), line, started_at)
                                    .await?
                            }
                        }
                        ScriptEffect::Submit { selector, optional } => {
                            let present = self.with_page(progress, |doc, _| {
                                Ok(super::page::matches(doc, &selector))
                            });
                            if optional && present == Ok(false) {
                                Ok(())
                            } else {
                                self.submit(progress, &selector, true, started_at).await?
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

    /// A click, as a browser does it (see [`FormState::click`]). The outer `Err` ends the
    /// run with a report.
    async fn click(
        &self,
        progress: &mut Progress,
        selector: &str,
        last: bool,
        line: u32,
        started_at: DateTime<Utc>,
    ) -> Result<Result<(), StepFailure>, Stop> {
        let Some(page_url) = progress.page.as_ref().map(|p| p.url.clone()) else {
            return Ok(Err("no page was visited yet".into()));
        };
        let clicked = self.with_page(progress, |doc, state| {
            state.click(doc, selector, &page_url, last)
        });
        match clicked {
            Err(reason) => Ok(Err(reason)),
            Ok(Clicked::Changed) => Ok(Ok(())),
            Ok(Clicked::PageOnly(what)) => {
                progress.notes.push(format!("line {line}: {what}"));
                Ok(Ok(()))
            }
            Ok(Clicked::Follows(target)) => {
                progress.notes.push(format!(
                    "line {line}: followed the link `{selector}` to {target}"
                ));
                self.navigate(progress, target, started_at).await?;
                Ok(Ok(()))
            }
            Ok(Clicked::Submits) => self.submit(progress, selector, last, started_at).await,
        }
    }

    /// Submits the form `selector` belongs to (or names). The answer counts as the letter's
    /// when the submission carries the letter or is the definition's `last` submit; any
    /// other is a step on the way (a ZIP lookup), like following a link.
    async fn submit(
        &self,
        progress: &mut Progress,
        selector: &str,
        last: bool,
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
        let planned = self.with_page(progress, |doc, state| {
            state.submission(doc, &page_url, selector, method, action)
        });
        let submission = match planned {
            Err(reason) => return Ok(Err(reason)),
            Ok(submission) => submission,
        };
        let carries_letter = last || submission.carries_letter || progress.submitted.is_some();
        let request = submit::request(&submission, &self.boundary);
        let sha = hex::encode(Sha256::digest(submit::sent_bytes(&request)));
        match self.session.fetch(request).await {
            Ok(answer) if carries_letter => {
                progress.page = Some(page_of(&answer));
                progress.state = FormState::default();
                progress.submitted = Some((answer, sha));
                Ok(Ok(()))
            }
            Ok(answer) => {
                progress.notes.push(format!(
                    "posted `{selector}`'s form to {} on the way (it does not carry the letter)",
                    submission.url
                ));
                if answer.status >= 400 {
                    return Err(stop(page_refused(started_at, &answer)));
                }
                progress.page = Some(page_of(&answer));
                progress.state = FormState::default();
                Ok(Ok(()))
            }
            Err(err) if carries_letter => Err(stop(after_sending(started_at, &err, sha))),
            Err(err) => Err(stop(before_sending(started_at, &err))),
        }
    }

    /// A GET to a page (a visit, a link followed): nothing of the letter leaves.
    async fn navigate(
        &self,
        progress: &mut Progress,
        url: Url,
        started_at: DateTime<Utc>,
    ) -> Result<(), Stop> {
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
        Ok(())
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

/// `report` with what the run did that sent nothing added to its note.
pub(crate) fn with_notes(mut report: SendReport, notes: &[String]) -> SendReport {
    if !notes.is_empty() {
        let done = notes.join("; ");
        report.note = Some(match report.note.take() {
            Some(note) => format!("{note}; page steps: {done}"),
            None => format!("page steps: {done}"),
        });
    }
    report
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
        evidence: vec![Evidence::page(EvidenceKind::FailurePage, &answer.text())],
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
