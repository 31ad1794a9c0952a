//! What an audit event says, before and after it takes its place in the chain.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::canonical::canonical_json;

/// What happened. The text form is what is stored and hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A signature file's rows became visible in a campaign.
    ImportCommitted,
    /// A batch and its deliveries were enqueued.
    BatchCreated,
    /// A scheduled batch's start time came (housekeeping).
    BatchStarted,
    BatchPaused,
    BatchResumed,
    BatchCancelled,
    /// A running batch has nothing left to do (housekeeping).
    BatchCompleted,
    /// One attempt of one delivery ended (by a worker, or by housekeeping for a lost worker).
    AttemptRecorded,
    /// A signer's receipt was enqueued (housekeeping); its attempts are `attempt.recorded`.
    ReceiptEnqueued,
    /// A delivery left an endpoint: for the recipient's next one, or with none left.
    DeliveryRouted,
    /// A delivery waited without an attempt (a gateway's maintenance window).
    DeliveryDeferred,
    /// A person said an `unconfirmed` delivery arrived.
    DeliveryConfirmed,
    /// A person had a delivery sent again.
    DeliveryResent,
    /// `batch retry` planned a delivery again on the current directory.
    DeliveryReplanned,
    /// `batch retry` reopened a batch's failed or unconfirmed letters.
    BatchRetried,
    /// A delivered letter's bounce moved it to the next endpoint, or ended it `bounced`.
    DeliveryBounced,
    /// A bounce, delay notice or auto-reply came back for a delivery, or a message to the
    /// bounce address was set aside.
    NoticeReceived,
    /// A signer's personal data was erased (the event names the signature by id only).
    SignerErased,
}

impl EventKind {
    pub const ALL: &'static [EventKind] = &[
        EventKind::ImportCommitted,
        EventKind::BatchCreated,
        EventKind::BatchStarted,
        EventKind::BatchPaused,
        EventKind::BatchResumed,
        EventKind::BatchCancelled,
        EventKind::BatchCompleted,
        EventKind::AttemptRecorded,
        EventKind::ReceiptEnqueued,
        EventKind::DeliveryRouted,
        EventKind::DeliveryDeferred,
        EventKind::DeliveryConfirmed,
        EventKind::DeliveryResent,
        EventKind::DeliveryReplanned,
        EventKind::BatchRetried,
        EventKind::DeliveryBounced,
        EventKind::NoticeReceived,
        EventKind::SignerErased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ImportCommitted => "import.committed",
            EventKind::BatchCreated => "batch.created",
            EventKind::BatchStarted => "batch.started",
            EventKind::BatchPaused => "batch.paused",
            EventKind::BatchResumed => "batch.resumed",
            EventKind::BatchCancelled => "batch.cancelled",
            EventKind::BatchCompleted => "batch.completed",
            EventKind::AttemptRecorded => "attempt.recorded",
            EventKind::ReceiptEnqueued => "receipt.enqueued",
            EventKind::DeliveryRouted => "delivery.routed",
            EventKind::DeliveryDeferred => "delivery.deferred",
            EventKind::DeliveryConfirmed => "delivery.confirmed",
            EventKind::DeliveryResent => "delivery.resent",
            EventKind::DeliveryReplanned => "delivery.replanned",
            EventKind::BatchRetried => "batch.retried",
            EventKind::DeliveryBounced => "delivery.bounced",
            EventKind::NoticeReceived => "notice.received",
            EventKind::SignerErased => "signer.erased",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        EventKind::ALL
            .iter()
            .find(|k| k.as_str() == s)
            .copied()
            .ok_or_else(|| format!("`{s}` is not an audit event kind"))
    }
}

/// The records an event is about, stored in columns of their own so events can be found
/// by them. Each is part of the hashed event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subjects {
    pub campaign_id: Option<String>,
    pub batch_id: Option<i64>,
    pub delivery_id: Option<i64>,
    pub attempt_id: Option<i64>,
}

/// An event before it has a place in the chain. `actor` says who acted: `cli:<user>`,
/// `worker:<id>`, `housekeeping`, later `api:<token name>`. Payloads carry ids, never a
/// signer's name, email or address.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub actor: String,
    pub subjects: Subjects,
    pub payload: Value,
}

/// An event as stored: its place (`seq`, from 1 with no gaps), its time, the previous
/// event's hash and its own. `kind` and `payload` are kept as the stored text so that
/// verifying hashes exactly what is in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEvent {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: String,
    pub subjects: Subjects,
    /// Canonical JSON text.
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Event times are kept to the millisecond: both databases store that exactly, so the
/// hashed text reads back the same.
pub fn audit_time(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// A time as it appears in hashed text: RFC 3339, UTC, milliseconds (`2026-11-23T09:10:11.123Z`).
pub fn time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The canonical text of a whole event, the part after `prev_hash` in its hash.
pub fn canonical_event(
    seq: i64,
    at: DateTime<Utc>,
    kind: &str,
    actor: &str,
    subjects: &Subjects,
    payload: &Value,
) -> String {
    canonical_json(&json!({
        "seq": seq,
        "at": time_text(at),
        "kind": kind,
        "actor": actor,
        "campaign_id": subjects.campaign_id,
        "batch_id": subjects.batch_id,
        "delivery_id": subjects.delivery_id,
        "attempt_id": subjects.attempt_id,
        "payload": payload,
    }))
}
