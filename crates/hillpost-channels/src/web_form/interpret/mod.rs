//! One interpreter of the contact-congress step language, over any [`FormDriver`]: a step
//! means the same over HTTP and in a browser because it is decided here, once.
//!
//! ```text
//!  definition.steps ──▶ step.rs (the one match over step kinds)
//!     values ($VARIABLES, options) ─┐     │ page operations (fill, select, click, …)
//!     final submit (journal.rs) ────┤     ▼
//!                                   │  FormDriver ── HttpDriver (web_form/http)
//!                                   │             └─ BrowserDriver (web_form/browser)
//!     Journal: letter sent? (sha) ◀─┘     notes, a failure after sending
//!  after the last step: the driver's answer ──▶ judge (success block) ──▶ SendReport
//!  a step that stops the run ──▶ its report + the page as evidence
//! ```

mod driver;
mod journal;
mod step;

use std::time::Duration;

use chrono::{DateTime, Utc};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::{EvidenceKind, SendReport};
use hillpost_directory::forms::FormDefinition;

use super::fields::FieldValues;
use super::judge::judge;
use crate::report::not_submitted;

pub use driver::{Answered, Click, FormDriver, Selection};
pub use journal::{Journal, Operated, StepFailure, Stop, carries_letter, stop};

use journal::{final_submit, with_notes};

/// One run of a definition.
pub struct Interpreter<'a> {
    pub definition: &'a FormDefinition,
    pub values: FieldValues<'a>,
    /// The longest a `wait` step pauses.
    pub max_wait: Duration,
}

impl Interpreter<'_> {
    /// Runs every step on `driver`, then judges the answer to the letter's submission.
    pub async fn run<D: FormDriver>(
        &self,
        driver: &mut D,
        started_at: DateTime<Utc>,
    ) -> SendReport {
        let mut journal = Journal::new(started_at);
        let budget = driver.budget(self.max_wait, self.definition.steps.len());
        let steps = self.steps(driver, &mut journal);
        let finished = match budget {
            None => steps.await,
            Some(budget) => match tokio::time::timeout(budget, steps).await {
                Ok(finished) => finished,
                Err(_) => return driver.overran(&journal, budget),
            },
        };
        if let Err(Stop(report)) = finished {
            let mut report = *report;
            if report.sent_sha256.is_none() && report.evidence.is_empty() {
                // What the page looked like when the run stopped: the evidence an operator
                // needs to fix the definition.
                report.evidence = driver
                    .evidence(EvidenceKind::FailurePage, EvidenceKind::ScreenshotAtFailure)
                    .await;
            }
            return with_notes(report, &journal.notes);
        }
        let Some(sha256) = journal.sent_sha256.clone() else {
            let mut report = not_submitted(
                started_at,
                AttemptOutcome::Permanent,
                "the definition never submits the form (no submit button is clicked and no \
                 script submits it)"
                    .into(),
            );
            report.evidence = driver
                .evidence(EvidenceKind::FailurePage, EvidenceKind::ScreenshotAtFailure)
                .await;
            return with_notes(report, &journal.notes);
        };
        let answered = match driver.answer(&journal).await {
            Ok(answered) => answered,
            Err(report) => return report,
        };
        let mut report = judge(
            started_at,
            self.definition.success.as_ref(),
            &answered.answer,
            sha256,
            journal.later_failure.clone(),
        );
        if let Some(said) = answered.note {
            report.note = report.note.map(|note| format!("{note}; {said}"));
        }
        report.evidence = answered.evidence;
        with_notes(report, &journal.notes)
    }

    async fn steps<D: FormDriver>(
        &self,
        driver: &mut D,
        journal: &mut Journal,
    ) -> Result<(), Stop> {
        let last = final_submit(self.definition);
        for (index, step) in self.definition.steps.iter().enumerate() {
            let final_submit = |item: usize| last == Some((index, item));
            self.step(driver, journal, step, final_submit).await?;
        }
        Ok(())
    }
}
