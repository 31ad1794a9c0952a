//! Signatures as columns, both ways. Reading back re-parses every value with the domain
//! types, so a row edited by hand into something invalid is reported, not sent.

use chrono::{DateTime, Utc};
use hillpost_core::signer::{
    Country, Email, Language, NewSignature, OrganizationName, PersonName, PostalAddress,
    PostalCode, UsState,
};

use crate::StoreError;

/// The columns of `signatures` after `campaign_id` and `import_id`, in table order.
#[derive(Debug, Clone, Default)]
pub(crate) struct SignatureColumns {
    pub email_key: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub organization: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub district: Option<i16>,
    pub language: Option<String>,
    pub phone: Option<String>,
    pub receipt_consent: bool,
    pub signed_at: Option<DateTime<Utc>>,
    pub source: Option<String>,
}

impl SignatureColumns {
    pub(crate) fn of(s: &NewSignature) -> Self {
        let a = &s.address;
        Self {
            email_key: s.email.dedup_key(),
            email: s.email.to_string(),
            first_name: s.first_name.as_ref().map(ToString::to_string),
            last_name: s.last_name.as_ref().map(ToString::to_string),
            organization: s.organization.as_ref().map(ToString::to_string),
            address_line1: a.line1.clone(),
            address_line2: a.line2.clone(),
            city: a.city.clone(),
            state: a.state.map(|s| s.code().to_string()),
            postal_code: a.postal_code.as_ref().map(ToString::to_string),
            country: a.country.map(|c| c.code().to_string()),
            district: s.district.map(i16::from),
            language: s.language.as_ref().map(ToString::to_string),
            phone: s.phone.clone(),
            receipt_consent: s.receipt_consent,
            signed_at: s.signed_at,
            source: s.source.clone(),
        }
    }

    pub(crate) fn into_signature(self, id: i64) -> Result<NewSignature, StoreError> {
        let bad = |field: &str, e: &dyn std::fmt::Display| {
            StoreError::corrupt(format!("signature {id}: {field} {e}"))
        };
        let country = self
            .country
            .as_deref()
            .map(Country::parse)
            .transpose()
            .map_err(|e| bad("country", &e))?;
        Ok(NewSignature {
            email: Email::parse(&self.email).map_err(|e| bad("email", &e))?,
            first_name: self
                .first_name
                .as_deref()
                .map(PersonName::parse)
                .transpose()
                .map_err(|e| bad("first_name", &e))?,
            last_name: self
                .last_name
                .as_deref()
                .map(PersonName::parse)
                .transpose()
                .map_err(|e| bad("last_name", &e))?,
            organization: match self.organization.as_deref() {
                Some(raw) => {
                    OrganizationName::parse_optional(raw).map_err(|e| bad("organization", &e))?
                }
                None => None,
            },
            address: PostalAddress {
                line1: self.address_line1,
                line2: self.address_line2,
                city: self.city,
                state: self
                    .state
                    .as_deref()
                    .map(UsState::parse)
                    .transpose()
                    .map_err(|e| bad("state", &e))?,
                postal_code: match self.postal_code.as_deref() {
                    Some(raw) => PostalCode::parse_optional(raw, country)
                        .map_err(|e| bad("postal_code", &e))?,
                    None => None,
                },
                country,
            },
            district: self
                .district
                .map(u8::try_from)
                .transpose()
                .map_err(|e| bad("district", &e))?,
            language: self
                .language
                .as_deref()
                .map(Language::parse)
                .transpose()
                .map_err(|e| bad("language", &e))?,
            phone: self.phone,
            receipt_consent: self.receipt_consent,
            signed_at: self.signed_at,
            source: self.source,
        })
    }
}

/// A new signer's commitment salt (`signatures.salt`, see hillpost_core::audit::commitment),
/// drawn once, when their row is written.
pub(crate) fn new_salt() -> Vec<u8> {
    rand::random::<[u8; hillpost_core::audit::SignerSalt::LEN]>().to_vec()
}
