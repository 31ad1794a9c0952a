//! DKIM signatures (RFC 6376) on every letter and receipt, with lettre's signer.
//!
//! Congressional mail systems filter bulk mail hard, and a letter whose `From` domain does
//! not vouch for it (DMARC) is a letter not read. The private key comes only from a
//! secrets file or the environment (see the binary's config), never from hillpost.toml;
//! the selector and domain are configuration. Both RSA (2048 bits or more) and Ed25519
//! (RFC 8463) keys work; which one is read from the key itself:
//!
//! | key text                                   | algorithm |
//! |--------------------------------------------|-----------|
//! | `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1) | rsa-sha256 |
//! | `-----BEGIN PRIVATE KEY-----` (PKCS#8, `openssl genpkey`) | rsa-sha256 or ed25519-sha256 |
//! | 44 characters of base64 (a raw Ed25519 seed) | ed25519-sha256 |
//!
//! Signed: the headers a reader sees and a filter judges (From, To, Subject, Date,
//! Message-ID, Reply-To, MIME-Version, Content-Language), relaxed canonicalisation for both
//! headers and body, so that relays that re-fold a header do not break the signature.
//! Not `Content-Type`: lettre writes a multipart message's top-level `Content-Type` with
//! the body, after the signature is made, so listing it would break every signature (the
//! body hash still covers every part, boundaries included).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::Message;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use secrecy::{ExposeSecret, SecretString};

/// The headers every signature covers (absent ones are signed as absent).
const SIGNED_HEADERS: &[&str] = &[
    "From",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Language",
];

/// The smallest RSA key accepted: RFC 8301 forbids less than 1024 bits and mailbox
/// providers ignore less than 2048.
const MIN_RSA_BITS: usize = 2048;

/// What the operator configured: where signatures say the key is published, and the key.
#[derive(Clone)]
pub struct DkimSettings {
    /// The `s=` selector: the key is published at `<selector>._domainkey.<domain>`.
    pub selector: String,
    /// The `d=` domain; for DMARC alignment, the From address's domain or its parent.
    pub domain: String,
    pub private_key: SecretString,
}

impl fmt::Debug for DkimSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkimSettings")
            .field("selector", &self.selector)
            .field("domain", &self.domain)
            .field("private_key", &"[redacted]")
            .finish()
    }
}

/// Why a DKIM key cannot be used. Raised at start-up; never names key material.
#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    #[error("the DKIM selector `{0}` is not a DNS label (letters, digits, `-`, `.`)")]
    Selector(String),
    #[error("the DKIM domain `{0}` is not a domain name")]
    Domain(String),
    #[error(
        "the DKIM private key is neither an RSA key (PKCS#1 or PKCS#8 PEM) nor an Ed25519 key \
         (PKCS#8 PEM or a base64 seed)"
    )]
    UnreadableKey,
    #[error("the DKIM RSA key has {0} bits; at least {MIN_RSA_BITS} are needed")]
    WeakKey(usize),
}

/// The algorithm a key signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DkimAlgorithm {
    Rsa,
    Ed25519,
}

/// The DNS TXT record that publishes a signer's public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimRecord {
    /// `<selector>._domainkey.<domain>`
    pub name: String,
    /// `v=DKIM1; k=rsa; p=…`
    pub value: String,
}

/// Signs messages with one key; built once at start-up.
pub struct DkimSigner {
    config: DkimConfig,
    algorithm: DkimAlgorithm,
    record: DkimRecord,
}

impl fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkimSigner")
            .field("algorithm", &self.algorithm)
            .field("record", &self.record.name)
            .finish()
    }
}

impl DkimSigner {
    pub fn new(settings: &DkimSettings) -> Result<Self, DkimError> {
        let selector = settings.selector.trim().to_ascii_lowercase();
        let domain = settings.domain.trim().to_ascii_lowercase();
        if !super::identity::is_domain(&selector) {
            return Err(DkimError::Selector(settings.selector.clone()));
        }
        if !super::identity::is_domain(&domain) || !domain.contains('.') {
            return Err(DkimError::Domain(settings.domain.clone()));
        }
        let key = ParsedKey::read(settings.private_key.expose_secret())?;
        let (algorithm, lettre_key, public) = match &key {
            ParsedKey::Rsa(rsa_key) => {
                let pem = rsa_key
                    .to_pkcs1_pem(Default::default())
                    .map_err(|_| DkimError::UnreadableKey)?;
                let public = rsa::RsaPublicKey::from(rsa_key)
                    .to_public_key_der()
                    .map_err(|_| DkimError::UnreadableKey)?;
                (
                    DkimAlgorithm::Rsa,
                    DkimSigningKey::new(&pem, DkimSigningAlgorithm::Rsa),
                    ("rsa", public.as_bytes().to_vec()),
                )
            }
            ParsedKey::Ed25519(signing) => (
                DkimAlgorithm::Ed25519,
                DkimSigningKey::new(
                    &BASE64.encode(signing.to_bytes()),
                    DkimSigningAlgorithm::Ed25519,
                ),
                ("ed25519", signing.verifying_key().to_bytes().to_vec()),
            ),
        };
        let lettre_key = lettre_key.map_err(|_| DkimError::UnreadableKey)?;
        let config = DkimConfig::new(
            selector.clone(),
            domain.clone(),
            lettre_key,
            SIGNED_HEADERS
                .iter()
                .map(|name| HeaderName::new_from_ascii_str(name))
                .collect(),
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        );
        let (k, public) = public;
        Ok(Self {
            config,
            algorithm,
            record: DkimRecord {
                name: format!("{selector}._domainkey.{domain}"),
                value: format!("v=DKIM1; k={k}; p={}", BASE64.encode(public)),
            },
        })
    }

