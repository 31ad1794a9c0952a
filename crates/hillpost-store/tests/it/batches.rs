use hillpost_core::ids::*;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use hillpost_core::batch::{Eligibility, PlannedDelivery, Route, SkipReason, plan_batch};
use hillpost_core::delivery::{BatchAction, BatchState, Channel, DeliveryState};
use hillpost_core::render::LetterTemplates;
use hillpost_store::{Clock, Store, StoreError, TestClock};

use crate::support::{SIGNERS, execute_raw, recipients, running_batch, seeded};

both_backends!(a_batch_enqueues_every_delivery_in_one_go);
async fn a_batch_enqueues_every_delivery_in_one_go(store: Store) {
    let id = running_batch(&store, &["a", "b"]).await;
    let status = store.batch_status(id).await.unwrap();
    assert_eq!(status.batch.state, BatchState::Running);
    assert_eq!(status.total(), 6, "3 signers × 2 recipients");
    assert_eq!(status.count(DeliveryState::Queued), 6);
    assert_eq!(status.by_recipient.len(), 2);
    assert_eq!(status.by_recipient[0].name, "Office a");

    let deliveries = store.deliveries(id).await.unwrap();
    assert!(
        deliveries
            .iter()
            .all(|d| d.channel == Channel::Email && d.max_attempts == 3 && d.attempts == 0)
    );
    assert_eq!(deliveries[0].endpoint, "a@a.example.org");
    assert_eq!(deliveries[0].rate_key, "a.example.org");
    let mut keys: Vec<_> = deliveries
        .iter()
        .map(|d| d.idempotency_key.clone())
        .collect();
    assert!(
        keys.iter()
            .all(|k| k.len() == 32 && k.chars().all(|c| c.is_ascii_hexdigit()))
    );
    keys.dedup();
    assert_eq!(keys.len(), 6, "every delivery has its own idempotency key");
    assert_eq!(
        store.batch_campaign(id).await.unwrap().id.as_str(),
        "no-troops"
    );
}

both_backends!(skipped_deliveries_are_final_with_their_reason);
async fn skipped_deliveries_are_final_with_their_reason(store: Store) {
    let campaign = seeded(&store, SIGNERS).await;
    let templates = LetterTemplates::compile(&campaign).unwrap();
    let signatures = store.signatures(&campaign.id).await.unwrap();
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).unwrap();
    let mut plan = plan_batch(
        &campaign,
        &templates,
        &signatures,
        &recipients(&["a"]),
        date,
    )
    .unwrap();
    let first = &mut plan.deliveries[0];
    *first = PlannedDelivery {
        route: Route::Skip(SkipReason("not a constituent".into())),
        ..first.clone()
    };
    let _ = Eligibility::Anyone;
    let id = store
        .create_batch(&campaign.id, &plan, Utc::now(), 3)
        .await
        .unwrap();
    let status = store.batch_status(id).await.unwrap();
    assert_eq!(status.count(DeliveryState::Skipped), 1);
    assert_eq!(
        status.skip_reasons,
        vec![("not a constituent".to_string(), 1)]
    );
    let skipped = &store.deliveries(id).await.unwrap()[0];
    assert!(skipped.finalized_at.is_some());
}

both_backends!(batches_pause_resume_and_cancel);
async fn batches_pause_resume_and_cancel(store: Store) {
    let id = running_batch(&store, &["a"]).await;
    assert_eq!(
        store
            .control_batch(id, BatchAction::Pause)
            .await
            .unwrap()
            .state,
        BatchState::Paused
    );
    assert!(matches!(
        store.control_batch(id, BatchAction::Pause).await,
        Err(StoreError::BatchTransition { state, action: "paused", .. }) if state == "paused"
    ));
    assert_eq!(
        store
            .control_batch(id, BatchAction::Resume)
            .await
            .unwrap()
            .state,
        BatchState::Running
    );
    let cancelled = store.control_batch(id, BatchAction::Cancel).await.unwrap();
    assert_eq!(cancelled.state, BatchState::Cancelled);
    assert!(cancelled.finished_at.is_some());
    let status = store.batch_status(id).await.unwrap();
    assert_eq!(status.count(DeliveryState::Cancelled), 3);
    assert!(matches!(
        store.control_batch(BatchId::new(999), BatchAction::Pause).await,
        Err(StoreError::NoBatch(id)) if id == BatchId::new(999)
    ));
}

both_backends!(a_scheduled_batch_starts_when_its_time_comes, clock);
async fn a_scheduled_batch_starts_when_its_time_comes(store: Store, clock: TestClock) {
    let campaign = seeded(&store, SIGNERS).await;
    let templates = LetterTemplates::compile(&campaign).unwrap();
    let signatures = store.signatures(&campaign.id).await.unwrap();
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).unwrap();
    let plan = plan_batch(
        &campaign,
        &templates,
        &signatures,
        &recipients(&["a"]),
        date,
    )
    .unwrap();
    let start_at = clock.now() + chrono::Duration::milliseconds(600);
    let id = store
        .create_batch(&campaign.id, &plan, start_at, 3)
        .await
        .unwrap();
    assert_eq!(
        store.batch(id).await.unwrap().unwrap().state,
        BatchState::Scheduled
    );
    assert!(
        crate::support::housekeeping(&store)
            .await
            .started
            .is_empty(),
        "not before its time"
    );
    clock.advance(Duration::from_millis(700));
    assert_eq!(crate::support::housekeeping(&store).await.started, vec![id]);
    assert_eq!(
        store.batch(id).await.unwrap().unwrap().state,
        BatchState::Running
    );
}

both_backends!(rows_deliveries_point_at_are_never_deleted, url);
async fn rows_deliveries_point_at_are_never_deleted(store: Store, url: String) {
    running_batch(&store, &["a"]).await;
    // PostgreSQL guarantees the references of `deliveries`, and those of attempts and
    // delivery events to them, by refusing these deletes (it has no foreign keys there, for
    // enqueue and recording speed); SQLite refuses them the same way.
    for sql in [
        "DELETE FROM deliveries",
        "DELETE FROM messages",
        "DELETE FROM recipients",
        "DELETE FROM signatures",
        "DELETE FROM batches",
    ] {
        let refused = execute_raw(&url, sql).await.expect_err(sql).to_string();
        assert!(refused.contains("never deleted"), "{sql}: {refused}");
    }
    assert_eq!(store.deliveries(BatchId::new(1)).await.unwrap().len(), 3);
}
