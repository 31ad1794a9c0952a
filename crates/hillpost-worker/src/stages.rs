//! The stages every delivery goes through, shared by [`crate::Worker::run_once`] and the
//! continuous loop in [`crate::run`].

use hillpost_core::ids::{BatchId, DeliveryId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use hillpost_channels::{Channel, Go};
use hillpost_core::BatchState;
use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::OutgoingLetter;
use hillpost_store::{
    AttemptRecord, Claim, ClaimRequest, ClaimedDelivery, LetterParts, Store, StoreError,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::evidence::{self, Recorded};
use crate::held::Held;
use crate::prepare::{BatchCache, outgoing_letter, receipt_with_link, signed_receipt};
use crate::rate_limits::{RateLimiters, TURN_LEAD};
use crate::record::attempt_record;
use crate::sending::SendingMarks;
use crate::settings::WorkerSettings;
use crate::store_health::StoreHealth;

pub(crate) struct Shared<C> {
    pub id: String,
    pub store: Arc<Store>,
    pub channel: C,
    pub settings: WorkerSettings,
    pub limiters: RateLimiters,
    pub batches: BatchCache,
    pub held: Held,
    /// Last known state of the batches this worker holds deliveries of.
    pub batch_states: Mutex<HashMap<BatchId, BatchState>>,
    pub sending: SendingMarks,
    /// Whether attempts can be recorded and leases renewed: nothing new is sent while not.
    pub health: StoreHealth,
    /// The key audit checkpoints and receipts are signed with; none: nothing signed.
    pub checkpoint_key: std::sync::OnceLock<hillpost_core::audit::SigningKey>,
}

/// A claimed delivery ready to send: its letter, and its office's endpoints (where the
/// transition may move it).
pub(crate) struct Prepared {
    pub delivery: ClaimedDelivery,
    pub letter: OutgoingLetter,
    pub endpoints: Vec<Endpoint>,
}

/// A claim's letters, loaded: those ready to send, and those whose stored parts could not
/// be read (to be given back).
pub(crate) struct Loaded {
    pub prepared: Vec<Prepared>,
    pub unreadable: Vec<ClaimedDelivery>,
}

/// Where a delivery ended up after the send stage.
pub(crate) enum SendStep {
    Sent(ClaimedDelivery, Box<Recorded>),
    /// Its batch was paused or cancelled before it could be sent: give it back.
    Released(ClaimedDelivery),
}

impl<C: Channel + Send + Sync + 'static> Shared<C> {
    /// Leases up to `limit` deliveries and takes over the limiters of the keys won.
    pub async fn claim(&self, limit: u32, exclude_keys: &[String]) -> Result<Claim, StoreError> {
        let policy = self.limiters.limits().policy();
        let resendable = self.settings.rules.resend.channels();
        let request = ClaimRequest {
            worker_id: &self.id,
            limit,
            lease: self.settings.lease,
            key_lease: self.settings.key_lease,
            exclude_keys,
            policy: &policy,
            mark_sending_on_claim: &resendable,
        };
        let claim = self
            .store
            .claim(&request)
            .instrument(tracing::info_span!("claim", worker = %self.id, limit))
            .await?;
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

    /// Stage 1 for a whole claim, with one store round trip for the letter parts. A letter
    /// whose stored parts cannot be read (missing, or not what this worker can build a
    /// letter from) is set aside in [`Loaded::unreadable`] rather than failing the claim, so
    /// the letters claimed with it still go; the store's own failures fail the claim.
    pub async fn prepare(&self, deliveries: Vec<ClaimedDelivery>) -> Result<Loaded, StoreError> {
        let ids: Vec<DeliveryId> = deliveries.iter().map(|d| d.id).collect();
        let mut parts: HashMap<DeliveryId, LetterParts> = self
            .store
            .letter_parts(&ids)
            .await?
            .into_iter()
            .map(|p| (p.delivery_id, p))
            .collect();
        let mut loaded = Loaded {
            prepared: Vec::with_capacity(deliveries.len()),
            unreadable: Vec::new(),
        };
        for delivery in deliveries {
            let Some(part) = parts.remove(&delivery.id) else {
                tracing::warn!(
                    delivery = delivery.id.get(),
                    "the claimed delivery has no letter; giving it back"
                );
                loaded.unreadable.push(delivery);
                continue;
            };
            let batch = self.batches.get(&self.store, delivery.batch_id).await?;
            let key = self.checkpoint_key.get();
            let part = receipt_with_link(&self.store, part, &batch).await?;
            let mut part = signed_receipt(&self.store, part, key).await?;
            let endpoints = std::mem::take(&mut part.endpoints);
            match outgoing_letter(&delivery, part, &batch) {
                Ok(letter) => loaded.prepared.push(Prepared {
                    delivery,
                    letter,
                    endpoints,
                }),
                Err(error) => {
                    tracing::warn!(%error, delivery = delivery.id.get(), "the claimed letter cannot be read; giving it back");
                    loaded.unreadable.push(delivery);
                }
            }
        }
        Ok(loaded)
    }

    fn may_send(&self, batch_id: BatchId) -> bool {
        let states = self.batch_states.lock().unwrap_or_else(|p| p.into_inner());
        states
            .get(&batch_id)
            .is_none_or(|s| *s == BatchState::Running)
    }

    /// Stages 2 and 3: waits for the delivery's turn under its key's rate limit (inside
    /// the channel, after it has connected: see [`Channel::send_on_turn`]), sends, and turns
    /// the report into a record. Given back unsent when its batch stopped meanwhile, when
    /// `stop` fires before its letter starts to leave (connecting to the server included),
    /// or when the store cannot take records; never abandoned once the channel started
    /// sending.
    pub async fn deliver(&self, prepared: &Prepared, stop: &CancellationToken) -> SendStep {
        let delivery = &prepared.delivery;
        // Everything logged about this attempt, down to the channel's own events, carries
        // which delivery it is; nothing that identifies the signer.
        let span = tracing::info_span!(
            "attempt",
            delivery = delivery.id.get(),
            batch = delivery.batch_id.get(),
            channel = %delivery.channel,
            rate_key = %delivery.rate_key,
            attempt = delivery.attempt_no.get(),
        );
        self.deliver_in_span(prepared, stop).instrument(span).await
    }

    async fn deliver_in_span(&self, prepared: &Prepared, stop: &CancellationToken) -> SendStep {
        let Prepared {
            delivery,
            letter,
            endpoints,
        } = prepared;
        let delivery = delivery.clone();
        // Where the channel may resend with the same id (email, CWC), a letter is marked
        // sending before its turn: on an unlimited key by the claim itself (no mark of its
        // own to write), on a limited key while it waits for its turn or a connection (see
        // `MARKED_AHEAD`), so the mark's commit overlaps the sends before it. A mark taken
        // ahead that a killed worker leaves behind reads "may have been sent", and the
        // letter is resent under the same id. A web form's mark waits until it goes, once
        // connected, so a kill never leaves an unsent letter `unconfirmed`.
        let ahead =
            match !delivery.marked_sending && self.settings.rules.resend.allows(delivery.channel) {
                false => None,
                true => tokio::select! {
                    biased;
                    _ = stop.cancelled() => return SendStep::Released(delivery),
                    ahead = self.limiters.ahead(&delivery.rate_key) => ahead,
                },
            };
        let marked_ahead = delivery.marked_sending || ahead.is_some();
        // Boxed here and in the turn: the mark is a store round trip, whose future is large,
        // and a send's future is moved for every letter.
        if ahead.is_some() && !Box::pin(self.may_start(&delivery, stop)).await {
            return SendStep::Released(delivery);
        }
        let _slot = tokio::select! {
            biased;
            _ = stop.cancelled() => return SendStep::Released(delivery),
            slot = async {
                let slot = self.limiters.slot(&delivery.rate_key).await;
                self.limiters.until_near(&delivery.rate_key, TURN_LEAD).await;
                slot
            } => slot,
        };
        // Set at the point of no return: once the turn says go, the letter may leave.
        let committed = AtomicBool::new(false);
        // The turn comes inside the channel, once it is ready to send (connected, the
        // transaction open): mark the attempt as sending (unless done already), wait for the
        // rate limit, go.
        let turn = Box::pin(async {
            if !marked_ahead && !Box::pin(self.may_start(&delivery, stop)).await {
                return Go::Withdraw;
            }
            tokio::select! {
                biased;
                _ = stop.cancelled() => return Go::Withdraw,
                _ = self.limiters.until_ready(&delivery.rate_key) => {}
            }
            // A send whose result could not be recorded would be flagged and sent again.
            if stop.is_cancelled() || !self.health.writable() || !self.may_send(delivery.batch_id) {
                return Go::Withdraw;
            }
            committed.store(true, Ordering::SeqCst);
            Go::Ahead
        });
        // Until the turn says go, a stop drops the send, whatever the channel is waiting for
        // (a pooled connection, a slow server's greeting): nothing of the letter has left.
        let stopped_before_going = async {
            stop.cancelled().await;
            if committed.load(Ordering::SeqCst) {
                std::future::pending::<()>().await;
            }
        };
        let report = tokio::select! {
            biased;
            report = self.channel.send_on_turn(letter, turn) => report,
            _ = stopped_before_going => None,
        };
        let Some(mut report) = report else {
            return SendStep::Released(delivery);
        };
        let evidence = evidence::take(&mut report);
        tracing::debug!(delivery = delivery.id.get(), attempt = delivery.attempt_no.get(), outcome = %report.outcome, "attempt finished");
        let attempt = attempt_record(&delivery, endpoints, report, &self.settings.rules);
        SendStep::Sent(delivery, Box::new(Recorded { attempt, evidence }))
    }

    /// Whether the delivery may start: not stopping, the store takes records (waiting for
    /// it when it does not), its batch still running, and its sending mark written.
    async fn may_start(&self, delivery: &ClaimedDelivery, stop: &CancellationToken) -> bool {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return false,
            _ = self.health.until_writable() => {}
        }
        !stop.is_cancelled()
            && self.may_send(delivery.batch_id)
            && self.mark_sending(delivery).await
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
                    delivery = delivery.id.get(),
                    "lease lost before sending; another worker has it"
                );
                false
            }
            Err(error) => {
                tracing::warn!(%error, delivery = delivery.id.get(), "could not mark the delivery as sending; giving it back");
                false
            }
        }
    }

    /// Stage 4 for many deliveries at once: one store round trip.
    pub async fn record(&self, sent: &[(ClaimedDelivery, Recorded)]) -> Result<(), StoreError> {
        // The evidence first: an attempt row is never without the pages it refers to.
        // Most groups have none (email, CWC): no empty transaction, no write lock.
        let evidence = evidence::of_group(sent);
        if !evidence.is_empty() {
            self.store.store_evidence(&evidence).await?;
        }
        let records: Vec<AttemptRecord> = sent.iter().map(|(_, r)| r.attempt.clone()).collect();
        let moved = async {
            let moved = self.store.record_attempts(&self.id, &records).await?;
            tracing::debug!(moved = moved.len(), "attempts recorded");
            Ok::<_, StoreError>(moved)
        }
        .instrument(tracing::info_span!("record", worker = %self.id, attempts = records.len()))
        .await?;
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
        let ids: Vec<DeliveryId> = deliveries.iter().map(|d| d.id).collect();
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
