//! Egress: the one way hillpost's outbound HTTP leaves (web forms and CWC).
//!
//! ```text
//!  EgressSettings ──build()──▶ EgressClient ──session()──▶ EgressSession (own cookie jar)
//!                                  │ fetch(EgressRequest)        │ fetch(EgressRequest)
//!                                  ▼                             ▼
//!    allow-list check (URL) ─▶ reqwest ─▶ GuardedResolver (overrides, then DNS; private
//!                                 │         addresses dropped unless allowed)
//!                                 ├─ every redirect: allow-list check again
//!                                 └─ answer read up to max_body_bytes ─▶ EgressResponse
//!                                                     (final URL, status, body, Retry-After)
//!
//!  EgressClient ──open_gate()──▶ EgressGate: a loopback proxy for one headless-browser
//!                                session, the same checks on every connection it makes
//! ```
//!
//! Offices allow-list sender IPs and block noisy ones, and a form definition is data from
//! outside: so requests go only to allow-listed hosts, never to private addresses (unless
//! configured), optionally through a fixed proxy, with bounded time and size.

mod address;
mod allow;
mod client;
mod error;
mod gate;
mod resolver;
mod retry_after;
mod settings;

pub use address::is_private;
pub use allow::AllowList;
pub use client::{EgressClient, EgressRequest, EgressResponse, EgressSession};
pub use error::EgressError;
pub use gate::EgressGate;
pub use retry_after::parse_retry_after;
pub use settings::EgressSettings;
