//! A delivery is one message to one endpoint; an attempt is one try of it. The states and
//! the rule that picks the next state after an attempt ([`transition`]) live here, so the
//! SQLite and PostgreSQL stores and the worker cannot disagree about them.
//!
//! ```text
//!              claim                 ok
//!  queued ─────────────▶ in_flight ─────▶ delivered
//!    ▲ ▲                   │ │ │ │   unconfirmed, or possibly_accepted where the channel
//!    │ │ retry, same       │ │ │ └─────▶ unconfirmed      may not resend (web forms)
//!    │ │ endpoint          │ │ │  permanent / transient with budget spent, nothing
//!    │ └───────────────────┘ │ └──────▶ failed / dead      may have arrived, no endpoint left
//!    │  next endpoint, while │
//!    └── nothing may have ───┘
//!        arrived
//!  queued ── batch cancelled ──▶ cancelled        (ineligible at enqueue) skipped
//!  unconfirmed ── operator confirms ──▶ delivered; ── operator resends ──▶ queued
//! ```

mod batch_control;
mod operator;
mod outgoing;
mod transition;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use batch_control::{BatchAction, reopened};
pub use operator::{OperatorAction, RetrySelection};
pub use outgoing::{
    Attachment, Evidence, EvidenceKind, LetterCampaign, LetterEnvelope, OutgoingLetter, SendReport,
};
pub use transition::{DeliveryRules, Position, ResendPolicy, RouteChange, Transition, transition};

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
    /// Where a delivery is in its life. Every state but `queued` and `in_flight` is final
    /// (an operator may still confirm or resend an `unconfirmed` one).
    DeliveryState {
        Queued => "queued",
        InFlight => "in_flight",
        Delivered => "delivered",
        /// The office may have the letter, but nothing confirmed it: a web form answered
        /// without its confirmation text, or a submission was cut off where the channel
        /// may not send it again. A person decides (`hillpost delivery confirm|resend`).
        Unconfirmed => "unconfirmed",
        /// Delivered, then the office's mail system sent it back (a DSN with 5.x.x).
        Bounced => "bounced",
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
    /// How one attempt ended, said as whether the office may have the letter.
    AttemptOutcome {
        /// The office's server accepted the message (SMTP 250, CWC 201/409, a form's
        /// confirmation text).
        Ok => "ok",
        /// Not accepted, worth trying again: nothing the office kept (SMTP 4xx, HTTP 429,
        /// refused connections, DNS failures, timeouts before anything was sent).
        Transient => "transient",
        /// Not accepted, and trying again will not help (SMTP 5xx, HTTP 4xx, a form that no
        /// longer matches its definition before anything was posted).
        Permanent => "permanent",
        /// Bytes of the submission left, and no trustworthy answer came back: a connection
        /// cut after the body was sent, a 5xx or timeout after posting, SMTP lost after
        /// DATA, a worker that died while sending.
        PossiblyAccepted => "possibly_accepted",
        /// The office answered a form post with a success status but nothing to judge it
        /// by (no confirmation text in the definition, or not on the page).
        Unconfirmed => "unconfirmed",
        /// Rows recorded before outcomes were split: treated as `possibly_accepted`.
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
            [
                "delivered",
                "unconfirmed",
                "bounced",
                "failed",
                "dead",
                "cancelled",
                "skipped"
            ]
        );
    }
}
