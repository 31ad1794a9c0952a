//! Recording attempts, the same way on both backends. A record carries the transition
//! `hillpost_core::delivery::transition` decided; a backend applies it in one transaction:
//!
//! ```text
//!  AttemptRecord ──▶ UPDATE deliveries (fenced: lease owner + attempt number)
//!                ──▶ INSERT attempts        when the channel touched the network
//!                ──▶ INSERT delivery_events when the delivery left its endpoint or waited
//!                ──▶ audit events for both (built here)
//! ```
//!
//! A record whose lease was lost (another worker took the delivery over) still gets its
//! attempt row, with a note, but moves nothing. Housekeeping records attempts of workers that
//! died while sending through the same path ([`recovery_record`]).

use chrono::{DateTime, Utc};
use hillpost_core::AttemptNo;
use hillpost_core::audit::{EventKind, NewEvent, Subjects};
use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::{
    AttemptOutcome, Channel, DeliveryRules, Position, SendReport, transition,
};
use hillpost_core::ids::{AttemptId, BatchId, DeliveryId, EventId, SignatureId};
use serde_json::json;

use crate::audit::{AttemptFacts, Privacy, attempt_event};
use crate::{AttemptRecord, DeliveryEventKind, StoreError};

pub(crate) const LOST_LEASE_NOTE: &str =
    "recorded after this worker lost its lease; the delivery had already been taken over";

const LOST_WORKER_NOTE: &str =
    "lease expired: the worker stopped while sending, so the letter may have been sent";

/// A delivery as it was before a record moved it: what the record's events name.
#[derive(Debug, Clone)]
pub(crate) struct Before {
    pub batch_id: BatchId,
    pub signature_id: Option<SignatureId>,
    pub channel: Channel,
    pub endpoint: String,
    pub recipient: String,
    /// The signer's commitment salt (`signatures.salt`), for a signer's own delivery.
    pub signer_salt: Option<Vec<u8>>,
}

impl Before {
    fn privacy(&self) -> Privacy {
        Privacy::of(self.signature_id, self.signer_salt.clone())
    }
}

/// What a backend did with one record.
pub(crate) struct Applied<'a> {
    pub record: &'a AttemptRecord,
    /// The worker whose lease fenced the record (a dead one, for housekeeping's records).
    pub owner: &'a str,
    pub before: Before,
    /// The lease was still the owner's, so the delivery moved as the record says.
    pub applied: bool,
    /// The attempt row written, when the record is an attempt.
    pub attempt_id: Option<AttemptId>,
    /// The delivery event written, when the record made one and was applied.
    pub event_id: Option<EventId>,
}

/// The note an attempt row is stored with: a lost lease says so.
pub(crate) fn stored_note(record: &AttemptRecord, applied: bool) -> Option<String> {
    match (applied, &record.note) {
        (true, note) => note.clone(),
        (false, Some(note)) => Some(format!("{note}; {LOST_LEASE_NOTE}")),
        (false, None) => Some(LOST_LEASE_NOTE.to_string()),
    }
}

