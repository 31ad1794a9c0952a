//! [`EmailIdentity`]: who hillpost's letters come from, where their bounces go, how their
//! Message-IDs are made and who signs them.
//!
//! Every attempt of a delivery carries the same Message-ID, `<idempotency_key@domain>`, so a
//! receiving office (or anyone reading the audit) can tell a retry from a second letter.
//! With a bounce domain configured, its envelope sender is `bounces+<key>@<bounce domain>`
//! (VERP), so a bounce names the delivery it is about.

use std::sync::Arc;

use lettre::Address;

use super::EmailSetupError;
use super::bounce::BounceAddresses;
use super::compose::ComposeError;
use super::dkim::DkimSigner;

/// The `From` address of every letter, its envelope sender, the Message-ID domain and the
/// DKIM signer.
#[derive(Debug, Clone)]
pub struct EmailIdentity {
    from: Address,
    message_id_domain: String,
    bounce_domain: Option<String>,
    dkim: Option<Arc<DkimSigner>>,
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
            bounce_domain: None,
            dkim: None,
        })
    }

    /// Sends every letter with the envelope sender `bounces+<key>@<domain>`.
    pub fn with_bounce_domain(mut self, domain: &str) -> Result<Self, EmailSetupError> {
        if !is_domain(domain) || !domain.contains('.') {
            return Err(EmailSetupError::BounceDomain(domain.to_string()));
        }
        self.bounce_domain = Some(domain.to_ascii_lowercase());
        Ok(self)
    }

    /// Signs every letter with `signer`.
    pub fn with_dkim(mut self, signer: DkimSigner) -> Self {
        self.dkim = Some(Arc::new(signer));
        self
    }

    pub fn from_address(&self) -> &Address {
        &self.from
    }

    pub fn dkim(&self) -> Option<&DkimSigner> {
        self.dkim.as_deref()
    }

    /// Where bounces come back and how our Message-IDs end: what reading them needs.
    pub fn bounce_addresses(&self) -> BounceAddresses {
        BounceAddresses {
            bounce_domain: self.bounce_domain.clone(),
            message_id_domain: self.message_id_domain.clone(),
        }
    }

    /// The envelope sender (MAIL FROM) of the delivery with `idempotency_key`: its VERP
    /// address, or the From address without a bounce domain.
    pub fn envelope_sender(&self, idempotency_key: &str) -> Result<Address, ComposeError> {
        check_key(idempotency_key)?;
        match self.bounce_addresses().verp_address(idempotency_key) {
            Some(verp) => verp.parse().map_err(|_| ComposeError::IdempotencyKey),
            None => Ok(self.from.clone()),
        }
    }

    /// `<key@domain>` for a delivery's idempotency key. The key is checked rather than
    /// trusted: it becomes part of a header, and an odd character would make the id invalid
    /// (or, without the typed header's encoding, a place to inject one).
    pub fn message_id(&self, idempotency_key: &str) -> Result<String, ComposeError> {
        check_key(idempotency_key)?;
        Ok(format!("<{idempotency_key}@{}>", self.message_id_domain))
    }
}

fn check_key(idempotency_key: &str) -> Result<(), ComposeError> {
    let valid = (1..=64).contains(&idempotency_key.len())
        && idempotency_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(ComposeError::IdempotencyKey)
    }
}

/// A DNS name: dot-separated labels of letters, digits and inner hyphens.
pub(crate) fn is_domain(name: &str) -> bool {
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
    fn a_bounce_domain_makes_the_envelope_sender_name_the_delivery() {
        let identity = EmailIdentity::new("letters@example.org", "example.org").unwrap();
        let key = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            identity.envelope_sender(key).unwrap().to_string(),
            "letters@example.org"
        );
        let identity = identity.with_bounce_domain("Bounce.Example.org").unwrap();
        let sender = identity.envelope_sender(key).unwrap().to_string();
        assert_eq!(sender, format!("bounces+{key}@bounce.example.org"));
        assert_eq!(
            identity
                .bounce_addresses()
                .key_in_address(&sender)
                .as_deref(),
            Some(key)
        );
        assert!(identity.envelope_sender("a>b").is_err());
        assert!(
            EmailIdentity::new("letters@example.org", "example.org")
                .unwrap()
                .with_bounce_domain("localhost")
                .is_err()
        );
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
