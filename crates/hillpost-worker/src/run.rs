//! The continuous loop: a claimer, one task per held delivery, a recorder that batches
//! attempt rows, a heartbeat and housekeeping, all stopped by one cancellation token.

use std::sync::Arc;
use std::time::Duration;

use hillpost_channels::Channel;
use hillpost_store::ClaimedDelivery;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::evidence::Recorded;
use crate::stages::{Prepared, SendStep, Shared};
use crate::store_health::Duty;
use crate::{Worker, WorkerError};

/// Records are written in groups of at most this many (one statement each).
const MAX_RECORDS_PER_WRITE: usize = 512;
/// A group this large is written at once; a smaller one waits up to [`RECORD_LINGER`] for
/// company while another group is being written (when none is, records are few and it goes
/// at once). Much of a write's cost is per group, not per record (the statements' set-up
/// and constraint checks, the commit's flush, the turn at the audit head); written as soon
/// as a writer was free, groups held ~13 records, and the audit append alone cost 115 µs a
/// letter, mostly waiting for the head. With groups of 128 or more it costs ~15 µs and
/// recording ~45 µs instead of ~70 (docs/benchmarks.md, issue 10).
const RECORDS_WORTH_A_WRITE: usize = 128;
/// The longest a record waits for its group to fill: small beside a lease and a send.
/// Not at all once the worker is stopping, nor while no other group is being written: a
/// worker killed meanwhile leaves its sent letters unrecorded (`possibly_accepted`, see
/// `hillpost_core::delivery::transition`), so records are not held back when nothing is
/// gained.
const RECORD_LINGER: Duration = Duration::from_millis(10);
/// How many groups of records may be on their way to the store at once. A group's write
/// is mostly waiting for the database (its attempts, their audit events, the commit):
/// written one at a time, the recorder held a worker to one group per round trip, about
/// 3,000 letters/s on PostgreSQL whatever the channel (docs/benchmarks.md). Groups hold
/// different deliveries and take the audit head as their last step, so they cannot
/// deadlock; on SQLite they simply queue for the write lock.
const RECORD_WRITES_AT_ONCE: usize = 3;
/// A limited key this worker has had nothing for during this long is handed back.
const KEY_IDLE: Duration = Duration::from_secs(2);
/// How often housekeeping runs (scheduled batches start within this, pauses take effect).
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(1);
/// At shutdown, after the grace: how long the last records (and the hand-back of rate keys)
/// may take before the worker gives up on a store that does not answer.
const RECORDING_AT_EXIT: Duration = Duration::from_secs(5);
/// How soon a failed heartbeat is tried again (sends wait for it to succeed).
const HEARTBEAT_RETRY: Duration = Duration::from_secs(1);

type Sent = (ClaimedDelivery, Recorded);

