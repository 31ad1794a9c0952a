//! hillpost's domain, free of I/O.
//!
//! A letter travels **campaign → signatures → batch → deliveries → attempts**. This crate holds
//! the types for each step and the rules between them: what a valid signer is, how a letter is
//! rendered, which state a delivery moves to after an attempt, when it is retried. Everything
//! here is plain data and pure functions so that the store, the channels and the worker can be
//! tested against the same rules.

pub mod audit;
pub mod batch;
pub mod bounce;
pub mod campaign;
pub mod csv_cell;
pub mod cwc;
pub mod delivery;
pub mod eligibility;
pub mod ids;
pub mod import;
pub mod markdown;
pub mod petition;
pub mod quota;
pub mod receipt;
pub mod render;
pub mod retry;
pub mod signer;
pub mod text;

#[cfg(test)]
mod fuzz;

pub use campaign::{Campaign, CampaignId, Letter, Mode, Target};
pub use delivery::{AttemptOutcome, BatchState, Channel, DeliveryState};
pub use ids::{
    AttemptId, AttemptNo, BatchId, DeliveryId, EventId, ImportId, MessageId, NoticeId, RecipientId,
    SignatureId, TokenId,
};
pub use signer::{Email, Language, NewSignature};
