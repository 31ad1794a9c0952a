//! What a form driver supplies: the page operations, and nothing of what a step means.
//!
//! The interpreter (`interpret/step.rs`) decides what each step does, which click is the
//! final submit, when a failure stops the run, and builds the report; a driver only
//! operates the page — over HTTP (`web_form/http`, a parsed page and a cookie jar) or in
//! Chromium (`web_form/browser/form_driver.rs`, WebDriver scripts).

use std::time::Duration;

use hillpost_core::delivery::{Evidence, EvidenceKind, SendReport};
use hillpost_directory::forms::{FormField, ValueSource};
use url::Url;

use super::journal::{Journal, Operated, Stop};
use crate::web_form::choose::{Choice, Matching};
use crate::web_form::judge::Answer;

/// A click to make: a `click_on` target, or a definition's script that clicks or submits.
#[derive(Clone, Copy)]
pub struct Click<'a> {
    pub css: &'a str,
    /// The definition's own script, when a script clicks (a browser runs it as written).
    pub script: Option<&'a str>,
    /// Whether it is the definition's final submit (see [`super::journal::final_submit`]).
    pub final_submit: bool,
    pub line: u32,
}

/// An option to choose in a `select` step: the wanted value and how to match it.
pub struct Selection<'a> {
    pub value: &'a str,
    pub allowed: &'a [Choice],
    pub matching: Matching,
    pub fallback: Option<&'a str>,
}

/// The page the letter's submission ended on, with its evidence.
pub struct Answered {
    pub answer: Answer,
    pub evidence: Vec<Evidence>,
    /// Said after the judged note (what this driver can and cannot know of the answer).
    pub note: Option<&'static str>,
}

/// Page operations over one session. Each takes the run's [`Journal`] to note what it did
/// that sent nothing and to record a submission carrying the letter (`sent_sha256`).
pub trait FormDriver {
    /// The longest the steps may take as a whole, if the driver may stop answering.
    fn budget(&self, _max_wait: Duration, _steps: usize) -> Option<Duration> {
        None
    }

    /// The report when the steps overran [`Self::budget`].
    fn overran(&self, journal: &Journal, budget: Duration) -> SendReport {
        journal.driver_failed(format!("the run took longer than {budget:?}"), |note| note)
    }

    /// `visit`: loads `url` (a GET; nothing of the letter leaves).
    async fn visit(&mut self, journal: &mut Journal, url: Url, line: u32) -> Result<(), Stop>;

    /// `find`: `css` must match, and contain `text` when given.
    async fn find(&mut self, journal: &mut Journal, css: &str, text: Option<&str>) -> Operated;

    /// `fill_in`: types `value`; `holds_letter`: the field takes `$MESSAGE`.
    async fn fill(
        &mut self,
        journal: &mut Journal,
        field: &FormField,
        value: String,
        holds_letter: bool,
    ) -> Operated;

    /// `select`: chooses an offered option for `selection`.
    async fn select(
        &mut self,
        journal: &mut Journal,
        field: &FormField,
        selection: Selection<'_>,
    ) -> Operated;

    /// `check` / `uncheck`.
    async fn set_checked(
        &mut self,
        journal: &mut Journal,
        field: &FormField,
        checked: bool,
    ) -> Operated;

    /// `choose`: the radio button `field` names (with `value`, when given).
    async fn choose(
        &mut self,
        journal: &mut Journal,
        field: &FormField,
        value: Option<String>,
    ) -> Operated;

    /// Whether `css` matches anything (an optional script click on an absent element is
    /// passed over).
    async fn present(&mut self, journal: &mut Journal, css: &str) -> Operated<bool>;

    /// A click, as a browser does it: a toggle changes, a link is followed, a submit
    /// control submits (counted by [`super::journal::carries_letter`]).
    async fn click(&mut self, journal: &mut Journal, click: Click<'_>) -> Operated;

    /// A script's `submit()` of the form `click.css` names.
    async fn submit(&mut self, journal: &mut Journal, click: Click<'_>) -> Operated;

    /// A script that sets a field's value.
    async fn set_value(
        &mut self,
        journal: &mut Journal,
        script: &str,
        css: &str,
        value: &ValueSource,
        line: u32,
    ) -> Operated;

    /// A script that enables a field.
    async fn enable(
        &mut self,
        journal: &mut Journal,
        script: &str,
        css: &str,
        line: u32,
    ) -> Operated;

    /// A script that only changes how the page looks; its failure is passed over.
    async fn cosmetic(&mut self, script: &str) -> Result<(), String>;

    /// A script of no known effect (`why`: what makes it unknown).
    async fn other_script(
        &mut self,
        journal: &mut Journal,
        script: &str,
        why: String,
        line: u32,
    ) -> Operated;

    /// The current page as evidence (`page`), with a screenshot (`screenshot`) where the
    /// driver can take one; empty when there is no page.
    async fn evidence(&mut self, page: EvidenceKind, screenshot: EvidenceKind) -> Vec<Evidence>;

    /// The answer to the letter's submission; `Err`: the report as it stands (the answer
    /// could not be read, or it ended somewhere the egress policy refuses).
    async fn answer(&mut self, journal: &Journal) -> Result<Answered, SendReport>;
}
