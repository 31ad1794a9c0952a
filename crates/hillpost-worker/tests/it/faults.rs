use std::time::Duration;

use hillpost_core::delivery::{AttemptOutcome, DeliveryState};
use hillpost_store::Store;
use hillpost_testkit::smtp::{Faults, SmtpServer};
use hillpost_worker::{RateLimits, Worker};

use crate::support::{RunningWorker, SharedStore, batch, settings, smtp_channels};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

/// Runs the worker until batch `id` has nothing queued or in flight (retries come due
/// 100 ms after a failure).
async fn drain<C: hillpost_channels::Channel + Send + Sync + 'static>(
    worker: &Worker<C>,
    store: &SharedStore,
    id: hillpost_core::BatchId,
) {
    hillpost_testkit::poll_until(
        "the batch to finish",
        std::time::Duration::from_secs(20),
        || async {
            worker.run_once().await.unwrap();
            let status = store.batch_status(id).await.unwrap();
            (status.count(DeliveryState::Queued) + status.count(DeliveryState::InFlight) == 0)
                .then_some(())
        },
    )
    .await;
}

both_backends!(a_451_is_retried_until_delivered);
async fn a_451_is_retried_until_delivered(store: SharedStore, test: &str) {
    let Some(server) = SmtpServer::start(test, Faults::fail_first(2, 451)) else {
        return;
    };
    let id = batch(&store, "individual", 1, &[STAFF], 4).await;
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    drain(&worker, &store, id).await;
    let delivery = &store.deliveries(id).await.unwrap()[0];
    assert_eq!(delivery.state, DeliveryState::Delivered);
    let attempts = store.attempts(delivery.id).await.unwrap();
    let outcomes: Vec<_> = attempts
        .iter()
        .map(|a| (a.outcome, a.remote_code))
        .collect();
    assert_eq!(
        outcomes,
        [
            (AttemptOutcome::Transient, Some(451)),
            (AttemptOutcome::Transient, Some(451)),
            (AttemptOutcome::Ok, Some(250))
        ]
    );
    assert_eq!(server.messages().len(), 1);
}

both_backends!(a_550_fails_at_once_and_is_not_retried);
async fn a_550_fails_at_once_and_is_not_retried(store: SharedStore, test: &str) {
    let Some(server) = SmtpServer::start(test, Faults::reject(550)) else {
        return;
    };
    let id = batch(&store, "individual", 1, &[STAFF], 4).await;
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    drain(&worker, &store, id).await;
    let delivery = &store.deliveries(id).await.unwrap()[0];
    assert_eq!(delivery.state, DeliveryState::Failed);
    let attempts = store.attempts(delivery.id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (attempts[0].outcome, attempts[0].remote_code),
        (AttemptOutcome::Permanent, Some(550))
    );
    assert_eq!(server.log().len(), 1, "tried once");
}

both_backends!(a_server_that_is_down_is_retried_then_the_delivery_is_dead);
async fn a_server_that_is_down_is_retried_then_the_delivery_is_dead(
    store: SharedStore,
    test: &str,
) {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }; // closed again: nothing listens there
    let _ = test;
    let id = batch(&store, "individual", 1, &[STAFF], 4).await;
    let worker = Worker::new(
        store.clone(),
        smtp_channels(port),
        settings(RateLimits::unlimited()),
    );
    drain(&worker, &store, id).await;
    let delivery = &store.deliveries(id).await.unwrap()[0];
    assert_eq!(delivery.state, DeliveryState::Dead);
    let attempts = store.attempts(delivery.id).await.unwrap();
    assert_eq!(attempts.len(), 4, "the first attempt and three retries");
    assert!(
        attempts
            .iter()
            .all(|a| a.outcome == AttemptOutcome::Transient && a.sent_sha256.is_none())
    );
}

both_backends!(a_cut_after_data_may_have_arrived_and_the_duplicate_is_flagged);
async fn a_cut_after_data_may_have_arrived_and_the_duplicate_is_flagged(
    store: SharedStore,
    test: &str,
) {
    let Some(server) = SmtpServer::start(test, Faults::cut_after_data(1)) else {
        return;
    };
    let id = batch(&store, "individual", 1, &[STAFF], 4).await;
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    drain(&worker, &store, id).await;
    let delivery = &store.deliveries(id).await.unwrap()[0];
    assert_eq!(delivery.state, DeliveryState::Delivered);
    let attempts = store.attempts(delivery.id).await.unwrap();
    assert_eq!(
        attempts.iter().map(|a| a.outcome).collect::<Vec<_>>(),
        [AttemptOutcome::PossiblyAccepted, AttemptOutcome::Ok]
    );
    assert!(attempts[0].sent_sha256.is_some(), "the bytes had been sent");
    // The server has it twice, with one Message-ID: the duplicate the first row announced.
    let messages = server.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[0].header("Message-ID"),
        messages[1].header("Message-ID")
    );
}

/// A letter whose stored parts the worker cannot read (here a letter in no language it
/// knows) is given back unsent, with no attempt, while the letters claimed with it go; the
/// worker keeps going until it is stopped. Once the letter is readable it goes out too, and
/// every letter arrives once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_letter_that_cannot_be_read_is_given_back_and_the_others_go() {
    let test = "faults::a_letter_that_cannot_be_read_is_given_back_and_the_others_go";
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let db = hillpost_testkit::sqlite::database();
    let store: SharedStore = std::sync::Arc::new(Store::connect(&db.url).await.unwrap());
    let id = batch(&store, "individual", 3, &[STAFF], 4).await;
    hillpost_testkit::sqlite::execute(
        &db.url,
        "UPDATE messages SET language = 'not a language' WHERE id = (SELECT min(id) FROM messages)",
    )
    .await;
    let running = RunningWorker::start(&store, server.port());
    server.wait_for_log(2).await;
    // Several of the worker's poll intervals (50 ms) more: the unreadable letter is claimed
    // and given back again meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let worker = running.worker.clone();
    running.stop().await;

    assert_eq!(server.log().len(), 2, "the two readable letters were sent");
    let deliveries = store.deliveries(id).await.unwrap();
    let states: Vec<DeliveryState> = deliveries.iter().map(|d| d.state).collect();
    assert_eq!(
        states
            .iter()
            .filter(|s| **s == DeliveryState::Delivered)
            .count(),
        2
    );
    let unread = deliveries
        .iter()
        .find(|d| d.state != DeliveryState::Delivered)
        .expect("the unreadable letter");
    assert_eq!(unread.state, DeliveryState::Queued, "given back, not held");
    assert!(store.attempts(unread.id).await.unwrap().is_empty());

    hillpost_testkit::sqlite::execute(&db.url, "UPDATE messages SET language = 'en'").await;
    drain(&worker, &store, id).await;
    for delivery in store.deliveries(id).await.unwrap() {
        assert_eq!(delivery.state, DeliveryState::Delivered);
    }
    assert_eq!(server.messages().len(), 3, "each letter once");
}
