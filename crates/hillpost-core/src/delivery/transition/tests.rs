use chrono::Utc;
use proptest::prelude::*;

use super::*;

fn rules() -> DeliveryRules {
    DeliveryRules {
        retry: RetrySchedule::new(
            vec![Duration::from_secs(10), Duration::from_secs(60)],
            0.0,
            Duration::from_secs(3600),
        ),
        resend: ResendPolicy::default(),
    }
}

fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint {
            channel: Channel::Cwc,
            address: "HMA07".into(),
            rate_key: "cwc.house.gov".into(),
        },
        Endpoint {
            channel: Channel::WebForm,
            address: "P000617".into(),
            rate_key: "pressley.house.gov".into(),
        },
        Endpoint {
            channel: Channel::Email,
            address: "office@example.org".into(),
            rate_key: "example.org".into(),
        },
    ]
}

fn report(outcome: AttemptOutcome, touched_network: bool) -> SendReport {
    SendReport {
        outcome,
        started_at: Utc::now(),
        finished_at: Utc::now(),
        remote_code: None,
        remote_text: None,
        sent_sha256: None,
        retry_after: None,
        note: Some(format!("{outcome} for the test")),
        evidence: Vec::new(),
        touched_network,
        receiver_id: None,
    }
}

/// The situations a delivery can be in when an attempt ends.
#[derive(Debug, Clone, Copy)]
enum Situation {
    /// First attempt of three on an endpoint with another after it; nothing sent before.
    Fresh,
    /// Second of three, and the first may have reached the office.
    AfterPossibleArrival,
    /// Last attempt of the budget, on the office's last endpoint.
    LastChance,
}

fn position<'a>(channel: Channel, list: &'a [Endpoint], situation: Situation) -> Position<'a> {
    let index = match (situation, channel) {
        (Situation::LastChance, _) => list.len() - 1,
        (_, Channel::Cwc) => 0,
        (_, Channel::WebForm) => 1,
        _ => list.len() - 1,
    };
    Position {
        channel,
        endpoint: &list[index].address,
        endpoints: list,
        attempt_no: crate::AttemptNo::new(match situation {
            Situation::Fresh => 1,
            Situation::AfterPossibleArrival => 2,
            Situation::LastChance => 3,
        }),
        max_attempts: 3,
        possibly_accepted: matches!(situation, Situation::AfterPossibleArrival),
    }
}

/// The expected result in one word: a final state, `retry` (same endpoint, later), `next`
/// (the next endpoint, now) or `defer` (waits, no attempt spent).
fn summary(t: &Transition) -> &'static str {
    match (t.state, &t.route, &t.deferred) {
        (DeliveryState::Queued, Some(RouteChange { to: Some(_), .. }), _) => "next",
        (DeliveryState::Queued, None, Some(_)) => "defer",
        (DeliveryState::Queued, None, None) => "retry",
        (state, _, _) => state.as_str(),
    }
}

