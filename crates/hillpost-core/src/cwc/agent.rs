//! Who delivers: the operator of this hillpost as registered with CWC. The gateway checks
//! that `DeliveryAgent` matches the API key's owner, and offices send failure notices to the
//! acknowledgement address.

use super::fields::{FieldError, is_cwc_phone, us_phone};
use crate::signer::Email;
use crate::text;

/// The `Delivery` block's fixed part, from configuration; checked once at start so a
/// message never fails on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAgent {
    pub(super) name: String,
    pub(super) ack_email: Email,
    pub(super) contact_name: String,
    pub(super) contact_email: Email,
    /// `xxx-xxx-xxxx`.
    pub(super) contact_phone: String,
}

impl DeliveryAgent {
    /// Errors name the element (`Delivery/DeliveryAgentContact/DeliveryAgentContactPhone`).
    pub fn new(
        name: &str,
        ack_email: &str,
        contact_name: &str,
        contact_email: &str,
        contact_phone: &str,
    ) -> Result<Self, FieldError> {
        let line = |field, raw: &str| {
            text::required_line(raw, 200).map_err(|e| FieldError::new(field, e.to_string()))
        };
        let email =
            |field, raw: &str| Email::parse(raw).map_err(|e| FieldError::new(field, e.to_string()));
        const PHONE: &str = "Delivery/DeliveryAgentContact/DeliveryAgentContactPhone";
        let contact_phone = us_phone(contact_phone)
            .filter(|p| is_cwc_phone(p))
            .ok_or_else(|| FieldError::new(PHONE, "must be a US number written xxx-xxx-xxxx"))?;
        Ok(Self {
            name: line("Delivery/DeliveryAgent", name)?,
            ack_email: email("Delivery/DeliveryAgentAckEmailAddress", ack_email)?,
            contact_name: line(
                "Delivery/DeliveryAgentContact/DeliveryAgentContactName",
                contact_name,
            )?,
            contact_email: email(
                "Delivery/DeliveryAgentContact/DeliveryAgentContactEmail",
                contact_email,
            )?,
            contact_phone,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_agent_field_is_checked_and_named() {
        let ok = DeliveryAgent::new(
            "Hillpost Org",
            "cwc-acks@example.org",
            "Ana Operator",
            "ops@example.org",
            "(202) 555-0100",
        )
        .unwrap();
        assert_eq!(ok.contact_phone, "202-555-0100");
        let field = |args: [&str; 5]| {
            DeliveryAgent::new(args[0], args[1], args[2], args[3], args[4])
                .unwrap_err()
                .field
        };
        let good = ["A", "a@example.org", "C", "c@example.org", "202-555-0100"];
        let mut bad = good;
        bad[0] = " ";
        assert_eq!(field(bad), "Delivery/DeliveryAgent");
        let mut bad = good;
        bad[1] = "nobody";
        assert_eq!(field(bad), "Delivery/DeliveryAgentAckEmailAddress");
        let mut bad = good;
        bad[4] = "+44 20 7946 0000";
        assert_eq!(
            field(bad),
            "Delivery/DeliveryAgentContact/DeliveryAgentContactPhone"
        );
    }
}
