//! API token secrets: 256 random bits, shown once. Only their SHA-256 is stored, so the
//! database alone cannot be used to call the API. A fast hash is enough here (unlike for
//! passwords): the secret is random and far too long to guess.

use sha2::{Digest, Sha256};

/// Every secret starts with this, so a leaked one is easy to spot (secret scanners, logs).
pub const PREFIX: &str = "hp_";

/// A new secret: `hp_` and 64 hexadecimal characters.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{PREFIX}{}", hex::encode(bytes))
}

/// What the store keeps of a secret.
pub fn secret_sha256(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hashed() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), PREFIX.len() + 64);
        assert_eq!(secret_sha256(&a).len(), 64);
        assert_ne!(secret_sha256(&a), secret_sha256(&b));
        assert_eq!(secret_sha256(&a), secret_sha256(&a.clone()));
    }
}
