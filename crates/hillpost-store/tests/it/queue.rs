use hillpost_core::ids::*;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use hillpost_core::delivery::{
    AttemptOutcome, BatchAction, BatchState, Channel, DeliveryState, Transition,
};
use hillpost_store::{
    AttemptRecord, ClaimRequest, ClaimedDelivery, RateKeyPolicy, Store, TestClock,
};

use crate::support::{LEASE, decided, execute_raw, request, running_batch};

fn record(d: &ClaimedDelivery, outcome: AttemptOutcome, next: Transition) -> AttemptRecord {
    let now = Utc::now();
    AttemptRecord {
        delivery_id: d.id,
        attempt_no: d.attempt_no,
        started_at: now,
        finished_at: now,
        outcome,
        endpoint: d.endpoint.clone(),
        remote_code: Some(250),
        remote_text: Some("OK".into()),
        sent_sha256: Some("ab".repeat(32)),
        receiver_id: None,
        note: None,
        transition: next,
    }
}

both_backends!(a_claim_leases_each_delivery_to_one_worker);
async fn a_claim_leases_each_delivery_to_one_worker(store: Store) {
    let batch = running_batch(&store, &["a", "b"]).await;
    let policy = RateKeyPolicy::default();
    let first = store.claim(&request("w1", 4, &policy)).await.unwrap();
    assert_eq!(first.deliveries.len(), 4);
    assert!(
        first
            .deliveries
            .iter()
            .all(|d| d.attempt_no == hillpost_core::AttemptNo::new(1) && d.batch_id == batch)
    );
    let second = store.claim(&request("w2", 10, &policy)).await.unwrap();
    assert_eq!(second.deliveries.len(), 2, "only what w1 did not take");
    let ids: HashSet<DeliveryId> = first
        .deliveries
        .iter()
        .chain(&second.deliveries)
        .map(|d| d.id)
        .collect();
    assert_eq!(ids.len(), 6);
    assert!(
        store
            .claim(&request("w3", 10, &policy))
            .await
            .unwrap()
            .deliveries
            .is_empty()
    );

    let parts = store.letter_parts(&[first.deliveries[0].id]).await.unwrap();
    assert_eq!(parts[0].recipient_name, "Office a");
    assert_eq!(parts[0].language, "es");
    assert_eq!(parts[0].subject, "Desde Lima: que vuelvan las tropas");
    assert_eq!(
        parts[0].signer.as_ref().unwrap().email.as_str(),
        "ana@example.org"
    );
    assert_eq!(parts[0].idempotency_key.len(), 32);
}

both_backends!(recorded_attempts_move_deliveries_on, clock);
async fn recorded_attempts_move_deliveries_on(store: Store, clock: TestClock) {
    let batch = running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let claim = store
        .claim(&request("w1", 3, &policy))
        .await
        .unwrap()
        .deliveries;
    let records = vec![
        record(
            &claim[0],
            AttemptOutcome::Ok,
            Transition::finish(DeliveryState::Delivered),
        ),
        decided(&claim[1], AttemptOutcome::Permanent),
        record(
            &claim[2],
            AttemptOutcome::Transient,
            Transition::retry_after(Duration::from_millis(400)),
        ),
    ];
    let moved = store.record_attempts("w1", &records).await.unwrap();
    assert_eq!(moved.len(), 3);
    let status = store.batch_status(batch).await.unwrap();
    assert_eq!(status.count(DeliveryState::Delivered), 1);
    assert_eq!(status.count(DeliveryState::Failed), 1);
    assert_eq!(status.count(DeliveryState::Queued), 1);
    assert_eq!(status.attempts, 3);

    let attempts = store.attempts(claim[0].id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, AttemptOutcome::Ok);
    assert_eq!(attempts[0].remote_code, Some(250));
    assert_eq!(attempts[0].worker_id, "w1");

    // The retry is not due yet, then it is, with the next attempt number.
    assert!(
        store
            .claim(&request("w1", 3, &policy))
            .await
            .unwrap()
            .deliveries
            .is_empty()
    );
    clock.advance(Duration::from_millis(500));
    let retry = store
        .claim(&request("w2", 3, &policy))
        .await
        .unwrap()
        .deliveries;
    assert_eq!(retry.len(), 1);
    assert_eq!(
        (retry[0].id, retry[0].attempt_no),
        (claim[2].id, hillpost_core::AttemptNo::new(2))
    );
    let failed = store
        .deliveries(batch)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == claim[1].id)
        .unwrap();
    assert_eq!(failed.last_error.as_deref(), Some("250 OK"));
}

