//! Whether this worker can keep its word to the store right now.
//!
//! A send is safe only if its result will be recorded before its lease runs out; otherwise
//! housekeeping (here or in another worker) finds the lease expired with the sending mark
//! set, records "may have been sent" and sends the letter again. So while the recorder has
//! attempts it cannot write, or the heartbeat cannot renew leases (a full disk, a database
//! that went away), the worker starts no new send and claims nothing: it waits until the
//! store takes writes again. Sends already on the wire finish and queue for the recorder.

use tokio::sync::watch;

/// A duty the worker owes the store; while any fails, nothing new is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    /// Writing finished attempts.
    Recording = 1,
    /// Renewing leases.
    Heartbeat = 2,
}

pub struct StoreHealth {
    /// The duties failing now, as bits of [`Duty`].
    failing: watch::Sender<u8>,
}

impl Default for StoreHealth {
    fn default() -> Self {
        Self {
            failing: watch::Sender::new(0),
        }
    }
}

impl StoreHealth {
    /// `duty` failed; returns whether it had been working until now (to log once).
    pub fn failed(&self, duty: Duty) -> bool {
        let mut was_working = false;
        self.failing.send_modify(|bits| {
            was_working = *bits & duty as u8 == 0;
            *bits |= duty as u8;
        });
        was_working
    }

    /// `duty` worked; returns whether it had been failing (to log the recovery once).
    pub fn succeeded(&self, duty: Duty) -> bool {
        let mut was_failing = false;
        self.failing.send_if_modified(|bits| {
            was_failing = *bits & duty as u8 != 0;
            *bits &= !(duty as u8);
            was_failing
        });
        was_failing
    }

    /// Every duty is being kept.
    pub fn writable(&self) -> bool {
        *self.failing.borrow() == 0
    }

    /// Waits until every duty is being kept again (at once when it is).
    pub async fn until_writable(&self) {
        let mut changes = self.failing.subscribe();
        // The sender lives in `self`, so the wait ends only by the condition.
        let _ = changes.wait_for(|bits| *bits == 0).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sending_waits_until_every_duty_is_kept_again() {
        let health = std::sync::Arc::new(StoreHealth::default());
        assert!(health.writable());
        assert!(health.failed(Duty::Recording));
        assert!(!health.failed(Duty::Recording), "already failing");
        health.failed(Duty::Heartbeat);
        let waiter = tokio::spawn({
            let health = health.clone();
            async move { health.until_writable().await }
        });
        assert!(health.succeeded(Duty::Recording));
        tokio::task::yield_now().await;
        assert!(!health.writable(), "the heartbeat still fails");
        assert!(!waiter.is_finished());
        assert!(health.succeeded(Duty::Heartbeat));
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter)
            .await
            .expect("the wait ends once both work")
            .unwrap();
        assert!(!health.succeeded(Duty::Heartbeat), "was not failing");
    }
}
