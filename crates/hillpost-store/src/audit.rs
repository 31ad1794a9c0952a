//! The audit trail's store side, common to both backends: the events each hook appends
//! (what goes in a payload, and what never does), the export, and the verification report.
//! Each backend appends its own way (`Driver::append_events`), inside the transaction of the change
//! the event records, so an event exists exactly when its change was committed.

use chrono::{DateTime, Utc};
use hillpost_core::AttemptNo;
use hillpost_core::audit::{
    BrokenLink, ChainHead, EventKind, NewEvent, SignerSalt, Subjects, commitment, time_text,
};
use hillpost_core::batch::{BatchPlan, Route, count_left_out};
use hillpost_core::delivery::BatchAction;
use hillpost_core::ids::{AttemptId, BatchId, DeliveryId, ImportId, SignatureId};
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
    /// The first broken link, if any (a checkpoint the chain does not reach is one).
    pub broken: Option<BrokenLink>,
    /// How many checkpoints (stored, and given from outside) the chain was held to.
    pub checkpoints: usize,
    /// Batches, attempts and delivery events without their audit event.
    pub unrecorded: Vec<crate::Unrecorded>,
    /// Attempt rows whose answer or note is not what their event recorded (the first few),
    /// and how many there are.
    pub altered: Vec<crate::AlteredAttempt>,
    pub altered_count: usize,
}

impl ChainReport {
    /// Every event checks out, every checkpoint is reached, every row has its event and
    /// says what its event recorded.
    pub fn intact(&self) -> bool {
        self.broken.is_none() && self.unrecorded.is_empty() && self.altered_count == 0
    }
}

/// One line of `hillpost audit export`: one per attempt (`record` = `attempt`) and one per
/// delivery event (`event`: a route change, a wait, a person's decision), each for what it
/// is; a delivery with neither (skipped, cancelled, still queued) gets one `delivery` line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportLine {
    /// `attempt`, `event` or `delivery`.
    pub record: &'static str,
    pub batch_id: BatchId,
    pub delivery_id: DeliveryId,
    pub recipient_key: String,
    pub recipient_name: String,
    pub channel: String,
    pub endpoint: String,
    /// The signer of an individual letter (an id, never a name or address).
    pub signer_id: Option<SignatureId>,
    /// How many signatures a petition letter carried.
    pub signature_count: Option<u32>,
    pub delivery_state: String,
    pub skip_reason: Option<String>,
    pub attempt_no: Option<AttemptNo>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub outcome: Option<String>,
    pub remote_code: Option<i32>,
    pub remote_text: Option<String>,
    pub sent_sha256: Option<String>,
    pub note: Option<String>,
    /// An event line's kind (`route`, `deferred`, `confirmed`, `resent`, `replanned`), when,
    /// who, and what happened in words.
    pub event_kind: Option<String>,
    pub event_at: Option<String>,
    pub event_actor: Option<String>,
    pub event: Option<String>,
    /// The attempt's evidence by kind and SHA-256 of the content the API serves
    /// (`answer_page:<hex> screenshot_after_submit:<hex>`).
    pub evidence_sha256: Option<String>,
    /// What the receiver knows the letter by (CWC DeliveryId, email Message-ID, the form's
    /// final page), as the attempt's audit event records it.
    pub receiver_id: Option<String>,
}

/// What an `attempt.recorded` event says: enough to tell what was sent to whom and what
/// came back, and nothing about the signer beyond their id.
#[derive(Debug, Clone)]
pub(crate) struct AttemptFacts {
    pub attempt_id: AttemptId,
    pub delivery_id: DeliveryId,
    pub batch_id: BatchId,
    pub signature_id: Option<SignatureId>,
    pub recipient: String,
    pub channel: String,
    pub endpoint: String,
    pub attempt_no: AttemptNo,
    pub worker_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub outcome: String,
    pub remote_code: Option<i32>,
    pub remote_text: Option<String>,
    pub sent_sha256: Option<String>,
    /// What identifies the letter at the receiver: CWC DeliveryId, Message-ID, final URL.
    pub receiver_id: Option<String>,
    pub note: Option<String>,
    /// The state the delivery moved to; `None` when this record could not move it (the
    /// worker had lost its lease).
    pub delivery_state: Option<String>,
    /// Whose letter it is, for the text that may quote them.
    pub privacy: Privacy,
}

