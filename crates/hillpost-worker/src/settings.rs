//! What a worker is told: how much to hold, how long its leases last, how to retry, and the
//! rate quotas. Typed here; the binary fills it from configuration.

use std::collections::HashMap;
use std::time::Duration;

use hillpost_core::delivery::{DeliveryRules, ResendPolicy};
use hillpost_core::quota::RateQuota;
use hillpost_core::retry::RetrySchedule;
use hillpost_store::RateKeyPolicy;

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Deliveries this process holds at once (claimed, waiting for their rate limit, or
    /// being sent). Bounds memory whatever the queue's length.
    pub capacity: usize,
    /// The most deliveries one claim takes.
    pub claim_batch: u32,
    /// How long claimed deliveries stay ours without a heartbeat. A worker that dies is
    /// replaced after this long.
    pub lease: Duration,
    /// How long a rate key stays ours without a heartbeat.
    pub key_lease: Duration,
    /// Pause between claims when the queue is empty.
    pub poll_interval: Duration,
    /// How long shutdown waits for sends in progress before giving the rest back.
    pub shutdown_grace: Duration,
    /// The retry schedule and which channels may resend what may have arrived: the rules
    /// core's transition follows.
    pub rules: DeliveryRules,
    pub rate_limits: RateLimits,
}

impl WorkerSettings {
    /// How often leases are renewed: three times per lease, so one missed beat is harmless.
    pub fn heartbeat_interval(&self) -> Duration {
        self.lease.min(self.key_lease) / 3
    }
}

/// Quotas per rate key (the recipient's mail domain, a form's host, a CWC gateway).
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    pub default: RateQuota,
    pub overrides: HashMap<String, RateQuota>,
}

impl RateLimits {
    pub fn unlimited() -> Self {
        Self {
            default: RateQuota::Unlimited,
            overrides: HashMap::new(),
        }
    }

    pub fn quota_for(&self, key: &str) -> RateQuota {
        self.overrides.get(key).copied().unwrap_or(self.default)
    }

    /// The store's view: which keys must be leased to one worker at a time.
    pub fn policy(&self) -> RateKeyPolicy {
        let (mut limited, mut unlimited): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        for (key, quota) in &self.overrides {
            match quota {
                RateQuota::Unlimited => unlimited.push(key.clone()),
                RateQuota::Limited { .. } => limited.push(key.clone()),
            }
        }
        limited.sort();
        unlimited.sort();
        RateKeyPolicy {
            default_limited: self.default != RateQuota::Unlimited,
            limited,
            unlimited,
        }
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            // Large claims: each claim, sending mark and record is one statement whatever
            // its size, so the store's work per delivery falls as they grow (4 workers on
            // PostgreSQL: +40 % from 256/128 to 1024/512, docs/benchmarks.md). Letters of
            // a batch share their attachments, so holding many costs little memory.
            capacity: 1024,
            claim_batch: 512,
            lease: Duration::from_secs(60),
            key_lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            shutdown_grace: Duration::from_secs(10),
            rules: DeliveryRules {
                retry: RetrySchedule::new(
                    [30, 120, 600, 1800, 7200, 21_600]
                        .into_iter()
                        .map(Duration::from_secs)
                        .collect(),
                    0.2,
                    Duration::from_secs(6 * 3600),
                ),
                resend: ResendPolicy::default(),
            },
            rate_limits: RateLimits::unlimited(),
        }
    }
}
