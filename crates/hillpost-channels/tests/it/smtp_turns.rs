//! `send_on_turn`: the rate limiter's turn is awaited after DATA, just before the message.

use hillpost_core::DeliveryId;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hillpost_channels::{Channel, Go};
use hillpost_core::AttemptOutcome;
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::support::{channel, letter};

#[tokio::test]
async fn a_withdrawn_turn_sends_nothing_and_the_next_letter_still_goes() {
    let Some(server) = SmtpServer::start("smtp_turns::withdrawn", Faults::default()) else {
        return;
    };
    let channel = channel(server.port());
    let withdrawn = channel
        .send_on_turn(&letter(DeliveryId::new(1)), async { Go::Withdraw })
        .await;
    assert!(withdrawn.is_none());
    let report = channel
        .send_on_turn(&letter(DeliveryId::new(2)), async { Go::Ahead })
        .await
        .expect("sent");
    assert_eq!(report.outcome, AttemptOutcome::Ok);
    let messages = server.wait_for_messages(1).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].header("Message-ID"),
        Some("<00000000000000000000000000000002@hillpost.example.org>")
    );
}

#[tokio::test]
async fn the_letter_leaves_only_when_its_turn_comes() {
    let Some(server) = SmtpServer::start("smtp_turns::late_turn", Faults::default()) else {
        return;
    };
    let channel = channel(server.port());
    let went = std::sync::Mutex::new(None);
    let report = channel
        .send_on_turn(&letter(DeliveryId::new(3)), async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            *went.lock().unwrap() = Some(SystemTime::now());
            Go::Ahead
        })
        .await
        .expect("sent");
    assert_eq!(report.outcome, AttemptOutcome::Ok);
    let log = server.wait_for_log(1).await;
    let went = went.lock().unwrap().expect("the turn was awaited");
    let went = went.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    assert!(
        log[0].received_at >= went,
        "received {} before the turn at {went}",
        log[0].received_at
    );
}
