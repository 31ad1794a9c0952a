//! Sealing events into the chain, and checking a stored chain.
//!
//! ```text
//!  head (seq 0, GENESIS) ─▶ event 1 ─▶ event 2 ─▶ … ─▶ event n ◀─ head (seq n, hash n)
//!  hash_k = hex(SHA-256( hash_{k-1} as 64 ASCII hex digits ‖ canonical_event_k as UTF-8 ))
//! ```
//!
//! The store keeps a one-row head (the last seq and hash) next to the events, so removing
//! events from the end is detected as well as changing or removing one in the middle.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::canonical::canonical_json;
use super::event::{ChainedEvent, NewEvent, audit_time, canonical_event_text};

/// The `prev_hash` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Where the chain ends: the last event's seq and hash (seq 0 and [`GENESIS`] when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

impl ChainHead {
    pub fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }
}

/// `hex(SHA-256(prev_hash ‖ canonical))`.
pub fn event_hash(prev_hash: &str, canonical: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical.as_bytes());
    hex::encode(hasher.finalize())
}

/// Gives `events` the places after `head`, all at time `at`; returns them with the new head.
/// Called with the chain head locked, so no other writer can take the same places.
pub fn seal(
    head: &ChainHead,
    at: DateTime<Utc>,
    events: Vec<NewEvent>,
) -> (Vec<ChainedEvent>, ChainHead) {
    let at = audit_time(at);
    let mut prev = head.clone();
    let mut sealed = Vec::with_capacity(events.len());
    for event in events {
        let seq = prev.seq + 1;
        let kind = event.kind.as_str();
        let payload = canonical_json(&event.payload);
        let canonical =
            canonical_event_text(seq, at, kind, &event.actor, &event.subjects, &payload);
        let hash = event_hash(&prev.hash, &canonical);
        sealed.push(ChainedEvent {
            seq,
            at,
            kind: kind.to_string(),
            actor: event.actor,
            subjects: event.subjects,
            payload,
            prev_hash: prev.hash,
            hash: hash.clone(),
        });
        prev = ChainHead { seq, hash };
    }
    (sealed, prev)
}

/// An event with everything decided but its place: the canonical text is
/// `canonical_prefix ‖ seq ‖ CANONICAL_SUFFIX` (`seq` is the last key in sorted order), so
/// a store can give it its place and hash where the head is locked, in one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsealedEvent {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor: String,
    pub subjects: super::Subjects,
    /// Canonical JSON text.
    pub payload: String,
    pub canonical_prefix: String,
}

/// What follows the seq in an event's canonical text.
pub const CANONICAL_SUFFIX: &str = "}";

/// Prepares `events` for sealing at time `at` without knowing the head (see
/// [`UnsealedEvent`]). Sealing them from a head gives what [`seal`] gives.
pub fn unsealed(at: DateTime<Utc>, events: Vec<NewEvent>) -> Vec<UnsealedEvent> {
    let at = audit_time(at);
    events
        .into_iter()
        .map(|event| {
            let kind = event.kind.as_str();
            // The payload is made canonical once, for its column and inside the event text.
            let payload = canonical_json(&event.payload);
            let mut whole =
                canonical_event_text(0, at, kind, &event.actor, &event.subjects, &payload);
            let tail = format!("0{CANONICAL_SUFFIX}");
            debug_assert!(whole.ends_with(&format!("\"seq\":{tail}")));
            whole.truncate(whole.len() - tail.len());
            UnsealedEvent {
                at,
                kind: kind.to_string(),
                actor: event.actor,
                subjects: event.subjects,
                payload,
                canonical_prefix: whole,
            }
        })
        .collect()
}

/// The first place where a stored chain stops being what was appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The seq of the first event that does not check out (or, for a shortened chain, the
    /// first seq that is missing).
    pub seq: i64,
    pub problem: String,
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "audit event {}: {}", self.seq, self.problem)
    }
}

/// A head the chain must pass through, known from outside the chain's own tables (a signed
/// checkpoint); `from` says which, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub head: ChainHead,
    pub from: String,
}

/// Checks stored events fed in seq order, one at a time (so a long chain is checked in
/// constant memory), then the head, and that the chain passes through every anchor.
#[derive(Debug)]
pub struct Verifier {
    last: ChainHead,
    /// By seq, in order.
    anchors: std::collections::BTreeMap<i64, Vec<Anchor>>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self {
            last: ChainHead::genesis(),
            anchors: Default::default(),
        }
    }
}

