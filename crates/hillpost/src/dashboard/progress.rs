//! A batch's progress as the batch page shows it: counts per state and per office (from
//! `Store::batch_status`, as `hillpost batch status`), attempts and retries, and the chart.
//!
//! The chart needs the time of every delivery and attempt, so this reads the batch's
//! delivery and attempt rows: fine for the batches a campaign sends (thousands of rows),
//! polled once a second by the few people watching.

use chrono::Utc;
use hillpost_core::delivery::{AttemptOutcome, DeliveryState};
use hillpost_store::{AttemptRow, BatchStatus, DeliveryRow};
use serde::Serialize;

use super::chart::{Chart, chart};
use super::words;

#[derive(Serialize)]
pub struct StateCount {
    code: &'static str,
    label: &'static str,
    count: u64,
}

#[derive(Serialize)]
pub struct OfficeLine {
    name: String,
    delivered: u64,
    waiting: u64,
    not_delivered: u64,
    cancelled: u64,
    skipped: u64,
}

#[derive(Serialize)]
pub struct OutcomeCount {
    label: &'static str,
    count: u64,
}

#[derive(Serialize)]
pub struct ReasonCount {
    reason: String,
    count: u64,
}

#[derive(Serialize)]
pub struct ProgressView {
    pub state: &'static str,
    pub state_code: &'static str,
    pub is_final: bool,
    total: u64,
    /// Deliveries in a final state (delivered, refused, given up, cancelled, skipped).
    done: u64,
    delivered: u64,
    states: Vec<StateCount>,
    offices: Vec<OfficeLine>,
    attempts: u64,
    /// Attempts after a delivery's first.
    retries: u64,
    unconfirmed_attempts: u64,
    outcomes: Vec<OutcomeCount>,
    skip_reasons: Vec<ReasonCount>,
    chart: Chart,
    updated: String,
}

pub fn progress(
    status: &BatchStatus,
    deliveries: &[DeliveryRow],
    attempts: &[AttemptRow],
) -> ProgressView {
    let batch = &status.batch;
    let now = Utc::now();
    let end = match batch.finished_at {
        Some(finished) => finished,
        None => now.max(batch.start_at),
    };
    let delivered_at: Vec<_> = deliveries
        .iter()
        .filter(|d| d.state == DeliveryState::Delivered)
        .filter_map(|d| d.finalized_at)
        .collect();
    let attempted_at: Vec<_> = attempts.iter().map(|a| a.finished_at).collect();
    let outcomes = AttemptOutcome::ALL
        .iter()
        .map(|o| OutcomeCount {
            label: words::attempt_outcome(*o),
            count: attempts.iter().filter(|a| a.outcome == *o).count() as u64,
        })
        .filter(|o| o.count > 0)
        .collect();
    ProgressView {
        state: words::batch_state(batch.state),
        state_code: batch.state.as_str(),
        is_final: batch.state.is_final(),
        total: status.total(),
        done: status
            .by_state
            .iter()
            .filter(|(s, _)| s.is_final())
            .map(|(_, n)| n)
            .sum(),
        delivered: status.count(DeliveryState::Delivered),
        states: DeliveryState::ALL
            .iter()
            .map(|s| StateCount {
                code: s.as_str(),
                label: words::delivery_state(*s),
                count: status.count(*s),
            })
            .filter(|s| s.count > 0 || s.code == "delivered" || s.code == "queued")
            .collect(),
        offices: status
            .by_recipient
            .iter()
            .map(|r| {
                let n = |s: DeliveryState| r.by_state.get(&s).copied().unwrap_or(0);
                OfficeLine {
                    name: r.name.clone(),
                    delivered: n(DeliveryState::Delivered),
                    waiting: n(DeliveryState::Queued) + n(DeliveryState::InFlight),
                    not_delivered: n(DeliveryState::Failed) + n(DeliveryState::Dead),
                    cancelled: n(DeliveryState::Cancelled),
                    skipped: n(DeliveryState::Skipped),
                }
            })
            .collect(),
        attempts: status.attempts,
        retries: attempts.iter().filter(|a| a.attempt_no.get() > 1).count() as u64,
        unconfirmed_attempts: status.unconfirmed_attempts,
        outcomes,
        skip_reasons: status
            .skip_reasons
            .iter()
            .map(|(reason, count)| ReasonCount {
                reason: reason.clone(),
                count: *count,
            })
            .collect(),
        chart: chart(batch.start_at, end, &delivered_at, &attempted_at),
        updated: words::time(now),
    }
}
