//! [`EmailIdentity`]: who hillpost's letters come from, and how their Message-IDs are made.
//!
//! Every attempt of a delivery carries the same Message-ID, `<idempotency_key@domain>`, so a
//! receiving office (or anyone reading the audit) can tell a retry from a second letter.

use lettre::Address;

use super::EmailSetupError;
use super::compose::ComposeError;

/// The envelope sender and `From` address of every letter, and the Message-ID domain.
#[derive(Debug, Clone)]
pub struct EmailIdentity {
    from: Address,
    message_id_domain: String,
}

impl EmailIdentity {
    pub fn new(from_address: &str, message_id_domain: &str) -> Result<Self, EmailSetupError> {
        let from = from_address
            .parse::<Address>()
            .map_err(|e| EmailSetupError::FromAddress(e.to_string()))?;
        if !is_domain(message_id_domain) {
            return Err(EmailSetupError::MessageIdDomain(
                message_id_domain.to_string(),
            ));
        }
        Ok(Self {
            from,
            message_id_domain: message_id_domain.to_ascii_lowercase(),
        })
    }

    pub fn from_address(&self) -> &Address {
        &self.from
    }

    /// `<key@domain>` for a delivery's idempotency key. The key is checked rather than
    /// trusted: it becomes part of a header, and an odd character would make the id invalid
    /// (or, without the typed header's encoding, a place to inject one).
    pub fn message_id(&self, idempotency_key: &str) -> Result<String, ComposeError> {
        let valid = (1..=64).contains(&idempotency_key.len())
            && idempotency_key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(ComposeError::IdempotencyKey);
        }
        Ok(format!("<{idempotency_key}@{}>", self.message_id_domain))
    }
}

/// A DNS name: dot-separated labels of letters, digits and inner hyphens.
fn is_domain(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_and_checked() {
        let identity = EmailIdentity::new("letters@example.org", "Mail.Example.org").unwrap();
        let key = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            identity.message_id(key).unwrap(),
            format!("<{key}@mail.example.org>")
        );
        assert_eq!(
            identity.message_id(key).unwrap(),
            identity.message_id(key).unwrap()
        );
        for bad in ["", "a b", "a>\r\nBcc: x@y.org", "a@b", &"x".repeat(65)] {
            assert!(identity.message_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn setup_rejects_bad_addresses_and_domains() {
        assert!(EmailIdentity::new("not an address", "example.org").is_err());
        for bad in [
            "",
            "example..org",
            "-x.org",
            "ex ample.org",
            "x.org.",
            "<x>",
        ] {
            assert!(EmailIdentity::new("a@example.org", bad).is_err(), "{bad:?}");
        }
    }
}
