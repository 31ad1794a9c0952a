//! A channel that sends nothing and reports success: benchmarks of the queue itself, and
//! deliveries whose channel is `none`.

use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::{OutgoingLetter, SendReport};

use crate::Channel;
use crate::report::finished;

#[derive(Debug, Clone, Copy, Default)]
pub struct NoopChannel;

impl Channel for NoopChannel {
    async fn send(&self, _letter: &OutgoingLetter) -> SendReport {
        finished(chrono::Utc::now(), AttemptOutcome::Ok)
    }
}
