//! What a run has done so far, and the rules that read it: whether anything of the letter
//! may have left, what a failed step means then, and what the note says.

use chrono::{DateTime, Utc};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;
use hillpost_directory::forms::{FormDefinition, ScriptEffect, StepAction, classify_script};

use crate::report::{finished, not_submitted};

/// A step's own failure (a selector that matches nothing, an option not offered): text for
/// the note.
pub type StepFailure = String;

/// A run that stops before its end, with its report.
pub struct Stop(pub Box<SendReport>);

pub fn stop(report: SendReport) -> Stop {
    Stop(Box::new(report))
}

/// A page operation's answer: the outer `Err` ends the run with its report, the inner one
/// is the step's own failure (see [`Journal::settle`]).
pub type Operated<T = ()> = Result<Result<T, StepFailure>, Stop>;

/// The run's record, shared by the interpreter and its driver.
pub struct Journal {
    pub started_at: DateTime<Utc>,
    /// Set once a submission carrying the letter may have gone out: the SHA-256 of what was
    /// sent (HTTP: the request's bytes; browser: the values filled in).
    pub sent_sha256: Option<String>,
    /// A step that failed after the letter was sent (kept as a note).
    pub later_failure: Option<String>,
    /// What the run did that sent nothing (labels, tabs, links followed), for the note.
    pub notes: Vec<String>,
}

impl Journal {
    pub fn new(started_at: DateTime<Utc>) -> Self {
        Self {
            started_at,
            sent_sha256: None,
            later_failure: None,
            notes: Vec::new(),
        }
    }

    /// Whether the letter may have left hillpost.
    pub fn sent(&self) -> bool {
        self.sent_sha256.is_some()
    }

    /// A step's own failure: before the letter was sent it stops the run (the form no
    /// longer matches its definition, nothing left hillpost); after, it only adds to the
    /// note, and the answer already received is judged.
    pub fn settle(&mut self, line: u32, result: Result<(), StepFailure>) -> Result<(), Stop> {
        let Err(reason) = result else {
            return Ok(());
        };
        let reason = format!("line {line}: {reason}");
        if self.sent() {
            self.later_failure.get_or_insert(reason);
            return Ok(());
        }
        Err(stop(not_submitted(
            self.started_at,
            AttemptOutcome::Permanent,
            format!("the form no longer matches its definition: {reason}"),
        )))
    }

    /// The driver itself failed (a browser crashed or stopped answering): before the letter
    /// was sent nothing was (`transient`); after, it may have arrived (`unknown`). `explain`
    /// adds what the driver knows of the failure's cause to the note.
    pub fn driver_failed(&self, reason: String, explain: impl Fn(String) -> String) -> SendReport {
        match &self.sent_sha256 {
            None => not_submitted(
                self.started_at,
                AttemptOutcome::Transient,
                explain(format!(
                    "the browser failed before the form was sent: {reason}"
                )),
            ),
            Some(sha256) => SendReport {
                sent_sha256: Some(sha256.clone()),
                note: Some(explain(format!(
                    "the browser failed after the form was submitted: {reason}"
                ))),
                ..finished(self.started_at, AttemptOutcome::PossiblyAccepted)
            },
        }
    }
}

/// Whether a submission counts as the letter's: it carries the letter (a field filled with
/// `$MESSAGE`), it is the definition's final submit, or the letter already went (what
/// follows it belongs to the same sending). Any other is a step on the way (a ZIP lookup),
/// like following a link: failing after it still means nothing was sent.
pub fn carries_letter(holds_letter: bool, final_submit: bool, already_sent: bool) -> bool {
    holds_letter || final_submit || already_sent
}

/// Which click or script is the definition's final submit: (step index, item index).
pub type Position = (usize, usize);

/// The last click or submitting script of the definition: the one that submits the form
/// whatever the page shows.
pub fn final_submit(definition: &FormDefinition) -> Option<Position> {
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

/// `report` with what the run did that sent nothing added to its note.
pub fn with_notes(mut report: SendReport, notes: &[String]) -> SendReport {
    if !notes.is_empty() {
        let done = notes.join("; ");
        report.note = Some(match report.note.take() {
            Some(note) => format!("{note}; page steps: {done}"),
            None => format!("page steps: {done}"),
        });
    }
    report
}
