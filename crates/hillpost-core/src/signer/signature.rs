use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Country, Email, Language, OrganizationName, PersonName, PostalCode, UsState};

/// A signature ready to be stored: every field parsed and normalised. A signer is a person
/// (given and/or family name, perhaps with an affiliation) or an organization (organization
/// name only); the importer guarantees at least one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSignature {
    pub email: Email,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub organization: Option<OrganizationName>,
    pub address: PostalAddress,
    /// Congressional district from the signer's own data (0 = at large), when known.
    pub district: Option<u8>,
    pub language: Option<Language>,
    /// Digits with an optional leading `+`.
    pub phone: Option<String>,
    /// The signer agreed to receive a delivery receipt by email.
    pub receipt_consent: bool,
    pub signed_at: Option<DateTime<Utc>>,
    /// Where the signature came from (an export's name, a form), for the record.
    pub source: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<UsState>,
    pub postal_code: Option<PostalCode>,
    pub country: Option<Country>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerKind {
    Person,
    Organization,
}

impl NewSignature {
    pub fn kind(&self) -> SignerKind {
        if self.first_name.is_none() && self.last_name.is_none() {
            SignerKind::Organization
        } else {
            SignerKind::Person
        }
    }

    /// "Given Family" for a person, the organization's name for an organization.
    pub fn full_name(&self) -> String {
        let person = [&self.first_name, &self.last_name]
            .into_iter()
            .flatten()
            .map(PersonName::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        if !person.is_empty() {
            return person;
        }
        self.organization
            .as_ref()
            .map(|o| o.as_str().to_string())
            .unwrap_or_default()
    }
}
