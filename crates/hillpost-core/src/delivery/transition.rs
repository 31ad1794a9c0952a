//! The one rule for what a delivery becomes after an attempt. The worker calls [`transition`]
//! for every attempt it makes, housekeeping for every attempt a dead worker left behind;
//! the stores only apply the result. No other code decides a delivery's next state.
//!
//! ```text
//!  outcome            may the office have it?   next
//!  ok                 yes, it said so            delivered
//!  unconfirmed        probably (2xx, no text)    unconfirmed (final; a person decides)
//!  possibly_accepted  maybe (bytes left, no      same endpoint again with the same key, when
//!                     trustworthy answer)        the channel may resend and budget is left;
//!                                                else unconfirmed
//!  transient          no                         same endpoint after a delay while budget is
//!                                                left; then the next endpoint; none: dead
//!  permanent          no                         the next endpoint; none: failed
//! ```
//!
//! Two invariants override the table: once any attempt of a delivery may have reached the
//! office (`possibly_accepted`), the delivery never moves to another endpoint (the office
//! would get the letter twice) and ends `unconfirmed` rather than `failed` or `dead`; and a
//! delivery is `delivered` only on an `ok` outcome.

use std::time::Duration;

use super::{AttemptOutcome, Channel, DeliveryState, SendReport};
use crate::AttemptNo;
use crate::batch::{Endpoint, next_endpoint};
use crate::retry::RetrySchedule;

/// Whether a channel may send again a submission that may already have been accepted.
///
/// Email and CWC carry an id the office sees on every copy (the Message-ID, the CWC
/// DeliveryId; CWC answers 409 to a second one), so a resend is recognisable, and losing a
/// letter is worse. A web form carries no such id: a second post is a second letter in the
/// office's CRM, so it is never posted again without a person deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendPolicy {
    pub email: bool,
    pub web_form: bool,
    pub cwc: bool,
}

impl Default for ResendPolicy {
    fn default() -> Self {
        Self {
            email: true,
            web_form: false,
            cwc: true,
        }
    }
}

impl ResendPolicy {
    /// The channels that may send a letter again under the same id.
    pub fn channels(&self) -> Vec<Channel> {
        Channel::ALL
            .iter()
            .copied()
            .filter(|c| self.allows(*c))
            .collect()
    }

    pub fn allows(&self, channel: Channel) -> bool {
        match channel {
            Channel::Email => self.email,
            Channel::WebForm => self.web_form,
            Channel::Cwc => self.cwc,
            // Nothing is sent: nothing can arrive twice.
            Channel::None => true,
        }
    }
}

/// The configured rules a transition follows.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRules {
    /// The waits between attempts on one endpoint; its length is each endpoint's budget.
    pub retry: RetrySchedule,
    pub resend: ResendPolicy,
}

/// Where a delivery stood when the attempt was made.
#[derive(Debug, Clone, Copy)]
pub struct Position<'a> {
    pub channel: Channel,
    /// The endpoint's address (email address, form id, CWC office code).
    pub endpoint: &'a str,
    /// The recipient's endpoints, in order of preference.
    pub endpoints: &'a [Endpoint],
    /// The attempt that just ended (1-based; counts every attempt of the delivery).
    pub attempt_no: AttemptNo,
    /// The delivery's budget: no attempt beyond this number on the current endpoint.
    pub max_attempts: u32,
    /// An earlier attempt of this delivery may have reached the office.
    pub possibly_accepted: bool,
}

/// Why a delivery left an endpoint, and for which one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteChange {
    /// `None`: no endpoint is left, the delivery ends.
    pub to: Option<Endpoint>,
    pub reason: String,
}

/// What an attempt's ending does to its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// `queued` (again, or on the next endpoint) or a final state.
    pub state: DeliveryState,
    /// When `queued`: how long until it is due.
    pub due_in: Duration,
    /// Set when the delivery leaves its endpoint for good: recorded as a route event.
    pub route: Option<RouteChange>,
    /// Set when nothing was tried but the delivery waits (a gateway's maintenance window):
    /// recorded as a deferral event, with the reason.
    pub deferred: Option<String>,
    /// The delivery's new budget when it moves to a new endpoint (what it spent so far plus
    /// a whole schedule); `None` leaves it as it is.
    pub max_attempts: Option<u32>,
    /// Whether any attempt of the delivery, this one included, may have reached the office.
    pub possibly_accepted: bool,
    /// `false` when the channel decided without touching the network: no attempt row is
    /// written (a route or deferral event says what happened instead).
    pub is_attempt: bool,
    /// Whether the attempt number stays spent. A local refusal for good gives it back (the
    /// next endpoint's budget starts whole); a local delay keeps it spent, so a delivery
    /// cannot wait on a local problem forever.
    pub spends_budget: bool,
    /// The delivery's last error in words (`None` once delivered).
    pub last_error: Option<String>,
}

