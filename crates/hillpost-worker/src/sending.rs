//! Marking deliveries as "sending" before anything leaves, in groups: a web form's just
//! before it goes; an email's or CWC letter's on a rate-limited key while it waits, up to
//! `MARKED_AHEAD` before its turn (see `rate_limits`). An email's or CWC letter's on an
//! unlimited key needs none of these: its claim marked it (`ClaimRequest::mark_sending_on_claim`).
//!
//! A worker that dies mid-send leaves leases behind; housekeeping must tell an attempt that
//! may have gone out (record `unknown`) from one that never began (just requeue). The mark
//! is that difference. Marks are group-committed: while one store call is in flight, the
//! deliveries arriving meanwhile queue up and go in the next call together, so a busy worker
//! pays one statement per group, not one per letter.

use hillpost_core::ids::{AttemptNo, DeliveryId};
use std::collections::HashSet;
use std::sync::Mutex;

use hillpost_store::{Store, StoreError};
use tokio::sync::oneshot;

/// A delivery (id, attempt number) waiting for its mark, and where to say whether it got it.
type WaitingMark = (
    (DeliveryId, AttemptNo),
    oneshot::Sender<Result<bool, String>>,
);

#[derive(Default)]
pub struct SendingMarks {
    waiting: Mutex<Vec<WaitingMark>>,
    /// Held by whoever is writing a group to the store.
    writing: tokio::sync::Mutex<()>,
}

impl SendingMarks {
    /// Marks one delivery's attempt as sending. `Ok(false)` when its lease is no longer
    /// this worker's: it must not be sent.
    pub async fn mark(
        &self,
        store: &Store,
        worker_id: &str,
        delivery: (DeliveryId, AttemptNo),
    ) -> Result<bool, StoreError> {
        let (done, result) = oneshot::channel();
        self.waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((delivery, done));
        let mut result = result;
        let _writer = self.writing.lock().await;
        // A writer before us may have taken our mark with its group.
        if let Ok(outcome) = result.try_recv() {
            return outcome.map_err(StoreError::Corrupt);
        }
        let group = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|p| p.into_inner()));
        let marks: Vec<(DeliveryId, AttemptNo)> = group.iter().map(|(mark, _)| *mark).collect();
        let written = store.mark_sending(worker_id, &marks).await;
        let marked: Result<HashSet<DeliveryId>, String> = written
            .map(|ids| ids.into_iter().collect())
            .map_err(|e| e.to_string());
        for ((id, _), done) in group {
            let _ = done.send(
                marked
                    .as_ref()
                    .map(|set| set.contains(&id))
                    .map_err(Clone::clone),
            );
        }
        result
            .await
            .unwrap_or(Ok(false))
            .map_err(StoreError::Corrupt)
    }
}
