//! A campaign: the letter an organization runs, in one or more languages, and whom it is
//! addressed to. Campaigns are written as TOML files by organizers (see `docs/campaigns.md`)
//! and checked completely before they are stored: a campaign that exists can be rendered.

mod file;
mod id;
mod letter;
mod target;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use file::CampaignError;
pub use id::{CampaignId, CampaignIdError};
pub use letter::{Letter, Placeholder};
pub use target::{Chamber, CommitteeScope, CustomRecipient, Target, TargetError};

use crate::signer::Language;

/// How signatures become letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One letter per recipient carrying the signature count and the list of signers.
    Petition,
    /// One letter per signer per recipient, in the signer's language, signer as Reply-To.
    Individual,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Petition => "petition",
            Mode::Individual => "individual",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: CampaignId,
    pub title: String,
    pub organization: String,
    pub mode: Mode,
    pub default_language: Language,
    /// The name letters are sent under in petition mode (defaults to the organization).
    pub sender_name: String,
    pub letters: BTreeMap<Language, Letter>,
    pub targets: Vec<Target>,
}

impl Campaign {
    /// Parses and checks a campaign file. Every problem found is reported, not just the first.
    pub fn from_toml(source: &str) -> Result<Self, CampaignError> {
        file::parse(source)
    }

    /// The letter for `wanted`, or the default language's letter when the campaign has no
    /// translation for it.
    pub fn letter_for(&self, wanted: Option<&Language>) -> (&Language, &Letter) {
        wanted
            .and_then(|l| self.letters.get_key_value(l))
            .or_else(|| self.letters.get_key_value(&self.default_language))
            .expect("a checked campaign has a letter in its default language")
    }

    /// The stored form (JSON); [`Campaign::from_stored`] reads it back.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).expect("a campaign always serialises")
    }

    pub fn from_stored(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}
