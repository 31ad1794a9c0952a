use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

/// A country as its ISO 3166-1 alpha-2 code (`US`, `PE`). Input may be an alpha-2 or alpha-3
/// code or an English name, with any case, spaces or accents ("Perú", "united states").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not a country (expected an ISO code such as `US` or `PE`, or an English name)")]
pub struct CountryError(pub String);

impl Country {
    pub const US: Country = Country(*b"US");

    pub fn parse(raw: &str) -> Result<Self, CountryError> {
        let folded: String = raw
            .nfd()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if folded.is_empty() {
            return Err(CountryError(raw.trim().to_string()));
        }
        // "uk" is what people type; ISO says GB.
        let key = if folded == "uk" {
            "gb".to_string()
        } else {
            folded
        };
        let found =
            celes::Country::from_str(&key).map_err(|_| CountryError(raw.trim().to_string()))?;
        let bytes = found.alpha2.as_bytes();
        Ok(Self([bytes[0], bytes[1]]))
    }

    pub fn code(&self) -> &str {
        // Both bytes come from celes' ASCII alpha-2 table.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The English short name, for documents a human reads ("Peru", "United States").
    pub fn name(&self) -> String {
        let long = celes::Country::from_alpha2(self.code())
            .map(|c| c.long_name)
            .unwrap_or("");
        match self.code() {
            "US" => "United States".into(),
            "GB" => "United Kingdom".into(),
            _ => long.strip_prefix("The ").unwrap_or(long).to_string(),
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Country {
    type Error = CountryError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Country> for String {
    fn from(value: Country) -> Self {
        value.code().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_codes_and_names() {
        for (raw, code) in [
            ("us", "US"),
            ("USA", "US"),
            ("United States", "US"),
            ("Perú", "PE"),
            ("per", "PE"),
            ("UK", "GB"),
            ("de", "DE"),
        ] {
            assert_eq!(Country::parse(raw).unwrap().code(), code, "{raw}");
        }
        assert!(Country::parse("Atlantis").is_err());
        assert!(Country::parse("").is_err());
    }

    #[test]
    fn names_read_naturally() {
        assert_eq!(Country::parse("PE").unwrap().name(), "Peru");
        assert_eq!(Country::US.name(), "United States");
    }
}