/// The audit events of recorded attempts and events, in the order they were written:
/// per record, its attempt, then its delivery event.
pub(crate) fn audit_events(actor: &str, applied: &[Applied<'_>]) -> Vec<NewEvent> {
    let mut events = Vec::with_capacity(applied.len());
    for a in applied {
        let r = a.record;
        let privacy = a.before.privacy();
        let state_after = a.applied.then(|| r.transition.state.as_str().to_string());
        if let Some(attempt_id) = a.attempt_id {
            events.push(attempt_event(
                actor,
                AttemptFacts {
                    attempt_id,
                    delivery_id: r.delivery_id,
                    batch_id: a.before.batch_id,
                    signature_id: a.before.signature_id,
                    recipient: a.before.recipient.clone(),
                    channel: a.before.channel.as_str().to_string(),
                    endpoint: r.endpoint.clone(),
                    attempt_no: r.attempt_no,
                    worker_id: a.owner.to_string(),
                    started_at: r.started_at,
                    finished_at: r.finished_at,
                    duration_ms: i64::from(r.duration_ms()),
                    outcome: r.outcome.as_str().to_string(),
                    remote_code: r.remote_code,
                    remote_text: r.remote_text.clone(),
                    sent_sha256: r.sent_sha256.clone(),
                    receiver_id: r.receiver_id.clone(),
                    note: stored_note(r, a.applied),
                    delivery_state: state_after.clone(),
                    privacy: privacy.clone(),
                },
            ));
        }
        if let (Some(event_id), Some(event)) = (a.event_id, r.event()) {
            events.push(delivery_event(
                actor,
                DeliveryEventFacts {
                    event_id,
                    kind: event.kind,
                    delivery_id: r.delivery_id,
                    batch_id: a.before.batch_id,
                    signature_id: a.before.signature_id,
                    recipient: &a.before.recipient,
                    attempt_no: r.transition.spends_budget.then_some(r.attempt_no),
                    from: Some((a.before.channel, a.before.endpoint.as_str())),
                    to: event.to.map(|e| (e.channel, e.address.as_str())),
                    reason: event.reason,
                    state_after: state_after.as_deref(),
                    privacy: &privacy,
                },
            ));
        }
    }
    events
}

/// What a `delivery.*` audit event says.
pub(crate) struct DeliveryEventFacts<'a> {
    pub event_id: EventId,
    pub kind: DeliveryEventKind,
    pub delivery_id: DeliveryId,
    pub batch_id: BatchId,
    pub signature_id: Option<SignatureId>,
    pub recipient: &'a str,
    pub attempt_no: Option<AttemptNo>,
    pub from: Option<(Channel, &'a str)>,
    pub to: Option<(Channel, &'a str)>,
    pub reason: &'a str,
    pub state_after: Option<&'a str>,
    /// A reason may quote the receiver's answer, so a signer's is committed to.
    pub privacy: &'a Privacy,
}

pub(crate) fn delivery_event(actor: &str, f: DeliveryEventFacts<'_>) -> NewEvent {
    let kind = match f.kind {
        DeliveryEventKind::Route => EventKind::DeliveryRouted,
        DeliveryEventKind::Deferred => EventKind::DeliveryDeferred,
        DeliveryEventKind::Confirmed => EventKind::DeliveryConfirmed,
        DeliveryEventKind::Resent => EventKind::DeliveryResent,
        DeliveryEventKind::Replanned => EventKind::DeliveryReplanned,
        DeliveryEventKind::Bounced => EventKind::DeliveryBounced,
    };
    let endpoint = |e: Option<(Channel, &str)>| {
        e.map(|(channel, address)| json!({ "channel": channel.as_str(), "endpoint": address }))
    };
    let mut payload = json!({
        "event_id": f.event_id,
        "recipient": f.recipient,
        "signer_id": f.signature_id,
        "attempt_no": f.attempt_no,
        "from": endpoint(f.from),
        "to": endpoint(f.to),
        "delivery_state": f.state_after,
    });
    f.privacy.put(&mut payload, "reason", Some(f.reason));
    NewEvent {
        kind,
        actor: actor.to_string(),
        subjects: Subjects {
            campaign_id: None,
            batch_id: Some(f.batch_id),
            delivery_id: Some(f.delivery_id),
            attempt_id: None,
        },
        payload,
    }
}

/// A delivery whose lease expired while it was marked `sending`: its worker died (or stalled)
/// with the letter possibly on the wire.
#[derive(Debug, Clone)]
pub(crate) struct Expired {
    pub delivery_id: DeliveryId,
    pub owner: String,
    pub attempt_no: AttemptNo,
    pub max_attempts: u32,
    pub channel: Channel,
    pub endpoint: String,
    pub possibly_accepted: bool,
    pub sending_since: DateTime<Utc>,
    pub endpoints_json: String,
}

/// The record housekeeping makes for an expired delivery: a `possibly_accepted` attempt and
/// the transition core decides for it (retried where the channel may resend, else
/// `unconfirmed`).
pub(crate) fn recovery_record(
    expired: &Expired,
    now: DateTime<Utc>,
    rules: &DeliveryRules,
) -> Result<AttemptRecord, StoreError> {
    let endpoints = parse_endpoints(&expired.endpoints_json)?;
    let report = SendReport {
        outcome: AttemptOutcome::PossiblyAccepted,
        started_at: expired.sending_since,
        finished_at: now.max(expired.sending_since),
        remote_code: None,
        remote_text: None,
        sent_sha256: None,
        retry_after: None,
        note: Some(LOST_WORKER_NOTE.to_string()),
        evidence: Vec::new(),
        touched_network: true,
        receiver_id: None,
    };
    let at = Position {
        channel: expired.channel,
        endpoint: &expired.endpoint,
        endpoints: &endpoints,
        attempt_no: expired.attempt_no,
        max_attempts: expired.max_attempts,
        possibly_accepted: expired.possibly_accepted,
    };
    let transition = transition(&at, &report, rules, rand::random::<f64>());
    Ok(AttemptRecord {
        delivery_id: expired.delivery_id,
        attempt_no: expired.attempt_no,
        started_at: report.started_at,
        finished_at: report.finished_at,
        outcome: report.outcome,
        endpoint: expired.endpoint.clone(),
        remote_code: None,
        remote_text: None,
        sent_sha256: None,
        receiver_id: None,
        note: report.note,
        transition,
    })
}

/// The JSON kept in `recipients.endpoints`.
pub(crate) fn endpoints_json(endpoints: &[Endpoint]) -> String {
    serde_json::to_string(endpoints).unwrap_or_else(|_| "[]".into())
}

/// The JSON kept in `recipients.passed_over`.
pub(crate) fn passed_over_json(reasons: &[String]) -> String {
    serde_json::to_string(reasons).unwrap_or_else(|_| "[]".into())
}

/// `recipients.endpoints` read back. A recipient stored before endpoints were kept has `[]`:
/// nothing to move on to.
pub(crate) fn parse_endpoints(json: &str) -> Result<Vec<Endpoint>, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::corrupt(format!("a recipient's endpoints: {e}")))
}
