use hillpost_core::delivery::{BatchState, Channel, DeliveryState};
use hillpost_store::{ATTEMPT_DURATION_BUCKETS_MS, Store};

use crate::support::running_batch;

both_backends!(metrics_count_deliveries_batches_and_due_work);
async fn metrics_count_deliveries_batches_and_due_work(store: Store) {
    let empty = store.delivery_metrics().await.unwrap();
    assert!(empty.deliveries.is_empty());
    assert_eq!(empty.attempt_durations.count, 0);
    assert_eq!(
        empty.attempt_durations.buckets.len(),
        ATTEMPT_DURATION_BUCKETS_MS.len()
    );

    running_batch(&store, &["a", "b"]).await;
    let metrics = store.delivery_metrics().await.unwrap();
    // Three signers to two offices, one letter each.
    assert_eq!(
        metrics.deliveries,
        vec![(DeliveryState::Queued, Channel::Email, 6)]
    );
    assert_eq!(metrics.batches, vec![(BatchState::Running, 1)]);
    assert_eq!(metrics.due_now, 6);
}
