//! Sessions are reused from one letter to the next, bounded in number, and replaced when
//! the server closed them.

use hillpost_core::DeliveryId;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use hillpost_channels::{Channel, SmtpChannel, SmtpSettings};
use hillpost_core::AttemptOutcome;
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::support::{channel, letter, settings};

fn peers(server: &SmtpServer) -> HashSet<String> {
    server.log().into_iter().map(|entry| entry.peer).collect()
}

#[tokio::test]
async fn consecutive_letters_share_one_session() {
    let Some(server) =
        SmtpServer::start("consecutive_letters_share_one_session", Faults::default())
    else {
        return;
    };
    let channel = channel(server.port());
    for id in 1..=20 {
        let report = channel.send(&letter(DeliveryId::new(id))).await;
        assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    }
    assert_eq!(server.wait_for_messages(20).await.len(), 20);
    assert_eq!(peers(&server).len(), 1, "one connection for 20 letters");
    channel.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_letters_use_at_most_max_connections() {
    let Some(server) = SmtpServer::start(
        "concurrent_letters_use_at_most_max_connections",
        Faults::delay(Duration::from_millis(50)),
    ) else {
        return;
    };
    let channel = Arc::new(
        SmtpChannel::new(SmtpSettings {
            max_connections: 2,
            ..settings(server.port())
        })
        .unwrap(),
    );
    let mut sends = tokio::task::JoinSet::new();
    for id in 1..=12 {
        let channel = channel.clone();
        sends.spawn(async move { channel.send(&letter(DeliveryId::new(id))).await });
    }
    while let Some(report) = sends.join_next().await {
        assert_eq!(report.unwrap().outcome, AttemptOutcome::Ok);
    }
    assert_eq!(server.wait_for_messages(12).await.len(), 12);
    let used = peers(&server).len();
    assert!(
        (1..=2).contains(&used),
        "{used} connections for max_connections = 2"
    );
}

#[tokio::test]
async fn a_session_the_server_closed_while_idle_is_replaced_without_a_failed_attempt() {
    let Some(server) = SmtpServer::start(
        "a_session_the_server_closed_while_idle_is_replaced_without_a_failed_attempt",
        Faults::idle_timeout(Duration::from_millis(200)),
    ) else {
        return;
    };
    let channel = channel(server.port());
    assert_eq!(
        channel.send(&letter(DeliveryId::new(1))).await.outcome,
        AttemptOutcome::Ok
    );
    // Nothing to poll: the server closes the idle session on its own clock.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let report = channel.send(&letter(DeliveryId::new(2))).await;
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    assert_eq!(server.wait_for_messages(2).await.len(), 2);
    assert_eq!(peers(&server).len(), 2);
}

/// A send is a future the worker moves for every letter (into its task, through each
/// `await` above it): it must not carry a connection inline (a session's buffers and TLS
/// state are kilobytes) nor the rarely taken path that opens one. With both inline it was
/// 6.8 KB, and copying it was a seventh of the worker's CPU in the email benchmark.
#[test]
fn a_send_is_a_small_future() {
    use hillpost_channels::Go;
    let channel = channel(crate::support::closed_port());
    let letter = letter(DeliveryId::new(1));
    let send = std::mem::size_of_val(&channel.send(&letter));
    let on_turn =
        std::mem::size_of_val(&channel.send_on_turn(&letter, std::future::ready(Go::Ahead)));
    assert!(send <= 2048, "an SMTP send's future is {send} bytes");
    assert!(
        on_turn <= 2048,
        "an SMTP send on its turn is {on_turn} bytes"
    );
}
