//! ESMTP PIPELINING (RFC 2920) and how letters are written: MAIL, RCPT and DATA in one
//! write when the server offers it, the message and its final dot in one more.

use hillpost_core::DeliveryId;
use std::collections::HashSet;
use std::time::Duration;

use hillpost_channels::Channel;
use hillpost_core::AttemptOutcome;
use hillpost_testkit::smtp::{Faults, SmtpServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{channel, letter};

#[tokio::test]
async fn pipelined_letters_arrive_on_one_session() {
    let Some(server) = SmtpServer::start(
        "pipelined_letters_arrive_on_one_session",
        Faults::pipelining(),
    ) else {
        return;
    };
    let channel = channel(server.port());
    for id in 1..=5 {
        let report = channel.send(&letter(DeliveryId::new(id))).await;
        assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    }
    let log = server.wait_for_messages(5).await;
    assert_eq!(log.len(), 5);
    let peers: HashSet<String> = server.log().into_iter().map(|e| e.peer).collect();
    assert_eq!(peers.len(), 1);
}

#[tokio::test]
async fn a_refused_recipient_in_a_pipelined_group_is_permanent_and_the_session_is_reset() {
    let test = "a_refused_recipient_in_a_pipelined_group_is_permanent_and_the_session_is_reset";
    let Some(server) = SmtpServer::start(
        test,
        Faults {
            pipelining: true,
            ..Faults::reject_rcpt(550)
        },
    ) else {
        return;
    };
    let channel = channel(server.port());
    for id in 1..=2 {
        let report = channel.send(&letter(DeliveryId::new(id))).await;
        assert_eq!(report.outcome, AttemptOutcome::Permanent, "{report:?}");
        assert_eq!(report.remote_code, Some(550));
        assert_eq!(report.sent_sha256, None, "nothing of the letter was sent");
        assert!(report.note.unwrap().contains("RCPT TO"));
    }
    assert!(server.log().is_empty(), "no DATA was taken");
    // Refused without pipelining too: the same outcome either way.
    let Some(plain) = SmtpServer::start(test, Faults::reject_rcpt(550)) else {
        return;
    };
    let report = crate::support::channel(plain.port())
        .send(&letter(DeliveryId::new(3)))
        .await;
    assert_eq!(report.outcome, AttemptOutcome::Permanent);
    assert_eq!(report.remote_code, Some(550));
}

/// What a scripted server saw: each read, as text.
async fn scripted_server(listener: TcpListener, pipelining: bool) -> Vec<String> {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut reads = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    socket.write_all(b"220 scripted ESMTP\r\n").await.unwrap();
    let ehlo: &[u8] = if pipelining {
        b"250-scripted\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
    } else {
        b"250-scripted\r\n250 8BITMIME\r\n"
    };
    let mut pending = String::new();
    loop {
        let n = match tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => n,
            Ok(Err(_)) => break,
        };
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        reads.push(text.clone());
        pending.push_str(&text);
        // Answer every complete command (or message) received so far, in order.
        loop {
            if pending.starts_with("EHLO") {
                let Some(end) = pending.find("\r\n") else {
                    break;
                };
                pending.drain(..end + 2);
                socket.write_all(ehlo).await.unwrap();
            } else if pending.starts_with("MAIL") || pending.starts_with("RCPT") {
                let Some(end) = pending.find("\r\n") else {
                    break;
                };
                pending.drain(..end + 2);
                socket.write_all(b"250 ok\r\n").await.unwrap();
            } else if pending.starts_with("DATA\r\n") {
                pending.drain(..6);
                socket.write_all(b"354 go ahead\r\n").await.unwrap();
                // The message follows.
                loop {
                    if let Some(end) = pending.find("\r\n.\r\n") {
                        pending.drain(..end + 5);
                        socket.write_all(b"250 queued\r\n").await.unwrap();
                        break;
                    }
                    let n = socket.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return reads;
                    }
                    let text = String::from_utf8_lossy(&buf[..n]).to_string();
                    reads.push(text.clone());
                    pending.push_str(&text);
                }
            } else if pending.starts_with("QUIT") {
                socket.write_all(b"221 bye\r\n").await.unwrap();
                return reads;
            } else {
                break;
            }
        }
    }
    reads
}

#[tokio::test]
async fn with_pipelining_a_letter_takes_two_writes_and_without_it_four() {
    for pipelining in [true, false] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(scripted_server(listener, pipelining));
        let channel = channel(port);
        let report = channel.send(&letter(DeliveryId::new(9))).await;
        assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
        channel.close().await;
        let reads = server.await.unwrap();
        // Both EHLOs (lettre's and ours) come first; then the transaction.
        let transaction: Vec<&String> = reads
            .iter()
            .skip_while(|r| r.starts_with("EHLO"))
            .take_while(|r| !r.starts_with("QUIT"))
            .collect();
        if pipelining {
            assert!(
                transaction[0].starts_with("MAIL FROM:<")
                    && transaction[0].ends_with("\r\nDATA\r\n"),
                "MAIL, RCPT and DATA in one write: {transaction:?}"
            );
            assert!(transaction[0].contains("\r\nRCPT TO:<chair@foreign.senate.gov>\r\n"));
            assert_eq!(transaction.len(), 2, "{transaction:?}");
        } else {
            assert_eq!(transaction.len(), 4, "{transaction:?}");
            assert!(transaction[2].starts_with("DATA"));
        }
        // The message and its final dot arrive in one write.
        let message = transaction.last().unwrap();
        assert!(message.contains("Message-ID: <"), "{message}");
        assert!(message.ends_with("\r\n.\r\n"), "{message}");
    }
}
