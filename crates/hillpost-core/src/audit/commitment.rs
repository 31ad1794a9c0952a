//! Salted commitments: how an audit event speaks of text that may carry a signer's personal
//! data (a receiver's answer that quotes their name, a note with their address) without
//! holding it.
//!
//! The event holds `SHA-256(salt ‖ field ‖ 0x00 ‖ text)` in hex; the text itself stays in
//! its row (an attempt's `remote_text`, a route event's `reason`) and the salt, 16 random
//! bytes per signer, beside the signer's data. While both exist, anyone holding the record
//! can recompute the commitment and see the row was not changed. When the signer is erased
//! the salt goes with the text: what is left in the chain is a hash nobody can test a guess
//! against, and the chain still verifies because no event changed.

use sha2::{Digest, Sha256};

/// A signer's commitment salt, as stored beside their data (`signatures.salt`).
#[derive(Clone, PartialEq, Eq)]
pub struct SignerSalt(Vec<u8>);

impl SignerSalt {
    /// How many random bytes a new salt has: enough that no guess can be tested without it.
    pub const LEN: usize = 16;

    /// A new salt from random bytes the caller drew (core reads no random source itself).
    pub fn new(random: [u8; Self::LEN]) -> Self {
        SignerSalt(random.to_vec())
    }

    /// A stored salt; `None` when there is none (a row erased, or too short to be one).
    pub fn from_stored(bytes: Option<Vec<u8>>) -> Option<Self> {
        bytes.filter(|b| b.len() >= Self::LEN).map(SignerSalt)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The salt is as secret as the data it protects: never printed.
impl std::fmt::Debug for SignerSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignerSalt(…)")
    }
}

/// The commitment to `text` as the value of `field` (the field's name is part of it, so
/// the same text under two fields gives two commitments).
pub fn commitment(salt: &SignerSalt, field: &str, text: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(field.as_bytes());
    hasher.update([0u8]);
    hasher.update(text.as_bytes());
    hex::encode(hasher.finalize())
}

/// Whether a row's `text` for `field` is still what its audit event's `payload` says: the
/// event holds the text in clear (`field`), or a commitment to it (`<field>_commitment`,
/// checked with the signer's `salt`). `None` when the event cannot say: it names neither
/// key, or it holds a commitment and the salt is gone (the signer was erased).
pub fn still_as_recorded(
    payload: &serde_json::Value,
    salt: Option<&SignerSalt>,
    field: &str,
    text: Option<&str>,
) -> Option<bool> {
    use serde_json::Value;
    if let Some(committed) = payload.get(format!("{field}_commitment")) {
        return match (committed, text) {
            (Value::Null, None) => Some(true),
            (Value::String(c), Some(text)) => salt.map(|salt| commitment(salt, field, text) == *c),
            _ => Some(false),
        };
    }
    match payload.get(field)? {
        Value::Null => Some(text.is_none()),
        Value::String(clear) => Some(text == Some(clear.as_str())),
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn salt(byte: u8) -> SignerSalt {
        SignerSalt::from_stored(Some(vec![byte; SignerSalt::LEN])).unwrap()
    }

    #[test]
    fn a_commitment_depends_on_salt_field_and_text() {
        let base = commitment(&salt(1), "remote_text", "250 ok for Ana Pérez");
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            commitment(&salt(1), "remote_text", "250 ok for Ana Pérez")
        );
        assert_ne!(
            base,
            commitment(&salt(2), "remote_text", "250 ok for Ana Pérez")
        );
        assert_ne!(base, commitment(&salt(1), "note", "250 ok for Ana Pérez"));
        assert_ne!(
            base,
            commitment(&salt(1), "remote_text", "250 ok for Ana Perez")
        );
        // Field and text are separated, so moving bytes across the boundary changes it.
        assert_ne!(
            commitment(&salt(1), "ab", "c"),
            commitment(&salt(1), "a", "bc")
        );
    }

    #[test]
    fn a_row_is_checked_against_its_event_in_clear_or_committed() {
        use serde_json::json;
        let s = salt(3);
        let committed = json!({
            "remote_text": null,
            "remote_text_commitment": commitment(&s, "remote_text", "250 ok Ana"),
            "note": null,
            "note_commitment": null,
        });
        let other = salt(4);
        let check = |salt, field, text| still_as_recorded(&committed, salt, field, text);
        assert_eq!(
            check(Some(&s), "remote_text", Some("250 ok Ana")),
            Some(true)
        );
        assert_eq!(
            check(Some(&s), "remote_text", Some("250 ok Bob")),
            Some(false)
        );
        assert_eq!(check(Some(&s), "remote_text", None), Some(false));
        assert_eq!(
            check(Some(&other), "remote_text", Some("250 ok Ana")),
            Some(false)
        );
        assert_eq!(
            check(None, "remote_text", Some("250 ok Ana")),
            None,
            "erased: unknowable"
        );
        assert_eq!(check(Some(&s), "note", None), Some(true));
        assert_eq!(check(Some(&s), "note", Some("added later")), Some(false));

        let clear = json!({ "remote_text": "250 ok", "note": null });
        assert_eq!(
            still_as_recorded(&clear, None, "remote_text", Some("250 ok")),
            Some(true)
        );
        assert_eq!(
            still_as_recorded(&clear, None, "remote_text", Some("250 OK")),
            Some(false)
        );
        assert_eq!(still_as_recorded(&clear, None, "note", None), Some(true));
        assert_eq!(
            still_as_recorded(&clear, None, "note", Some("x")),
            Some(false)
        );
        assert_eq!(still_as_recorded(&json!({}), None, "note", Some("x")), None);
    }

    #[test]
    fn a_salt_that_is_missing_or_short_is_none_and_never_printed() {
        assert!(SignerSalt::from_stored(None).is_none());
        assert!(SignerSalt::from_stored(Some(vec![1; 8])).is_none());
        let fresh = SignerSalt::new([7; SignerSalt::LEN]);
        assert_eq!(fresh.as_bytes(), &[7; SignerSalt::LEN]);
        assert_eq!(format!("{fresh:?}"), "SignerSalt(…)");
    }
}