both_backends!(a_stale_worker_cannot_overwrite_a_taken_over_delivery, clock);
async fn a_stale_worker_cannot_overwrite_a_taken_over_delivery(store: Store, clock: TestClock) {
    let batch = running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let short = ClaimRequest {
        lease: Duration::from_millis(200),
        ..request("slow", 10, &policy)
    };
    let all = store.claim(&short).await.unwrap().deliveries;
    let marks: Vec<(DeliveryId, hillpost_core::AttemptNo)> =
        all.iter().map(|d| (d.id, d.attempt_no)).collect();
    assert_eq!(store.mark_sending("slow", &marks).await.unwrap().len(), 3);
    let claimed = all[0].clone();
    clock.advance(Duration::from_millis(300));

    // The lease expired while sending: housekeeping records a possibly accepted attempt and
    // requeues (email may resend, with the same Message-ID).
    let tick = crate::support::housekeeping(&store).await;
    assert_eq!((tick.recovered, tick.requeued), (3, 0));
    let attempts = store.attempts(claimed.id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, AttemptOutcome::PossiblyAccepted);
    assert_eq!(attempts[0].worker_id, "slow");
    assert!(
        attempts[0]
            .note
            .as_deref()
            .unwrap()
            .contains("may have been sent")
    );

    let retaken = store
        .claim(&request("fast", 10, &policy))
        .await
        .unwrap()
        .deliveries;
    let retaken = retaken
        .into_iter()
        .find(|d| d.id == claimed.id)
        .expect("taken over");
    assert_eq!(
        (retaken.id, retaken.attempt_no),
        (claimed.id, hillpost_core::AttemptNo::new(2))
    );

    // The slow worker's late result is recorded but moves nothing.
    let late = record(
        &claimed,
        AttemptOutcome::Ok,
        Transition::finish(DeliveryState::Delivered),
    );
    assert!(
        store
            .record_attempts("slow", &[late])
            .await
            .unwrap()
            .is_empty()
    );
    let in_flight = store
        .deliveries(batch)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == claimed.id)
        .unwrap();
    assert_eq!(in_flight.state, DeliveryState::InFlight);
    let attempts = store.attempts(claimed.id).await.unwrap();
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts[1]
            .note
            .as_deref()
            .unwrap()
            .contains("lost its lease")
    );

    let done = record(
        &retaken,
        AttemptOutcome::Ok,
        Transition::finish(DeliveryState::Delivered),
    );
    assert_eq!(
        store.record_attempts("fast", &[done]).await.unwrap(),
        vec![claimed.id]
    );
}

both_backends!(
    a_claim_marks_resendable_letters_on_unlimited_keys_sending,
    clock
);
async fn a_claim_marks_resendable_letters_on_unlimited_keys_sending(
    store: Store,
    clock: TestClock,
) {
    running_batch(&store, &["a", "b"]).await;
    let policy = RateKeyPolicy {
        default_limited: false,
        limited: vec!["b.example.org".into()],
        unlimited: Vec::new(),
    };
    let marking = ClaimRequest {
        lease: Duration::from_millis(200),
        key_lease: Duration::from_millis(200),
        mark_sending_on_claim: &[Channel::Email],
        ..request("w", 10, &policy)
    };
    let claimed = store.claim(&marking).await.unwrap().deliveries;
    assert_eq!(claimed.len(), 6);
    for d in &claimed {
        let unlimited = d.rate_key == "a.example.org";
        assert_eq!(d.marked_sending, unlimited, "{}", d.rate_key);
    }

    // The marks are stored: once the leases expire, the marked letters may have been sent
    // (recorded so, and queued to go again under the same id), the others simply go back.
    clock.advance(Duration::from_millis(300));
    let tick = crate::support::housekeeping(&store).await;
    assert_eq!((tick.recovered, tick.requeued), (3, 3));
    for d in &claimed {
        let attempts = store.attempts(d.id).await.unwrap();
        let expected = if d.marked_sending {
            vec![AttemptOutcome::PossiblyAccepted]
        } else {
            vec![]
        };
        let outcomes: Vec<AttemptOutcome> = attempts.iter().map(|a| a.outcome).collect();
        assert_eq!(outcomes, expected, "{}", d.rate_key);
    }

    // Only the channels named are marked.
    let other_channel = ClaimRequest {
        mark_sending_on_claim: &[Channel::WebForm, Channel::Cwc],
        ..request("w", 10, &policy)
    };
    let again = store.claim(&other_channel).await.unwrap().deliveries;
    assert_eq!(again.len(), 6);
    assert!(again.iter().all(|d| !d.marked_sending));
}