/// Whether an event may hold a receiver's free text (an answer, a note, a reason) in clear.
/// A signer's own letter or receipt: no, because the receiver may quote the signer's name or
/// address; the event holds a salted commitment instead ([`hillpost_core::audit::commitment`])
/// and the text stays in its row, where an erasure can blank it. An office's petition
/// letter speaks of no one signer: in clear.
#[derive(Debug, Clone)]
pub(crate) enum Privacy {
    Public,
    /// The signer's salt; `None` once they were erased (or for a row that never had one):
    /// then the event holds neither the text nor a commitment.
    Signer(Option<SignerSalt>),
}

impl Privacy {
    /// For a delivery of `signature_id` with that signer's stored salt.
    pub(crate) fn of(signature_id: Option<SignatureId>, salt: Option<Vec<u8>>) -> Self {
        match signature_id {
            None => Privacy::Public,
            Some(_) => Privacy::Signer(SignerSalt::from_stored(salt)),
        }
    }

    /// Puts `text` into `payload` under `field`: as it is, or as `<field>_commitment`.
    pub(crate) fn put(&self, payload: &mut Value, field: &str, text: Option<&str>) {
        let Some(object) = payload.as_object_mut() else {
            return;
        };
        match self {
            Privacy::Public => {
                object.insert(field.to_string(), json!(text));
            }
            Privacy::Signer(salt) => {
                object.insert(field.to_string(), Value::Null);
                let committed = match (salt, text) {
                    (Some(salt), Some(text)) => json!(commitment(salt, field, text)),
                    _ => Value::Null,
                };
                object.insert(format!("{field}_commitment"), committed);
            }
        }
    }
}

pub(crate) fn attempt_event(actor: &str, f: AttemptFacts) -> NewEvent {
    let mut payload = json!({
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
        "sent_sha256": f.sent_sha256,
        "receiver_id": f.receiver_id,
        "delivery_state": f.delivery_state,
    });
    f.privacy
        .put(&mut payload, "remote_text", f.remote_text.as_deref());
    f.privacy.put(&mut payload, "note", f.note.as_deref());
    NewEvent {
        kind: EventKind::AttemptRecorded,
        actor: actor.to_string(),
        subjects: Subjects {
            campaign_id: None,
            batch_id: Some(f.batch_id),
            delivery_id: Some(f.delivery_id),
            attempt_id: Some(f.attempt_id),
        },
        payload,
    }
}

pub(crate) fn import_event(
    actor: &str,
    campaign: &str,
    import_id: ImportId,
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
    pub batch_id: BatchId,
    pub plan: &'a BatchPlan,
    pub state: &'a str,
    pub start_at: DateTime<Utc>,
    pub max_attempts: u32,
    pub include_delivered: bool,
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
            // Letters earlier batches delivered, left out (or, with include_delivered,
            // sent again on purpose): per office and reason.
            "include_delivered": b.include_delivered,
            "left_out": count_left_out(&b.plan.left_out)
                .into_iter()
                .map(|(office, reason, n)| json!({ "recipient": office, "reason": reason, "count": n }))
                .collect::<Vec<_>>(),
        }),
    }
}

