//! Part of `audit verify`: every attempt row's receiver answer and note are held to its
//! `attempt.recorded` event, which holds them in clear (an office's petition letter, events
//! written before migration 0018) or as a salted commitment (a signer's own letter, checked
//! with the signer's salt). A row changed after it was recorded is reported by id. A signer
//! who was erased has neither text nor salt left: nothing to check, nothing reported.

use hillpost_core::ids::{AttemptId, SignatureId};
use std::fmt;

use hillpost_core::audit::{SignerSalt, still_as_recorded};

use crate::StoreError;
use crate::logic::sql::{Arg, Columns, Run};

/// A page of `attempt.recorded` events after seq `$1` (`$2` of them at most), each with its
/// attempt row and the signer's salt. Driven by the chain's own order, so every lookup is
/// by primary key; the same text on both backends.
const ATTEMPTS_WITH_EVENTS: &str =
    "SELECT e.seq, e.payload, a.id, a.remote_text, a.note, d.signature_id, s.salt
   FROM audit_events e
   JOIN attempts a ON a.id = e.attempt_id
   JOIN deliveries d ON d.id = a.delivery_id
   LEFT JOIN signatures s ON s.id = d.signature_id
  WHERE e.seq > $1 AND e.kind = 'attempt.recorded'
  ORDER BY e.seq LIMIT $2";

/// Events read per page: memory stays bounded however long the record.
const PAGE: i64 = 2_000;

/// How many altered rows a report names; the count goes on.
const NAMED: usize = 20;

/// An attempt row whose text is not what its audit event recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlteredAttempt {
    pub attempt_id: AttemptId,
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

/// Holds every attempt row to its event, a page at a time, on the connection (a
/// transaction: the same snapshot as the chain it follows).
pub(crate) async fn altered_attempts(
    conn: &mut impl Run,
) -> Result<(Vec<AlteredAttempt>, usize), StoreError> {
    let mut check = AlteredCheck::default();
    let mut after = 0;
    loop {
        let rows = conn
            .rows(ATTEMPTS_WITH_EVENTS, &[Arg::Int(after), Arg::Int(PAGE)])
            .await?;
        for row in &rows {
            after = row.int("seq")?;
            check.row(AttemptText {
                attempt_id: row.int("id")?.into(),
                remote_text: row.opt_text("remote_text")?,
                note: row.opt_text("note")?,
                signature_id: row.opt_int("signature_id")?.map(Into::into),
                salt: row.opt_bytes("salt")?,
                event_seq: after,
                payload: row.text("payload")?,
            })?;
        }
        if rows.len() < PAGE as usize {
            return Ok(check.finish());
        }
    }
}

/// One attempt row as [`ATTEMPTS_WITH_EVENTS`] reads it.
struct AttemptText {
    attempt_id: AttemptId,
    remote_text: Option<String>,
    note: Option<String>,
    signature_id: Option<SignatureId>,
    salt: Option<Vec<u8>>,
    event_seq: i64,
    payload: String,
}

/// Collects the altered rows as the backend streams them.
#[derive(Default)]
struct AlteredCheck {
    named: Vec<AlteredAttempt>,
    count: usize,
}

impl AlteredCheck {
    fn row(&mut self, row: AttemptText) -> Result<(), StoreError> {
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
    fn finish(self) -> (Vec<AlteredAttempt>, usize) {
        (self.named, self.count)
    }
}
