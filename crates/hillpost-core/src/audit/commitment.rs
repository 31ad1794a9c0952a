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
    fn a_salt_that_is_missing_or_short_is_none_and_never_printed() {
        assert!(SignerSalt::from_stored(None).is_none());
        assert!(SignerSalt::from_stored(Some(vec![1; 8])).is_none());
        let fresh = SignerSalt::new([7; SignerSalt::LEN]);
        assert_eq!(fresh.as_bytes(), &[7; SignerSalt::LEN]);
        assert_eq!(format!("{fresh:?}"), "SignerSalt(…)");
    }
}
