//! The HTTP form driver: page operations on one cookie jar, the page parsed as a browser
//! would see it without running scripts.
//!
//! ```text
//!  visit ──GET──▶ Page ─▶ fill_in/select/check/choose/js set-value ─▶ FormState (edits)
//!                  ▲                                                     │ click_on / js click
//!                  │                          label, checkbox, tab ◀─────┤ (page only: a note)
//!                  │                                 link ──GET──────────┤
//!                  └──────────── answer page ◀──POST (or GET)── Submission (a submit control,
//!                                                      the last click, js submit()/trigger)
//! ```
//!
//! What a step means is the interpreter's (`web_form/interpret`); `sent_sha256` here is the
//! SHA-256 of the request's bytes.

mod reports;

use chrono::{DateTime, Utc};
use hillpost_core::delivery::{Evidence, EvidenceKind, SendReport};
use hillpost_directory::forms::{FormDefinition, FormField, FormMethod, ValueSource};
use scraper::Html;
use sha2::{Digest, Sha256};
use url::Url;

use super::interpret::{
    Answered, Click, FormDriver, Journal, Operated, Selection, StepFailure, Stop, carries_letter,
    stop,
};
use super::judge::Answer;
use super::page::{self, Clicked, FormState, Page};
use super::submit;
use crate::egress::{EgressRequest, EgressResponse, EgressSession};
use reports::{after_sending, before_sending, page_refused};

/// Page operations over plain HTTP.
pub struct HttpDriver<'a> {
    pub definition: &'a FormDefinition,
    pub session: EgressSession,
    /// The multipart boundary (fixed per delivery, so a resend hashes the same).
    pub boundary: String,
    page: Option<Page>,
    state: FormState,
    /// The answer to the letter's submission.
    answer: Option<EgressResponse>,
}

impl<'a> HttpDriver<'a> {
    pub fn new(definition: &'a FormDefinition, session: EgressSession, boundary: String) -> Self {
        Self {
            definition,
            session,
            boundary,
            page: None,
            state: FormState::default(),
            answer: None,
        }
    }

    /// Runs `work` on the current page, parsed for the occasion (see `page.rs` on why).
    fn with_page<T>(
        &mut self,
        work: impl FnOnce(&Html, &mut FormState) -> Result<T, StepFailure>,
    ) -> Result<T, StepFailure> {
        let page = self
            .page
            .as_ref()
            .ok_or_else(|| "no page was visited yet".to_string())?;
        let doc = Html::parse_document(&page.html);
        work(&doc, &mut self.state)
    }

    fn page_url(&self) -> Result<Url, StepFailure> {
        self.page
            .as_ref()
            .map(|p| p.url.clone())
            .ok_or_else(|| "no page was visited yet".into())
    }

    fn land(&mut self, answer: &EgressResponse) {
        self.page = Some(Page {
            url: answer.url.clone(),
            html: answer.text(),
        });
        self.state = FormState::default();
    }

    /// A GET to a page (a visit, a link followed): nothing of the letter leaves.
    async fn navigate(&mut self, started_at: DateTime<Utc>, url: Url) -> Result<(), Stop> {
        let answer = self
            .session
            .fetch(EgressRequest::get(url))
            .await
            .map_err(|e| stop(before_sending(started_at, &e)))?;
        if answer.status >= 400 {
            return Err(stop(page_refused(started_at, &answer)));
        }
        self.land(&answer);
        Ok(())
    }

    /// Submits the form `selector` belongs to (or names); the answer is the letter's when
    /// [`carries_letter`] says so, else the next page on the way.
    async fn send_form(
        &mut self,
        journal: &mut Journal,
        selector: &str,
        final_submit: bool,
    ) -> Operated {
        let method = self.definition.method.map(|m| match m {
            FormMethod::Get => "get",
            FormMethod::Post => "post",
        });
        let action = self.definition.action.as_deref();
        let page_url = match self.page_url() {
            Ok(url) => url,
            Err(reason) => return Ok(Err(reason)),
        };
        let planned =
            self.with_page(|doc, state| state.submission(doc, &page_url, selector, method, action));
        let submission = match planned {
            Err(reason) => return Ok(Err(reason)),
            Ok(submission) => submission,
        };
        let letter = carries_letter(submission.carries_letter, final_submit, journal.sent());
        let request = submit::request(&submission, &self.boundary);
        let sha = hex::encode(Sha256::digest(submit::sent_bytes(&request)));
        let started_at = journal.started_at;
        match self.session.fetch(request).await {
            Ok(answer) if letter => {
                self.land(&answer);
                self.answer = Some(answer);
                journal.sent_sha256 = Some(sha);
                Ok(Ok(()))
            }
            Ok(answer) => {
                journal.notes.push(format!(
                    "posted `{selector}`'s form to {} on the way (it does not carry the letter)",
                    submission.url
                ));
                if answer.status >= 400 {
                    return Err(stop(page_refused(started_at, &answer)));
                }
                self.land(&answer);
                Ok(Ok(()))
            }
            Err(err) if letter => Err(stop(after_sending(started_at, &err, sha))),
            Err(err) => Err(stop(before_sending(started_at, &err))),
        }
    }
}

