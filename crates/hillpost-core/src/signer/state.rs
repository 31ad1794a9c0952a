use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A US state, district or territory as its USPS code (`VA`, `DC`, `PR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UsState(u8);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{0}` is not a US state (expected a code such as `VA` or a name such as `Virginia`)")]
pub struct UsStateError(pub String);

/// USPS codes with names; the order is the one the Census uses.
#[rustfmt::skip]
const STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
    ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"),
    ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"),
    ("WI", "Wisconsin"), ("WY", "Wyoming"), ("AS", "American Samoa"), ("GU", "Guam"),
    ("MP", "Northern Mariana Islands"), ("PR", "Puerto Rico"), ("VI", "Virgin Islands"),
];

impl UsState {
    pub fn parse(raw: &str) -> Result<Self, UsStateError> {
        let wanted: String = raw
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        STATES
            .iter()
            .position(|(code, name)| {
                code.eq_ignore_ascii_case(&wanted) || name.to_lowercase() == wanted
            })
            .and_then(|index| u8::try_from(index).ok())
            .map(Self)
            .ok_or_else(|| UsStateError(raw.trim().to_string()))
    }

    /// `Ok(None)` for a blank field.
    pub fn parse_optional(raw: &str) -> Result<Option<Self>, UsStateError> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(raw).map(Some)
        }
    }

    pub fn code(&self) -> &'static str {
        STATES[usize::from(self.0)].0
    }

    pub fn name(&self) -> &'static str {
        STATES[usize::from(self.0)].1
    }
}

impl fmt::Display for UsState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for UsState {
    type Error = UsStateError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<UsState> for String {
    fn from(value: UsState) -> Self {
        value.code().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        assert_eq!(UsState::parse("va").unwrap().code(), "VA");
        assert_eq!(UsState::parse("new  york").unwrap().code(), "NY");
        assert_eq!(UsState::parse("DC").unwrap().name(), "District of Columbia");
        assert!(UsState::parse("XX").is_err());
        assert_eq!(UsState::parse_optional(" ").unwrap(), None);
    }
}
