//! What resolution needs beyond the public data: which offices take CWC, and the addresses an
//! organization configures (office emails, a committee's staff mailbox, the White House).

use std::collections::{BTreeMap, BTreeSet};

use hillpost_core::campaign::CustomRecipient;
use hillpost_core::signer::Email;
use serde::{Deserialize, Serialize};

use crate::office::OfficeCode;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResolveSettings {
    /// House offices reached through CWC: all by default (the House's official channel).
    pub house_cwc: CwcOffices,
    /// Senate offices reached through CWC: none unless configured (SCWC needs its own
    /// approval, and not every office is on its active list).
    pub senate_cwc: CwcOffices,
    /// Email addresses configured per office, by bioguide id.
    pub office_emails: BTreeMap<String, Email>,
    /// The White House form definition's id (contact-officials).
    pub president_form: String,
    pub president_email: Option<Email>,
    /// A committee's staff mailbox by committee id: reached besides the members' offices.
    pub committee_mailboxes: BTreeMap<String, CustomRecipient>,
}

impl Default for ResolveSettings {
    fn default() -> Self {
        Self {
            house_cwc: CwcOffices::All,
            senate_cwc: CwcOffices::None,
            office_emails: BTreeMap::new(),
            president_form: "whitehouse-president-2024".into(),
            president_email: None,
            committee_mailboxes: BTreeMap::new(),
        }
    }
}

/// Which offices of a chamber CWC delivers to (its "active offices" list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CwcOffices {
    None,
    All,
    /// Office codes (`SID02`, `HVA04`).
    Only(BTreeSet<String>),
}

impl CwcOffices {
    pub fn includes(&self, office: &OfficeCode) -> bool {
        match self {
            CwcOffices::None => false,
            CwcOffices::All => true,
            CwcOffices::Only(codes) => codes.contains(office.as_str()),
        }
    }
}

/// Rate-limit keys of the CWC gateways: one quota per chamber's gateway.
pub const CWC_HOUSE_KEY: &str = "cwc:house";
pub const CWC_SENATE_KEY: &str = "cwc:senate";
