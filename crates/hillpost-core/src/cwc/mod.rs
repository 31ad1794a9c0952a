//! Communicating with Congress (CWC): the XML message a member office receives for one
//! constituent, and the rules it must pass before it is posted. Pure: the channel that
//! posts it lives in `hillpost-channels` (`cwc`).
//!
//! ```text
//!  OutgoingLetter ──CwcMessage::build──▶ CwcMessage ──to_xml──▶ bytes posted to the gateway
//!   + MessageSettings        │ (checked: DeliveryId, office code, prefix, names, address,
//!     (agent, topic, prefix) │  ZIP, phone, lengths, topic)
//!                            └──▶ FieldError naming the element: the letter can never go by CWC
//! ```
//!
//! The facts behind the rules are in `../shared/docs/cwc.md`; our choices in `docs/cwc.md`.

mod agent;
mod fields;
mod maintenance;
mod message;
mod office;
mod topics;
mod xml;

pub use agent::DeliveryAgent;
pub use fields::{
    DeliveryId, FieldError, SENATE_PREFIXES, check_length, is_cwc_phone, is_zip, us_phone,
};
pub use maintenance::{MaintenanceError, MaintenanceSchedule, MaintenanceWindow};
pub use message::{BodyElement, CwcMessage, MessageSettings};
pub use office::{OfficeCode, OfficeCodeError};
pub use topics::{LIBRARY_OF_CONGRESS_TOPICS, LocTopic, UnknownTopic};
pub use xml::CWC_VERSION;

#[cfg(test)]
mod tests;