#[test]
fn every_outcome_on_every_channel_in_every_situation() {
    use AttemptOutcome::*;
    use Channel::{Cwc, Email, WebForm};
    use Situation::*;
    // Web forms are listed with the email endpoint after them; email, being last in the
    // list, has no next endpoint in any situation.
    #[rustfmt::skip]
    let table: &[(AttemptOutcome, Channel, Situation, &str)] = &[
        (Ok, Cwc, Fresh, "delivered"),
        (Ok, WebForm, Fresh, "delivered"),
        (Ok, Email, Fresh, "delivered"),
        (Ok, Cwc, AfterPossibleArrival, "delivered"),
        (Ok, WebForm, AfterPossibleArrival, "delivered"),
        (Ok, Email, AfterPossibleArrival, "delivered"),
        (Ok, Cwc, LastChance, "delivered"),
        (Ok, WebForm, LastChance, "delivered"),
        (Ok, Email, LastChance, "delivered"),
        // A success status without a confirmation: only a person can say.
        (Unconfirmed, Cwc, Fresh, "unconfirmed"),
        (Unconfirmed, WebForm, Fresh, "unconfirmed"),
        (Unconfirmed, Email, Fresh, "unconfirmed"),
        (Unconfirmed, WebForm, AfterPossibleArrival, "unconfirmed"),
        (Unconfirmed, Email, LastChance, "unconfirmed"),
        // May have arrived: CWC and email resend with the same id; a web form never does.
        (PossiblyAccepted, Cwc, Fresh, "retry"),
        (PossiblyAccepted, WebForm, Fresh, "unconfirmed"),
        (PossiblyAccepted, Email, Fresh, "retry"),
        (PossiblyAccepted, Cwc, AfterPossibleArrival, "retry"),
        (PossiblyAccepted, WebForm, AfterPossibleArrival, "unconfirmed"),
        (PossiblyAccepted, Email, AfterPossibleArrival, "retry"),
        (PossiblyAccepted, Cwc, LastChance, "unconfirmed"),
        (PossiblyAccepted, WebForm, LastChance, "unconfirmed"),
        (PossiblyAccepted, Email, LastChance, "unconfirmed"),
        (Unknown, Cwc, Fresh, "retry"),
        (Unknown, WebForm, Fresh, "unconfirmed"),
        (Unknown, Email, LastChance, "unconfirmed"),
        // Not accepted, may be cured: again later; then on, unless something may have arrived.
        (Transient, Cwc, Fresh, "retry"),
        (Transient, WebForm, Fresh, "retry"),
        (Transient, Email, Fresh, "retry"),
        (Transient, Cwc, AfterPossibleArrival, "retry"),
        (Transient, WebForm, AfterPossibleArrival, "retry"),
        (Transient, Email, AfterPossibleArrival, "retry"),
        (Transient, Cwc, LastChance, "dead"),
        (Transient, WebForm, LastChance, "dead"),
        (Transient, Email, LastChance, "dead"),
        // Refused for good: the next endpoint, unless an earlier attempt may have arrived.
        (Permanent, Cwc, Fresh, "next"),
        (Permanent, WebForm, Fresh, "next"),
        (Permanent, Email, Fresh, "failed"),
        (Permanent, Cwc, AfterPossibleArrival, "unconfirmed"),
        (Permanent, WebForm, AfterPossibleArrival, "unconfirmed"),
        (Permanent, Email, AfterPossibleArrival, "unconfirmed"),
        (Permanent, Cwc, LastChance, "failed"),
        (Permanent, WebForm, LastChance, "failed"),
        (Permanent, Email, LastChance, "failed"),
    ];
    let list = endpoints();
    for (outcome, channel, situation, expected) in table {
        let at = position(*channel, &list, *situation);
        let t = transition(&at, &report(*outcome, true), &rules(), 0.5);
        assert_eq!(
            summary(&t),
            *expected,
            "{outcome} on {channel} ({situation:?}): {t:?}"
        );
        assert!(
            t.is_attempt,
            "{outcome} on {channel}: it touched the network"
        );
    }
}

#[test]
fn a_transient_failure_with_the_budget_spent_moves_on_when_nothing_arrived() {
    let list = endpoints();
    let at = Position {
        attempt_no: crate::AttemptNo::new(3),
        ..position(Channel::Cwc, &list, Situation::Fresh)
    };
    let t = transition(&at, &report(AttemptOutcome::Transient, true), &rules(), 0.5);
    assert_eq!(summary(&t), "next");
    let route = t.route.unwrap();
    assert_eq!(route.to.as_ref(), Some(&list[1]));
    assert!(
        route.reason.contains("no attempt succeeded (3 made)"),
        "{}",
        route.reason
    );
    assert_eq!(
        t.max_attempts,
        Some(6),
        "three spent, and a whole budget for the next endpoint"
    );
    assert_eq!(t.due_in, Duration::ZERO);
}

