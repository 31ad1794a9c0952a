//! Clicks and scripts in the browser, watched: what the page did after them decides
//! whether the form went out, and whether it was the letter's submission.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::error::{CmdError, ErrorStatus};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::dom;
use super::form_driver::{BrowserDriver, serialize};
use crate::web_form::interpret::{Click, Journal, Operated, Stop, carries_letter};

/// After a submitting click that did not replace the page, how long to watch for a new
/// document before taking the submission as in-page (a script posted it).
const IN_PAGE_SETTLE: Duration = Duration::from_secs(1);
const POLL: Duration = Duration::from_millis(100);

/// What the page did after a click or script.
enum Effect {
    /// Nothing went out and the page stayed.
    Nothing,
    /// A form (or a request with a body) went out; `letter`: one holding the letter.
    /// `status` is the new document's, when one loaded.
    Sent { letter: bool, status: Option<u16> },
    /// A new document without a form sent (a link followed).
    Navigated,
}

pub(super) struct PageState {
    /// The document marked before a click is still the current one.
    marked: bool,
    ready: bool,
    pub(super) status: Option<u16>,
    /// What the watchers saw go out: `letter`, `form`, or nothing.
    sent: Option<String>,
    /// A form went out as a navigation whose answer has not loaded yet.
    navigating: bool,
}

impl BrowserDriver<'_> {
    /// A click (a `click_on` target, or a script that clicks or submits): a checkbox or
    /// radio button just changes; anything else is watched (see [`Self::watched`]).
    pub(super) async fn click_watched(
        &mut self,
        journal: &mut Journal,
        click: Click<'_>,
    ) -> Operated {
        let css = click.css;
        let kind = match self.dom(journal, dom::CLICK_KIND, vec![json!(css)]).await? {
            Ok(kind) => kind,
            Err(reason) => return Ok(Err(reason)),
        };
        match kind.as_str() {
            Some("absent") => return Ok(Err(format!("`{css}` is not on the page"))),
            Some("toggle") => {
                let clicked = match click.script {
                    Some(script) => self.script(script).await,
                    None => self.click_element(css).await,
                };
                return Ok(clicked);
            }
            _ => {}
        }
        self.watched(journal, click).await
    }

    /// A definition's script run as written, watched like a click (it may send the form).
    pub(super) async fn script_watched(
        &mut self,
        journal: &mut Journal,
        script: &str,
        line: u32,
    ) -> Operated {
        let click = Click {
            css: "",
            script: Some(script),
            final_submit: false,
            line,
        };
        self.watched(journal, click).await
    }

    /// Runs a click or script with the page watched, and decides from what the page did
    /// whether the form was submitted: a form or request that went out, or — for the
    /// definition's last click, which is its submit whatever the page shows — anything at
    /// all. A link followed or a click that only changed the page is noted, nothing sent.
    async fn watched(&mut self, journal: &mut Journal, click: Click<'_>) -> Operated {
        let args = vec![json!(self.letter_css)];
        if let Err(reason) = self.dom(journal, dom::MARK, args).await? {
            return Ok(Err(reason));
        }
        let done = match click.script {
            Some(script) => self.script(script).await,
            None => self.click_element(click.css).await,
        };
        if let Err(reason) = done {
            // The click did not happen unless the page went away meanwhile.
            let state = self.page_state(journal).await?;
            if state.marked && state.sent.is_none() {
                return Ok(Err(reason));
            }
        }
        let already_sent = journal.sent();
        let submits = carries_letter(false, click.final_submit, already_sent);
        // Until the page has shown what it did, the form may have been sent.
        let sha256 = hex::encode(Sha256::digest(serialize(&self.filled)));
        let before = journal.sent_sha256.replace(sha256.clone());
        // A script that is not a click or submit gets one look: it runs synchronously.
        let settle = if click.css.is_empty() {
            Duration::ZERO
        } else {
            IN_PAGE_SETTLE
        };
        let effect = self.await_effect(journal, submits, settle).await?;
        journal.sent_sha256 = before;
        let what = match click.script {
            Some(_) => format!("line {}: the script", click.line),
            None => format!("line {}: clicking `{}`", click.line, click.css),
        };
        match effect {
            Effect::Sent { letter, status }
                if carries_letter(letter, click.final_submit, already_sent) =>
            {
                journal.sent_sha256 = Some(sha256);
                self.status = status;
            }
            Effect::Nothing if submits => {
                // The definition's submit, and nothing seen leaving: it may still have gone
                // (a request the watchers do not see), so it counts as sent.
                journal.notes.push(format!(
                    "{what} sent nothing the browser's watchers saw; counted as the submission"
                ));
                journal.sent_sha256 = Some(sha256);
                self.status = None;
            }
            Effect::Sent { .. } => journal.notes.push(format!(
                "{what} posted a form that does not hold the letter (a step on the way)"
            )),
            Effect::Navigated => {
                let url = self.client.current_url().await.map(|u| u.to_string());
                journal.notes.push(format!(
                    "{what} went to another page ({}), sending no form",
                    url.unwrap_or_default()
                ));
            }
            Effect::Nothing if click.script.is_none() => journal
                .notes
                .push(format!("{what} changed the page only; nothing was sent")),
            Effect::Nothing => {}
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

    /// Watches the page after a click or script: a new document (with or without a form
    /// sent before it), a form or request sent in the page, or nothing within a second.
    /// A native form submission is waited for until its answer page loads.
    async fn await_effect(
        &self,
        journal: &Journal,
        submits: bool,
        settle: Duration,
    ) -> Result<Effect, Stop> {
        let began = Instant::now();
        loop {
            let state = self.page_state(journal).await?;
            let waited = began.elapsed();
            if !state.marked && state.ready {
                return Ok(match state.sent {
                    Some(sent) => Effect::Sent {
                        letter: sent == "letter",
                        status: state.status,
                    },
                    // A new page after the definition's submit is its answer.
                    None if submits => Effect::Sent {
                        letter: true,
                        status: state.status,
                    },
                    None => Effect::Navigated,
                });
            }
            let settled = waited >= settle && !state.navigating;
            if state.marked && (settled || waited >= self.page_timeout) {
                return Ok(match state.sent {
                    Some(sent) => Effect::Sent {
                        letter: sent == "letter",
                        status: None,
                    },
                    None => Effect::Nothing,
                });
            }
            if waited >= self.page_timeout {
                return Ok(Effect::Nothing);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// What the page reports of itself (see `dom.rs`'s `STATE`).
    pub(super) async fn page_state(&self, journal: &Journal) -> Result<PageState, Stop> {
        let answer = self
            .dom(journal, dom::STATE, Vec::new())
            .await?
            .unwrap_or(Value::Null);
        Ok(PageState {
            marked: answer[0].as_bool().unwrap_or(false),
            ready: answer[1].as_str() == Some("complete"),
            status: answer[2].as_u64().and_then(|s| u16::try_from(s).ok()),
            sent: answer[3].as_str().map(str::to_string),
            navigating: answer[4].as_bool().unwrap_or(false),
        })
    }
}

/// Errors after which the click certainly did not happen.
fn not_clicked(err: &CmdError) -> bool {
    err.is_no_such_element()
        || err.is_element_not_interactable()
        || err.is_stale_element_reference()
        || err.is_invalid_selector()
        || matches!(err, CmdError::Standard(w) if w.error == ErrorStatus::ElementClickIntercepted)
}
