//! One CWC message for one (signer, office): built from an [`OutgoingLetter`] and checked
//! element by element, so a [`CwcMessage`] that exists can be written and posted. A letter
//! that cannot make a valid message is a [`FieldError`] naming the element.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::agent::DeliveryAgent;
use super::fields::{DeliveryId, FieldError, SENATE_PREFIXES, check_length, is_zip, us_phone};
use super::office::OfficeCode;
use super::topics::LocTopic;
use crate::campaign::Chamber;
use crate::delivery::OutgoingLetter;
use crate::markdown;
use crate::signer::{Country, NewSignature};

/// Which `Message` element carries the letter body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyElement {
    /// The campaign's text (the fact sheet's reading of our letters: the organizer wrote
    /// them). The default.
    OrganizationStatement,
    /// The signer's own words.
    ConstituentMessage,
}

/// What a message needs beyond the letter: the agent, and campaign-level values from
/// configuration.
#[derive(Debug, Clone)]
pub struct MessageSettings {
    pub agent: DeliveryAgent,
    /// The policy area of campaigns without an entry in `campaign_topics`.
    pub topic: LocTopic,
    /// Policy area by campaign id.
    pub campaign_topics: HashMap<String, LocTopic>,
    /// CWC requires a `Prefix` and signers carry none: this one is used for every
    /// constituent (the Senate accepts only [`SENATE_PREFIXES`]).
    pub constituent_prefix: String,
    pub body_element: BodyElement,
}

/// A checked message, ready to be written as XML ([`CwcMessage::to_xml`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CwcMessage {
    pub(super) delivery_id: DeliveryId,
    pub(super) date: NaiveDate,
    pub(super) agent: DeliveryAgent,
    pub(super) organization: Option<String>,
    pub(super) campaign_id: String,
    pub(super) office: OfficeCode,
    pub(super) constituent: Constituent,
    pub(super) subject: String,
    pub(super) topic: LocTopic,
    pub(super) organization_statement: Option<String>,
    pub(super) constituent_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Constituent {
    pub prefix: String,
    pub first_name: String,
    pub last_name: String,
    pub organization: Option<String>,
    pub address1: String,
    pub address2: Option<String>,
    pub city: String,
    pub state: &'static str,
    pub zip: String,
    pub phone: Option<String>,
    pub email: String,
}

const SUBJECT: (usize, usize) = (6, 500);
const STATEMENT: (usize, usize) = (6, 10_000);
const ORGANIZATION_MIN: usize = 3;

impl CwcMessage {
    /// Builds the message `letter` makes for its office on `today` (the DeliveryDate).
    /// Called once per attempt, before anything is sent.
    pub fn build(
        letter: &OutgoingLetter,
        settings: &MessageSettings,
        today: NaiveDate,
    ) -> Result<Self, FieldError> {
        let delivery_id = DeliveryId::parse(&letter.idempotency_key)?;
        let office = OfficeCode::parse(&letter.endpoint)
            .map_err(|e| FieldError::new("Recipient/MemberOffice", e.to_string()))?;
        let campaign = letter.campaign.as_ref().ok_or_else(|| {
            FieldError::new("Delivery/CampaignId", "the letter belongs to no campaign")
        })?;
        let organization = Some(campaign.organization.trim().to_string())
            .filter(|o| !o.is_empty())
            .map(|o| check_length("Delivery/Organization", &o, ORGANIZATION_MIN, None).map(|_| o))
            .transpose()?;
        let signer = letter.signer.as_deref().ok_or_else(|| {
            FieldError::new(
                "Constituent",
                "the letter has no signer (CWC carries one constituent's message)",
            )
        })?;
        let constituent = constituent(signer, &office, &settings.constituent_prefix)?;

        let subject = letter.subject.trim().to_string();
        check_length("Message/Subject", &subject, SUBJECT.0, Some(SUBJECT.1))?;
        let body = markdown::to_plain_text(&letter.body_markdown)
            .trim()
            .to_string();
        let (field, statement, message) = match settings.body_element {
            BodyElement::OrganizationStatement => {
                ("Message/OrganizationStatement", Some(body), None)
            }
            BodyElement::ConstituentMessage => ("Message/ConstituentMessage", None, Some(body)),
        };
        let text = statement.as_deref().or(message.as_deref()).unwrap_or("");
        check_length(field, text, STATEMENT.0, Some(STATEMENT.1))?;
        let topic = settings
            .campaign_topics
            .get(campaign.id.as_str())
            .copied()
            .unwrap_or(settings.topic);

        Ok(Self {
            delivery_id,
            date: today,
            agent: settings.agent.clone(),
            organization,
            campaign_id: campaign.id.as_str().to_string(),
            office,
            constituent,
            subject,
            topic,
            organization_statement: statement,
            constituent_message: message,
        })
    }