#[test]
fn decisions_made_without_the_network_are_not_attempts() {
    let list = endpoints();
    let at = position(Channel::WebForm, &list, Situation::Fresh);
    let passed_over = transition(
        &at,
        &report(AttemptOutcome::Permanent, false),
        &rules(),
        0.5,
    );
    assert_eq!(summary(&passed_over), "next");
    assert!(!passed_over.is_attempt);
    assert!(!passed_over.spends_budget);
    assert_eq!(
        passed_over.max_attempts,
        Some(3),
        "no attempt spent: the next endpoint's budget starts from zero"
    );
    let mut maintenance = report(AttemptOutcome::Transient, false);
    maintenance.retry_after = Some(Duration::from_secs(900));
    let deferred = transition(&at, &maintenance, &rules(), 0.5);
    assert_eq!(summary(&deferred), "defer");
    assert_eq!(deferred.due_in, Duration::from_secs(900));
    assert!(!deferred.is_attempt);
    assert!(
        deferred.spends_budget,
        "a local delay spends budget, so it cannot last forever"
    );
    let waited_enough = Position {
        attempt_no: crate::AttemptNo::new(3),
        ..at
    };
    let moved = transition(&waited_enough, &maintenance, &rules(), 0.5);
    assert_eq!(summary(&moved), "next");
    // Nothing that may have reached the office is ever a local decision.
    let cut = transition(
        &at,
        &report(AttemptOutcome::PossiblyAccepted, false),
        &rules(),
        0.5,
    );
    assert!(cut.is_attempt && cut.possibly_accepted);
}

#[test]
fn the_resend_policy_is_a_setting() {
    let list = endpoints();
    let at = position(Channel::WebForm, &list, Situation::Fresh);
    let mut rules = rules();
    rules.resend.web_form = true;
    let t = transition(
        &at,
        &report(AttemptOutcome::PossiblyAccepted, true),
        &rules,
        0.5,
    );
    assert_eq!(summary(&t), "retry");
    rules.resend.cwc = false;
    let at = position(Channel::Cwc, &list, Situation::Fresh);
    let t = transition(
        &at,
        &report(AttemptOutcome::PossiblyAccepted, true),
        &rules,
        0.5,
    );
    assert_eq!(summary(&t), "unconfirmed");
}

#[test]
fn retry_after_and_the_schedule_set_the_wait() {
    let list = endpoints();
    let at = position(Channel::Email, &list, Situation::Fresh);
    let mut asked = report(AttemptOutcome::Transient, true);
    assert_eq!(
        transition(&at, &asked, &rules(), 0.5).due_in,
        Duration::from_secs(10)
    );
    asked.retry_after = Some(Duration::from_secs(120));
    assert_eq!(
        transition(&at, &asked, &rules(), 0.5).due_in,
        Duration::from_secs(120)
    );
}

#[test]
fn last_errors_say_why_in_words() {
    let list = endpoints();
    let at = position(Channel::Email, &list, Situation::Fresh);
    let mut refused = report(AttemptOutcome::Permanent, true);
    refused.remote_code = Some(550);
    refused.remote_text = Some("5.1.1 no such mailbox".into());
    let t = transition(&at, &refused, &rules(), 0.5);
    assert_eq!(t.last_error.as_deref(), Some("550 5.1.1 no such mailbox"));
    assert_eq!(
        t.route,
        Some(RouteChange {
            to: None,
            reason: "550 5.1.1 no such mailbox".into()
        }),
        "the last endpoint's refusal is recorded as the end of the route"
    );
    let ok = transition(&at, &report(AttemptOutcome::Ok, true), &rules(), 0.5);
    assert_eq!(ok.last_error, None);
}

// ── properties over whole lives of deliveries ──────────────────────────────────────────

fn any_outcome() -> impl Strategy<Value = (AttemptOutcome, bool)> {
    (
        prop::sample::select(AttemptOutcome::ALL.to_vec()),
        any::<bool>(),
    )
}

fn any_channel() -> impl Strategy<Value = Channel> {
    prop::sample::select(vec![Channel::Email, Channel::WebForm, Channel::Cwc])
}

/// The office's endpoints: one to four, on any channels, distinct addresses.
fn any_endpoints() -> impl Strategy<Value = Vec<Endpoint>> {
    prop::collection::vec(any_channel(), 1..=4).prop_map(|channels| {
        channels
            .into_iter()
            .enumerate()
            .map(|(i, channel)| Endpoint {
                channel,
                address: format!("endpoint-{i}"),
                rate_key: format!("key-{i}"),
            })
            .collect()
    })
}

/// What happened to a delivery over its life, driven by `outcomes` until it is final.
#[derive(Debug, Default)]
struct Life {
    final_state: Option<DeliveryState>,
    /// Per endpoint index: submissions that may have reached the office.
    may_have_arrived: Vec<u32>,
    /// Endpoint indexes in the order the delivery was on them.
    visited: Vec<usize>,
    steps: usize,
    saw_ok: bool,
}

