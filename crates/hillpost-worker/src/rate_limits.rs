//! The send schedule of each limited rate key, held while this worker leases the key.
//!
//! Quotas are strict where they are measured, at the receiving server: a quota of R per
//! second allows one send every 1/R seconds, stretched by [`JITTER_MARGIN`], so that a
//! letter arriving a little late (a slow round trip, a busy server) cannot bring the next
//! one into the same window. Each send reserves the next slot of an even schedule and
//! waits for it. A send that wakes up late (timers wake a millisecond or so after their
//! time) does not push the schedule back: the next slot is one interval after the last
//! *slot*, not after the late send, so lateness never accumulates. (Spacing each send from
//! the one before, as a burst-of-one GCRA does when its callers arrive late, held 100/s at
//! 88/s.) A send that wakes later than that takes a new slot instead, so every send is
//! within a few milliseconds of a slot of its own, and slots are an interval apart: R per
//! second is held at 99 % of R, never above it in any one-second window. A governor limiter per
//! key with a burst of two stands behind the schedule as a hard bound. Across processes the
//! store leases each limited key to one worker at a time; when a key changes hands, the next
//! free slot travels with it (`next_send_at`), so the new holder does not burst.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use hillpost_core::quota::RateQuota;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::settings::RateLimits;

/// The limiter of one key, and when the next send may happen (wall clock, for hand-over).
struct KeyLimiter {
    limiter: DefaultDirectRateLimiter,
    /// A few sends of this key at a time: each waits for its turn holding an open
    /// transaction (see `hillpost_channels::Channel::send_on_turn`), so the rest wait here,
    /// holding nothing. The schedule, not the slots, spaces the sends.
    slots: Arc<Semaphore>,
    /// The next sends in line, about [`MARKED_AHEAD`] of them: these are marked as sending
    /// before their turn comes (see [`RateLimiters::ahead`]).
    ahead: Arc<Semaphore>,
    interval: Duration,
    /// The next free slot of the schedule (wall clock, so it can be handed over).
    not_before: Mutex<DateTime<Utc>>,
    last_used: Mutex<Instant>,
}

/// How much each interval is stretched: absorbs arrival jitter of up to a tenth of an
/// interval (10 ms at 10/s) at the cost of 1 % of the quota.
pub const JITTER_MARGIN: f64 = 0.01;

/// The governor's burst behind the schedule: slots are an interval apart, and a send that
/// woke late may be followed by the next on time, so two may come closer than an interval
/// (never three).
const BOUND_BURST: NonZeroU32 = NonZeroU32::new(2).expect("two is not zero");

/// See [`KeyLimiter::slots`]. Four, so the next sends' preparation (the sending mark, a
/// database round trip; connecting) is done before their slots come: with one, a key did
/// no more than one send per round trip plus send time, and fell 13 % short of a 100/s
/// quota; with two, a slow round trip still left slots unused now and then.
const SENDS_PER_KEY: usize = 4;

/// However fast a key's quota, no more of its deliveries are marked ahead than this.
const MAX_MARKED_AHEAD: usize = 1024;

/// How far ahead of their turns the next sends of a limited key are marked as sending.
/// Marks are commits, and a commit now and then waits the better part of a second for the
/// disk; marked only once connected, just before its turn, a send waited for it and the
/// key fell short of its quota (100/s held at 87-99/s). Marked this far ahead, a stalled
/// commit delays marks the schedule does not need yet. The cost: a worker that dies leaves
/// up to this many seconds' worth of a key's deliveries marked, and each is recorded
/// `unknown` and retried, though most never left.
pub const MARKED_AHEAD: Duration = Duration::from_secs(1);

/// How long before its turn a send starts connecting and opening its transaction, so the
/// turn finds it ready to send the message itself.
pub const TURN_LEAD: Duration = Duration::from_millis(250);

pub struct RateLimiters {
    limits: RateLimits,
    keys: Mutex<HashMap<String, Arc<KeyLimiter>>>,
}

