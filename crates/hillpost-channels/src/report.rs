//! Building [`SendReport`]s: every channel ends an attempt the same way.

use chrono::{DateTime, Utc};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;

/// A report for an attempt that started at `started_at` and ends now, carrying only its
/// outcome; the caller fills in what it knows (remote answer, hash, note).
pub(crate) fn finished(started_at: DateTime<Utc>, outcome: AttemptOutcome) -> SendReport {
    SendReport {
        outcome,
        started_at,
        finished_at: Utc::now(),
        remote_code: None,
        remote_text: None,
        sent_sha256: None,
        retry_after: None,
        note: None,
        evidence: Vec::new(),
        fallback: None,
    }
}

/// A report for an attempt that could not even begin (nothing left hillpost).
pub(crate) fn refused_locally(
    started_at: DateTime<Utc>,
    outcome: AttemptOutcome,
    note: String,
) -> SendReport {
    SendReport {
        note: Some(note),
        ..finished(started_at, outcome)
    }
}

/// A report for a letter this endpoint can never take (nothing was sent): the worker moves
/// the delivery to the recipient's next endpoint, or fails it with `reason` when there is
/// none.
pub(crate) fn falls_back(started_at: DateTime<Utc>, reason: String) -> SendReport {
    SendReport {
        fallback: Some(reason.clone()),
        ..refused_locally(started_at, AttemptOutcome::Permanent, reason)
    }
}
