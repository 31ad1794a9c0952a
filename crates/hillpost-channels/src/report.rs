//! Building [`SendReport`]s: every channel ends an attempt the same way.

use chrono::{DateTime, Utc};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;

/// A report for an attempt that went to the network, started at `started_at` and ends now,
/// carrying only its outcome; the caller fills in what it knows (remote answer, hash, note).
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
        touched_network: true,
        receiver_id: None,
    }
}

/// A report for an attempt that went to the network (a lookup, a connection, the form's
/// page) but stopped before anything of the letter left: `outcome` says whether trying again
/// may help.
pub(crate) fn not_submitted(
    started_at: DateTime<Utc>,
    outcome: AttemptOutcome,
    note: String,
) -> SendReport {
    SendReport {
        note: Some(note),
        ..finished(started_at, outcome)
    }
}

/// A decision made here without touching the network (nothing left hillpost): recorded as
/// a route or deferral event, not an attempt.
pub(crate) fn refused_locally(
    started_at: DateTime<Utc>,
    outcome: AttemptOutcome,
    note: String,
) -> SendReport {
    SendReport {
        touched_network: false,
        receiver_id: None,
        ..not_submitted(started_at, outcome, note)
    }
}

/// This endpoint can never take the letter, decided without trying (a recaptcha step, a
/// channel not configured): the delivery moves to the recipient's next endpoint, or fails
/// with `reason` when there is none.
pub(crate) fn falls_back(started_at: DateTime<Utc>, reason: String) -> SendReport {
    refused_locally(started_at, AttemptOutcome::Permanent, reason)
}
