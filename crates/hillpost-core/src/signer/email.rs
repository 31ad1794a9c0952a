use std::fmt;
use std::str::FromStr;

use email_address::{EmailAddress, Options};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::text::{self, TextError};

/// An email address a letter can be sent to or replied to: one line, a domain with a dot,
/// no display name, no domain literal. The domain is lower-cased; the local part is kept as
/// typed because some mail systems distinguish case there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EmailError {
    #[error("is empty")]
    Empty,
    #[error("{0}")]
    Text(TextError),
    #[error("is not a valid email address ({0})")]
    Invalid(String),
}

impl Email {
    /// The longest address SMTP can carry (RFC 5321 path limit minus the brackets).
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let line = text::single_line(raw, Self::MAX_LEN)
            .map_err(EmailError::Text)?
            .ok_or(EmailError::Empty)?;
        if line.contains(' ') {
            return Err(EmailError::Invalid("contains a space".into()));
        }
        let options = Options::default()
            .with_required_tld()
            .without_display_text()
            .without_domain_literal();
        let parsed = EmailAddress::parse_with_options(&line, options)
            .map_err(|e| EmailError::Invalid(e.to_string()))?;
        let domain = parsed.domain().to_lowercase();
        let tld = domain.rsplit('.').next().unwrap_or_default();
        if tld.len() < 2 || !tld.chars().all(|c| c.is_alphanumeric() || c == '-') {
            return Err(EmailError::Invalid(format!(
                "`{tld}` is not a top-level domain"
            )));
        }
        Ok(Self(format!("{}@{}", parsed.local_part(), domain)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under which two signatures count as the same person: the whole address
    /// lower-cased. (Providers that ignore dots or `+tags` are not second-guessed.)
    pub fn dedup_key(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Email {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_domain_and_keeps_local_part() {
        let e = Email::parse("  Ana.Lopez@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "Ana.Lopez@example.org");
        assert_eq!(e.dedup_key(), "ana.lopez@example.org");
        assert_eq!(e.domain(), "example.org");
    }

    #[test]
    fn rejects_what_cannot_be_a_mailbox() {
        for bad in [
            "",
            "ana",
            "ana@localhost",
            "Ana <ana@example.org>",
            "ana@[127.0.0.1]",
            "ana@example.org\r\nBcc: x@example.org",
            "ana lopez@example.org",
            "ana@example.1",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
