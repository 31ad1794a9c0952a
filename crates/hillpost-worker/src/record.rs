//! Stage 3: a channel's report becomes an attempt record carrying the delivery's next state,
//! as hillpost-core's one rule ([`transition`]) decides it.

use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::{DeliveryRules, Position, SendReport, transition};
use hillpost_store::{AttemptRecord, ClaimedDelivery};

/// The record of one attempt of `delivery`, whose office has `endpoints` (in order of
/// preference), ending as `report` says.
pub fn attempt_record(
    delivery: &ClaimedDelivery,
    endpoints: &[Endpoint],
    report: SendReport,
    rules: &DeliveryRules,
) -> AttemptRecord {
    let at = Position {
        channel: delivery.channel,
        endpoint: &delivery.endpoint,
        endpoints,
        attempt_no: delivery.attempt_no,
        max_attempts: delivery.max_attempts,
        possibly_accepted: delivery.possibly_accepted,
    };
    let transition = transition(&at, &report, rules, rand::random::<f64>());
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
        receiver_id: report.receiver_id,
        note: report.note,
        transition,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;
    use hillpost_core::delivery::{
        AttemptOutcome, Channel, DeliveryState, ResendPolicy, RouteChange,
    };
    use hillpost_core::ids::{BatchId, DeliveryId, MessageId, RecipientId};
    use hillpost_core::retry::RetrySchedule;

    use super::*;

    fn delivery(channel: Channel, attempt_no: u32, max_attempts: u32) -> ClaimedDelivery {
        ClaimedDelivery {
            id: DeliveryId::new(7),
            batch_id: BatchId::new(1),
            recipient_id: RecipientId::new(1),
            signature_id: None,
            message_id: MessageId::new(1),
            attempt_no: hillpost_core::AttemptNo::new(attempt_no),
            max_attempts,
            channel,
            endpoint: endpoints()[usize::from(channel == Channel::Email)]
                .address
                .clone(),
            rate_key: "example.org".into(),
            possibly_accepted: false,
            marked_sending: false,
        }
    }

    fn endpoints() -> Vec<Endpoint> {
        vec![
            Endpoint {
                channel: Channel::WebForm,
                address: "S001181".into(),
                rate_key: "www.shaheen.senate.gov".into(),
            },
            Endpoint {
                channel: Channel::Email,
                address: "staff@example.org".into(),
                rate_key: "example.org".into(),
            },
        ]
    }

    fn rules() -> DeliveryRules {
        DeliveryRules {
            retry: RetrySchedule::new(
                vec![Duration::from_secs(1), Duration::from_secs(2)],
                0.0,
                Duration::from_secs(60),
            ),
            resend: ResendPolicy::default(),
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
            touched_network: true,
            receiver_id: None,
        }
    }

    #[test]
    fn the_delivery_budget_and_its_endpoints_drive_the_record() {
        let first = attempt_record(
            &delivery(Channel::Email, 1, 3),
            &endpoints(),
            report(AttemptOutcome::Transient),
            &rules(),
        );
        assert_eq!(first.transition.state, DeliveryState::Queued);
        assert_eq!(first.transition.due_in, Duration::from_secs(1));
        assert_eq!(first.remote_code, Some(451));
        // The delivery's own budget holds even where the schedule has more.
        let capped = attempt_record(
            &delivery(Channel::Email, 2, 2),
            &endpoints(),
            report(AttemptOutcome::Transient),
            &rules(),
        );
        assert_eq!(capped.transition.state, DeliveryState::Dead);
        let refused = attempt_record(
            &delivery(Channel::WebForm, 1, 3),
            &endpoints(),
            SendReport {
                touched_network: false,
                receiver_id: None,
                note: Some("the form has a recaptcha step".into()),
                remote_code: None,
                remote_text: None,
                ..report(AttemptOutcome::Permanent)
            },
            &rules(),
        );
        assert_eq!(
            refused.transition.route,
            Some(RouteChange {
                to: Some(endpoints()[1].clone()),
                reason: "the form has a recaptcha step".into()
            })
        );
        assert!(!refused.transition.is_attempt);
        // A form answer without a confirmation is never posted again.
        let unconfirmed = attempt_record(
            &delivery(Channel::WebForm, 1, 3),
            &endpoints(),
            report(AttemptOutcome::PossiblyAccepted),
            &rules(),
        );
        assert_eq!(unconfirmed.transition.state, DeliveryState::Unconfirmed);
    }
}
