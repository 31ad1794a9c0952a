//! Stage 3: a channel's report becomes an attempt row and the delivery's next state.

use hillpost_core::delivery::{SendReport, next_step};
use hillpost_core::retry::RetrySchedule;
use hillpost_store::{AttemptRecord, ClaimedDelivery};

pub fn attempt_record(
    delivery: &ClaimedDelivery,
    report: SendReport,
    retry: &RetrySchedule,
) -> AttemptRecord {
    // The schedule attached to the delivery at enqueue is its max_attempts; the configured
    // delays give the waits. A delivery enqueued with a longer budget than the schedule now
    // has is finished as dead when the schedule runs out.
    let next = next_step(
        report.outcome,
        delivery.attempt_no,
        retry,
        report.retry_after,
        rand::random::<f64>(),
    );
    let next = match next {
        hillpost_core::delivery::NextStep::RetryAfter(_)
            if delivery.attempt_no >= delivery.max_attempts =>
        {
            hillpost_core::delivery::NextStep::Finish(hillpost_core::DeliveryState::Dead)
        }
        // Only a refusal that sent nothing may move a letter to another endpoint: anything
        // else could deliver it twice.
        _ if report.fallback.is_some()
            && report.outcome == hillpost_core::AttemptOutcome::Permanent
            && report.sent_sha256.is_none() =>
        {
            hillpost_core::delivery::NextStep::NextEndpoint
        }
        other => other,
    };
    AttemptRecord {
        delivery_id: delivery.id,
        attempt_no: delivery.attempt_no,
        started_at: report.started_at,
        finished_at: report.finished_at,
        outcome: report.outcome,
        endpoint: delivery.endpoint.clone(),
        remote_code: report.remote_code,
        remote_text: report.remote_text,
        sent_sha256: report.sent_sha256,
        note: report.note,
        next,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;
    use hillpost_core::delivery::{AttemptOutcome, Channel, DeliveryState, NextStep};

    use super::*;

    fn delivery(attempt_no: u32, max_attempts: u32) -> ClaimedDelivery {
        ClaimedDelivery {
            id: 7,
            batch_id: 1,
            recipient_id: 1,
            signature_id: None,
            message_id: 1,
            attempt_no,
            max_attempts,
            channel: Channel::Email,
            endpoint: "staff@example.org".into(),
            rate_key: "example.org".into(),
        }
    }

    fn report(outcome: AttemptOutcome) -> SendReport {
        SendReport {
            outcome,
            started_at: Utc::now(),
            finished_at: Utc::now(),
            remote_code: Some(451),
            remote_text: Some("try later".into()),
            sent_sha256: None,
            retry_after: None,
            note: None,
            evidence: Vec::new(),
            fallback: None,
        }
    }

    #[test]
    fn transient_failures_retry_until_the_budget_is_spent() {
        let schedule = RetrySchedule::new(
            vec![Duration::from_secs(1), Duration::from_secs(2)],
            0.0,
            Duration::from_secs(60),
        );
        let first = attempt_record(
            &delivery(1, 3),
            report(AttemptOutcome::Transient),
            &schedule,
        );
        assert_eq!(first.next, NextStep::RetryAfter(Duration::from_secs(1)));
        assert_eq!(first.remote_code, Some(451));
        let last = attempt_record(
            &delivery(3, 3),
            report(AttemptOutcome::Transient),
            &schedule,
        );
        assert_eq!(last.next, NextStep::Finish(DeliveryState::Dead));
        let capped = attempt_record(&delivery(2, 2), report(AttemptOutcome::Unknown), &schedule);
        assert_eq!(
            capped.next,
            NextStep::Finish(DeliveryState::Dead),
            "the delivery's own budget holds"
        );
    }

    #[test]
    fn a_refusal_that_sent_nothing_moves_on_to_the_next_endpoint() {
        let schedule = RetrySchedule::new(vec![Duration::from_secs(1)], 0.0, Duration::ZERO);
        let fall_back = SendReport {
            fallback: Some("the form has a recaptcha step".into()),
            ..report(AttemptOutcome::Permanent)
        };
        let record = attempt_record(&delivery(1, 3), fall_back.clone(), &schedule);
        assert_eq!(record.next, NextStep::NextEndpoint);
        let sent = SendReport {
            sent_sha256: Some("ab".repeat(32)),
            ..fall_back
        };
        assert_eq!(
            attempt_record(&delivery(1, 3), sent, &schedule).next,
            NextStep::Finish(DeliveryState::Failed),
            "bytes left hillpost: moving on could deliver the letter twice"
        );
        assert_eq!(
            attempt_record(
                &delivery(1, 3),
                report(AttemptOutcome::Permanent),
                &schedule
            )
            .next,
            NextStep::Finish(DeliveryState::Failed)
        );
    }
}