impl<C: Channel + Send + Sync + 'static> Worker<C> {
    /// Delivers until `shutdown` is cancelled, then stops at once: nothing new starts
    /// (deliveries waiting for their turn or for a connection are given back), sends whose
    /// letter has started to leave get the shutdown grace to finish, what they reported is
    /// recorded, and the worker returns. A send still running after the grace is left to
    /// its lease: housekeeping records it as possibly sent.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<(), WorkerError> {
        let shared = self.shared.clone();
        tracing::info!(worker = %shared.id, backend = shared.store.backend(), "worker started");
        match shared.checkpoint_key.get() {
            Some(key) => crate::checkpoints::register(&shared.store, key).await,
            // A valid choice (a demo, a test), so not a warning; docs/audit.md says why a
            // deployment wants one.
            None => tracing::info!(
                "no signing key configured ([signing] key_file): no audit checkpoints are signed"
            ),
        }
        let (records, recorded) = mpsc::unbounded_channel::<Sent>();
        let finish_recording = CancellationToken::new();
        let mut recorder = tokio::spawn(record_loop(
            shared.clone(),
            recorded,
            finish_recording.clone(),
        ));
        let side_tasks = CancellationToken::new();
        let heartbeat = tokio::spawn(heartbeat_loop(shared.clone(), side_tasks.clone()));
        let housekeeping = tokio::spawn(housekeeping_loop(shared.clone(), side_tasks.clone()));
        let waiting = shutdown.child_token();
        let sends = TaskTracker::new();

        claim_loop(&shared, &shutdown, &waiting, &sends, &records).await;

        // Shutting down: deliveries not yet on their way go back at once.
        waiting.cancel();
        sends.close();
        if tokio::time::timeout(shared.settings.shutdown_grace, sends.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                sends = shared.held.total(),
                "sends still in progress after the shutdown grace; their leases will expire \
                 and they will be recorded as possibly sent"
            );
        }
        // Record what has been reported, not what is still on the wire.
        drop(records);
        finish_recording.cancel();
        if tokio::time::timeout(RECORDING_AT_EXIT, &mut recorder)
            .await
            .is_err()
        {
            recorder.abort();
            tracing::error!(
                "the store did not take the last attempts in time; their leases will expire \
                 and they will be recorded as possibly sent"
            );
        }
        side_tasks.cancel();
        let _ = heartbeat.await;
        let _ = housekeeping.await;
        let positions = shared.limiters.take_idle(Duration::ZERO, &|_| false);
        match tokio::time::timeout(
            RECORDING_AT_EXIT,
            shared.store.release_keys(&shared.id, &positions),
        )
        .await
        {
            Ok(result) => result?,
            Err(_) => tracing::warn!("handing back rate keys timed out; their leases will expire"),
        }
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
                biased;
                _ = shutdown.cancelled() => break,
                _ = shared.held.freed.notified() => {}
            }
            continue;
        }
        if !shared.health.writable() {
            // Nothing could be sent (see `store_health`): claiming would only hold letters
            // other workers could send.
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                _ = shared.health.until_writable() => {}
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
            Ok(loaded) => {
                if !loaded.unreadable.is_empty() {
                    release(shared, &loaded.unreadable, Some(shutdown)).await;
                }
                loaded.prepared
            }
            Err(error) => {
                tracing::warn!(%error, "could not load the claimed letters; giving them back");
                release(shared, &claimed, Some(shutdown)).await;
                pause(shutdown, shared.settings.poll_interval).await;
                continue;
            }
        };
        if shutdown.is_cancelled() {
            // Stopped while claiming: give everything back at once.
            let claimed: Vec<ClaimedDelivery> = prepared.into_iter().map(|p| p.delivery).collect();
            release(shared, &claimed, Some(shutdown)).await;
            break;
        }
        for prepared in prepared {
            // Boxed: a send's future is large, and a task's is moved as it is spawned and
            // again as it finishes (3.6 % of an email worker's CPU was those copies).
            sends.spawn(Box::pin(deliver(
                shared.clone(),
                prepared,
                waiting.clone(),
                records.clone(),
            )));
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
            // Fails only for a send that outlived the shutdown grace: its lease expires and
            // housekeeping records it as possibly sent.
            let id = delivery.id.get();
            if records.send((delivery, record)).is_err() {
                tracing::warn!(
                    delivery = id,
                    "attempt finished after the worker stopped recording; left to its lease"
                );
            }
        }
        SendStep::Released(delivery) => {
            // Boxed: a release's future holds either backend's statements (13 kB), and
            // inline it made every letter's task that large, allocated and copied by the
            // claim loop (a fifth of its thread's time) though few letters are released.
            Box::pin(release(&shared, std::slice::from_ref(&delivery), None)).await;
        }
    }
}

