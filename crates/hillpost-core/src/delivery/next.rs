use std::time::Duration;

use super::{AttemptOutcome, DeliveryState};
use crate::retry::RetrySchedule;

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Final: delivered, failed or dead.
    Finish(DeliveryState),
    /// Back to `queued`, due after this delay.
    RetryAfter(Duration),
    /// The endpoint can never take this letter: on to the recipient's next endpoint, due now
    /// with a fresh attempt budget, or `failed` when there is none.
    NextEndpoint,
}

/// The rule: ok → delivered; permanent → failed; transient or unknown → retried while the
/// schedule has delays left, else dead. An unknown outcome is retried because losing a
/// letter is worse than a duplicate the records flag (the attempt row says `unknown`, and
/// the message keeps its Message-ID / DeliveryId so the office can recognise it).
///
/// `attempt_no` is 1-based: the attempt that just ended. `unit_random` in [0, 1) drives the
/// jitter; `retry_after` is what the endpoint asked for, if anything.
pub fn next_step(
    outcome: AttemptOutcome,
    attempt_no: u32,
    schedule: &RetrySchedule,
    retry_after: Option<Duration>,
    unit_random: f64,
) -> NextStep {
    match outcome {
        AttemptOutcome::Ok => NextStep::Finish(DeliveryState::Delivered),
        AttemptOutcome::Permanent => NextStep::Finish(DeliveryState::Failed),
        AttemptOutcome::Transient | AttemptOutcome::Unknown => {
            match schedule.delay_after(attempt_no, retry_after, unit_random) {
                Some(delay) => NextStep::RetryAfter(delay),
                None => NextStep::Finish(DeliveryState::Dead),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> RetrySchedule {
        RetrySchedule::new(
            vec![Duration::from_secs(10), Duration::from_secs(60)],
            0.0,
            Duration::from_secs(3600),
        )
    }

    #[test]
    fn outcomes_map_to_states() {
        let s = schedule();
        assert_eq!(
            next_step(AttemptOutcome::Ok, 1, &s, None, 0.5),
            NextStep::Finish(DeliveryState::Delivered)
        );
        assert_eq!(
            next_step(AttemptOutcome::Permanent, 1, &s, None, 0.5),
            NextStep::Finish(DeliveryState::Failed)
        );
        assert_eq!(
            next_step(AttemptOutcome::Transient, 1, &s, None, 0.5),
            NextStep::RetryAfter(Duration::from_secs(10))
        );
        assert_eq!(
            next_step(AttemptOutcome::Unknown, 2, &s, None, 0.5),
            NextStep::RetryAfter(Duration::from_secs(60))
        );
        assert_eq!(
            next_step(AttemptOutcome::Transient, 3, &s, None, 0.5),
            NextStep::Finish(DeliveryState::Dead)
        );
    }
}
