//! Letters that do not arrive, or may have: each failure is classified by the phase it
//! happened in, and the attempt keeps the server's answer.

use hillpost_core::DeliveryId;
use std::time::Duration;

use hillpost_channels::{Channel, SmtpChannel, SmtpTls};
use hillpost_core::AttemptOutcome;
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::support::{as_sent, channel, closed_port, letter, settings, sha256_hex};

#[tokio::test]
async fn a_4xx_reply_is_transient_and_keeps_its_code() {
    let Some(server) = SmtpServer::start(
        "a_4xx_reply_is_transient_and_keeps_its_code",
        Faults::fail_first(1, 451),
    ) else {
        return;
    };
    let channel = channel(server.port());

    let refused = channel.send(&letter(DeliveryId::new(1))).await;
    assert_eq!(refused.outcome, AttemptOutcome::Transient, "{refused:?}");
    assert_eq!(refused.remote_code, Some(451));
    assert_eq!(
        refused.remote_text.as_deref(),
        Some("4.3.0 try again later")
    );
    // The reply came to the end of the message, so the message had been written.
    assert!(refused.sent_sha256.is_some());

    // The retry goes through, on the same connection: a refusal leaves the session clean.
    let retried = channel.send(&letter(DeliveryId::new(1))).await;
    assert_eq!(retried.outcome, AttemptOutcome::Ok, "{retried:?}");
    let log = server.wait_for_log(2).await;
    assert_eq!(log[0].reply, "451 4.3.0 try again later");
    assert_eq!(log[0].stored, None);
    assert_eq!(log[0].peer, log[1].peer);
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_5xx_reply_is_permanent() {
    let Some(server) = SmtpServer::start("a_5xx_reply_is_permanent", Faults::reject(550)) else {
        return;
    };
    let report = channel(server.port())
        .send(&letter(DeliveryId::new(2)))
        .await;
    assert_eq!(report.outcome, AttemptOutcome::Permanent, "{report:?}");
    assert_eq!(report.remote_code, Some(550));
    assert!(report.remote_text.unwrap().contains("refused"));
    assert_eq!(server.wait_for_log(1).await[0].stored, None);
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_server_that_is_not_listening_is_transient() {
    let report = channel(closed_port())
        .send(&letter(DeliveryId::new(3)))
        .await;
    assert_eq!(report.outcome, AttemptOutcome::Transient, "{report:?}");
    assert_eq!(report.remote_code, None);
    assert_eq!(report.sent_sha256, None, "nothing left hillpost");
    let note = report.note.unwrap();
    assert!(note.contains("could not open an SMTP session"), "{note}");
}

#[tokio::test]
async fn a_connection_cut_after_the_message_may_have_arrived_and_it_did() {
    let Some(server) = SmtpServer::start(
        "a_connection_cut_after_the_message_may_have_arrived_and_it_did",
        Faults::cut_after_data(1),
    ) else {
        return;
    };
    let channel = channel(server.port());

    let report = channel.send(&letter(DeliveryId::new(4))).await;
    assert_eq!(
        report.outcome,
        AttemptOutcome::PossiblyAccepted,
        "{report:?}"
    );
    assert_eq!(report.remote_code, None);
    let note = report.note.clone().unwrap();
    assert!(note.contains("may have arrived"), "{note}");

    // It did arrive: this is why the outcome must not be "transient, nothing happened".
    let messages = server.wait_for_messages(1).await;
    assert!(server.log()[0].cut);
    assert_eq!(
        report.sent_sha256.as_deref(),
        Some(sha256_hex(as_sent(&messages[0].raw)).as_str())
    );

    // The broken session was dropped; the next letter goes out on a new one.
    let next = channel.send(&letter(DeliveryId::new(5))).await;
    assert_eq!(next.outcome, AttemptOutcome::Ok, "{next:?}");
    let log = server.wait_for_log(2).await;
    assert_ne!(log[0].peer, log[1].peer);
}

#[tokio::test]
async fn no_reply_within_the_command_timeout_after_the_message_may_have_arrived() {
    let Some(server) = SmtpServer::start(
        "no_reply_within_the_command_timeout_after_the_message_may_have_arrived",
        Faults::delay(Duration::from_secs(3)),
    ) else {
        return;
    };
    let channel = SmtpChannel::new(hillpost_channels::SmtpSettings {
        command_timeout: Duration::from_millis(500),
        ..settings(server.port())
    })
    .unwrap();

    let report = channel.send(&letter(DeliveryId::new(6))).await;
    assert_eq!(
        report.outcome,
        AttemptOutcome::PossiblyAccepted,
        "{report:?}"
    );
    assert!(report.note.unwrap().contains("timed out"));
    assert!(report.sent_sha256.is_some());
    // The server did take it, late.
    assert_eq!(server.wait_for_messages(1).await.len(), 1);
}

#[tokio::test]
async fn tls_that_cannot_be_established_is_transient() {
    let Some(server) = SmtpServer::start(
        "tls_that_cannot_be_established_is_transient",
        Faults::default(),
    ) else {
        return;
    };
    // The test server speaks plain SMTP and offers no STARTTLS: neither mode may fall back
    // to sending in clear.
    for tls in [SmtpTls::Tls, SmtpTls::Starttls] {
        let channel = SmtpChannel::new(hillpost_channels::SmtpSettings {
            tls,
            ..settings(server.port())
        })
        .unwrap();
        let report = channel.send(&letter(DeliveryId::new(7))).await;
        assert_eq!(
            report.outcome,
            AttemptOutcome::Transient,
            "{tls:?}: {report:?}"
        );
        assert_eq!(report.sent_sha256, None);
    }
    assert!(server.log().is_empty(), "nothing was sent in clear");
}

/// A server that floods: endless bytes without a line end, from its greeting on, or
/// after an ordinary exchange up to the message's final dot. Returns its port and, once
/// the client has gone, how many bytes it managed to send.
async fn flooding_server(after_the_message: bool) -> (u16, tokio::task::JoinHandle<u64>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let flood = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let mut socket = BufReader::new(socket);
        if after_the_message {
            socket.write_all(b"220 flood.test\r\n").await.unwrap();
            let mut line = String::new();
            let mut in_message = false;
            loop {
                line.clear();
                if socket.read_line(&mut line).await.unwrap() == 0 {
                    return 0;
                }
                let reply: &[u8] = match (in_message, line.as_str()) {
                    (true, ".\r\n") => break,
                    (true, _) => continue,
                    (false, l) if l.starts_with("DATA") => {
                        in_message = true;
                        b"354 go on\r\n"
                    }
                    _ => b"250 ok\r\n",
                };
                socket.write_all(reply).await.unwrap();
            }
        }
        socket.write_all(b"250-").await.unwrap();
        let chunk = [b'x'; 64 * 1024];
        let mut sent = 0u64;
        // At most 256 MiB: a client reading all of it would hold all of it.
        while sent < 256 << 20 {
            match socket.write(&chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => sent += n as u64,
            }
        }
        sent
    });
    (port, flood)
}

