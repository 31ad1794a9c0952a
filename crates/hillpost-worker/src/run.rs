//! The continuous loop: a claimer, one task per held delivery, a recorder that batches
//! attempt rows, a heartbeat and housekeeping, all stopped by one cancellation token.

use std::sync::Arc;
use std::time::Duration;

use hillpost_channels::Channel;
use hillpost_store::{AttemptRecord, ClaimedDelivery};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::stages::{Prepared, SendStep, Shared};
use crate::{Worker, WorkerError};

/// Records are written in groups of at most this many (one statement each).
const MAX_RECORDS_PER_WRITE: usize = 512;
/// A limited key this worker has had nothing for during this long is handed back.
const KEY_IDLE: Duration = Duration::from_secs(2);
/// How often housekeeping runs (scheduled batches start within this, pauses take effect).
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(1);

type Sent = (ClaimedDelivery, AttemptRecord);

impl<C: Channel + Send + Sync + 'static> Worker<C> {
    /// Delivers until `shutdown` is cancelled, then stops claiming, gives back what is still
    /// waiting for its turn, lets sends in progress finish (up to the shutdown grace) and
    /// records them.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), WorkerError> {
        let shared = self.shared.clone();
        tracing::info!(worker = %shared.id, backend = shared.store.backend(), "worker started");
        let (records, recorded) = mpsc::unbounded_channel::<Sent>();
        let recorder = tokio::spawn(record_loop(shared.clone(), recorded));
        let side_tasks = CancellationToken::new();
        let heartbeat = tokio::spawn(heartbeat_loop(shared.clone(), side_tasks.clone()));
        let housekeeping = tokio::spawn(housekeeping_loop(shared.clone(), side_tasks.clone()));
        let waiting = shutdown.child_token();
        let sends = TaskTracker::new();

        claim_loop(&shared, &shutdown, &waiting, &sends, &records).await;

        // Shutting down: deliveries still waiting for their turn go back at once.
        waiting.cancel();
        sends.close();
        if tokio::time::timeout(shared.settings.shutdown_grace, sends.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                "sends still in progress after the shutdown grace; their leases will expire"
            );
        }
        drop(records);
        let _ = recorder.await;
        side_tasks.cancel();
        let _ = heartbeat.await;
        let _ = housekeeping.await;
        let positions = shared.limiters.take_idle(Duration::ZERO, &|_| false);
        shared.store.release_keys(&shared.id, &positions).await?;
        tracing::info!(worker = %shared.id, "worker stopped");
        Ok(())
    }
}

async fn claim_loop<C: Channel + Send + Sync + 'static>(
    shared: &Arc<Shared<C>>,
    shutdown: &CancellationToken,
    waiting: &CancellationToken,
    sends: &TaskTracker,
    records: &mpsc::UnboundedSender<Sent>,
) {
    let capacity = shared.settings.capacity.max(1);
    // Claim when at least this much room is free, so claims stay large under load.
    let low_water = (shared.settings.claim_batch as usize)
        .min(capacity / 4)
        .max(1);
    while !shutdown.is_cancelled() {
        let room = capacity.saturating_sub(shared.held.total());
        if room < low_water {
            tokio::select! {
                _ = shared.held.freed.notified() => {}
                _ = shutdown.cancelled() => break,
            }
            continue;
        }
        let limit = u32::try_from(room)
            .unwrap_or(u32::MAX)
            .min(shared.settings.claim_batch);
        let exclude = shared.held.saturated_keys(&shared.limiters, capacity);
        let claimed = match shared.claim(limit, &exclude).await {
            Ok(claim) => claim.deliveries,
            Err(error) => {
                tracing::warn!(%error, "claim failed; trying again");
                pause(shutdown, shared.settings.poll_interval).await;
                continue;
            }
        };
        if claimed.is_empty() {
            pause(shutdown, shared.settings.poll_interval).await;
            continue;
        }
        let prepared = match shared.prepare(claimed.clone()).await {
            Ok(prepared) => prepared,
            Err(error) => {
                tracing::warn!(%error, "could not load the claimed letters; giving them back");
                if let Err(error) = shared.release(&claimed).await {
                    tracing::warn!(%error, "release failed; the leases will expire instead");
                }
                pause(shutdown, shared.settings.poll_interval).await;
                continue;
            }
        };
        for prepared in prepared {
            sends.spawn(deliver(
                shared.clone(),
                prepared,
                waiting.clone(),
                records.clone(),
            ));
        }
    }
}

