//! Never twice across batches: a new batch of a campaign leaves out the letters an earlier
//! batch already delivered to the same office (or may have: `unconfirmed`), or still has on
//! its way. The organizer sees what was left out and why, and may override it
//! (`--include-delivered`, audited).

use std::collections::HashMap;

use super::{BatchPlan, Route};
use crate::delivery::DeliveryState;
use crate::ids::{BatchId, SignatureId};

/// A letter of an earlier batch of the campaign, as the store found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentBefore {
    pub recipient_key: String,
    /// The signer of an individual letter; `None` for a petition.
    pub signature_id: Option<SignatureId>,
    pub batch_id: BatchId,
    pub state: DeliveryState,
}

/// A letter the plan no longer sends, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub recipient_key: String,
    pub signature_id: Option<SignatureId>,
    pub reason: String,
}

/// Whether an earlier letter in `state` stands in the way of sending it again.
fn stands_in_the_way(state: DeliveryState) -> bool {
    matches!(
        state,
        DeliveryState::Delivered
            | DeliveryState::Unconfirmed
            | DeliveryState::Queued
            | DeliveryState::InFlight
    )
}

fn reason(earlier: &SentBefore) -> String {
    let batch = earlier.batch_id;
    match earlier.state {
        DeliveryState::Delivered => format!("already delivered by batch {batch}"),
        DeliveryState::Unconfirmed => {
            format!("sent by batch {batch}, unconfirmed: it may have arrived")
        }
        _ => format!("still on its way in batch {batch}"),
    }
}

/// Takes out of `plan` every letter an earlier batch delivered, may have delivered, or is
/// still sending to the same office for the same signer (a petition: for the office), and
/// lists them with the reason in [`BatchPlan::left_out`]. Skipped letters stay as they are.
pub fn leave_out_sent(plan: &mut BatchPlan, earlier: &[SentBefore]) {
    let mut blocking: HashMap<(&str, Option<SignatureId>), &SentBefore> = HashMap::new();
    for letter in earlier.iter().filter(|l| stands_in_the_way(l.state)) {
        // Delivered speaks louder than unconfirmed or queued.
        let key = (letter.recipient_key.as_str(), letter.signature_id);
        let keep = blocking.get(&key).is_some_and(|known| {
            known.state == DeliveryState::Delivered || letter.state != DeliveryState::Delivered
        });
        if !keep {
            blocking.insert(key, letter);
        }
    }
    let mut left_out = Vec::new();
    let recipients = &plan.recipients;
    plan.deliveries.retain(|d| {
        if !matches!(d.route, Route::Send { .. }) {
            return true;
        }
        let key = recipients[d.recipient].key.as_str();
        match blocking.get(&(key, d.signature_id)) {
            None => true,
            Some(earlier) => {
                left_out.push(LeftOut {
                    recipient_key: key.to_string(),
                    signature_id: d.signature_id,
                    reason: reason(earlier),
                });
                false
            }
        }
    });
    plan.left_out.extend(left_out);
}

/// Left-out letters counted by office and reason, most first: what the CLI, the API and the
/// audit event show.
pub fn count_left_out(left_out: &[LeftOut]) -> Vec<(String, String, u64)> {
    let mut counts: HashMap<(&str, &str), u64> = HashMap::new();
    for letter in left_out {
        *counts
            .entry((&letter.recipient_key, &letter.reason))
            .or_default() += 1;
    }
    let mut counts: Vec<(String, String, u64)> = counts
        .into_iter()
        .map(|((office, reason), n)| (office.to_string(), reason.to_string(), n))
        .collect();
    counts.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
    counts
}