#[tokio::test]
async fn a_server_flooding_its_greeting_is_cut_off_before_anything_is_sent() {
    let (port, flood) = flooding_server(false).await;
    let report = channel(port).send(&letter(DeliveryId::new(7))).await;
    assert_eq!(report.outcome, AttemptOutcome::Transient, "{report:?}");
    assert_eq!(report.sent_sha256, None, "nothing left hillpost");
    let note = report.note.unwrap();
    assert!(note.contains("without being asked"), "{note}");
    // The client stopped reading at the limit: the flood only filled the sockets' buffers.
    let sent = flood.await.unwrap();
    assert!(sent < 64 << 20, "the client read {sent} bytes of the flood");
}

#[tokio::test]
async fn a_server_flooding_its_reply_to_the_message_leaves_it_unconfirmed() {
    let (port, flood) = flooding_server(true).await;
    let report = channel(port).send(&letter(DeliveryId::new(8))).await;
    // The message had been written: it may have arrived, so it is never sent again by itself.
    assert_eq!(
        report.outcome,
        AttemptOutcome::PossiblyAccepted,
        "{report:?}"
    );
    assert!(report.sent_sha256.is_some());
    assert!(report.note.unwrap().contains("without being asked"));
    let sent = flood.await.unwrap();
    assert!(sent < 64 << 20, "the client read {sent} bytes of the flood");
}
