//! The audit trail's store side, common to both backends: the events each hook appends
//! (what goes in a payload, and what never does), the export, and the verification report.
//! Each backend appends with its own `audit::append`, inside the transaction of the change
//! the event records, so an event exists exactly when its change was committed.

use chrono::{DateTime, Utc};
use hillpost_core::audit::{BrokenLink, ChainHead, EventKind, NewEvent, Subjects, time_text};
use hillpost_core::batch::{BatchPlan, Route};
use hillpost_core::delivery::BatchAction;
use serde::Serialize;
use serde_json::{Value, json};

use crate::ImportCounts;

/// The actor of changes made through the older entry points that don't name one.
pub const UNATTRIBUTED: &str = "unattributed";
/// The actor of what the periodic housekeeping does (any worker runs it).
pub const HOUSEKEEPING: &str = "housekeeping";

/// What `hillpost audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Events that checked out, from seq 1.
    pub verified: u64,
    /// The stored head (the last seq and hash every appender agreed on).
    pub head: ChainHead,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

/// One line of `hillpost audit export`: one per attempt; a delivery never attempted
/// (skipped, cancelled, still queued) gets one line with the attempt fields empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportLine {
    pub batch_id: i64,
    pub delivery_id: i64,
    pub recipient_key: String,
    pub recipient_name: String,
    pub channel: String,
    pub endpoint: String,
    /// The signer of an individual letter (an id, never a name or address).
    pub signer_id: Option<i64>,
    /// How many signatures a petition letter carried.
    pub signature_count: Option<u32>,
    pub delivery_state: String,
    pub skip_reason: Option<String>,
    pub attempt_no: Option<u32>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub outcome: Option<String>,
    pub remote_code: Option<i32>,
    pub remote_text: Option<String>,
    pub sent_sha256: Option<String>,
    pub note: Option<String>,
    /// The attempt's evidence by kind and SHA-256 of the content the API serves
    /// (`answer_page:<hex> screenshot_after_submit:<hex>`).
    pub evidence_sha256: Option<String>,
}

/// What an `attempt.recorded` event says: enough to tell what was sent to whom and what
/// came back, and nothing about the signer beyond their id.
#[derive(Debug, Clone)]
pub(crate) struct AttemptFacts {
    pub attempt_id: i64,
    pub delivery_id: i64,
    pub batch_id: i64,
    pub signature_id: Option<i64>,
    pub recipient: String,
    pub channel: String,
    pub endpoint: String,
    pub attempt_no: u32,
    pub worker_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub outcome: String,
    pub remote_code: Option<i32>,
    pub remote_text: Option<String>,
    pub sent_sha256: Option<String>,
    pub note: Option<String>,
    /// The state the delivery moved to; `None` when this record could not move it (the
    /// worker had lost its lease).
    pub delivery_state: Option<String>,
}

pub(crate) fn attempt_event(actor: &str, f: AttemptFacts) -> NewEvent {
    NewEvent {
        kind: EventKind::AttemptRecorded,
        actor: actor.to_string(),
        subjects: Subjects {
            campaign_id: None,
            batch_id: Some(f.batch_id),
            delivery_id: Some(f.delivery_id),
            attempt_id: Some(f.attempt_id),
        },
        payload: json!({
            "recipient": f.recipient,
            "channel": f.channel,
            "endpoint": f.endpoint,
            "signer_id": f.signature_id,
            "attempt_no": f.attempt_no,
            "worker_id": f.worker_id,
            "started_at": time_text(f.started_at),
            "finished_at": time_text(f.finished_at),
            "duration_ms": f.duration_ms,
            "outcome": f.outcome,
            "remote_code": f.remote_code,
            "remote_text": f.remote_text,
            "sent_sha256": f.sent_sha256,
            "note": f.note,
            "delivery_state": f.delivery_state,
        }),
    }
}

