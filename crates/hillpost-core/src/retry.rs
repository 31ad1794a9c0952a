//! The retry schedule is configuration: a list of delays whose length is the retry budget.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
    /// Each delay is stretched or shrunk by up to this fraction (0.2 → ±20 %), so deliveries
    /// that failed together don't all come back in the same second.
    jitter: f64,
    /// The longest Retry-After we honour; an endpoint asking for more gets this.
    max_retry_after: Duration,
}

impl RetrySchedule {
    pub fn new(delays: Vec<Duration>, jitter: f64, max_retry_after: Duration) -> Self {
        Self {
            delays,
            jitter: jitter.clamp(0.0, 1.0),
            max_retry_after,
        }
    }

    /// How many attempts a delivery gets in all: the first plus one per delay.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len()).unwrap_or(u32::MAX - 1) + 1
    }

    /// The wait before attempt `attempt_no + 1`, or `None` when the budget is spent.
    /// A Retry-After longer than the scheduled delay wins (up to `max_retry_after`).
    pub fn delay_after(
        &self,
        attempt_no: u32,
        retry_after: Option<Duration>,
        unit_random: f64,
    ) -> Option<Duration> {
        let index = usize::try_from(attempt_no.checked_sub(1)?).ok()?;
        let base = *self.delays.get(index)?;
        let factor = 1.0 + self.jitter * (2.0 * unit_random.clamp(0.0, 1.0) - 1.0);
        let jittered = base.mul_f64(factor.max(0.0));
        let asked = retry_after
            .map(|d| d.min(self.max_retry_after))
            .unwrap_or_default();
        Some(jittered.max(asked))
    }

    pub fn delays(&self) -> &[Duration] {
        &self.delays
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_jitter_and_retry_after() {
        let s = RetrySchedule::new(
            vec![Duration::from_secs(100), Duration::from_secs(1000)],
            0.2,
            Duration::from_secs(600),
        );
        assert_eq!(s.max_attempts(), 3);
        assert_eq!(s.delay_after(1, None, 0.5), Some(Duration::from_secs(100)));
        assert_eq!(s.delay_after(1, None, 0.0), Some(Duration::from_secs(80)));
        assert_eq!(s.delay_after(1, None, 1.0), Some(Duration::from_secs(120)));
        assert_eq!(s.delay_after(2, None, 0.5), Some(Duration::from_secs(1000)));
        assert_eq!(s.delay_after(3, None, 0.5), None);
        assert_eq!(s.delay_after(0, None, 0.5), None);
        assert_eq!(
            s.delay_after(1, Some(Duration::from_secs(300)), 0.5),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            s.delay_after(1, Some(Duration::from_secs(9000)), 0.5),
            Some(Duration::from_secs(600))
        );
    }
}
