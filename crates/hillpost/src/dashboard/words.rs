//! States, modes and channels in the words a campaigner reads on the dashboard.

use chrono::{DateTime, Utc};
use hillpost_core::Mode;
use hillpost_core::delivery::{AttemptOutcome, BatchState, Channel, DeliveryState};

pub fn batch_state(state: BatchState) -> &'static str {
    match state {
        BatchState::Scheduled => "Scheduled",
        BatchState::Running => "Sending",
        BatchState::Paused => "Paused",
        BatchState::Completed => "Completed",
        BatchState::Cancelled => "Cancelled",
    }
}

pub fn delivery_state(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Queued => "Waiting to be sent",
        DeliveryState::InFlight => "Being sent now",
        DeliveryState::Delivered => "Delivered",
        DeliveryState::Unconfirmed => "Sent, not confirmed: needs a person to check",
        DeliveryState::Bounced => "Returned by the office's mail system",
        DeliveryState::Failed => "Could not be delivered by any way",
        DeliveryState::Dead => "Gave up after retries",
        DeliveryState::Cancelled => "Cancelled",
        DeliveryState::Skipped => "Skipped",
    }
}

pub fn attempt_outcome(outcome: AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Ok => "Accepted",
        AttemptOutcome::Transient => "Temporary problem (tried again later)",
        AttemptOutcome::Permanent => "Refused",
        AttemptOutcome::PossiblyAccepted => "May have arrived: cut off before the office answered",
        AttemptOutcome::Unconfirmed => "The office answered, without a confirmation",
        AttemptOutcome::Unknown => "Unclear whether it arrived",
    }
}

pub fn mode(mode: Mode) -> &'static str {
    match mode {
        Mode::Petition => "Petition: one letter to each office, with every signature attached",
        Mode::Individual => "Individual letters: one letter from each signer to each office",
    }
}

pub fn channel(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "Email",
        Channel::WebForm => "Web form",
        Channel::Cwc => "Communicating with Congress (CWC)",
        Channel::None => "Nothing sent",
    }
}

/// A time as the dashboard shows it: to the second, in UTC, said so.
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_words() {
        for s in DeliveryState::ALL {
            assert!(!delivery_state(*s).contains('_'));
        }
        for s in BatchState::ALL {
            assert!(!batch_state(*s).is_empty());
        }
        let t = DateTime::parse_from_rfc3339("2026-11-23T12:00:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time(t), "2026-11-23 12:00:05 UTC");
    }
}