both_backends!(
    a_lost_last_attempt_ends_unconfirmed_not_back_in_the_queue,
    clock
);
async fn a_lost_last_attempt_ends_unconfirmed_not_back_in_the_queue(
    store: Store,
    clock: TestClock,
) {
    let batch = running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let short = ClaimRequest {
        lease: Duration::from_millis(50),
        ..request("w", 10, &policy)
    };
    for attempt in 1..=3u32 {
        let claimed = store.claim(&short).await.unwrap().deliveries;
        assert_eq!(claimed.len(), 3);
        assert!(
            claimed
                .iter()
                .all(|d| d.attempt_no == hillpost_core::AttemptNo::new(attempt))
        );
        let marks: Vec<(DeliveryId, hillpost_core::AttemptNo)> =
            claimed.iter().map(|d| (d.id, d.attempt_no)).collect();
        store.mark_sending("w", &marks).await.unwrap();
        clock.advance(Duration::from_millis(80));
        assert_eq!(crate::support::housekeeping(&store).await.recovered, 3);
    }
    // Each may have arrived, so the budget spent means "we cannot know", not "dead".
    for row in store.deliveries(batch).await.unwrap() {
        assert_eq!(row.state, DeliveryState::Unconfirmed);
        assert!(row.possibly_accepted);
        let attempts = store.attempts(row.id).await.unwrap();
        assert_eq!(
            attempts
                .iter()
                .map(|a| a.attempt_no.get())
                .collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(
            attempts
                .iter()
                .all(|a| a.outcome == AttemptOutcome::PossiblyAccepted)
        );
    }
}

both_backends!(a_limited_key_is_sent_to_by_one_worker_at_a_time);
async fn a_limited_key_is_sent_to_by_one_worker_at_a_time(store: Store) {
    running_batch(&store, &["a", "b"]).await;
    let policy = RateKeyPolicy {
        default_limited: false,
        limited: vec!["a.example.org".into()],
        unlimited: vec![],
    };
    let w1 = store.claim(&request("w1", 1, &policy)).await.unwrap();
    assert_eq!(w1.deliveries[0].rate_key, "a.example.org");
    assert_eq!(w1.keys.len(), 1);
    assert_eq!(w1.keys[0].key, "a.example.org");
    assert_eq!(w1.keys[0].next_send_at, None);

    // w2 gets only the unlimited key's rows, although a's are older.
    let w2 = store.claim(&request("w2", 10, &policy)).await.unwrap();
    assert_eq!(w2.deliveries.len(), 3);
    assert!(w2.deliveries.iter().all(|d| d.rate_key == "b.example.org"));
    assert!(w2.keys.is_empty());

    // w1 hands the key over with its limiter position; w2 picks both up.
    let position = Utc::now() + chrono::Duration::seconds(2);
    let handover = HashMap::from([("a.example.org".to_string(), position)]);
    store.release_keys("w1", &handover).await.unwrap();
    let w2 = store.claim(&request("w2", 10, &policy)).await.unwrap();
    assert_eq!(w2.deliveries.len(), 2);
    assert_eq!(w2.keys.len(), 1);
    let carried = w2.keys[0].next_send_at.expect("position carried over");
    assert!(
        (carried - position).num_milliseconds().abs() < 2,
        "{carried} vs {position}"
    );

    // The holder renews on its next claim; w1 is now kept out.
    assert!(
        store
            .claim(&request("w1", 10, &policy))
            .await
            .unwrap()
            .deliveries
            .is_empty()
    );
}

both_backends!(heartbeats_keep_leases_alive, clock);
async fn heartbeats_keep_leases_alive(store: Store, clock: TestClock) {
    running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy {
        default_limited: true,
        ..Default::default()
    };
    let short = ClaimRequest {
        lease: Duration::from_millis(300),
        key_lease: Duration::from_millis(300),
        ..request("w1", 1, &policy)
    };
    let claimed = store.claim(&short).await.unwrap().deliveries;
    assert_eq!(claimed.len(), 1);
    for _ in 0..4 {
        clock.advance(Duration::from_millis(150));
        store
            .heartbeat(
                "w1",
                Duration::from_millis(300),
                Duration::from_millis(300),
                &HashMap::new(),
            )
            .await
            .unwrap();
        assert_eq!(crate::support::housekeeping(&store).await.recovered, 0);
    }
    assert!(
        store
            .claim(&request("w2", 10, &policy))
            .await
            .unwrap()
            .deliveries
            .is_empty(),
        "key still w1's"
    );
    assert_eq!(store.release("w1", &[claimed[0].id]).await.unwrap(), 1);
    let again = store
        .claim(&request("w1", 10, &policy))
        .await
        .unwrap()
        .deliveries;
    assert_eq!(again.len(), 3);
    assert!(
        again
            .iter()
            .all(|d| d.attempt_no == hillpost_core::AttemptNo::new(1)),
        "a release is not an attempt"
    );
}

both_backends!(heartbeats_renew_only_leases_running_low, clock);
async fn heartbeats_renew_only_leases_running_low(store: Store, clock: TestClock) {
    running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let lease = |ms| ClaimRequest {
        lease: Duration::from_millis(ms),
        ..request("w1", 1, &policy)
    };
    // One lease about to run out, one with plenty left.
    let low = store.claim(&lease(500)).await.unwrap().deliveries;
    let plenty = store.claim(&lease(20_000)).await.unwrap().deliveries;
    assert_eq!((low.len(), plenty.len()), (1, 1));
    // A beat of 1.5 s renews what has less than two thirds of that (1 s) left.
    store
        .heartbeat("w1", Duration::from_millis(1500), LEASE, &HashMap::new())
        .await
        .unwrap();
    clock.advance(Duration::from_millis(800));
    assert_eq!(
        crate::support::housekeeping(&store).await.requeued,
        0,
        "the short lease was renewed"
    );
    clock.advance(Duration::from_millis(1000));
    // The renewed lease has now run out; the long one was left alone, not cut to 1.5 s.
    assert_eq!(crate::support::housekeeping(&store).await.requeued, 1);
    let again = store.claim(&request("w2", 10, &policy)).await.unwrap();
    assert!(again.deliveries.iter().any(|d| d.id == low[0].id));
    assert!(again.deliveries.iter().all(|d| d.id != plenty[0].id));
}

both_backends!(paused_batches_are_not_claimed_and_finished_ones_complete);
async fn paused_batches_are_not_claimed_and_finished_ones_complete(store: Store) {
    let batch = running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    store
        .control_batch(batch, BatchAction::Pause)
        .await
        .unwrap();
    assert!(
        store
            .claim(&request("w", 10, &policy))
            .await
            .unwrap()
            .deliveries
            .is_empty()
    );
    assert_eq!(
        store.batch_states(&[batch]).await.unwrap()[&batch],
        BatchState::Paused
    );
    store
        .control_batch(batch, BatchAction::Resume)
        .await
        .unwrap();
    // The completion check looks for queued and for in-flight letters, each its own way.
    assert!(
        crate::support::housekeeping(&store)
            .await
            .completed
            .is_empty(),
        "queued"
    );
    let claim = store
        .claim(&request("w", 10, &policy))
        .await
        .unwrap()
        .deliveries;
    assert!(
        crate::support::housekeeping(&store)
            .await
            .completed
            .is_empty(),
        "in flight"
    );
    let records: Vec<_> = claim
        .iter()
        .map(|d| {
            record(
                d,
                AttemptOutcome::Ok,
                Transition::finish(DeliveryState::Delivered),
            )
        })
        .collect();
    store.record_attempts("w", &records).await.unwrap();
    assert_eq!(
        crate::support::housekeeping(&store).await.completed,
        vec![batch]
    );
    assert_eq!(
        store.batch(batch).await.unwrap().unwrap().state,
        BatchState::Completed
    );
}

both_backends!(attempts_are_append_only, url);
async fn attempts_are_append_only(store: Store, url: String) {
    running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let claim = store
        .claim(&request("w", 1, &policy))
        .await
        .unwrap()
        .deliveries;
    store
        .record_attempts(
            "w",
            &[record(
                &claim[0],
                AttemptOutcome::Ok,
                Transition::finish(DeliveryState::Delivered),
            )],
        )
        .await
        .unwrap();
    let error = execute_raw(&url, "UPDATE attempts SET outcome = 'permanent'")
        .await
        .expect_err("update refused");
    assert!(error.to_string().contains("append-only"), "{error}");
    let error = execute_raw(&url, "DELETE FROM attempts")
        .await
        .expect_err("delete refused");
    assert!(error.to_string().contains("append-only"), "{error}");
    assert_eq!(
        store.attempts(claim[0].id).await.unwrap()[0].outcome,
        AttemptOutcome::Ok
    );
}

both_backends!(concurrent_claims_never_share_a_delivery);
async fn concurrent_claims_never_share_a_delivery(store: Store) {
    running_batch(&store, &["a", "b", "c", "d", "e", "f", "g", "h"]).await;
    let store = std::sync::Arc::new(store);
    let policy = std::sync::Arc::new(RateKeyPolicy::default());
    let mut workers = Vec::new();
    for w in 0..4 {
        let (store, policy) = (store.clone(), policy.clone());
        workers.push(tokio::spawn(async move {
            let name = format!("w{w}");
            let mut mine = Vec::new();
            loop {
                let claim = store.claim(&request(&name, 2, &policy)).await.unwrap();
                if claim.deliveries.is_empty() {
                    return mine;
                }
                mine.extend(claim.deliveries.iter().map(|d| d.id));
            }
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 24);
    assert_eq!(unique.len(), 24);
}

both_backends!(a_lease_lost_before_sending_costs_no_attempt, clock);
async fn a_lease_lost_before_sending_costs_no_attempt(store: Store, clock: TestClock) {
    running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let short = ClaimRequest {
        lease: Duration::from_millis(100),
        ..request("gone", 10, &policy)
    };
    let claimed = store.claim(&short).await.unwrap().deliveries;
    // Only the first had started sending when its worker vanished.
    assert_eq!(
        store
            .mark_sending("gone", &[(claimed[0].id, hillpost_core::AttemptNo::new(1))])
            .await
            .unwrap(),
        vec![claimed[0].id]
    );
    assert!(
        store
            .mark_sending(
                "someone-else",
                &[(claimed[1].id, hillpost_core::AttemptNo::new(1))]
            )
            .await
            .unwrap()
            .is_empty(),
        "fenced"
    );
    clock.advance(Duration::from_millis(150));
    let tick = crate::support::housekeeping(&store).await;
    assert_eq!((tick.recovered, tick.requeued), (1, 2));
    assert_eq!(
        store.attempts(claimed[0].id).await.unwrap()[0].outcome,
        AttemptOutcome::PossiblyAccepted
    );
    assert!(
        store.attempts(claimed[1].id).await.unwrap().is_empty(),
        "an attempt that never began is not recorded"
    );
    let again = store
        .claim(&request("next", 10, &policy))
        .await
        .unwrap()
        .deliveries;
    let attempt = |id: DeliveryId| again.iter().find(|d| d.id == id).unwrap().attempt_no;
    assert_eq!(attempt(claimed[0].id), hillpost_core::AttemptNo::new(2));
    assert_eq!(
        attempt(claimed[1].id),
        hillpost_core::AttemptNo::new(1),
        "its attempt number is reused"
    );
}

both_backends!(a_mark_for_an_earlier_attempt_marks_nothing, clock);
async fn a_mark_for_an_earlier_attempt_marks_nothing(store: Store, clock: TestClock) {
    running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let short = ClaimRequest {
        lease: Duration::from_millis(100),
        ..request("w", 1, &policy)
    };
    let first = store.claim(&short).await.unwrap().deliveries.remove(0);
    let first_mark = [(first.id, first.attempt_no)];
    assert_eq!(
        store.mark_sending("w", &first_mark).await.unwrap(),
        [first.id]
    );
    clock.advance(Duration::from_millis(150));
    assert_eq!(crate::support::housekeeping(&store).await.recovered, 1);

    // The same worker takes the letter again for its next attempt; a mark still in flight
    // for the first attempt must not stand for this one.
    let again = store
        .claim(&request("w", 10, &policy))
        .await
        .unwrap()
        .deliveries
        .into_iter()
        .find(|d| d.id == first.id)
        .expect("claimed again");
    assert_eq!(again.attempt_no, hillpost_core::AttemptNo::new(2));
    assert!(
        store
            .mark_sending("w", &first_mark)
            .await
            .unwrap()
            .is_empty(),
        "a late mark of attempt 1"
    );
    assert_eq!(
        store
            .mark_sending("w", &[(again.id, again.attempt_no)])
            .await
            .unwrap(),
        [again.id]
    );
}
