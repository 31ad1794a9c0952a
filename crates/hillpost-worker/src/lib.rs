//! The delivery loop. One worker process holds a bounded number of deliveries and moves each
//! through typed stages:
//!
//! ```text
//!            ┌──────────── claim (lease + rate keys) ◀──── room left? ◀─────────────┐
//!            ▼                                                                      │
//!   prepare: ClaimedDelivery + LetterParts ─▶ OutgoingLetter                        │
//!            ▼                                                                      │
//!   wait:    batch still running? ─no─▶ release (no attempt)                        │
//!            rate limiter of the key (governor; one holder per key across workers)  │
//!            ▼                                                                      │
//!   send:    Channel::send ─▶ SendReport (never cancelled once started)             │
//!            ▼                                                                      │
//!   record:  AttemptRecord (+ next state: delivered / retry at / failed / dead) ─────┘
//!            batched into one store call; fenced by lease owner + attempt number
//! ```
//!
//! Beside the loop: a heartbeat renews leases and saves limiter positions; housekeeping
//! (once a second) starts scheduled batches, recovers expired leases as `unknown` attempts,
//! completes finished batches, refreshes which batches may still send and, given a signing
//! key, signs an audit checkpoint at most once a minute.
//!
//! [`Worker::run_once`] runs one claim through all stages and returns, for tests that need
//! to drive the worker step by step.

mod checkpoints;
mod evidence;
mod held;
mod prepare;
mod rate_limits;
mod record;
mod run;
mod sending;
mod settings;
mod stages;
mod store_health;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hillpost_channels::Channel;
use hillpost_store::{Store, StoreError};

pub use checkpoints::CHECKPOINT_INTERVAL;
pub use prepare::{
    BatchCache, BatchContext, RECEIPT_FILENAME, outgoing_letter, receipt_with_link, signed_receipt,
};
pub use rate_limits::RateLimiters;
pub use record::attempt_record;
pub use settings::{RateLimits, WorkerSettings};

use held::Held;
use stages::{SendStep, Shared};

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one [`Worker::run_once`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOnce {
    EmptyQueue,
    Processed(usize),
}

pub struct Worker<C> {
    shared: Arc<Shared<C>>,
}

impl<C: Channel + Send + Sync + 'static> Worker<C> {
    pub fn new(store: Arc<Store>, channel: C, settings: WorkerSettings) -> Self {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        Self::with_id(
            format!("worker-{}-{}", std::process::id(), &suffix[..8]),
            store,
            channel,
            settings,
        )
    }

    /// A worker with a chosen id (tests, and operators who name their workers).
    pub fn with_id(id: String, store: Arc<Store>, channel: C, settings: WorkerSettings) -> Self {
        let limiters = RateLimiters::new(settings.rate_limits.clone());
        Self {
            shared: Arc::new(Shared {
                id,
                store,
                channel,
                settings,
                limiters,
                batches: BatchCache::default(),
                held: Held::default(),
                batch_states: Mutex::new(HashMap::new()),
                sending: Default::default(),
                health: Default::default(),
                checkpoint_key: Default::default(),
            }),
        }
    }

    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// Signs with `key`: housekeeping's audit checkpoints (at most every
    /// [`CHECKPOINT_INTERVAL`] while events are appended) and receipts' `receipt.json`.
    pub fn sign_with(&self, key: hillpost_core::audit::SigningKey) -> &Self {
        let _ = self.shared.checkpoint_key.set(key);
        self
    }

    /// Claims once, sends everything claimed (respecting rate limits), records the attempts
    /// and runs housekeeping. When it returns, every claimed delivery has its attempt
    /// recorded or was given back: tests drive the worker step by step with it.
    pub async fn run_once(&self) -> Result<RunOnce, WorkerError> {
        let shared = &self.shared;
        shared.store.tick(&shared.settings.rules).await?;
        let claim = shared.claim(shared.settings.claim_batch, &[]).await?;
        if claim.deliveries.is_empty() {
            return Ok(RunOnce::EmptyQueue);
        }
        let count = claim.deliveries.len();
        shared.refresh_batch_states().await?;
        let loaded = shared.prepare(claim.deliveries).await?;
        if !loaded.unreadable.is_empty() {
            shared.release(&loaded.unreadable).await?;
        }
        let prepared = loaded.prepared;
        // Nothing cancels a single run: it ends when every claimed delivery has been tried.
        let never = tokio_util::sync::CancellationToken::new();
        let sends = prepared.iter().map(|p| shared.deliver(p, &never));
        let mut sent = Vec::with_capacity(count);
        for step in futures::future::join_all(sends).await {
            match step {
                SendStep::Sent(delivery, record) => sent.push((delivery, *record)),
                SendStep::Released(delivery) => shared.release(&[delivery]).await?,
            }
        }
        shared.record(&sent).await?;
        shared.store.tick(&shared.settings.rules).await?;
        Ok(RunOnce::Processed(count))
    }
}
