//! The tamper-evident audit trail: every import, batch action and attempt appends an event
//! whose hash covers the previous event's hash, so changing or removing any stored event
//! breaks every link after it.
//!
//! This module is the pure half: the canonical JSON an event is hashed as
//! ([`canonical`]), the event itself ([`event`]), and sealing and checking a chain
//! ([`chain`]). The store appends and reads events; `hillpost audit verify` feeds them to a
//! [`Verifier`].

pub mod canonical;
pub mod chain;
pub mod checkpoint;
pub mod commitment;
pub mod event;
pub mod signing;

pub use canonical::canonical_json;
pub use chain::{
    Anchor, BrokenLink, CANONICAL_SUFFIX, ChainHead, GENESIS, UnsealedEvent, Verifier, event_hash,
    seal, unsealed,
};
pub use checkpoint::{CHECKPOINT_TYPE, Checkpoint, CheckpointError};
pub use commitment::{SignerSalt, commitment, still_as_recorded};
pub use event::{ChainedEvent, EventKind, NewEvent, Subjects, audit_time, time_text};
pub use signing::{KeyError, KeyList, PublicKey, PublishedKey, SigningKey};