pub(crate) fn import_event(
    actor: &str,
    campaign: &str,
    import_id: i64,
    source_name: &str,
    source_sha256: &str,
    counts: &ImportCounts,
) -> NewEvent {
    NewEvent {
        kind: EventKind::ImportCommitted,
        actor: actor.to_string(),
        subjects: Subjects {
            campaign_id: Some(campaign.to_string()),
            ..Subjects::default()
        },
        payload: json!({
            "import_id": import_id,
            "source_name": source_name,
            "source_sha256": source_sha256,
            "rows_read": counts.rows_read,
            "accepted": counts.accepted,
            "duplicates": counts.duplicates,
            "rejected": counts.rejected,
        }),
    }
}

pub(crate) struct BatchCreated<'a> {
    pub campaign: &'a str,
    pub batch_id: i64,
    pub plan: &'a BatchPlan,
    pub state: &'a str,
    pub start_at: DateTime<Utc>,
    pub max_attempts: u32,
}

pub(crate) fn batch_created_event(actor: &str, b: BatchCreated<'_>) -> NewEvent {
    let skipped = b
        .plan
        .deliveries
        .iter()
        .filter(|d| matches!(d.route, Route::Skip(_)))
        .count();
    NewEvent {
        kind: EventKind::BatchCreated,
        actor: actor.to_string(),
        subjects: batch_subjects(b.campaign, b.batch_id),
        payload: json!({
            "mode": b.plan.mode.as_str(),
            "state": b.state,
            "start_at": time_text(b.start_at),
            "signature_count": b.plan.signature_count,
            "deliveries": b.plan.deliveries.len(),
            "skipped": skipped,
            "recipients": b.plan.recipients.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            "letters": b.plan.messages.len(),
            "max_attempts": b.max_attempts,
        }),
    }
}

pub(crate) fn batch_action_event(
    actor: &str,
    campaign: &str,
    batch_id: i64,
    action: BatchAction,
    from: &str,
    to: &str,
    cancelled_deliveries: u64,
) -> NewEvent {
    let kind = match action {
        BatchAction::Pause => EventKind::BatchPaused,
        BatchAction::Resume => EventKind::BatchResumed,
        BatchAction::Cancel => EventKind::BatchCancelled,
    };
    let mut payload = json!({ "from": from, "to": to });
    if action == BatchAction::Cancel {
        payload["cancelled_deliveries"] = json!(cancelled_deliveries);
    }
    NewEvent {
        kind,
        actor: actor.to_string(),
        subjects: batch_subjects(campaign, batch_id),
        payload,
    }
}

pub(crate) fn batch_started_event(
    campaign: &str,
    batch_id: i64,
    start_at: DateTime<Utc>,
) -> NewEvent {
    NewEvent {
        kind: EventKind::BatchStarted,
        actor: HOUSEKEEPING.to_string(),
        subjects: batch_subjects(campaign, batch_id),
        payload: json!({ "start_at": time_text(start_at) }),
    }
}

/// `deliveries` counts the batch's deliveries per final state.
pub(crate) fn batch_completed_event(campaign: &str, batch_id: i64, deliveries: Value) -> NewEvent {
    NewEvent {
        kind: EventKind::BatchCompleted,
        actor: HOUSEKEEPING.to_string(),
        subjects: batch_subjects(campaign, batch_id),
        payload: json!({ "deliveries": deliveries }),
    }
}

fn batch_subjects(campaign: &str, batch_id: i64) -> Subjects {
    Subjects {
        campaign_id: Some(campaign.to_string()),
        batch_id: Some(batch_id),
        ..Subjects::default()
    }
}

/// The actor of a worker's records.
pub(crate) fn worker_actor(worker_id: &str) -> String {
    format!("worker:{worker_id}")
}

/// An attempt row as a backend inserted it, with the delivery facts its event names.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub attempt_id: i64,
    pub delivery_id: i64,
    pub attempt_no: u32,
    /// The note as stored (a lost lease adds to it).
    pub note: Option<String>,
    /// Whether the record moved its delivery on (the lease was still the worker's).
    pub moved: bool,
    pub batch_id: i64,
    pub signature_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    /// The delivery's state after the record: as the record's transition says, or `queued`
    /// when it moved on to the recipient's next endpoint.
    pub state_after: hillpost_core::DeliveryState,
}

