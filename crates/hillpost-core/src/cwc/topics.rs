//! The Library of Congress policy areas: CWC files every message under at least one of them
//! (`LibraryOfCongressTopic`), and refuses a message whose topic is not on the list.

use std::fmt;

use thiserror::Error;

/// The 32 policy areas, spelled as the Library of Congress (and CWC) spells them.
pub const LIBRARY_OF_CONGRESS_TOPICS: [&str; 32] = [
    "Agriculture and Food",
    "Animals",
    "Armed Forces and National Security",
    "Arts, Culture, Religion",
    "Civil Rights and Liberties, Minority Issues",
    "Commerce",
    "Congress",
    "Crime and Law Enforcement",
    "Economics and Public Finance",
    "Education",
    "Emergency Management",
    "Energy",
    "Environmental Protection",
    "Families",
    "Finance and Financial Sector",
    "Foreign Trade and International Finance",
    "Government Operations and Politics",
    "Health",
    "Housing and Community Development",
    "Immigration",
    "International Affairs",
    "Labor and Employment",
    "Law",
    "Native Americans",
    "Public Lands and Natural Resources",
    "Science, Technology, Communications",
    "Social Sciences and History",
    "Social Welfare",
    "Sports and Recreation",
    "Taxation",
    "Transportation and Public Works",
    "Water Resources Development",
];

/// One policy area from [`LIBRARY_OF_CONGRESS_TOPICS`], in its official spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocTopic(&'static str);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "`{0}` is not one of the 32 Library of Congress policy areas (e.g. \"International Affairs\", \
     \"Armed Forces and National Security\"; see docs/cwc.md for the list)"
)]
pub struct UnknownTopic(pub String);

impl LocTopic {
    /// Matches case-insensitively and with spaces collapsed, so a configuration written
    /// "international  affairs" still names the official area.
    pub fn parse(raw: &str) -> Result<Self, UnknownTopic> {
        let wanted = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        LIBRARY_OF_CONGRESS_TOPICS
            .iter()
            .find(|topic| topic.eq_ignore_ascii_case(&wanted))
            .map(|topic| Self(topic))
            .ok_or_else(|| UnknownTopic(raw.trim().to_string()))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for LocTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_the_official_spellings() {
        assert_eq!(
            LocTopic::parse(" international  AFFAIRS ")
                .unwrap()
                .as_str(),
            "International Affairs"
        );
        assert_eq!(
            LocTopic::parse("Armed Forces and National Security")
                .unwrap()
                .as_str(),
            "Armed Forces and National Security"
        );
        assert!(LocTopic::parse("Foreign Policy").is_err());
        assert!(LocTopic::parse("").is_err());
        let mut sorted = LIBRARY_OF_CONGRESS_TOPICS.to_vec();
        sorted.dedup();
        assert_eq!(sorted.len(), 32, "no duplicates");
    }
}