impl FormDriver for HttpDriver<'_> {
    async fn visit(&mut self, journal: &mut Journal, url: Url, _line: u32) -> Result<(), Stop> {
        self.navigate(journal.started_at, url).await
    }

    async fn find(&mut self, _: &mut Journal, css: &str, text: Option<&str>) -> Operated {
        Ok(self.with_page(|doc, _| page::find(doc, css, text)))
    }

    async fn fill(
        &mut self,
        _: &mut Journal,
        field: &FormField,
        value: String,
        holds_letter: bool,
    ) -> Operated {
        Ok(self.with_page(|doc, state| {
            state.fill(doc, &field.selector, value)?;
            if holds_letter {
                state.mark_letter(doc, &field.selector);
            }
            Ok(())
        }))
    }

    async fn select(
        &mut self,
        _: &mut Journal,
        field: &FormField,
        selection: Selection<'_>,
    ) -> Operated {
        Ok(self.with_page(|doc, state| {
            state
                .select(
                    doc,
                    &field.selector,
                    selection.value,
                    selection.allowed,
                    selection.matching,
                    selection.fallback,
                )
                .map(|_| ())
        }))
    }

    async fn set_checked(&mut self, _: &mut Journal, field: &FormField, checked: bool) -> Operated {
        Ok(self.with_page(|doc, state| state.set_checked(doc, &field.selector, checked)))
    }

    async fn choose(
        &mut self,
        _: &mut Journal,
        field: &FormField,
        value: Option<String>,
    ) -> Operated {
        Ok(self.with_page(|doc, state| state.choose_radio(doc, &field.selector, value.as_deref())))
    }

    async fn present(&mut self, _: &mut Journal, css: &str) -> Operated<bool> {
        Ok(self.with_page(|doc, _| Ok(page::matches(doc, css))))
    }

    /// A click, as a browser does it (see [`FormState::click`]).
    async fn click(&mut self, journal: &mut Journal, click: Click<'_>) -> Operated {
        let page_url = match self.page_url() {
            Ok(url) => url,
            Err(reason) => return Ok(Err(reason)),
        };
        let (css, line) = (click.css, click.line);
        let clicked =
            self.with_page(|doc, state| state.click(doc, css, &page_url, click.final_submit));
        match clicked {
            Err(reason) => Ok(Err(reason)),
            Ok(Clicked::Changed) => Ok(Ok(())),
            Ok(Clicked::PageOnly(what)) => {
                journal.notes.push(format!("line {line}: {what}"));
                Ok(Ok(()))
            }
            Ok(Clicked::Follows(target)) => {
                journal.notes.push(format!(
                    "line {line}: followed the link `{css}` to {target}"
                ));
                self.navigate(journal.started_at, target).await?;
                Ok(Ok(()))
            }
            Ok(Clicked::Submits) => self.send_form(journal, css, click.final_submit).await,
        }
    }

    /// A script's `submit()` sends the form whatever it holds: over HTTP it counts as the
    /// letter's submission, as the final submit does.
    async fn submit(&mut self, journal: &mut Journal, click: Click<'_>) -> Operated {
        self.send_form(journal, click.css, true).await
    }

    async fn set_value(
        &mut self,
        _: &mut Journal,
        _script: &str,
        css: &str,
        value: &ValueSource,
        _line: u32,
    ) -> Operated {
        Ok(self.with_page(|doc, state| {
            let current = state.current_value(doc, css)?;
            state.fill(doc, css, value.evaluate(&current))
        }))
    }

    async fn enable(&mut self, _: &mut Journal, _script: &str, css: &str, _line: u32) -> Operated {
        Ok(self.with_page(|doc, state| state.enable(doc, css)))
    }

    /// Over HTTP nothing is drawn: a no-op.
    async fn cosmetic(&mut self, _script: &str) -> Result<(), String> {
        Ok(())
    }

    /// The execution path sends such definitions to the browser; never half-run.
    async fn other_script(
        &mut self,
        _: &mut Journal,
        _script: &str,
        why: String,
        _line: u32,
    ) -> Operated {
        Ok(Err(why))
    }

    async fn evidence(&mut self, page: EvidenceKind, _screenshot: EvidenceKind) -> Vec<Evidence> {
        self.page
            .iter()
            .map(|current| Evidence::page(page, &current.html))
            .collect()
    }

    async fn answer(&mut self, journal: &Journal) -> Result<Answered, SendReport> {
        let Some(answer) = &self.answer else {
            // The journal records a sending only with its answer; should that ever break,
            // the letter may still have gone.
            return Err(journal.driver_failed("its answer was not kept".into(), |note| note));
        };
        Ok(Answered {
            answer: Answer::from(answer),
            evidence: vec![Evidence::page(EvidenceKind::AnswerPage, &answer.text())],
            note: None,
        })
    }
}
