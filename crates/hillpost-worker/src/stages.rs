//! The stages every delivery goes through, shared by [`crate::Worker::run_once`] and the
//! continuous loop in [`crate::run`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hillpost_channels::{Channel, Go};
use hillpost_core::BatchState;
use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::OutgoingLetter;
use hillpost_store::{
    AttemptRecord, Claim, ClaimRequest, ClaimedDelivery, LetterParts, Store, StoreError,
};
use tokio_util::sync::CancellationToken;

use crate::held::Held;
use crate::prepare::{BatchCache, outgoing_letter, receipt_with_link};
use crate::rate_limits::{RateLimiters, TURN_LEAD};
use crate::record::attempt_record;
use crate::sending::SendingMarks;
use crate::settings::WorkerSettings;

pub(crate) struct Shared<C> {
    pub id: String,
    pub store: Arc<Store>,
    pub channel: C,
    pub settings: WorkerSettings,
    pub limiters: RateLimiters,
    pub batches: BatchCache,
    pub held: Held,
    /// Last known state of the batches this worker holds deliveries of.
    pub batch_states: Mutex<HashMap<i64, BatchState>>,
    pub sending: SendingMarks,
}

/// A claimed delivery ready to send: its letter, and its office's endpoints (where the
/// transition may move it).
pub(crate) struct Prepared {
    pub delivery: ClaimedDelivery,
    pub letter: OutgoingLetter,
    pub endpoints: Vec<Endpoint>,
}

/// Where a delivery ended up after the send stage.
pub(crate) enum SendStep {
    Sent(ClaimedDelivery, Box<AttemptRecord>),
    /// Its batch was paused or cancelled before it could be sent: give it back.
    Released(ClaimedDelivery),
}