fn live(
    endpoints: &[Endpoint],
    outcomes: &[(AttemptOutcome, bool)],
    rules: &DeliveryRules,
) -> Life {
    let mut life = Life {
        may_have_arrived: vec![0; endpoints.len()],
        visited: vec![0],
        ..Life::default()
    };
    let mut current = 0usize;
    let mut attempt_no = 0u32;
    let mut max_attempts = rules.retry.max_attempts();
    let mut possibly = false;
    for (outcome, touched) in outcomes {
        attempt_no += 1;
        life.steps += 1;
        let endpoint = &endpoints[current];
        let at = Position {
            channel: endpoint.channel,
            endpoint: &endpoint.address,
            endpoints,
            attempt_no: crate::AttemptNo::new(attempt_no),
            max_attempts,
            possibly_accepted: possibly,
        };
        let t = transition(&at, &report(*outcome, *touched), rules, 0.5);
        if outcome.may_have_arrived() {
            life.may_have_arrived[current] += 1;
        }
        life.saw_ok |= *outcome == AttemptOutcome::Ok;
        if !t.spends_budget {
            attempt_no -= 1;
        }
        possibly = t.possibly_accepted;
        max_attempts = t.max_attempts.unwrap_or(max_attempts);
        if let Some(RouteChange { to: Some(to), .. }) = &t.route {
            current = endpoints
                .iter()
                .position(|e| e == to)
                .expect("a listed endpoint");
            life.visited.push(current);
        }
        if t.state.is_final() {
            life.final_state = Some(t.state);
            break;
        }
        assert_eq!(t.state, DeliveryState::Queued);
    }
    life
}

proptest! {
    #[test]
    fn a_delivery_never_reaches_an_office_twice_without_a_resend_policy_saying_so(
        endpoints in any_endpoints(),
        outcomes in prop::collection::vec(any_outcome(), 1..40),
    ) {
        let rules = rules();
        let life = live(&endpoints, &outcomes, &rules);
        for (index, arrivals) in life.may_have_arrived.iter().enumerate() {
            // A web form never gets a second submission that may have arrived.
            if endpoints[index].channel == Channel::WebForm {
                prop_assert!(*arrivals <= 1, "{life:?}");
            }
        }
        // Once anything may have arrived, the delivery never moves to another endpoint.
        let first_arrival = life.may_have_arrived.iter().position(|n| *n > 0);
        if let Some(at) = first_arrival {
            prop_assert_eq!(*life.visited.last().unwrap(), at, "{:?}", life);
            prop_assert_eq!(life.may_have_arrived.iter().filter(|n| **n > 0).count(), 1);
        }
    }

    #[test]
    fn a_delivery_ends_failed_or_dead_only_with_no_endpoint_left_and_nothing_arrived(
        endpoints in any_endpoints(),
        outcomes in prop::collection::vec(any_outcome(), 1..40),
    ) {
        let life = live(&endpoints, &outcomes, &rules());
        if let Some(DeliveryState::Failed | DeliveryState::Dead) = life.final_state {
            prop_assert_eq!(*life.visited.last().unwrap(), endpoints.len() - 1, "{:?}", life);
            prop_assert!(life.may_have_arrived.iter().all(|n| *n == 0), "{:?}", life);
        }
        if life.final_state == Some(DeliveryState::Delivered) {
            prop_assert!(life.saw_ok, "delivered only on an ok: {:?}", life);
        }
        // Endpoints are only ever visited forwards, so a delivery cannot loop.
        prop_assert!(life.visited.windows(2).all(|w| w[0] < w[1]), "{:?}", life);
    }

    #[test]
    fn a_delivery_is_final_within_its_budgets(
        endpoints in any_endpoints(),
        outcomes in prop::collection::vec(any_outcome().prop_map(|(o, _)| (o, true)), 60..61),
    ) {
        // Every attempt touches the network, so each endpoint's budget bounds its attempts.
        let rules = rules();
        let life = live(&endpoints, &outcomes, &rules);
        let bound = endpoints.len() * rules.retry.max_attempts() as usize;
        prop_assert!(life.final_state.is_some(), "{:?}", life);
        prop_assert!(life.steps <= bound, "{:?}", life);
    }
}