impl RateLimiters {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            keys: Mutex::new(HashMap::new()),
        }
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Called when a claim leases `key` to this worker; `carried` is where the previous holder
    /// left off. A key already held keeps its limiter.
    pub fn acquired(&self, key: &str, carried: Option<DateTime<Utc>>) {
        let Some(interval) = self.limits.quota_for(key).interval() else {
            return;
        };
        let interval = interval.mul_f64(1.0 + JITTER_MARGIN);
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.entry(key.to_string()).or_insert_with(|| {
            let period = interval.max(Duration::from_nanos(1));
            let quota =
                Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
            let marked_ahead = (MARKED_AHEAD.as_secs_f64() / interval.as_secs_f64()).ceil();
            Arc::new(KeyLimiter {
                limiter: RateLimiter::direct(quota.allow_burst(BOUND_BURST)),
                slots: Arc::new(Semaphore::new(SENDS_PER_KEY)),
                ahead: Arc::new(Semaphore::new(
                    (marked_ahead as usize).clamp(SENDS_PER_KEY, MAX_MARKED_AHEAD),
                )),
                interval,
                not_before: Mutex::new(carried.unwrap_or_else(Utc::now)),
                last_used: Mutex::new(Instant::now()),
            })
        });
    }

    /// The limiter of a limited key this worker holds.
    fn limiter(&self, key: &str) -> Option<Arc<KeyLimiter>> {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.get(key).cloned()
    }

    /// Waits until the delivery is among the next [`MARKED_AHEAD`] of a limited key's sends,
    /// in the order deliveries asked. `None` at once for a key without a limiter here: an
    /// unlimited key's letters are marked by their claim (`ClaimRequest::mark_sending_on_claim`),
    /// and a letter the claim did not mark is marked at its turn.
    pub async fn ahead(&self, key: &str) -> Option<OwnedSemaphorePermit> {
        let ahead = self.limiter(key)?.ahead.clone();
        ahead.acquire_owned().await.ok()
    }

    /// Waits for one of a limited key's send slots (`None` at once for unlimited keys).
    pub async fn slot(&self, key: &str) -> Option<OwnedSemaphorePermit> {
        let slots = self.limiter(key)?.slots.clone();
        slots.acquire_owned().await.ok()
    }

    /// Waits until `lead` before the next send on `key` is allowed (unlimited keys: at once).
    pub async fn until_near(&self, key: &str, lead: Duration) {
        let Some(limiter) = self.limiter(key) else {
            return;
        };
        let not_before = *limiter.not_before.lock().unwrap_or_else(|p| p.into_inner());
        let lead = chrono::Duration::from_std(lead).unwrap_or_default();
        if let Ok(wait) = (not_before - lead - Utc::now()).to_std() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Reserves the next slot of `key`'s schedule and waits for it. Unlimited keys pass at
    /// once.
    pub async fn until_ready(&self, key: &str) {
        let Some(limiter) = self.limiter(key) else {
            return;
        };
        let interval = chrono::Duration::from_std(limiter.interval).unwrap_or_default();
        loop {
            let slot = {
                let mut next_free = limiter.not_before.lock().unwrap_or_else(|p| p.into_inner());
                let slot = next_slot(*next_free, Utc::now());
                *next_free = slot + interval;
                slot
            };
            if let Ok(wait) = (slot - Utc::now()).to_std() {
                tokio::time::sleep(wait).await;
            }
            // Woken too late for the slot (a stalled process): the next slots may be taken
            // already, and sending now could crowd the next send into this one's window.
            // The slot is left empty and the send takes a new one.
            if Utc::now() - slot <= KEEP_SCHEDULE_WITHIN {
                break;
            }
        }
        limiter.limiter.until_ready().await;
        *limiter.last_used.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Where each held key's limiter stands, saved with every heartbeat.
    pub fn positions(&self) -> HashMap<String, DateTime<Utc>> {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .map(|(k, l)| {
                (
                    k.clone(),
                    *l.not_before.lock().unwrap_or_else(|p| p.into_inner()),
                )
            })
            .collect()
    }

    /// Forgets keys idle for `idle` (and not in `busy`), returning their positions so the
    /// lease can be handed back.
    pub fn take_idle(
        &self,
        idle: Duration,
        busy: &dyn Fn(&str) -> bool,
    ) -> HashMap<String, DateTime<Utc>> {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let idle_keys: Vec<String> = keys
            .iter()
            .filter(|(k, l)| {
                !busy(k)
                    && l.last_used
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .elapsed()
                        >= idle
            })
            .map(|(k, _)| k.clone())
            .collect();
        idle_keys
            .into_iter()
            .filter_map(|k| {
                keys.remove(&k)
                    .map(|l| (k, *l.not_before.lock().unwrap_or_else(|p| p.into_inner())))
            })
            .collect()
    }

    /// How many deliveries of `key` this worker should hold at most: about two seconds'
    /// worth, so a slow key cannot fill the worker while others wait.
    pub fn backlog_cap(&self, key: &str, capacity: usize) -> usize {
        match self.limits.quota_for(key) {
            RateQuota::Unlimited => capacity,
            quota => {
                let per_second = quota.per_second().unwrap_or(1.0);
                ((per_second * 2.0).ceil() as usize).clamp(1, capacity.max(1))
            }
        }
    }
}

/// How late a send may come and still keep the schedule. Lateness kept this way could
/// bring one more send into a one-second window only if it exceeded the margin's share of
/// that second (1 % of 1 s = 10 ms, whatever the quota); timers wake about a millisecond
/// late, a busy machine's processes now and then several.
const KEEP_SCHEDULE_WITHIN: chrono::Duration = chrono::Duration::milliseconds(8);

/// The slot a send reserves: the next free one, unless it passed more than
/// [`KEEP_SCHEDULE_WITHIN`] ago (the key was idle): then now, so idle time is never saved up
/// for a burst.
fn next_slot(next_free: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    if now - next_free > KEEP_SCHEDULE_WITHIN {
        now
    } else {
        next_free
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sends_are_spaced_by_the_quota() {
        let limits = RateLimits {
            default: "20/s".parse().unwrap(),
            overrides: HashMap::new(),
        };
        let limiters = RateLimiters::new(limits);
        limiters.acquired("example.org", None);
        let start = Instant::now();
        for _ in 0..5 {
            limiters.until_ready("example.org").await;
        }
        // Five sends at 20/s with a burst of one: the first at once, then every 50.5 ms.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(201), "{elapsed:?}");
    }

    #[tokio::test]
    async fn a_carried_position_delays_the_first_send() {
        let limits = RateLimits {
            default: "1/s".parse().unwrap(),
            overrides: HashMap::new(),
        };
        let limiters = RateLimiters::new(limits);
        limiters.acquired("k", Some(Utc::now() + chrono::Duration::milliseconds(300)));
        let start = Instant::now();
        limiters.until_ready("k").await;
        assert!(start.elapsed() >= Duration::from_millis(290));
        let position = limiters.positions()["k"];
        assert!(position > Utc::now() + chrono::Duration::milliseconds(900));
    }

    #[test]
    fn a_late_send_keeps_the_schedule_and_an_idle_key_starts_afresh() {
        let t0 = Utc::now();
        let ms = chrono::Duration::milliseconds;
        // A timer that woke 1 ms late: the slot stays where the schedule put it.
        assert_eq!(next_slot(t0, t0 + ms(1)), t0);
        // Not yet due: wait for it.
        assert_eq!(next_slot(t0 + ms(7), t0), t0 + ms(7));
        // Idle for a while: no credit for the time nobody sent.
        assert_eq!(next_slot(t0, t0 + ms(500)), t0 + ms(500));
    }

    #[tokio::test]
    async fn about_a_seconds_worth_of_sends_is_marked_ahead() {
        let mut overrides = HashMap::new();
        overrides.insert("slow.example.org".to_string(), "1/s".parse().unwrap());
        let limits = RateLimits {
            default: "50/s".parse().unwrap(),
            overrides,
        };
        let limiters = RateLimiters::new(limits);
        let now = Duration::from_millis(50);
        let mut held = Vec::new();
        for (key, ahead) in [
            ("fast.example.org", 50),
            ("slow.example.org", SENDS_PER_KEY),
        ] {
            limiters.acquired(key, None);
            for _ in 0..ahead {
                let permit = tokio::time::timeout(now, limiters.ahead(key)).await;
                held.push(permit.expect("within the marked-ahead window"));
            }
            let next = tokio::time::timeout(now, limiters.ahead(key)).await;
            assert!(next.is_err(), "{key}: the next send waits for one to go");
        }
        // A key without a limiter here (an unlimited one) is not marked ahead by the worker:
        // its claim marked it. No bound, no wait.
        for _ in 0..2 * MAX_MARKED_AHEAD {
            let permit = tokio::time::timeout(now, limiters.ahead("a.example.org")).await;
            assert!(permit.expect("at once").is_none());
        }
        assert_eq!(held.len(), 50 + SENDS_PER_KEY);
    }

    #[test]
    fn unlimited_keys_need_no_lease() {
        let mut overrides = HashMap::new();
        overrides.insert("slow.example.org".to_string(), "1/min".parse().unwrap());
        let limits = RateLimits {
            default: RateQuota::Unlimited,
            overrides,
        };
        let policy = limits.policy();
        assert!(policy.is_limited("slow.example.org"));
        assert!(!policy.is_limited("fast.example.org"));
        let limiters = RateLimiters::new(limits);
        assert_eq!(limiters.backlog_cap("fast.example.org", 256), 256);
        assert_eq!(limiters.backlog_cap("slow.example.org", 256), 1);
    }
}
