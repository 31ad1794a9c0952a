//! What an audit event says, before and after it takes its place in the chain.

use crate::ids::{AttemptId, BatchId, DeliveryId};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::canonical::{canonical_json, write_string};

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
    pub batch_id: Option<BatchId>,
    pub delivery_id: Option<DeliveryId>,
    pub attempt_id: Option<AttemptId>,
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
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    // Written field by field: chrono's `format` parses its pattern on every call, and every
    // attempt a worker records stamps three times. Years outside 0..=9999 are written as
    // chrono writes them (a sign and more digits), which the pattern below would not be.
    if !(0..=9999).contains(&t.year()) {
        return chrono_time_text(t);
    }
    let mut out = String::with_capacity(24);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        // A leap second (nanoseconds past 10^9) is written as chrono writes it: `:60`.
        t.second() + t.nanosecond() / 1_000_000_000,
        t.nanosecond() % 1_000_000_000 / 1_000_000
    );
    out
}

fn chrono_time_text(t: DateTime<Utc>) -> String {
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
    canonical_event_text(seq, at, kind, actor, subjects, &canonical_json(payload))
}

/// [`canonical_event`] for a payload already in canonical form. Written key by key in their
/// sorted order rather than through a `Value`, so the payload is neither copied nor sorted
/// again: every attempt a worker records goes through here (the same text, see the tests).
pub fn canonical_event_text(
    seq: i64,
    at: DateTime<Utc>,
    kind: &str,
    actor: &str,
    subjects: &Subjects,
    canonical_payload: &str,
) -> String {
    fn number(n: Option<i64>, out: &mut String) {
        match n {
            Some(n) => out.push_str(&n.to_string()),
            None => out.push_str("null"),
        }
    }
    let mut out = String::with_capacity(canonical_payload.len() + 256);
    // Keys in the order of their UTF-8 bytes, as `canonical_json` sorts them.
    out.push_str("{\"actor\":");
    write_string(actor, &mut out);
    out.push_str(",\"at\":");
    write_string(&time_text(at), &mut out);
    out.push_str(",\"attempt_id\":");
    number(subjects.attempt_id.map(AttemptId::get), &mut out);
    out.push_str(",\"batch_id\":");
    number(subjects.batch_id.map(BatchId::get), &mut out);
    out.push_str(",\"campaign_id\":");
    match &subjects.campaign_id {
        Some(id) => write_string(id, &mut out),
        None => out.push_str("null"),
    }
    out.push_str(",\"delivery_id\":");
    number(subjects.delivery_id.map(DeliveryId::get), &mut out);
    out.push_str(",\"kind\":");
    write_string(kind, &mut out);
    out.push_str(",\"payload\":");
    out.push_str(canonical_payload);
    out.push_str(",\"seq\":");
    out.push_str(&seq.to_string());
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    /// The event as one JSON value, canonicalised whole: what `canonical_event` wrote
    /// before it was written key by key.
    fn through_a_value(
        seq: i64,
        at: DateTime<Utc>,
        kind: &str,
        actor: &str,
        s: &Subjects,
        payload: &Value,
    ) -> String {
        canonical_json(&json!({
            "seq": seq,
            "at": time_text(at),
            "kind": kind,
            "actor": actor,
            "campaign_id": s.campaign_id,
            "batch_id": s.batch_id,
            "delivery_id": s.delivery_id,
            "attempt_id": s.attempt_id,
            "payload": payload,
        }))
    }

    proptest::proptest! {
        #[test]
        fn times_are_written_as_chrono_writes_them(millis in -62_135_596_800_000_i64..253_402_300_799_999) {
            let t = DateTime::from_timestamp_millis(millis).unwrap();
            proptest::prop_assert_eq!(time_text(t), chrono_time_text(t));
        }
    }

    #[test]
    fn times_at_the_edges_are_written_as_chrono_writes_them() {
        let edges = [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            DateTime::UNIX_EPOCH,
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap()
                + chrono::Duration::milliseconds(999),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 12, 31, 23, 59, 59).unwrap(),
            // A leap second: nanoseconds past 10^9.
            Utc.with_ymd_and_hms(2016, 12, 31, 23, 59, 59).unwrap()
                + chrono::Duration::nanoseconds(999_999_999),
            chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_milli_opt(23, 59, 59, 1_500)
                .unwrap()
                .and_utc(),
        ];
        for t in edges {
            assert_eq!(time_text(t), chrono_time_text(t), "{t:?}");
        }
    }

    #[test]
    fn the_event_text_written_key_by_key_is_the_canonical_json_of_the_whole_event() {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 10, 11).unwrap()
            + chrono::Duration::milliseconds(7);
        let subjects = [
            Subjects::default(),
            Subjects {
                campaign_id: Some("clean-\"water\"\n\u{1}é".into()),
                batch_id: Some(crate::ids::BatchId::new(-3)),
                delivery_id: Some(i64::MAX.into()),
                attempt_id: Some(crate::ids::AttemptId::new(0)),
            },
            Subjects {
                campaign_id: None,
                batch_id: Some(crate::ids::BatchId::new(7)),
                delivery_id: Some(crate::ids::DeliveryId::new(42)),
                attempt_id: Some(i64::MIN.into()),
            },
        ];
        let payloads = [
            json!({}),
            json!({"z": [1, {"b": null, "a": true}], "a": "line\r\nbreak \\ \u{7f} ü 💌", "note": null}),
            json!({"outcome": "ok", "remote_code": 250, "duration_ms": -1}),
        ];
        for (i, s) in subjects.iter().enumerate() {
            for payload in &payloads {
                let seq = i as i64 * 1_000_000_007;
                let actor = ["worker:w1", "cli:\"root\"", ""][i];
                let direct = canonical_event(seq, at, "attempt.recorded", actor, s, payload);
                assert_eq!(
                    direct,
                    through_a_value(seq, at, "attempt.recorded", actor, s, payload)
                );
            }
        }
    }
}