impl Verifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// A verifier for the events after `head` (known good, e.g. a checkpoint's).
    pub fn after(head: ChainHead) -> Self {
        Self {
            last: head,
            anchors: Default::default(),
        }
    }

    /// A verifier that also requires the chain to reach every anchor with its hash.
    pub fn with_anchors(anchors: impl IntoIterator<Item = Anchor>) -> Self {
        let mut verifier = Self::default();
        for anchor in anchors {
            verifier
                .anchors
                .entry(anchor.head.seq)
                .or_default()
                .push(anchor);
        }
        verifier
    }

    /// The next stored event, in seq order.
    pub fn check(&mut self, event: &ChainedEvent) -> Result<(), BrokenLink> {
        let expected = self.last.seq + 1;
        let broken = |problem: String| BrokenLink {
            seq: expected.min(event.seq),
            problem,
        };
        if event.seq != expected {
            return Err(broken(format!(
                "missing: after seq {} the next stored event is seq {} (events were deleted or renumbered)",
                self.last.seq, event.seq
            )));
        }
        if event.prev_hash != self.last.hash {
            return Err(broken(format!(
                "prev_hash is {} but event {} has hash {}",
                event.prev_hash, self.last.seq, self.last.hash
            )));
        }
        let payload: Value = serde_json::from_str(&event.payload)
            .map_err(|e| broken(format!("payload is not JSON ({e})")))?;
        if canonical_json(&payload) != event.payload {
            return Err(broken(
                "payload is not in canonical form (it was edited)".into(),
            ));
        }
        // The stored payload is canonical (checked above): hashed as it is.
        let canonical = canonical_event_text(
            event.seq,
            event.at,
            &event.kind,
            &event.actor,
            &event.subjects,
            &event.payload,
        );
        let recomputed = event_hash(&event.prev_hash, &canonical);
        if recomputed != event.hash {
            return Err(broken(format!(
                "stored hash {} but its content hashes to {}: the event's content or hash was changed",
                event.hash, recomputed
            )));
        }
        if let Some(anchor) = self
            .anchors
            .get(&event.seq)
            .and_then(|anchors| anchors.iter().find(|a| a.head.hash != event.hash))
        {
            return Err(broken(format!(
                "hash {} but {} says {}: the chain was rewritten at or before this event",
                event.hash, anchor.from, anchor.head.hash
            )));
        }
        self.last = ChainHead {
            seq: event.seq,
            hash: event.hash.clone(),
        };
        Ok(())
    }

    /// After the last event: every anchor must have been reached (checked first, as a head
    /// row can be moved back to hide a cut), and the stored head must name the last event.
    /// Returns where the chain ends.
    pub fn finish(self, head: &ChainHead) -> Result<ChainHead, BrokenLink> {
        if let Some((&seq, anchors)) = self.anchors.range(self.last.seq + 1..).next_back() {
            return Err(BrokenLink {
                seq: self.last.seq + 1,
                problem: format!(
                    "missing: the chain ends at seq {} but {} covers seq {seq} \
                     (events {} to {seq} were deleted)",
                    self.last.seq,
                    anchors[0].from,
                    self.last.seq + 1
                ),
            });
        }
        if head.seq != self.last.seq {
            return Err(BrokenLink {
                seq: self.last.seq + 1,
                problem: format!(
                    "missing: the chain ends at seq {} but its head says seq {} (events at the end were deleted)",
                    self.last.seq, head.seq
                ),
            });
        }
        if head.hash != self.last.hash {
            return Err(BrokenLink {
                seq: self.last.seq,
                problem: format!(
                    "the head's hash {} is not the last event's hash {}",
                    head.hash, self.last.hash
                ),
            });
        }
        Ok(self.last)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::audit::{EventKind, Subjects};

    type Edit = Box<dyn Fn(&mut ChainedEvent)>;

    fn events(n: i64) -> Vec<NewEvent> {
        (0..n)
            .map(|i| NewEvent {
                kind: EventKind::AttemptRecorded,
                actor: "worker:w1".into(),
                subjects: Subjects {
                    batch_id: Some(crate::ids::BatchId::new(7)),
                    delivery_id: Some(i.into()),
                    ..Subjects::default()
                },
                payload: json!({"outcome": "ok", "n": i}),
            })
            .collect()
    }

    fn chain(n: i64) -> (Vec<ChainedEvent>, ChainHead) {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        seal(&ChainHead::genesis(), at, events(n))
    }

    fn verify(events: &[ChainedEvent], head: &ChainHead) -> Result<ChainHead, BrokenLink> {
        let mut verifier = Verifier::new();
        for e in events {
            verifier.check(e)?;
        }
        verifier.finish(head)
    }

    #[test]
    fn the_hash_is_sha256_of_the_previous_hash_then_the_canonical_event() {
        let (sealed, head) = chain(1);
        let e = &sealed[0];
        assert_eq!(e.prev_hash, GENESIS);
        let text = r#"{"actor":"worker:w1","at":"2026-11-23T09:00:00.000Z","attempt_id":null,"batch_id":7,"campaign_id":null,"delivery_id":0,"kind":"attempt.recorded","payload":{"n":0,"outcome":"ok"},"seq":1}"#;
        let expected = hex::encode(Sha256::digest(format!("{GENESIS}{text}").as_bytes()));
        assert_eq!(e.hash, expected);
        assert_eq!(e.payload, r#"{"n":0,"outcome":"ok"}"#);
        assert_eq!(
            head,
            ChainHead {
                seq: 1,
                hash: expected
            }
        );
    }

    #[test]
    fn unsealed_events_hash_as_sealed_ones_do() {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let (sealed, _) = seal(
            &ChainHead {
                seq: 41,
                hash: GENESIS.into(),
            },
            at,
            events(3),
        );
        let mut prev = GENESIS.to_string();
        for (i, (event, sealed)) in unsealed(at, events(3)).iter().zip(&sealed).enumerate() {
            let seq = 42 + i as i64;
            let text = format!("{}{seq}{CANONICAL_SUFFIX}", event.canonical_prefix);
            assert_eq!(event_hash(&prev, &text), sealed.hash);
            assert_eq!(event.payload, sealed.payload);
            assert_eq!(event.at, sealed.at);
            prev = sealed.hash.clone();
        }
    }

    #[test]
    fn sealing_continues_from_the_head() {
        let (first, head) = chain(2);
        let (more, head) = seal(&head, Utc::now(), events(2));
        assert_eq!(more[0].seq, 3);
        assert_eq!(more[0].prev_hash, first[1].hash);
        let all: Vec<_> = first.into_iter().chain(more).collect();
        assert_eq!(verify(&all, &head).unwrap().seq, 4);
    }

    #[test]
    fn any_change_is_found_at_the_event_changed() {
        let (sealed, head) = chain(5);
        let edits: Vec<Edit> = vec![
            Box::new(|e| e.payload = r#"{"n":2,"outcome":"permanent"}"#.into()),
            Box::new(|e| e.payload = r#"{"outcome":"ok", "n":2}"#.into()),
            Box::new(|e| e.actor = "worker:w2".into()),
            Box::new(|e| e.kind = "batch.created".into()),
            Box::new(|e| e.at += chrono::Duration::milliseconds(1)),
            Box::new(|e| e.subjects.delivery_id = Some(crate::ids::DeliveryId::new(99))),
            Box::new(|e| e.hash = GENESIS.into()),
            Box::new(|e| e.prev_hash = GENESIS.into()),
        ];
        for edit in edits {
            let mut tampered = sealed.clone();
            edit(&mut tampered[2]);
            let broken = verify(&tampered, &head).unwrap_err();
            assert_eq!(broken.seq, 3, "{broken}");
        }
    }

    #[test]
    fn deleted_events_are_found_in_the_middle_and_at_the_end() {
        let (mut sealed, head) = chain(5);
        let mut middle = sealed.clone();
        middle.remove(1);
        let broken = verify(&middle, &head).unwrap_err();
        assert_eq!(broken.seq, 2);
        assert!(broken.problem.starts_with("missing"), "{broken}");

        sealed.pop();
        let broken = verify(&sealed, &head).unwrap_err();
        assert_eq!(broken.seq, 5);
        assert!(broken.problem.contains("deleted"), "{broken}");
    }

    fn anchored(
        events: &[ChainedEvent],
        head: &ChainHead,
        anchor: &ChainHead,
    ) -> Result<ChainHead, BrokenLink> {
        let mut verifier = Verifier::with_anchors([Anchor {
            head: anchor.clone(),
            from: "checkpoint x".into(),
        }]);
        for e in events {
            verifier.check(e)?;
        }
        verifier.finish(head)
    }

    #[test]
    fn a_cut_tail_with_a_moved_head_is_found_by_an_anchor() {
        let (sealed, head) = chain(5);
        assert!(anchored(&sealed, &head, &head).is_ok());
        // The tail cut and the head moved back to the last event left: intact on its own.
        let cut = &sealed[..3];
        let moved = ChainHead {
            seq: 3,
            hash: cut[2].hash.clone(),
        };
        assert!(verify(cut, &moved).is_ok());
        let broken = anchored(cut, &moved, &head).unwrap_err();
        assert_eq!(broken.seq, 4);
        assert!(broken.problem.contains("covers seq 5"), "{broken}");
        assert!(broken.problem.contains("checkpoint x"), "{broken}");
        // Everything deleted, the head set to genesis.
        let broken = anchored(&[], &ChainHead::genesis(), &head).unwrap_err();
        assert_eq!(broken.seq, 1);
    }

    #[test]
    fn a_rewritten_chain_is_found_at_the_anchor_it_disagrees_with() {
        let (sealed, _) = chain(5);
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 1).unwrap();
        let (rewritten, new_head) = seal(&ChainHead::genesis(), at, events(5));
        assert!(verify(&rewritten, &new_head).is_ok());
        let anchor = ChainHead {
            seq: 3,
            hash: sealed[2].hash.clone(),
        };
        let broken = anchored(&rewritten, &new_head, &anchor).unwrap_err();
        assert_eq!(broken.seq, 3);
        assert!(broken.problem.contains("rewritten"), "{broken}");
    }
}
