//! The signed receipt statement (`receipt.json`): what became of a signer's letters, line by
//! line with the SHA-256 of the bytes sent and the attempt's audit event, signed with the
//! service's key so the signer can check it without trusting whoever runs hillpost.
//!
//! ```json
//! {"digests":{"statement.batch_id":"…","statement.lines[0].office":"…",…},
//!  "key_id":"…","signature":"…","signed_at":"2026-11-23T09:10:00.000Z",
//!  "statement":{"batch_id":7,"language":"en","lines":[{"at":…,"audit_hash":…,
//!   "audit_seq":…,"channel":"email","office":"…","outcome":"delivered",
//!   "sent_sha256":"…","text":"…"}],"signer_id":12,"subject":"…"},
//!  "type":"hillpost-receipt"}
//! ```
//!
//! Serialisation: the audit chain's canonical JSON ([`crate::audit::canonical_json`]:
//! sorted keys, no whitespace). The signature (Ed25519, hex) covers the canonical JSON of
//! every field but `signature`. `digests` holds, per leaf of `statement` (its path), the
//! SHA-256 of the leaf's canonical JSON: when the signature fails, the leaf whose digest no
//! longer matches names the field that was changed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::audit::{KeyError, KeyList, SigningKey, canonical_json, time_text};

pub const RECEIPT_TYPE: &str = "hillpost-receipt";

/// One letter: the receipt line's words, and what proves them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub office: String,
    pub channel: String,
    /// RFC 3339 (`2026-11-23T09:10:11.123Z`); null when nothing was attempted.
    pub at: Option<String>,
    pub outcome: String,
    pub text: String,
    /// SHA-256 of the exact bytes the last attempt sent.
    pub sent_sha256: Option<String>,
    /// The last attempt's `attempt.recorded` event.
    pub audit_seq: Option<i64>,
    pub audit_hash: Option<String>,
}

/// What a receipt says. Signers appear by id: the statement holds no name or address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub batch_id: crate::BatchId,
    pub signer_id: crate::SignatureId,
    pub language: String,
    pub subject: String,
    pub lines: Vec<StatementLine>,
}

/// Why a receipt does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("not a hillpost receipt: {0}")]
    Malformed(String),
    #[error("field `{0}` was changed: it no longer matches what was signed")]
    FieldChanged(String),
    #[error(
        "the signature does not match: `digests`, `signed_at`, `key_id` or `type` was changed, or another key signed it"
    )]
    Signature,
    #[error(transparent)]
    Key(KeyError),
}

/// A verified receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    pub statement: Statement,
    pub key_id: String,
    pub signed_at: DateTime<Utc>,
}

/// `statement` signed at `at`: the text of `receipt.json` (canonical JSON and a newline).
pub fn sign_receipt(statement: &Statement, at: DateTime<Utc>, key: &SigningKey) -> String {
    let body = serde_json::to_value(statement).unwrap_or_default();
    let mut digests = Map::new();
    leaves("statement", &body, &mut digests);
    let mut document = json!({
        "type": RECEIPT_TYPE,
        "statement": body,
        "digests": digests,
        "signed_at": time_text(crate::audit::audit_time(at)),
        "key_id": key.public().key_id(),
    });
    let signature = key.sign(canonical_json(&document).as_bytes());
    document["signature"] = json!(signature);
    format!("{}\n", canonical_json(&document))
}

/// Checks a `receipt.json` against the published keys (within the key's validity).
pub fn verify_receipt(text: &str, keys: &KeyList) -> Result<VerifiedReceipt, ReceiptError> {
    let malformed = |what: &str| ReceiptError::Malformed(what.to_string());
    let mut document: Value =
        serde_json::from_str(text).map_err(|e| ReceiptError::Malformed(e.to_string()))?;
    let object = document
        .as_object_mut()
        .ok_or_else(|| malformed("not an object"))?;
    let signature = match object.remove("signature") {
        Some(Value::String(s)) => s,
        _ => return Err(malformed("no `signature`")),
    };
    let text_of = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
    if text_of("type").as_deref() != Some(RECEIPT_TYPE) {
        return Err(malformed("`type` is not hillpost-receipt"));
    }
    let key_id = text_of("key_id").ok_or_else(|| malformed("no `key_id`"))?;
    let signed_at = text_of("signed_at")
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| malformed("no `signed_at` time"))?;
    let body = object
        .get("statement")
        .cloned()
        .ok_or_else(|| malformed("no `statement`"))?;
    let signed = canonical_json(&document);
    match keys.verify(&key_id, signed.as_bytes(), &signature, signed_at) {
        Ok(()) => {}
        Err(KeyError::Mismatch) => return Err(changed_field(&document, &body)),
        Err(other) => return Err(ReceiptError::Key(other)),
    }
    let statement: Statement = serde_json::from_value(body)
        .map_err(|e| ReceiptError::Malformed(format!("`statement`: {e}")))?;
    Ok(VerifiedReceipt {
        statement,
        key_id,
        signed_at,
    })
}

