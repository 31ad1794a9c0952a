//! A delivery is one message to one endpoint; an attempt is one try of it. The states and
//! the rule that picks the next state after an attempt live here, so the SQLite and
//! PostgreSQL stores and the worker cannot disagree about them.
//!
//! ```text
//!              claim                 ok
//!  queued ─────────────▶ in_flight ─────▶ delivered
//!    ▲                     │  │ │  permanent
//!    │ transient/unknown,  │  │ └─────────▶ failed
//!    │ budget left         │  │ transient/unknown, budget spent
//!    └─────────────────────┘  └──────────▶ dead
//!  queued ── batch cancelled ──▶ cancelled        (ineligible at enqueue) skipped
//! ```

mod batch_control;
mod next;
mod outgoing;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use batch_control::BatchAction;
pub use next::{NextStep, next_step};
pub use outgoing::{
    Attachment, Evidence, EvidenceKind, LetterCampaign, OutgoingLetter, SendReport,
};

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("`{other}` is not a {}", stringify!($name))),
                }
            }
        }
    };
}

string_enum! {
    /// Where a delivery is in its life. `delivered`, `failed`, `dead`, `cancelled` and `skipped`
    /// are final.
    DeliveryState {
        Queued => "queued",
        InFlight => "in_flight",
        Delivered => "delivered",
        Failed => "failed",
        Dead => "dead",
        Cancelled => "cancelled",
        Skipped => "skipped",
    }
}

impl DeliveryState {
    pub fn is_final(self) -> bool {
        !matches!(self, DeliveryState::Queued | DeliveryState::InFlight)
    }
}

string_enum! {
    /// draft → scheduled → running ⇄ paused → completed / cancelled.
    BatchState {
        Scheduled => "scheduled",
        Running => "running",
        Paused => "paused",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

impl BatchState {
    pub fn is_final(self) -> bool {
        matches!(self, BatchState::Completed | BatchState::Cancelled)
    }
}

string_enum! {
    /// How one attempt ended.
    AttemptOutcome {
        /// The endpoint accepted the message.
        Ok => "ok",
        /// Not accepted, worth trying again (SMTP 4xx, timeouts, refused connections).
        Transient => "transient",
        /// Refused for good (SMTP 5xx, validation errors).
        Permanent => "permanent",
        /// The message may or may not have arrived (the connection broke after it was sent).
        Unknown => "unknown",
    }
}

string_enum! {
    /// The kind of endpoint a delivery goes through.
    Channel {
        Email => "email",
        WebForm => "web_form",
        Cwc => "cwc",
        /// Nothing is sent: skipped deliveries and benchmarks.
        None => "none",
    }
}

string_enum! {
    /// What a delivery carries: a letter to an office, or a signer's receipt.
    DeliveryKind {
        Letter => "letter",
        Receipt => "receipt",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_text() {
        for s in DeliveryState::ALL {
            assert_eq!(s.as_str().parse::<DeliveryState>().unwrap(), *s);
        }
        assert!("lost".parse::<DeliveryState>().is_err());
        let finals: Vec<_> = DeliveryState::ALL
            .iter()
            .filter(|s| s.is_final())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            finals,
            ["delivered", "failed", "dead", "cancelled", "skipped"]
        );
    }
}
