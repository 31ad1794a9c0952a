//! Signed checkpoints and the cross-check of the other tables, common to both backends.
//!
//! Housekeeping signs the chain's head at most once per interval while events are appended,
//! and only after checking that the events since the previous checkpoint link to it: a
//! checkpoint never blesses a chain that was already cut or rewritten.
//!
//! The cross-check needs no checkpoint: every batch, attempt and delivery event row is
//! written in one transaction with its audit event, so a row without its event means events
//! were deleted (or the row was added behind the store's back).

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hillpost_core::audit::{Anchor, BrokenLink, CHECKPOINT_TYPE, ChainHead, Checkpoint, time_text};

/// What one call to write a checkpoint did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointWrite {
    /// No event since the last checkpoint, or the last one is younger than the interval.
    NotDue,
    Written(Checkpoint),
    /// The events since the last checkpoint do not link to it: nothing was signed.
    Broken(BrokenLink),
}

/// Rows of one table that have no audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unrecorded {
    /// `batches`, `attempts` or `delivery_events`.
    pub table: &'static str,
    /// The event each row should have.
    pub event: &'static str,
    pub count: i64,
    /// The smallest such row id.
    pub first_id: i64,
}

impl fmt::Display for Unrecorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} row(s) of {} have no {} audit event (the first: id {}): audit events were deleted",
            self.count, self.table, self.event, self.first_id
        )
    }
}

/// The tables the cross-check covers, and the event each row must have, in the order the
/// backends' queries return them.
pub(crate) const CROSS_CHECKED: [(&str, &str); 3] = [
    ("batches", "batch.created"),
    ("attempts", "attempt.recorded"),
    ("delivery_events", "delivery.*"),
];

/// The per-table `(count, first id)` the backends' queries found, as a report.
pub(crate) fn unrecorded(found: [(i64, i64); 3]) -> Vec<Unrecorded> {
    CROSS_CHECKED
        .iter()
        .zip(found)
        .filter(|(_, (count, _))| *count > 0)
        .map(|(&(table, event), (count, first_id))| Unrecorded {
            table,
            event,
            count,
            first_id,
        })
        .collect()
}

/// Whether a checkpoint is due: events were appended since the last one (or there is none
/// yet and the chain has any), and the last is at least `interval` old.
/// Whether the chain still holds the last checkpoint's event as it was signed: `stored` is
/// the hash the chain holds at `from.seq` (none when the event is gone). Checked before
/// the events after it, so a checkpoint is never signed over a cut or edited chain.
pub(crate) fn still_holds(from: &ChainHead, stored: Option<&str>) -> Option<BrokenLink> {
    (from.seq > 0 && stored != Some(from.hash.as_str())).then(|| BrokenLink {
        seq: from.seq,
        problem: format!(
            "the last checkpoint says hash {} but the chain holds {}",
            from.hash,
            stored.unwrap_or("no event")
        ),
    })
}

pub(crate) fn due(
    last: Option<&Checkpoint>,
    head: &ChainHead,
    now: DateTime<Utc>,
    interval: Duration,
) -> bool {
    match last {
        None => head.seq > 0,
        Some(last) => {
            let age = now.signed_duration_since(last.at);
            head.seq > last.seq && age.to_std().is_ok_and(|age| age >= interval)
        }
    }
}

/// A stored checkpoint row, as a checkpoint.
pub(crate) fn from_row(
    seq: i64,
    hash: String,
    at: DateTime<Utc>,
    key_id: String,
    signature: String,
) -> Checkpoint {
    Checkpoint {
        kind: CHECKPOINT_TYPE.into(),
        seq,
        hash,
        count: seq,
        at,
        key_id,
        signature,
    }
}

/// A stored checkpoint as an anchor `audit verify` holds the chain to.
pub(crate) fn stored_anchor(checkpoint: &Checkpoint) -> Anchor {
    Anchor {
        head: checkpoint.head(),
        from: format!("the stored checkpoint of {}", time_text(checkpoint.at)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_checkpoint_is_due_once_an_interval_after_the_last_and_only_after_new_events() {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let last = from_row(5, "h".into(), at, "k".into(), "s".into());
        let head = |seq| ChainHead {
            seq,
            hash: "x".into(),
        };
        let minute = Duration::from_secs(60);
        assert!(!due(None, &head(0), at, minute));
        assert!(due(None, &head(1), at, minute));
        assert!(!due(
            Some(&last),
            &head(6),
            at + chrono::Duration::seconds(59),
            minute
        ));
        assert!(due(
            Some(&last),
            &head(6),
            at + chrono::Duration::seconds(60),
            minute
        ));
        assert!(!due(
            Some(&last),
            &head(5),
            at + chrono::Duration::hours(1),
            minute
        ));
    }

    #[test]
    fn only_tables_with_unrecorded_rows_are_reported() {
        let report = unrecorded([(0, 0), (3, 17), (0, 0)]);
        assert_eq!(report.len(), 1);
        assert_eq!(report[0].table, "attempts");
        assert!(report[0].to_string().contains("first: id 17"));
    }
}
