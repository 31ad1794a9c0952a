use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A letter language: an ISO 639 primary language subtag, lower-case (`en`, `es`, `pt`).
/// Region subtags (`es-PE`) are accepted on input and dropped: letters are written per
/// language, not per region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not a language code (expected two or three letters such as `en` or `es`)")]
pub struct LanguageError(pub String);

impl Language {
    pub fn parse(raw: &str) -> Result<Self, LanguageError> {
        let trimmed = raw.trim();
        let primary = trimmed
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let well_formed = (2..=3).contains(&primary.len())
            && primary.chars().all(|c| c.is_ascii_lowercase())
            && trimmed.split(['-', '_']).skip(1).all(|sub| {
                (1..=8).contains(&sub.len()) && sub.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if well_formed {
            Ok(Self(primary))
        } else {
            Err(LanguageError(trimmed.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Language {
    type Error = LanguageError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Language> for String {
    fn from(value: Language) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_primary_subtag() {
        assert_eq!(Language::parse("ES").unwrap().as_str(), "es");
        assert_eq!(Language::parse("es-PE").unwrap().as_str(), "es");
        assert_eq!(Language::parse("pt_BR").unwrap().as_str(), "pt");
        assert!(Language::parse("spanish").is_err());
        assert!(Language::parse("e").is_err());
        assert!(Language::parse("").is_err());
    }
}
