//! The service's Ed25519 signing key and the public keys that check its signatures.
//!
//! One key signs audit checkpoints and receipts. Its public half is published (with the
//! time it began and, once rotated out, stopped signing) so anyone can check a signature
//! without trusting the database: a key is named by its `key_id`, the first 16 hex digits
//! of the SHA-256 of its 32 public bytes.
//!
//! The private key is kept as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, what
//! `openssl genpkey -algorithm ed25519` writes too); public keys and signatures are written
//! as lowercase hex.

use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer, Verifier as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why a key or a signature could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the signing key is not an Ed25519 PKCS#8 PEM key ({0})")]
    BadPrivateKey(String),
    #[error("`{0}` is not an Ed25519 public key (64 hex digits)")]
    BadPublicKey(String),
    #[error("the signature is not 128 hex digits")]
    BadSignature,
    #[error("the signature does not match: the statement was changed or signed by another key")]
    Mismatch,
    #[error("no published key has id {0}")]
    UnknownKey(String),
    #[error(
        "key {key_id} was valid from {valid_from} until {valid_until}, not at {signed_at}, when this was signed"
    )]
    OutsideValidity {
        key_id: String,
        valid_from: String,
        valid_until: String,
        signed_at: String,
    },
}

/// The private key (its Debug output shows only the key id).
#[derive(Clone)]
pub struct SigningKey {
    inner: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.public().key_id())
    }
}

impl SigningKey {
    /// A key from 32 random bytes (the caller draws them from the operating system).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            inner: ed25519_dalek::SigningKey::from_bytes(&seed),
        }
    }

    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(text.trim())
            .map(|inner| Self { inner })
            .map_err(|e| KeyError::BadPrivateKey(e.to_string()))
    }

    /// PKCS#8 PEM, for the key file (LF line endings).
    pub fn to_pem(&self) -> String {
        self.inner
            .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .map(|pem| pem.to_string())
            .unwrap_or_default()
    }

    pub fn public(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.verifying_key(),
        }
    }

    /// The signature of `message`, as 128 hex digits.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.inner.sign(message).to_bytes())
    }
}

/// A public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    inner: ed25519_dalek::VerifyingKey,
}

impl PublicKey {
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let bad = || KeyError::BadPublicKey(text.chars().take(80).collect());
        let bytes: [u8; 32] = hex::decode(text.trim())
            .map_err(|_| bad())?
            .try_into()
            .map_err(|_| bad())?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(|inner| Self { inner })
            .map_err(|_| bad())
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.inner.to_bytes())
    }

    pub fn key_id(&self) -> String {
        hex::encode(Sha256::digest(self.inner.to_bytes()))[..16].to_string()
    }

    /// Whether `signature` (hex) is this key's signature of `message`.
    pub fn verify(&self, message: &[u8], signature: &str) -> Result<(), KeyError> {
        let bytes: [u8; 64] = hex::decode(signature.trim())
            .map_err(|_| KeyError::BadSignature)?
            .try_into()
            .map_err(|_| KeyError::BadSignature)?;
        self.inner
            .verify(message, &ed25519_dalek::Signature::from_bytes(&bytes))
            .map_err(|_| KeyError::Mismatch)
    }
}

/// A public key as published: when it began signing and, once rotated out, when it
/// stopped. A signature counts only when made within that time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedKey {
    pub key_id: String,
    pub algorithm: String,
    /// 64 hex digits.
    pub public_key: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// The document at `/.well-known/hillpost-signing-key`: every key the service has signed
/// with, the current one (no `valid_until`) first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyList {
    pub keys: Vec<PublishedKey>,
}

impl PublishedKey {
    pub fn new(key: PublicKey, valid_from: DateTime<Utc>) -> Self {
        Self {
            key_id: key.key_id(),
            algorithm: "ed25519".into(),
            public_key: key.to_hex(),
            valid_from,
            valid_until: None,
        }
    }

    /// Checks `signature` of `message`, made at `signed_at` by this key.
    pub fn verify_at(
        &self,
        message: &[u8],
        signature: &str,
        signed_at: DateTime<Utc>,
    ) -> Result<(), KeyError> {
        let key = PublicKey::parse(&self.public_key)?;
        if key.key_id() != self.key_id {
            return Err(KeyError::BadPublicKey(format!(
                "{} (its id is {}, not {})",
                self.public_key,
                key.key_id(),
                self.key_id
            )));
        }
        key.verify(message, signature)?;
        let too_early = signed_at < self.valid_from;
        let too_late = self.valid_until.is_some_and(|until| signed_at >= until);
        if too_early || too_late {
            return Err(KeyError::OutsideValidity {
                key_id: self.key_id.clone(),
                valid_from: super::time_text(self.valid_from),
                valid_until: self
                    .valid_until
                    .map_or_else(|| "now".into(), super::time_text),
                signed_at: super::time_text(signed_at),
            });
        }
        Ok(())
    }
}

impl KeyList {
    /// Checks a signature by the key named `key_id`, made at `signed_at`.
    pub fn verify(
        &self,
        key_id: &str,
        message: &[u8],
        signature: &str,
        signed_at: DateTime<Utc>,
    ) -> Result<(), KeyError> {
        self.keys
            .iter()
            .find(|k| k.key_id == key_id)
            .ok_or_else(|| KeyError::UnknownKey(key_id.to_string()))?
            .verify_at(message, signature, signed_at)
    }

    /// A list holding one key with no time limits: what `--key HEX` means.
    pub fn single(key: PublicKey) -> Self {
        Self {
            keys: vec![PublishedKey::new(key, DateTime::<Utc>::MIN_UTC)],
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_seed([n; 32])
    }

    #[test]
    fn a_key_survives_its_pem_and_signs_what_its_public_half_checks() {
        let original = key(7);
        let read = SigningKey::from_pem(&original.to_pem()).unwrap();
        assert_eq!(read.public(), original.public());
        let signature = read.sign(b"statement");
        let public = PublicKey::parse(&original.public().to_hex()).unwrap();
        public.verify(b"statement", &signature).unwrap();
        assert_eq!(
            public.verify(b"statemenT", &signature),
            Err(KeyError::Mismatch)
        );
        assert_eq!(
            key(8).public().verify(b"statement", &signature),
            Err(KeyError::Mismatch)
        );
        assert_eq!(original.public().key_id().len(), 16);
        assert!(!format!("{original:?}").contains(&original.to_pem()));
    }

    #[test]
    fn a_rotated_out_key_counts_only_within_its_validity() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut published = PublishedKey::new(key(1).public(), start);
        published.valid_until = Some(start + Duration::days(30));
        let list = KeyList {
            keys: vec![published.clone()],
        };
        let id = published.key_id.clone();
        let signature = key(1).sign(b"x");
        list.verify(&id, b"x", &signature, start + Duration::days(1))
            .unwrap();
        for outside in [start - Duration::days(1), start + Duration::days(31)] {
            assert!(matches!(
                list.verify(&id, b"x", &signature, outside),
                Err(KeyError::OutsideValidity { .. })
            ));
        }
        assert_eq!(
            list.verify("0000000000000000", b"x", &signature, start),
            Err(KeyError::UnknownKey("0000000000000000".into()))
        );
    }

    #[test]
    fn garbage_keys_and_signatures_are_refused_with_the_reason() {
        assert!(SigningKey::from_pem("not a key").is_err());
        assert!(PublicKey::parse("zz").is_err());
        assert_eq!(
            key(1).public().verify(b"x", "abc"),
            Err(KeyError::BadSignature)
        );
    }
}