/// For `record_attempts`: the delivery ids moved on, and one event per attempt row, in the
/// order the rows were inserted.
pub(crate) fn attempt_events(
    worker_id: &str,
    records: &[crate::AttemptRecord],
    mut recorded: Vec<Recorded>,
) -> (Vec<i64>, Vec<NewEvent>) {
    let by_attempt: std::collections::HashMap<(i64, u32), &crate::AttemptRecord> = records
        .iter()
        .map(|r| ((r.delivery_id, r.attempt_no), r))
        .collect();
    recorded.sort_by_key(|r| r.attempt_id);
    let actor = worker_actor(worker_id);
    let mut moved = Vec::new();
    let mut events = Vec::with_capacity(recorded.len());
    for row in recorded {
        let Some(record) = by_attempt.get(&(row.delivery_id, row.attempt_no)) else {
            continue;
        };
        if row.moved {
            moved.push(row.delivery_id);
        }
        events.push(attempt_event(
            &actor,
            AttemptFacts {
                attempt_id: row.attempt_id,
                delivery_id: row.delivery_id,
                batch_id: row.batch_id,
                signature_id: row.signature_id,
                recipient: row.recipient,
                channel: row.channel,
                endpoint: record.endpoint.clone(),
                attempt_no: row.attempt_no,
                worker_id: worker_id.to_string(),
                started_at: record.started_at,
                finished_at: record.finished_at,
                duration_ms: i64::from(record.duration_ms()),
                outcome: record.outcome.as_str().to_string(),
                remote_code: record.remote_code,
                remote_text: record.remote_text.clone(),
                sent_sha256: record.sent_sha256.clone(),
                note: row.note,
                delivery_state: row.moved.then(|| row.state_after.as_str().to_string()),
            },
        ));
    }
    (moved, events)
}

pub(crate) fn export_lines(
    batch: &crate::BatchRow,
    deliveries: &[crate::DeliveryRow],
    attempts: Vec<crate::AttemptRow>,
) -> Vec<ExportLine> {
    let mut by_delivery: std::collections::HashMap<i64, Vec<crate::AttemptRow>> =
        std::collections::HashMap::new();
    for attempt in attempts {
        by_delivery
            .entry(attempt.delivery_id)
            .or_default()
            .push(attempt);
    }
    let signature_count =
        (batch.mode == hillpost_core::Mode::Petition).then_some(batch.signature_count);
    let mut lines = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        let line = ExportLine {
            batch_id: d.batch_id,
            delivery_id: d.id,
            recipient_key: d.recipient_key.clone(),
            recipient_name: d.recipient_name.clone(),
            channel: d.channel.as_str().to_string(),
            endpoint: d.endpoint.clone(),
            signer_id: d.signature_id,
            signature_count,
            delivery_state: d.state.as_str().to_string(),
            skip_reason: d.skip_reason.clone(),
            attempt_no: None,
            started_at: None,
            finished_at: None,
            outcome: None,
            remote_code: None,
            remote_text: None,
            sent_sha256: None,
            note: None,
            evidence_sha256: None,
        };
        let Some(mut tries) = by_delivery.remove(&d.id) else {
            lines.push(line);
            continue;
        };
        tries.sort_by_key(|a| (a.attempt_no, a.id));
        for a in tries {
            lines.push(ExportLine {
                // A delivery that moved on was tried on more than one endpoint.
                channel: a
                    .channel
                    .map_or_else(|| line.channel.clone(), |c| c.as_str().to_string()),
                endpoint: a.endpoint,
                attempt_no: Some(a.attempt_no),
                started_at: Some(time_text(a.started_at)),
                finished_at: Some(time_text(a.finished_at)),
                outcome: Some(a.outcome.as_str().to_string()),
                remote_code: a.remote_code,
                remote_text: a.remote_text,
                sent_sha256: a.sent_sha256,
                note: a.note,
                ..line.clone()
            });
        }
    }
    lines
}
