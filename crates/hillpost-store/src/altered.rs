//! Part of `audit verify`: every attempt row's receiver answer and note are held to its
//! `attempt.recorded` event, which holds them in clear (an office's petition letter, events
//! written before migration 0018) or as a salted commitment (a signer's own letter, checked
//! with the signer's salt). A row changed after it was recorded is reported by id. A signer
//! who was erased has neither text nor salt left: nothing to check, nothing reported.

use std::fmt;

use hillpost_core::audit::{SignerSalt, still_as_recorded};

use crate::StoreError;

/// Every attempt with its event and its signer's salt, in attempt order; the same text on
/// both backends.
pub(crate) const ATTEMPTS_WITH_EVENTS: &str =
    "SELECT a.id, a.remote_text, a.note, d.signature_id, s.salt, e.seq, e.payload
   FROM attempts a
   JOIN deliveries d ON d.id = a.delivery_id
   LEFT JOIN signatures s ON s.id = d.signature_id
   JOIN audit_events e ON e.attempt_id = a.id AND e.kind = 'attempt.recorded'
  ORDER BY a.id";

/// How many altered rows a report names; the count goes on.
const NAMED: usize = 20;

/// An attempt row whose text is not what its audit event recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlteredAttempt {
    pub attempt_id: i64,
    pub event_seq: i64,
    /// `remote_text` or `note`.
    pub field: &'static str,
}

impl fmt::Display for AlteredAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "attempt {}: its {} is not what audit event {} recorded: the row was changed",
            self.attempt_id, self.field, self.event_seq
        )
    }
}

/// One attempt row as [`ATTEMPTS_WITH_EVENTS`] reads it.
pub(crate) struct AttemptText {
    pub attempt_id: i64,
    pub remote_text: Option<String>,
    pub note: Option<String>,
    pub signature_id: Option<i64>,
    pub salt: Option<Vec<u8>>,
    pub event_seq: i64,
    pub payload: String,
}

/// Collects the altered rows as the backend streams them.
#[derive(Default)]
pub(crate) struct AlteredCheck {
    named: Vec<AlteredAttempt>,
    count: usize,
}

impl AlteredCheck {
    pub(crate) fn row(&mut self, row: AttemptText) -> Result<(), StoreError> {
        let salt = SignerSalt::from_stored(row.salt);
        if row.signature_id.is_some() && salt.is_none() {
            return Ok(());
        }
        let payload: serde_json::Value = serde_json::from_str(&row.payload)
            .map_err(|e| StoreError::corrupt(format!("audit event {}: {e}", row.event_seq)))?;
        for (field, text) in [("remote_text", &row.remote_text), ("note", &row.note)] {
            if still_as_recorded(&payload, salt.as_ref(), field, text.as_deref()) == Some(false) {
                self.count += 1;
                if self.named.len() < NAMED {
                    self.named.push(AlteredAttempt {
                        attempt_id: row.attempt_id,
                        event_seq: row.event_seq,
                        field,
                    });
                }
            }
        }
        Ok(())
    }

    /// The first [`NAMED`] altered rows, and how many there were in all.
    pub(crate) fn finish(self) -> (Vec<AlteredAttempt>, usize) {
        (self.named, self.count)
    }
}
