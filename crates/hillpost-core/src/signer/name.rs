use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::text::{self, TextError};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    #[error("{0}")]
    Text(#[from] TextError),
    #[error("has no letters")]
    NoLetters,
}

/// One part of a person's name (given or family name): one line, 1–100 characters, at least
/// one letter. Apostrophes, hyphens and any script are fine.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 100;

    /// `Ok(None)` when the field is blank.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, NameError> {
        let Some(line) = text::single_line(raw, Self::MAX_CHARS)? else {
            return Ok(None);
        };
        if !line.chars().any(char::is_alphabetic) {
            return Err(NameError::NoLetters);
        }
        Ok(Some(Self(line)))
    }

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        Self::parse_optional(raw)?.ok_or(NameError::Text(TextError::Empty))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of a signing organization: one line, 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrganizationName(String);

impl OrganizationName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse_optional(raw: &str) -> Result<Option<Self>, NameError> {
        let Some(line) = text::single_line(raw, Self::MAX_CHARS)? else {
            return Ok(None);
        };
        if !line.chars().any(char::is_alphanumeric) {
            return Err(NameError::NoLetters);
        }
        Ok(Some(Self(line)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $t {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse_optional(&value)?.ok_or(NameError::Text(TextError::Empty))
            }
        }
        impl From<$t> for String {
            fn from(value: $t) -> Self {
                value.0
            }
        }
    };
}
string_newtype_impls!(PersonName);
string_newtype_impls!(OrganizationName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_names_are_single_bounded_lines_with_letters() {
        assert_eq!(
            PersonName::parse(" María  José ").unwrap().as_str(),
            "María José"
        );
        assert_eq!(
            PersonName::parse("O'Brien-Núñez").unwrap().as_str(),
            "O'Brien-Núñez"
        );
        assert_eq!(PersonName::parse_optional("  ").unwrap(), None);
        assert_eq!(
            PersonName::parse("Ana\r\nBcc: victim@example.org"),
            Err(NameError::Text(TextError::LineBreak))
        );
        assert_eq!(PersonName::parse("12345"), Err(NameError::NoLetters));
        assert!(matches!(
            PersonName::parse(&"a".repeat(101)),
            Err(NameError::Text(TextError::TooLong { len: 101, max: 100 }))
        ));
    }

    #[test]
    fn organization_names_allow_digits() {
        assert_eq!(
            OrganizationName::parse_optional("350.org")
                .unwrap()
                .unwrap()
                .as_str(),
            "350.org"
        );
        assert!(OrganizationName::parse_optional("---").is_err());
    }
}