pub(crate) fn batch_action_event(
    actor: &str,
    campaign: &str,
    batch_id: BatchId,
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

/// A batch some of whose letters a person queued again; `to` is its state after.
pub(crate) fn batch_retried_event(
    actor: &str,
    campaign: &str,
    batch_id: BatchId,
    from: &str,
    to: &str,
    details: Value,
) -> NewEvent {
    let mut payload = json!({ "from": from, "to": to });
    if let (Some(payload), Value::Object(details)) = (payload.as_object_mut(), details) {
        payload.extend(details);
    }
    NewEvent {
        kind: EventKind::BatchRetried,
        actor: actor.to_string(),
        subjects: batch_subjects(campaign, batch_id),
        payload,
    }
}

pub(crate) fn batch_started_event(
    campaign: &str,
    batch_id: BatchId,
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
pub(crate) fn batch_completed_event(
    campaign: &str,
    batch_id: BatchId,
    deliveries: Value,
) -> NewEvent {
    NewEvent {
        kind: EventKind::BatchCompleted,
        actor: HOUSEKEEPING.to_string(),
        subjects: batch_subjects(campaign, batch_id),
        payload: json!({ "deliveries": deliveries }),
    }
}

fn batch_subjects(campaign: &str, batch_id: BatchId) -> Subjects {
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

/// Per attempt id, the receiver id its `attempt.recorded` event holds (events from before
/// receiver ids were recorded hold none). `payloads` are `(attempt_id, payload)`.
pub(crate) fn receiver_ids(payloads: Vec<(i64, String)>) -> std::collections::HashMap<i64, String> {
    payloads
        .into_iter()
        .filter_map(|(attempt_id, payload)| {
            let payload: Value = serde_json::from_str(&payload).ok()?;
            let id = payload.get("receiver_id")?.as_str()?.to_string();
            Some((attempt_id, id))
        })
        .collect()
}

pub(crate) fn export_lines(
    batch: &crate::BatchRow,
    deliveries: &[crate::DeliveryRow],
    attempts: Vec<crate::AttemptRow>,
    events: Vec<crate::DeliveryEventRow>,
    receivers: &std::collections::HashMap<i64, String>,
) -> Vec<ExportLine> {
    let mut events_of: std::collections::HashMap<i64, Vec<crate::DeliveryEventRow>> =
        std::collections::HashMap::new();
    for event in events {
        events_of
            .entry(event.delivery_id.get())
            .or_default()
            .push(event);
    }
    let mut by_delivery: std::collections::HashMap<i64, Vec<crate::AttemptRow>> =
        std::collections::HashMap::new();
    for attempt in attempts {
        by_delivery
            .entry(attempt.delivery_id.get())
            .or_default()
            .push(attempt);
    }
    let signature_count =
        (batch.mode == hillpost_core::Mode::Petition).then_some(batch.signature_count);
    let mut lines = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        let line = ExportLine {
            record: "delivery",
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
            event_kind: None,
            event_at: None,
            event_actor: None,
            event: None,
            evidence_sha256: None,
            receiver_id: None,
        };
        let mut tries = by_delivery.remove(&d.id.get()).unwrap_or_default();
        let happenings = events_of.remove(&d.id.get()).unwrap_or_default();
        if tries.is_empty() && happenings.is_empty() {
            lines.push(line);
            continue;
        }
        tries.sort_by_key(|a| (a.attempt_no, a.id));
        // Attempts and events in the order they happened (an event follows the attempt it
        // came after when both have the same time).
        let mut merged: Vec<(chrono::DateTime<chrono::Utc>, u8, ExportLine)> = Vec::new();
        for e in happenings {
            merged.push((
                e.at,
                1,
                ExportLine {
                    record: "event",
                    attempt_no: e.attempt_no,
                    event_kind: Some(e.kind.as_str().to_string()),
                    event_at: Some(time_text(e.at)),
                    event_actor: Some(e.actor.clone()),
                    event: Some(e.describe()),
                    ..line.clone()
                },
            ));
        }
        for a in tries {
            let finished_at = a.finished_at;
            merged.push((
                finished_at,
                0,
                ExportLine {
                    record: "attempt",
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
                    receiver_id: receivers.get(&a.id.get()).cloned(),
                    ..line.clone()
                },
            ));
        }
        merged.sort_by_key(|(at, order, _)| (*at, *order));
        lines.extend(merged.into_iter().map(|(_, _, line)| line));
    }
    lines
}
