use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A campaign's id: what organizers type on the command line and what appears in URLs.
/// Lower-case letters, digits and hyphens, 1–64 characters, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CampaignId(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not a campaign id (lower-case letters, digits and hyphens, at most 64)")]
pub struct CampaignIdError(pub String);

impl CampaignId {
    pub fn parse(raw: &str) -> Result<Self, CampaignIdError> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.starts_with('-');
        if ok {
            Ok(Self(raw.to_string()))
        } else {
            Err(CampaignIdError(raw.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CampaignId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CampaignId {
    type Error = CampaignIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CampaignId> for String {
    fn from(value: CampaignId) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe_slugs() {
        assert!(CampaignId::parse("no-us-troops-in-peru-2023").is_ok());
        for bad in ["", "No-Troops", "-x", "a b", "a/b", &"a".repeat(65)] {
            assert!(CampaignId::parse(bad).is_err(), "{bad}");
        }
    }
}