    pub fn delivery_id(&self) -> &DeliveryId {
        &self.delivery_id
    }

    pub fn office(&self) -> &OfficeCode {
        &self.office
    }
}

/// The `Constituent` block. Signer values were parsed at import (single lines, bounded);
/// here they are checked against what CWC requires.
fn constituent(
    signer: &NewSignature,
    office: &OfficeCode,
    prefix: &str,
) -> Result<Constituent, FieldError> {
    let prefix = prefix.trim().to_string();
    if prefix.is_empty() {
        return Err(FieldError::new(
            "Constituent/Prefix",
            "is required; set [cwc] constituent_prefix",
        ));
    }
    if office.chamber() == Chamber::Senate && !SENATE_PREFIXES.contains(&prefix.as_str()) {
        return Err(FieldError::new(
            "Constituent/Prefix",
            format!(
                "`{prefix}` is not accepted by the Senate (only {})",
                SENATE_PREFIXES.join(", ")
            ),
        ));
    }
    let name = |field, value: &Option<crate::signer::PersonName>| {
        value
            .as_ref()
            .map(|n| n.as_str().to_string())
            .ok_or_else(|| FieldError::new(field, "is required; the signer has none"))
    };
    let first_name = name("Constituent/FirstName", &signer.first_name)?;
    let last_name = name("Constituent/LastName", &signer.last_name)?;
    let address = &signer.address;
    if address.country.is_some_and(|c| c != Country::US) {
        return Err(FieldError::new(
            "Constituent/StateAbbreviation",
            "the signer's address is outside the United States; CWC carries constituents' \
             messages only",
        ));
    }
    let required = |field, value: &Option<String>| {
        value
            .as_ref()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| FieldError::new(field, "is required; the signer has none"))
    };
    let address1 = required("Constituent/Address1", &address.line1)?;
    let city = required("Constituent/City", &address.city)?;
    let state = address.state.ok_or_else(|| {
        FieldError::new(
            "Constituent/StateAbbreviation",
            "is required; the signer has none",
        )
    })?;
    if state != office.state() {
        return Err(FieldError::new(
            "Constituent/StateAbbreviation",
            format!(
                "the signer lives in {}, office {} serves {}; CWC carries constituents' \
                 messages only",
                state.code(),
                office,
                office.state().code()
            ),
        ));
    }
    let zip = address
        .postal_code
        .as_ref()
        .map(|p| p.as_str().to_string())
        .ok_or_else(|| FieldError::new("Constituent/Zip", "is required; the signer has none"))?;
    if !is_zip(&zip) {
        return Err(FieldError::new(
            "Constituent/Zip",
            "is not a US ZIP code (12345 or 12345-6789)",
        ));
    }
    Ok(Constituent {
        prefix,
        first_name,
        last_name,
        organization: signer.organization.as_ref().map(|o| o.as_str().to_string()),
        address1,
        address2: address
            .line2
            .as_ref()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty()),
        city,
        state: state.code(),
        zip,
        // Optional in CWC: a number that is not a US one is left out rather than failing
        // the letter.
        phone: signer.phone.as_deref().and_then(us_phone),
        email: signer.email.as_str().to_string(),
    })
}
