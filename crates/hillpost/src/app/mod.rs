//! The use cases: what a person can do to batches, signatures and deliveries, each one
//! function, called alike by every surface.
//!
//! ```text
//!   CLI (commands/)   HTTP API (server/)   dashboard (dashboard/)   demo (commands/demo.rs)
//!        │                  │                      │                        │
//!        │   parse input, check who may act (tokens, sessions), pass the actor in
//!        └──────────────────┴──────────┬───────────┴────────────────────────┘
//!                                      ▼
//!            app::App  create / preview / pause / resume / cancel / retry a batch,
//!                      import signatures, confirm / resend a delivery  → AppError
//!                                      ▼
//!            planning, time, targets (this crate) · hillpost-store · hillpost-core
//! ```
//!
//! Surfaces keep their own words and formats (a CLI line, JSON, a page); what is done, with
//! which settings (retry budget, receipt links, sendable channels), and how failures are
//! classified is decided here once, so the surfaces cannot drift apart. The store knows
//! nothing of this layer.

mod batches;
mod deliveries;
mod error;
mod signatures;

use hillpost_store::Store;

use crate::config::Settings;

pub use batches::{BatchStart, CreatedBatch, NewBatch};
pub use error::{AppError, BadInput};

/// The use cases over one store with one configuration. Cheap to make: surfaces build one
/// per request or command.
#[derive(Clone, Copy)]
pub struct App<'a> {
    store: &'a Store,
    settings: &'a Settings,
}

impl<'a> App<'a> {
    pub fn new(store: &'a Store, settings: &'a Settings) -> Self {
        App { store, settings }
    }
}