/// One delivery's way through stages 2 and 3; the record goes to the recorder.
async fn deliver<C: Channel + Send + Sync + 'static>(
    shared: Arc<Shared<C>>,
    prepared: Prepared,
    waiting: CancellationToken,
    records: mpsc::UnboundedSender<Sent>,
) {
    match shared.deliver(&prepared, &waiting).await {
        SendStep::Sent(delivery, record) => {
            let record = *record;
            // The recorder only stops after every send task has ended, so this cannot fail.
            let _ = records.send((delivery, record));
        }
        SendStep::Released(delivery) => {
            if let Err(error) = shared.release(std::slice::from_ref(&delivery)).await {
                tracing::warn!(%error, delivery = delivery.id, "release failed; the lease will expire instead");
            }
        }
    }
}

/// Writes attempt records in groups: whatever has arrived since the last write, at once.
async fn record_loop<C: Channel + Send + Sync + 'static>(
    shared: Arc<Shared<C>>,
    mut recorded: mpsc::UnboundedReceiver<Sent>,
) {
    let mut group: Vec<Sent> = Vec::with_capacity(MAX_RECORDS_PER_WRITE);
    while let Some(first) = recorded.recv().await {
        group.push(first);
        while group.len() < MAX_RECORDS_PER_WRITE {
            match recorded.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        // A record is never dropped: the store may be briefly unreachable.
        let mut backoff = Duration::from_millis(100);
        while let Err(error) = shared.record(&group).await {
            tracing::warn!(%error, records = group.len(), "recording attempts failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
        group.clear();
    }
}

async fn heartbeat_loop<C: Channel + Send + Sync + 'static>(
    shared: Arc<Shared<C>>,
    stop: CancellationToken,
) {
    let mut every = tokio::time::interval(shared.settings.heartbeat_interval());
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.cancelled() => return,
        }
        let positions = shared.limiters.positions();
        let s = &shared.settings;
        if let Err(error) = shared
            .store
            .heartbeat(&shared.id, s.lease, s.key_lease, &positions)
            .await
        {
            tracing::warn!(%error, "heartbeat failed");
        }
        let idle = shared
            .limiters
            .take_idle(KEY_IDLE, &|key| shared.held.holds_key(key));
        if let Err(error) = shared.store.release_keys(&shared.id, &idle).await {
            tracing::warn!(%error, "handing back idle rate keys failed; their leases will expire");
        }
    }
}

async fn housekeeping_loop<C: Channel + Send + Sync + 'static>(
    shared: Arc<Shared<C>>,
    stop: CancellationToken,
) {
    let mut every = tokio::time::interval(HOUSEKEEPING_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.cancelled() => return,
        }
        match shared.store.tick(&shared.settings.rules).await {
            Ok(report) => {
                for batch in &report.started {
                    tracing::info!(batch, "scheduled batch started");
                }
                for batch in &report.completed {
                    tracing::info!(batch, "batch completed");
                }
                if report.recovered > 0 {
                    tracing::warn!(
                        deliveries = report.recovered,
                        "a worker stopped while sending these; recorded as possibly accepted"
                    );
                }
                if report.requeued > 0 {
                    tracing::info!(
                        deliveries = report.requeued,
                        "a worker stopped before sending these; requeued"
                    );
                }
            }
            Err(error) => tracing::warn!(%error, "housekeeping failed"),
        }
        if let Err(error) = shared.refresh_batch_states().await {
            tracing::warn!(%error, "could not refresh batch states");
        }
    }
}

async fn pause(shutdown: &CancellationToken, duration: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(duration) => {}
        _ = shutdown.cancelled() => {}
    }
}
