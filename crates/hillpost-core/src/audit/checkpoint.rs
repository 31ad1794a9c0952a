//! Signed checkpoints: the chain's head (seq and hash) at a time, signed with the service's
//! key, to be kept *outside* the database. A chain that no longer reaches a checkpoint's seq,
//! or has another hash there, was cut or rewritten — whatever its own head row says.
//!
//! The signed text is the canonical JSON (see [`super::canonical`]) of every field but
//! `signature`:
//!
//! ```json
//! {"at":"2026-11-23T09:10:00.000Z","count":812,"hash":"…","key_id":"…","seq":812,
//!  "type":"hillpost-audit-checkpoint"}
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::canonical::canonical_json;
use super::signing::{KeyError, KeyList, SigningKey};
use super::{ChainHead, audit_time, time_text};

/// What the `type` field of a checkpoint says.
pub const CHECKPOINT_TYPE: &str = "hillpost-audit-checkpoint";

/// A signed head of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    #[serde(rename = "type")]
    pub kind: String,
    pub seq: i64,
    pub hash: String,
    /// Events in the chain up to `seq` (seq runs from 1 without gaps, so this equals it;
    /// written out so a reader needs no knowledge of that).
    pub count: i64,
    #[serde(with = "audit_time_text")]
    pub at: DateTime<Utc>,
    pub key_id: String,
    /// Hex Ed25519 signature of the other fields' canonical JSON.
    pub signature: String,
}

/// Why a checkpoint file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("not a hillpost checkpoint: {0}")]
    Malformed(String),
    #[error("the checkpoint's signature does not check out: {0}")]
    Signature(#[from] KeyError),
}

impl Checkpoint {
    /// Signs `head` as it is at `at`.
    pub fn sign(head: &ChainHead, at: DateTime<Utc>, key: &SigningKey) -> Self {
        let mut checkpoint = Self {
            kind: CHECKPOINT_TYPE.into(),
            seq: head.seq,
            hash: head.hash.clone(),
            count: head.seq,
            at: audit_time(at),
            key_id: key.public().key_id(),
            signature: String::new(),
        };
        checkpoint.signature = key.sign(checkpoint.signed_text().as_bytes());
        checkpoint
    }

    /// The bytes the signature covers.
    pub fn signed_text(&self) -> String {
        canonical_json(&json!({
            "type": self.kind,
            "seq": self.seq,
            "hash": self.hash,
            "count": self.count,
            "at": time_text(self.at),
            "key_id": self.key_id,
        }))
    }

    /// The file's text: canonical JSON with the signature, and a final newline.
    pub fn to_json(&self) -> String {
        let mut value: Value = serde_json::from_str(&self.signed_text()).unwrap_or_default();
        value["signature"] = json!(self.signature);
        format!("{}\n", canonical_json(&value))
    }

    /// Reads a checkpoint file; checks its shape, not its signature.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let checkpoint: Self =
            serde_json::from_str(text).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
        if checkpoint.kind != CHECKPOINT_TYPE {
            return Err(CheckpointError::Malformed(format!(
                "`type` is {:?}, not {CHECKPOINT_TYPE:?}",
                checkpoint.kind
            )));
        }
        if checkpoint.seq < 0 || checkpoint.count != checkpoint.seq {
            return Err(CheckpointError::Malformed(format!(
                "`seq` {} and `count` {} do not describe a chain",
                checkpoint.seq, checkpoint.count
            )));
        }
        Ok(checkpoint)
    }

    /// Checks the signature against the published keys (within the key's validity).
    pub fn verify(&self, keys: &KeyList) -> Result<(), CheckpointError> {
        keys.verify(
            &self.key_id,
            self.signed_text().as_bytes(),
            &self.signature,
            self.at,
        )?;
        Ok(())
    }

    /// What a chain must hold at `seq` for this checkpoint to describe it.
    pub fn head(&self) -> ChainHead {
        ChainHead {
            seq: self.seq,
            hash: self.hash.clone(),
        }
    }
}

/// Times as the hashed and signed text writes them (`2026-11-23T09:10:11.123Z`).
mod audit_time_text {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::time_text(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| serde::de::Error::custom(format!("`at` {text:?}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::audit::GENESIS;

    fn signed() -> (Checkpoint, KeyList) {
        let key = SigningKey::from_seed([3; 32]);
        let head = ChainHead {
            seq: 42,
            hash: GENESIS.replace('0', "a"),
        };
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 10, 0).unwrap();
        (
            Checkpoint::sign(&head, at, &key),
            KeyList::single(key.public()),
        )
    }

    #[test]
    fn a_checkpoint_survives_its_file_and_verifies() {
        let (checkpoint, keys) = signed();
        let text = checkpoint.to_json();
        assert!(text.starts_with(r#"{"at":"2026-11-23T09:10:00.000Z","count":42,"hash":"aaaa"#));
        let read = Checkpoint::parse(&text).unwrap();
        assert_eq!(read, checkpoint);
        read.verify(&keys).unwrap();
    }

    #[test]
    fn any_changed_field_breaks_the_signature() {
        let (checkpoint, keys) = signed();
        let text = checkpoint.to_json();
        for (from, to) in [
            ("\"seq\":42", "\"seq\":41"),
            ("\"count\":42", "\"count\":41"),
            ("aaaa", "aaab"),
            ("09:10:00", "09:10:01"),
        ] {
            let changed = text.replacen(from, to, 1);
            let result = Checkpoint::parse(&changed).and_then(|c| c.verify(&keys));
            assert!(result.is_err(), "{from} -> {to} went unnoticed");
        }
    }

    #[test]
    fn malformed_files_are_refused_with_the_reason() {
        for text in ["", "{}", "[1]", r#"{"type":"other"}"#] {
            assert!(matches!(
                Checkpoint::parse(text),
                Err(CheckpointError::Malformed(_))
            ));
        }
    }
}
