use std::collections::HashMap;
use std::time::Duration;

use hillpost_core::delivery::{AttemptOutcome, BatchAction, BatchState, DeliveryState};
use hillpost_testkit::poll_until;
use hillpost_testkit::smtp::{Faults, SmtpServer};
use hillpost_worker::{RateLimits, RunOnce, Worker};
use tokio_util::sync::CancellationToken;

use crate::support::{SharedStore, batch, batch_preferring, settings, smtp_channels};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

both_backends!(individual_letters_arrive_once_each_in_the_signers_language);
async fn individual_letters_arrive_once_each_in_the_signers_language(
    store: SharedStore,
    test: &str,
) {
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let id = batch(&store, "individual", 20, &[STAFF], 4).await;
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    while worker.run_once().await.unwrap() != RunOnce::EmptyQueue {}

    let status = store.batch_status(id).await.unwrap();
    assert_eq!(status.count(DeliveryState::Delivered), 20);
    assert_eq!(status.batch.state, BatchState::Completed);
    let messages = server.wait_for_messages(20).await;
    let deliveries = store.deliveries(id).await.unwrap();
    let mut by_message_id = HashMap::new();
    for message in &messages {
        *by_message_id
            .entry(message.header("Message-ID").unwrap().to_string())
            .or_insert(0) += 1;
    }
    for delivery in &deliveries {
        let id = format!("<{}@hillpost.example.org>", delivery.idempotency_key);
        assert_eq!(
            by_message_id.get(&id),
            Some(&1),
            "delivery {} arrived exactly once",
            delivery.id
        );
    }
    let spanish = messages
        .iter()
        .find(|m| m.header("Content-Language") == Some("es"))
        .expect("a Spanish letter");
    assert_eq!(
        spanish.header("Subject"),
        Some("Que vuelvan las tropas (desde Lima)")
    );
    let reply_to = spanish.mailbox("Reply-To").expect("Reply-To");
    assert!(reply_to.address.starts_with("signer") && reply_to.address.ends_with("@example.org"));

    for delivery in &deliveries {
        let attempts = store.attempts(delivery.id).await.unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].outcome, AttemptOutcome::Ok);
        assert_eq!(attempts[0].remote_code, Some(250));
        assert_eq!(attempts[0].sent_sha256.as_ref().map(String::len), Some(64));
    }
}

both_backends!(a_petition_is_one_letter_per_office_with_the_signature_list);
async fn a_petition_is_one_letter_per_office_with_the_signature_list(
    store: SharedStore,
    test: &str,
) {
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let other = ("Appropriations staff", "approps@committee.example.org");
    let id = batch(&store, "petition", 30, &[STAFF, other], 4).await;
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    while worker.run_once().await.unwrap() != RunOnce::EmptyQueue {}
    assert_eq!(
        store
            .batch_status(id)
            .await
            .unwrap()
            .count(DeliveryState::Delivered),
        2
    );
    let messages = server.wait_for_messages(2).await;
    for message in &messages {
        assert_eq!(
            message.mailbox("From").unwrap().name.as_deref(),
            Some("Test Peace Coalition")
        );
        assert!(message.text.as_deref().unwrap().contains("30 signers"));
        let list = message
            .attachments
            .iter()
            .find(|a| a.filename.as_deref() == Some("signatures.csv"))
            .expect("list");
        let text = String::from_utf8(list.content.clone()).unwrap();
        assert_eq!(text.lines().count(), 31, "header and 30 signers");
        assert!(!text.contains('@'), "no signer emails leave in the list");
    }
}

both_backends!(pausing_stops_new_attempts_and_cancel_ends_the_batch);
async fn pausing_stops_new_attempts_and_cancel_ends_the_batch(store: SharedStore, test: &str) {
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let id = batch(&store, "individual", 40, &[STAFF], 4).await;
    // 10 letters a second: slow enough to pause half-way.
    let limits = RateLimits {
        default: "10/s".parse().unwrap(),
        overrides: HashMap::new(),
    };
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(limits),
    );
    let shutdown = CancellationToken::new();
    let running = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { worker.run(shutdown).await }
    });
    server.wait_for_log(5).await;
    store.control_batch(id, BatchAction::Pause).await.unwrap();
    // Within a second of the pause, sending stops.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let after_pause = server.log().len();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        server.log().len(),
        after_pause,
        "no letter left while paused"
    );
    assert!(after_pause < 40);

    // Long enough for housekeeping to run while the worker holds nothing of the batch: what
    // it remembers of the pause must not outlive the resume.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    store.control_batch(id, BatchAction::Resume).await.unwrap();
    let resumed = std::time::Instant::now();
    server.wait_for_log(after_pause + 3).await;
    // Three letters at 10/s, after a claim poll: well within two seconds once resumed.
    assert!(
        resumed.elapsed() < Duration::from_secs(2),
        "sending took {:?} to resume",
        resumed.elapsed()
    );
    store.control_batch(id, BatchAction::Cancel).await.unwrap();
    let status = poll_until(
        "the cancelled batch to settle",
        Duration::from_secs(10),
        || async {
            let status = store.batch_status(id).await.unwrap();
            (status.count(DeliveryState::Queued) + status.count(DeliveryState::InFlight) == 0)
                .then_some(status)
        },
    )
    .await;
    shutdown.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(status.batch.state, BatchState::Cancelled);
    let delivered = status.count(DeliveryState::Delivered);
    assert!(status.count(DeliveryState::Cancelled) > 0);
    assert_eq!(delivered + status.count(DeliveryState::Cancelled), 40);
    assert_eq!(
        server.log().len() as u64,
        delivered,
        "every letter the server got is a delivered one"
    );
}

both_backends!(a_letter_an_endpoint_cannot_take_goes_by_the_next_one);
async fn a_letter_an_endpoint_cannot_take_goes_by_the_next_one(store: SharedStore, test: &str) {
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    // These channels send email only: the web form ahead of the email answers "not
    // configured", which sends nothing and hands the letter on.
    let form = hillpost_core::batch::Endpoint {
        channel: hillpost_core::delivery::Channel::WebForm,
        address: "S001181".into(),
        rate_key: "www.example.senate.gov".into(),
    };
    let id = batch_preferring(&store, "individual", 3, &[STAFF], 4, &[form]).await;
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    while worker.run_once().await.unwrap() != RunOnce::EmptyQueue {}

    let status = store.batch_status(id).await.unwrap();
    assert_eq!(status.count(DeliveryState::Delivered), 3);
    assert_eq!(status.route_notes.len(), 1);
    let (note, count) = &status.route_notes[0];
    assert_eq!(*count, 3);
    assert!(
        note.starts_with("web_form S001181 passed over for email staff@committee.example.org")
            && note.contains("not configured"),
        "{note}"
    );
    assert_eq!(server.wait_for_messages(3).await.len(), 3);
    for delivery in store.deliveries(id).await.unwrap() {
        let attempts = store.attempts(delivery.id).await.unwrap();
        let tried: Vec<_> = attempts
            .iter()
            .map(|a| {
                (
                    a.channel.map(|c| c.as_str()),
                    a.outcome,
                    a.sent_sha256.is_some(),
                )
            })
            .collect();
        // Passing the form over touched no network: a route event, not an attempt.
        assert_eq!(tried, [(Some("email"), AttemptOutcome::Ok, true)]);
        assert_eq!(
            attempts[0].attempt_no,
            hillpost_core::AttemptNo::new(1),
            "the passed-over try spent no attempt"
        );
        let events = store.delivery_events(&[delivery.id]).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].describe(), *note);
    }
}
