//! What this worker holds in memory right now: how many deliveries, per rate key and per
//! batch. The claimer asks it how much room is left and which keys already have enough.

use hillpost_core::ids::BatchId;
use std::collections::HashMap;
use std::sync::Mutex;

use hillpost_store::ClaimedDelivery;
use tokio::sync::Notify;

use crate::rate_limits::RateLimiters;

#[derive(Default)]
pub struct Held {
    counts: Mutex<Counts>,
    /// Woken whenever deliveries leave, so a full claimer can claim again.
    pub freed: Notify,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_key: HashMap<String, usize>,
    per_batch: HashMap<BatchId, usize>,
}

impl Held {
    pub fn add(&self, deliveries: &[ClaimedDelivery]) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        for d in deliveries {
            counts.total += 1;
            *counts.per_key.entry(d.rate_key.clone()).or_default() += 1;
            *counts.per_batch.entry(d.batch_id).or_default() += 1;
        }
    }

    pub fn remove(&self, rate_key: &str, batch_id: BatchId) {
        {
            let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            counts.total = counts.total.saturating_sub(1);
            decrement(&mut counts.per_key, rate_key.to_string());
            decrement(&mut counts.per_batch, batch_id);
        }
        self.freed.notify_one();
    }

    pub fn total(&self) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    pub fn holds_key(&self, key: &str) -> bool {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .per_key
            .contains_key(key)
    }

    pub fn batches(&self) -> Vec<BatchId> {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .per_batch
            .keys()
            .copied()
            .collect()
    }

    /// Keys of which this worker already holds as many deliveries as their quota lets it send
    /// in the next couple of seconds: the next claim leaves them for later.
    pub fn saturated_keys(&self, limiters: &RateLimiters, capacity: usize) -> Vec<String> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts
            .per_key
            .iter()
            .filter(|(key, held)| **held >= limiters.backlog_cap(key, capacity))
            .map(|(key, _)| key.clone())
            .collect()
    }
}

fn decrement<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: K) {
    if let Some(n) = map.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            map.remove(&key);
        }
    }
}
