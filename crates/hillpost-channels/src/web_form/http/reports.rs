//! The HTTP driver's reports for what the office's server answered (or did not).

use chrono::{DateTime, Utc};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::{Evidence, EvidenceKind, SendReport};

use crate::egress::{EgressError, EgressResponse};
use crate::report::{finished, not_submitted};

/// A failure before the form was sent: nothing of the letter left hillpost.
pub fn before_sending(started_at: DateTime<Utc>, err: &EgressError) -> SendReport {
    let outcome = if err.is_transient() {
        AttemptOutcome::Transient
    } else {
        AttemptOutcome::Permanent
    };
    not_submitted(started_at, outcome, format!("loading the form: {err}"))
}

/// The form page itself was refused (429/503 with Retry-After, 5xx, 4xx).
pub fn page_refused(started_at: DateTime<Utc>, answer: &EgressResponse) -> SendReport {
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
pub fn after_sending(started_at: DateTime<Utc>, err: &EgressError, sha: String) -> SendReport {
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