impl<C: Channel + Send + Sync + 'static> Shared<C> {
    /// Leases up to `limit` deliveries and takes over the limiters of the keys won.
    pub async fn claim(&self, limit: u32, exclude_keys: &[String]) -> Result<Claim, StoreError> {
        let policy = self.limiters.limits().policy();
        let request = ClaimRequest {
            worker_id: &self.id,
            limit,
            lease: self.settings.lease,
            key_lease: self.settings.key_lease,
            exclude_keys,
            policy: &policy,
        };
        let claim = self.store.claim(&request).await?;
        for key in &claim.keys {
            self.limiters.acquired(&key.key, key.next_send_at);
        }
        // Claims take only running batches: that is newer news than the last refresh, which
        // may have seen the batch paused before it was resumed.
        {
            let mut states = self.batch_states.lock().unwrap_or_else(|p| p.into_inner());
            for delivery in &claim.deliveries {
                states.insert(delivery.batch_id, BatchState::Running);
            }
        }
        self.held.add(&claim.deliveries);
        Ok(claim)
    }

    /// Stage 1 for a whole claim, with one store round trip for the letter parts.
    pub async fn prepare(
        &self,
        deliveries: Vec<ClaimedDelivery>,
    ) -> Result<Vec<Prepared>, StoreError> {
        let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
        let mut parts: HashMap<i64, LetterParts> = self
            .store
            .letter_parts(&ids)
            .await?
            .into_iter()
            .map(|p| (p.delivery_id, p))
            .collect();
        let mut prepared = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            let part = parts.remove(&delivery.id).ok_or_else(|| {
                StoreError::Corrupt(format!("delivery {} has no message", delivery.id))
            })?;
            let batch = self.batches.get(&self.store, delivery.batch_id).await?;
            let mut part = receipt_with_link(&self.store, part, &batch).await?;
            let endpoints = std::mem::take(&mut part.endpoints);
            let letter = outgoing_letter(&delivery, part, &batch)?;
            prepared.push(Prepared {
                delivery,
                letter,
                endpoints,
            });
        }
        Ok(prepared)
    }

    fn may_send(&self, batch_id: i64) -> bool {
        let states = self.batch_states.lock().unwrap_or_else(|p| p.into_inner());
        states
            .get(&batch_id)
            .is_none_or(|s| *s == BatchState::Running)
    }

    /// Stages 2 and 3: waits for the delivery's turn under its key's rate limit (inside
    /// the channel, after it has connected: see [`Channel::send_on_turn`]), sends, and turns
    /// the report into a record. Given back unsent when its batch stopped meanwhile or
    /// `stop` fires while it waits; never abandoned once the channel started sending.
    pub async fn deliver(&self, prepared: &Prepared, stop: &CancellationToken) -> SendStep {
        let Prepared {
            delivery,
            letter,
            endpoints,
        } = prepared;
        let delivery = delivery.clone();
        // A limited key's next sends are marked while they wait (see `MARKED_AHEAD`); the
        // rest are marked once connected, just before they go. A mark taken ahead that a
        // killed worker leaves behind reads "may have been sent": that is only worth its
        // throughput where the channel may resend with the same id (email, CWC). A web
        // form's mark waits until it goes, so a kill never leaves an unsent letter
        // `unconfirmed`.
        let ahead = match self.settings.rules.resend.allows(delivery.channel) {
            false => None,
            true => tokio::select! {
                ahead = self.limiters.ahead(&delivery.rate_key) => ahead,
                _ = stop.cancelled() => return SendStep::Released(delivery),
            },
        };
        let marked_ahead = ahead.is_some();
        if marked_ahead && !(self.may_send(delivery.batch_id) && self.mark_sending(&delivery).await)
        {
            return SendStep::Released(delivery);
        }
        let _slot = tokio::select! {
            slot = async {
                let slot = self.limiters.slot(&delivery.rate_key).await;
                self.limiters.until_near(&delivery.rate_key, TURN_LEAD).await;
                slot
            } => slot,
            _ = stop.cancelled() => return SendStep::Released(delivery),
        };
        // The turn comes inside the channel, once it is ready to send (connected, the
        // transaction open): mark the attempt as sending (unless done already), wait for the
        // rate limit, go.
        let turn = async {
            if !self.may_send(delivery.batch_id) {
                return Go::Withdraw;
            }
            if !marked_ahead && !self.mark_sending(&delivery).await {
                return Go::Withdraw;
            }
            tokio::select! {
                _ = self.limiters.until_ready(&delivery.rate_key) => {}
                _ = stop.cancelled() => return Go::Withdraw,
            }
            if self.may_send(delivery.batch_id) {
                Go::Ahead
            } else {
                Go::Withdraw
            }
        };
        let Some(report) = self.channel.send_on_turn(letter, turn).await else {
            return SendStep::Released(delivery);
        };
        tracing::debug!(delivery = delivery.id, attempt = delivery.attempt_no, outcome = %report.outcome, "attempt finished");
        let record = attempt_record(&delivery, endpoints, report, &self.settings.rules);
        SendStep::Sent(delivery, Box::new(record))
    }

    /// Marks the delivery's attempt as sending; `false` when it must not be sent (its lease
    /// is lost, or the mark could not be written).
    async fn mark_sending(&self, delivery: &ClaimedDelivery) -> bool {
        match self
            .sending
            .mark(&self.store, &self.id, (delivery.id, delivery.attempt_no))
            .await
        {
            Ok(true) => true,
            Ok(false) => {
                tracing::warn!(
                    delivery = delivery.id,
                    "lease lost before sending; another worker has it"
                );
                false
            }
            Err(error) => {
                tracing::warn!(%error, delivery = delivery.id, "could not mark the delivery as sending; giving it back");
                false
            }
        }
    }

    /// Stage 4 for many deliveries at once: one store round trip.
    pub async fn record(
        &self,
        sent: &[(ClaimedDelivery, AttemptRecord)],
    ) -> Result<(), StoreError> {
        let records: Vec<AttemptRecord> = sent.iter().map(|(_, r)| r.clone()).collect();
        let moved = self.store.record_attempts(&self.id, &records).await?;
        if moved.len() < records.len() {
            tracing::warn!(
                stale = records.len() - moved.len(),
                "attempts recorded after their lease expired; another worker had taken them over"
            );
        }
        for (delivery, _) in sent {
            self.held.remove(&delivery.rate_key, delivery.batch_id);
        }
        Ok(())
    }

    /// Gives deliveries back without an attempt.
    pub async fn release(&self, deliveries: &[ClaimedDelivery]) -> Result<(), StoreError> {
        let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
        self.store.release(&self.id, &ids).await?;
        for delivery in deliveries {
            self.held.remove(&delivery.rate_key, delivery.batch_id);
        }
        Ok(())
    }

    pub async fn refresh_batch_states(&self) -> Result<(), StoreError> {
        let ids = self.held.batches();
        // Holding nothing, nothing is known: a state kept from earlier (a pause since lifted)
        // must not hold back the next claim's deliveries.
        let states = if ids.is_empty() {
            HashMap::new()
        } else {
            self.store.batch_states(&ids).await?
        };
        *self.batch_states.lock().unwrap_or_else(|p| p.into_inner()) = states;
        Ok(())
    }
}