/// Gives deliveries back unsent, trying again while the store refuses (a full disk): a
/// release that failed would leave them waiting for their leases to expire, and those
/// marked as sending would then be recorded as possibly sent. Once `stop` (when given)
/// has fired, one try is all; a send task's tries end with the shutdown grace.
async fn release<C: Channel + Send + Sync + 'static>(
    shared: &Shared<C>,
    deliveries: &[ClaimedDelivery],
    stop: Option<&CancellationToken>,
) {
    let mut backoff = Duration::from_millis(100);
    while let Err(error) = shared.release(deliveries).await {
        if stop.is_some_and(CancellationToken::is_cancelled) {
            tracing::warn!(%error, "release failed; the leases will expire instead");
            return;
        }
        tracing::warn!(%error, deliveries = deliveries.len(), "giving deliveries back failed; retrying");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

/// Writes attempt records in groups: whatever has arrived since the last write began, at
/// once, with up to [`RECORD_WRITES_AT_ONCE`] groups on their way to the store.
/// Once `finish` fires it writes what has arrived, waits for the writes under way and
/// returns, without waiting for sends still in progress.
async fn record_loop<C: Channel + Send + Sync + 'static>(
    shared: Arc<Shared<C>>,
    mut recorded: mpsc::UnboundedReceiver<Sent>,
    finish: CancellationToken,
) {
    let writers = Arc::new(Semaphore::new(RECORD_WRITES_AT_ONCE));
    let mut writing = JoinSet::new();
    loop {
        let first = tokio::select! {
            biased;
            next = recorded.recv() => match next {
                Some(sent) => sent,
                None => break,
            },
            _ = finish.cancelled() => match recorded.try_recv() {
                Ok(sent) => sent,
                Err(_) => break,
            },
        };
        let arrived = tokio::time::Instant::now();
        // While every writer is busy, records keep arriving, and the next group grows.
        let Ok(writer) = writers.clone().acquire_owned().await else {
            break;
        };
        let others_writing = writers.available_permits() + 1 < RECORD_WRITES_AT_ONCE;
        let linger_until = linger_until(arrived, others_writing);
        let group = gather_group(first, &mut recorded, linger_until, &finish).await;
        writing.spawn(write_group(shared.clone(), group, writer));
        while writing.try_join_next().is_some() {}
    }
    while writing.join_next().await.is_some() {}
}

/// Until when a group whose first record arrived at `arrived` waits for company: see
/// [`RECORD_LINGER`].
fn linger_until(arrived: tokio::time::Instant, others_writing: bool) -> tokio::time::Instant {
    match others_writing {
        true => arrived + RECORD_LINGER,
        false => arrived,
    }
}

/// A group of records starting with `first`: what has arrived, and while that is fewer
/// than [`RECORDS_WORTH_A_WRITE`], what arrives before `linger_until` (unless the worker is
/// stopping or no sends are left to report).
async fn gather_group<T>(
    first: T,
    recorded: &mut mpsc::UnboundedReceiver<T>,
    linger_until: tokio::time::Instant,
    finish: &CancellationToken,
) -> Vec<T> {
    let mut group = Vec::with_capacity(MAX_RECORDS_PER_WRITE);
    group.push(first);
    while group.len() < MAX_RECORDS_PER_WRITE {
        if let Ok(next) = recorded.try_recv() {
            group.push(next);
            continue;
        }
        if group.len() >= RECORDS_WORTH_A_WRITE || finish.is_cancelled() {
            break;
        }
        tokio::select! {
            next = recorded.recv() => match next {
                Some(sent) => group.push(sent),
                None => break,
            },
            () = tokio::time::sleep_until(linger_until) => break,
            // Stopping: take what has arrived (the loop's next turn) and go.
            () = finish.cancelled() => {}
        }
    }
    group
}

/// Writes one group of records, trying again until the store takes it.
async fn write_group<C: Channel + Send + Sync + 'static>(
    shared: Arc<Shared<C>>,
    group: Vec<Sent>,
    _writer: OwnedSemaphorePermit,
) {
    // A record is never dropped: the store may be briefly unreachable (or its disk
    // full). Meanwhile no new send starts (see `store_health`).
    let mut backoff = Duration::from_millis(100);
    while let Err(error) = shared.record(&group).await {
        if shared.health.failed(Duty::Recording) {
            tracing::error!(%error, records = group.len(), "recording attempts failed; no new sends until it works");
        } else {
            tracing::warn!(%error, records = group.len(), "recording attempts failed; retrying");
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
    if shared.health.succeeded(Duty::Recording) {
        tracing::info!("attempts are recorded again; sending resumes");
    }
}

async fn heartbeat_loop<C: Channel + Send + Sync + 'static>(
    shared: Arc<Shared<C>>,
    stop: CancellationToken,
) {
    let mut every = tokio::time::interval(shared.settings.heartbeat_interval());
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            _ = every.tick(), if !failing => {}
            _ = tokio::time::sleep(HEARTBEAT_RETRY), if failing => {}
        }
        let positions = shared.limiters.positions();
        let s = &shared.settings;
        match shared
            .store
            .heartbeat(&shared.id, s.lease, s.key_lease, &positions)
            .await
        {
            Ok(()) => {
                failing = false;
                if shared.health.succeeded(Duty::Heartbeat) {
                    tracing::info!("leases are renewed again; sending resumes");
                }
            }
            Err(error) => {
                failing = true;
                shared.health.failed(Duty::Heartbeat);
                tracing::warn!(%error, "heartbeat failed; no new sends until it works");
            }
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
                    tracing::info!(batch = batch.get(), "scheduled batch started");
                }
                for batch in &report.completed {
                    tracing::info!(batch = batch.get(), "batch completed");
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
        if let Some(key) = shared.checkpoint_key.get() {
            crate::checkpoints::sign_when_due(&shared.store, key).await;
        }
    }
}