/// The rule. `unit_random` in [0, 1) drives the retry jitter.
pub fn transition(
    at: &Position<'_>,
    report: &SendReport,
    rules: &DeliveryRules,
    unit_random: f64,
) -> Transition {
    // An outcome that may have reached the office always touched it.
    let is_attempt = report.touched_network || report.outcome.may_have_arrived();
    let spends_budget = is_attempt || report.outcome == AttemptOutcome::Transient;
    let spent = if spends_budget {
        at.attempt_no.get()
    } else {
        at.attempt_no.get().saturating_sub(1)
    };
    let reason = report.reason();
    let mut next = Transition {
        state: DeliveryState::Queued,
        due_in: Duration::ZERO,
        route: None,
        deferred: None,
        max_attempts: None,
        possibly_accepted: at.possibly_accepted || report.outcome.may_have_arrived(),
        is_attempt,
        spends_budget,
        last_error: (report.outcome != AttemptOutcome::Ok).then(|| reason.clone()),
    };
    let retry_delay = || {
        (spent < at.max_attempts)
            .then(|| {
                rules
                    .retry
                    .delay_after(spent.max(1), report.retry_after, unit_random)
            })
            .flatten()
    };
    match report.outcome {
        AttemptOutcome::Ok => next.state = DeliveryState::Delivered,
        AttemptOutcome::Unconfirmed => next.state = DeliveryState::Unconfirmed,
        AttemptOutcome::PossiblyAccepted | AttemptOutcome::Unknown => {
            match retry_delay().filter(|_| rules.resend.allows(at.channel)) {
                Some(delay) => next.due_in = delay,
                None => next.state = DeliveryState::Unconfirmed,
            }
        }
        AttemptOutcome::Transient => match retry_delay() {
            Some(delay) => {
                next.due_in = delay;
                // Nothing was tried (a gateway's maintenance window, a browser that would
                // not start): the record is a deferral, not an attempt.
                if !is_attempt {
                    next.deferred = Some(reason);
                }
            }
            None => leave_endpoint(
                &mut next,
                at,
                rules,
                spent,
                DeliveryState::Dead,
                format!("no attempt succeeded ({spent} made); the last: {reason}"),
            ),
        },
        AttemptOutcome::Permanent => {
            leave_endpoint(&mut next, at, rules, spent, DeliveryState::Failed, reason)
        }
    }
    next
}

/// The current endpoint cannot take the letter: on to the next one while nothing may have
/// arrived; otherwise the delivery ends (`unconfirmed` when an earlier attempt may have
/// arrived, else `when_last`).
fn leave_endpoint(
    next: &mut Transition,
    at: &Position<'_>,
    rules: &DeliveryRules,
    spent: u32,
    when_last: DeliveryState,
    reason: String,
) {
    if at.possibly_accepted {
        next.state = DeliveryState::Unconfirmed;
        next.last_error = Some(format!(
            "{reason}; an earlier attempt may have reached the office, so the letter is not \
             sent anywhere else"
        ));
        return;
    }
    let to = next_endpoint(at.endpoints, at.channel, at.endpoint).cloned();
    match &to {
        Some(_) => {
            next.state = DeliveryState::Queued;
            next.due_in = Duration::ZERO;
            next.max_attempts = Some(spent.saturating_add(rules.retry.max_attempts()));
        }
        None => next.state = when_last,
    }
    next.route = Some(RouteChange { to, reason });
}

impl Transition {
    /// A transition that ends a delivery in `state` after an attempt that touched the
    /// network, as [`transition`] would for an outcome that leads there: for tests and
    /// benchmarks that record attempts without a channel.
    pub fn finish(state: DeliveryState) -> Self {
        Self {
            state,
            due_in: Duration::ZERO,
            route: None,
            deferred: None,
            max_attempts: None,
            possibly_accepted: matches!(
                state,
                DeliveryState::Delivered | DeliveryState::Unconfirmed
            ),
            is_attempt: true,
            spends_budget: true,
            last_error: (state != DeliveryState::Delivered).then(|| state.to_string()),
        }
    }

    /// A transition that queues a delivery again on its endpoint after `due_in` (tests and
    /// benchmarks, as [`Transition::finish`]).
    pub fn retry_after(due_in: Duration) -> Self {
        Self {
            state: DeliveryState::Queued,
            due_in,
            possibly_accepted: false,
            last_error: Some("try again".into()),
            ..Self::finish(DeliveryState::Queued)
        }
    }
}

impl AttemptOutcome {
    /// Whether the office may have the letter after an attempt that ended this way.
    pub fn may_have_arrived(self) -> bool {
        matches!(
            self,
            AttemptOutcome::Ok
                | AttemptOutcome::Unconfirmed
                | AttemptOutcome::PossiblyAccepted
                | AttemptOutcome::Unknown
        )
    }
}

#[cfg(test)]
mod tests;