/// After a signature mismatch: the first field whose value no longer has its digest.
fn changed_field(document: &Value, body: &Value) -> ReceiptError {
    let Some(signed) = document.get("digests").and_then(Value::as_object) else {
        return ReceiptError::Signature;
    };
    let mut now = Map::new();
    leaves("statement", body, &mut now);
    for (path, digest) in &now {
        if signed.get(path) != Some(digest) {
            return ReceiptError::FieldChanged(path.clone());
        }
    }
    if let Some(path) = signed.keys().find(|path| !now.contains_key(*path)) {
        return ReceiptError::FieldChanged(path.clone());
    }
    ReceiptError::Signature
}

/// Every leaf of `value` under `path` (`statement.lines[0].office`), with the SHA-256 of
/// its canonical JSON.
fn leaves(path: &str, value: &Value, out: &mut Map<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                leaves(&format!("{path}.{key}"), item, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                leaves(&format!("{path}[{i}]"), item, out);
            }
        }
        leaf => {
            let digest = hex::encode(Sha256::digest(canonical_json(leaf).as_bytes()));
            out.insert(path.to_string(), json!(digest));
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn statement() -> Statement {
        Statement {
            batch_id: crate::BatchId::new(7),
            signer_id: crate::SignatureId::new(12),
            language: "en".into(),
            subject: "Your letter: Bring the troops home".into(),
            lines: vec![StatementLine {
                office: "Committee staff".into(),
                channel: "email".into(),
                at: Some("2026-11-23T09:10:11.123Z".into()),
                outcome: "delivered".into(),
                text: "accepted by Committee staff's email server".into(),
                sent_sha256: Some("ab".repeat(32)),
                audit_seq: Some(41),
                audit_hash: Some("cd".repeat(32)),
            }],
        }
    }

    fn signed() -> (String, KeyList) {
        let key = SigningKey::from_seed([8; 32]);
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 11, 0).unwrap();
        (
            sign_receipt(&statement(), at, &key),
            KeyList::single(key.public()),
        )
    }

    #[test]
    fn a_signed_receipt_verifies_and_says_what_was_signed() {
        let (text, keys) = signed();
        let verified = verify_receipt(&text, &keys).unwrap();
        assert_eq!(verified.statement, statement());
        assert!(text.contains(r#""statement.lines[0].sent_sha256":"#));
    }

    #[test]
    fn one_changed_byte_in_any_field_is_named() {
        let (text, keys) = signed();
        for (from, to, field) in [
            (
                "\"office\":\"Committee staff\"",
                "\"office\":\"Committee stafF\"",
                "statement.lines[0].office",
            ),
            (
                "\"outcome\":\"delivered\"",
                "\"outcome\":\"delivereD\"",
                "statement.lines[0].outcome",
            ),
            (
                "\"audit_seq\":41",
                "\"audit_seq\":42",
                "statement.lines[0].audit_seq",
            ),
            ("\"batch_id\":7", "\"batch_id\":8", "statement.batch_id"),
            ("abababab", "abababac", "statement.lines[0].sent_sha256"),
            ("09:10:11.123Z", "09:10:11.124Z", "statement.lines[0].at"),
        ] {
            let changed = text.replacen(from, to, 1);
            assert_ne!(changed, text, "{from}");
            assert_eq!(
                verify_receipt(&changed, &keys),
                Err(ReceiptError::FieldChanged(field.into())),
                "{from} -> {to}"
            );
        }
        let later = text.replace("09:11:00.000Z", "09:11:01.000Z");
        assert_eq!(verify_receipt(&later, &keys), Err(ReceiptError::Signature));
        let other = KeyList::single(SigningKey::from_seed([9; 32]).public());
        assert!(matches!(
            verify_receipt(&text, &other),
            Err(ReceiptError::Key(KeyError::UnknownKey(_)))
        ));
        for garbage in ["", "[]", "{}", r#"{"signature":"00","type":"x"}"#] {
            assert!(matches!(
                verify_receipt(garbage, &keys),
                Err(ReceiptError::Malformed(_))
            ));
        }
    }
}