async fn pause(shutdown: &CancellationToken, duration: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(duration) => {}
        _ = shutdown.cancelled() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Long enough that a test which wrongly waits for it fails by its timeout instead.
    const NEVER: Duration = Duration::from_secs(3600);

    async fn gathered(
        first: u32,
        recorded: &mut mpsc::UnboundedReceiver<u32>,
        linger: Duration,
        finish: &CancellationToken,
    ) -> Vec<u32> {
        let until = tokio::time::Instant::now() + linger;
        tokio::time::timeout(
            Duration::from_secs(10),
            gather_group(first, recorded, until, finish),
        )
        .await
        .expect("the group was not released")
    }

    #[tokio::test]
    async fn a_full_group_goes_at_once_and_no_group_exceeds_the_maximum() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for n in 1..(MAX_RECORDS_PER_WRITE as u32 + 10) {
            tx.send(n).unwrap();
        }
        let finish = CancellationToken::new();
        let group = gathered(0, &mut rx, NEVER, &finish).await;
        assert_eq!(group.len(), MAX_RECORDS_PER_WRITE);
        assert_eq!(group[..3], [0, 1, 2]);
        // The other ten are fewer than a write's worth: they wait for company, and go when
        // no sender is left.
        drop(tx);
        let next = rx.recv().await.unwrap();
        let rest = gathered(next, &mut rx, NEVER, &finish).await;
        assert_eq!(rest.len(), 10);
    }

    #[tokio::test]
    async fn a_group_of_enough_records_does_not_wait() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        for n in 1..RECORDS_WORTH_A_WRITE as u32 {
            tx.send(n).unwrap();
        }
        let group = gathered(0, &mut rx, NEVER, &CancellationToken::new()).await;
        assert_eq!(group.len(), RECORDS_WORTH_A_WRITE);
        drop(tx);
    }

    #[tokio::test]
    async fn a_small_group_waits_for_company_until_its_time_is_up() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tx.send(1).unwrap();
        let late = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            late.send(2).unwrap();
        });
        // Waits past the first records for the one sent later.
        let finish = CancellationToken::new();
        let until = tokio::time::Instant::now() + Duration::from_millis(300);
        let group = tokio::time::timeout(
            Duration::from_secs(10),
            gather_group(0, &mut rx, until, &finish),
        )
        .await
        .expect("released by its deadline");
        assert_eq!(group, [0, 1, 2]);
        assert!(tokio::time::Instant::now() >= until, "left before its time");
        // A deadline already passed: what has arrived goes.
        tx.send(3).unwrap();
        let group = gathered(4, &mut rx, Duration::ZERO, &finish).await;
        assert_eq!(group, [4, 3]);
    }

    #[test]
    fn records_wait_for_company_only_while_another_group_is_being_written() {
        let arrived = tokio::time::Instant::now();
        assert_eq!(linger_until(arrived, false), arrived);
        assert_eq!(linger_until(arrived, true), arrived + RECORD_LINGER);
    }

    #[tokio::test]
    async fn a_stopping_worker_does_not_wait_for_company() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tx.send(1).unwrap();
        let finish = CancellationToken::new();
        let stop = finish.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            stop.cancel();
        });
        assert_eq!(gathered(0, &mut rx, NEVER, &finish).await, [0, 1]);
        // Already stopping: no wait at all.
        tx.send(2).unwrap();
        assert_eq!(gathered(5, &mut rx, NEVER, &finish).await, [5, 2]);
        drop(tx);
    }

    /// The size of the future `f` returns, without calling it.
    fn future_size<A, B, D, E, F: Future>(_: impl Fn(A, B, D, E) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// Each held letter is a task whose future the claim loop builds, allocates and copies
    /// (1,024 of them per worker by default). Its rare paths (a release) are boxed, so what
    /// it copies is what the send needs.
    #[test]
    fn a_letters_task_is_a_small_future() {
        let size = future_size(deliver::<hillpost_channels::Channels>);
        assert!(size <= 2048, "a letter's task is a future of {size} bytes");
    }
}