    /// Adds a `DKIM-Signature` header over `message` as it stands: call last, once every
    /// header and the body are in place.
    pub fn sign(&self, message: &mut Message) {
        message.sign(&self.config);
    }

    pub fn algorithm(&self) -> DkimAlgorithm {
        self.algorithm
    }

    /// The TXT record an operator publishes for receivers to check signatures with.
    pub fn record(&self) -> &DkimRecord {
        &self.record
    }
}

enum ParsedKey {
    Rsa(rsa::RsaPrivateKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl ParsedKey {
    fn read(text: &str) -> Result<Self, DkimError> {
        let text = text.trim();
        let rsa_key = if text.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            Some(rsa::RsaPrivateKey::from_pkcs1_pem(text).map_err(|_| DkimError::UnreadableKey)?)
        } else if text.starts_with("-----BEGIN PRIVATE KEY-----") {
            match rsa::RsaPrivateKey::from_pkcs8_pem(text) {
                Ok(key) => Some(key),
                Err(_) => {
                    return ed25519_dalek::pkcs8::DecodePrivateKey::from_pkcs8_pem(text)
                        .map(ParsedKey::Ed25519)
                        .map_err(|_| DkimError::UnreadableKey);
                }
            }
        } else {
            None
        };
        if let Some(key) = rsa_key {
            let bits = key.size() * 8;
            if bits < MIN_RSA_BITS {
                return Err(DkimError::WeakKey(bits));
            }
            return Ok(ParsedKey::Rsa(key));
        }
        let seed: [u8; 32] = BASE64
            .decode(text)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(DkimError::UnreadableKey)?;
        Ok(ParsedKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(
            &seed,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // An Ed25519 seed for tests only (RFC 8032 test vector 1); RSA keys are generated by
    // the integration tests with openssl.
    const SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

    fn settings(key: &str) -> DkimSettings {
        DkimSettings {
            selector: "hp2026".into(),
            domain: "Example.org".into(),
            private_key: SecretString::from(key.to_string()),
        }
    }

    #[test]
    fn an_ed25519_seed_signs_and_publishes_its_public_key() {
        let signer = DkimSigner::new(&settings(SEED)).unwrap();
        assert_eq!(signer.algorithm(), DkimAlgorithm::Ed25519);
        assert_eq!(signer.record().name, "hp2026._domainkey.example.org");
        // RFC 8032 test vector 1's public key.
        assert_eq!(
            signer.record().value,
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        );
        let mut message = Message::builder()
            .from("a@example.org".parse().unwrap())
            .to("b@example.net".parse().unwrap())
            .subject("hello")
            .body("body\r\n".to_string())
            .unwrap();
        signer.sign(&mut message);
        // Unfolded: the header is long enough to be folded over several lines.
        let text = String::from_utf8(message.formatted())
            .unwrap()
            .replace("\r\n ", " ")
            .replace("\r\n\t", " ");
        let header = text
            .lines()
            .find(|l| l.starts_with("DKIM-Signature:"))
            .expect("signed");
        assert!(header.contains("a=ed25519-sha256"), "{header}");
        assert!(header.contains("d=example.org;"), "{header}");
        assert!(header.contains("s=hp2026;"), "{header}");
        assert!(header.contains("c=relaxed/relaxed;"), "{header}");
        assert!(
            header.contains(
                "h=from:reply-to:to:subject:date:message-id:mime-version:content-language;"
            ),
            "{header}"
        );
    }

    #[test]
    fn bad_keys_and_names_are_refused_without_showing_the_key() {
        let error = DkimSigner::new(&settings("not a key")).unwrap_err();
        assert!(matches!(error, DkimError::UnreadableKey));
        assert!(!error.to_string().contains("not a key"));
        let broken_pem = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----";
        assert!(matches!(
            DkimSigner::new(&settings(broken_pem)),
            Err(DkimError::UnreadableKey)
        ));
        let mut bad = settings(SEED);
        bad.selector = "a b".into();
        assert!(matches!(DkimSigner::new(&bad), Err(DkimError::Selector(_))));
        let mut bad = settings(SEED);
        bad.domain = "localhost".into();
        assert!(matches!(DkimSigner::new(&bad), Err(DkimError::Domain(_))));
        assert!(!format!("{:?}", settings(SEED)).contains(SEED));
    }
}
