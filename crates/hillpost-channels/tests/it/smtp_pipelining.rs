//! ESMTP PIPELINING (RFC 2920) and how letters are written: MAIL, RCPT and DATA in one
//! write when the server offers it, the message and its final dot in one more, and while
//! letters wait for the session, the next one's MAIL, RCPT and DATA behind that dot.

use hillpost_core::DeliveryId;
use std::collections::HashSet;
use std::time::Duration;

use hillpost_channels::{Channel, SmtpChannel, SmtpSettings};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;
use hillpost_testkit::smtp::{Faults, SmtpServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{channel, letter, settings};

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
    let Some(server) = pipelining_server(test, Faults::reject_rcpt(550)) else {
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

/// The test server with `faults`, offering PIPELINING.
fn pipelining_server(test: &str, faults: Faults) -> Option<SmtpServer> {
    SmtpServer::start(
        test,
        Faults {
            pipelining: true,
            ..faults
        },
    )
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

/// A channel of one session to `port`, sending letters `ids` at once; their reports in order.
async fn send_together(port: u16, ids: std::ops::RangeInclusive<i64>) -> Vec<SendReport> {
    let channel = SmtpChannel::new(SmtpSettings {
        max_connections: 1,
        ..settings(port)
    })
    .unwrap();
    let letters: Vec<_> = ids.map(|id| letter(DeliveryId::new(id))).collect();
    let reports = futures::future::join_all(letters.iter().map(|l| channel.send(l))).await;
    channel.close().await;
    reports
}

#[tokio::test]
async fn a_waiting_letter_opens_its_transaction_behind_the_previous_final_dot() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(scripted_server(listener, true));
    let reports = send_together(port, 1..=3).await;
    for report in &reports {
        assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    }
    let reads = server.await.unwrap();
    let transaction: Vec<&String> = reads
        .iter()
        .skip_while(|r| r.starts_with("EHLO"))
        .take_while(|r| !r.starts_with("QUIT"))
        .collect();
    // The first group; then each message with the next letter's group behind its dot; the
    // last message alone: four sends for three letters (six, one letter at a time).
    assert_eq!(transaction.len(), 4, "{transaction:?}");
    for carried in &transaction[1..3] {
        let (message, group) = carried.split_once("\r\n.\r\n").unwrap();
        assert!(message.contains("Message-ID: <"), "{carried}");
        assert!(
            group.starts_with("MAIL FROM:<") && group.ends_with("\r\nDATA\r\n"),
            "{carried}"
        );
    }
    assert!(transaction[3].ends_with("\r\n.\r\n"));
    // Each letter's own message went out once, under its own Message-ID.
    let ids: Vec<&str> = transaction[1..]
        .iter()
        .map(|t| {
            t.split("Message-ID: <")
                .nth(1)
                .unwrap()
                .split('>')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 3, "{ids:?}");
}

#[tokio::test]
async fn a_letter_refused_at_its_final_dot_still_hands_the_session_to_the_next() {
    let test = "a_letter_refused_at_its_final_dot_still_hands_the_session_to_the_next";
    let Some(server) = pipelining_server(test, Faults::fail_first(1, 554)) else {
        return;
    };
    let reports = send_together(server.port(), 1..=2).await;
    assert_eq!(
        reports[0].outcome,
        AttemptOutcome::Permanent,
        "{:?}",
        reports[0]
    );
    assert_eq!(reports[0].remote_code, Some(554));
    assert_eq!(reports[1].outcome, AttemptOutcome::Ok, "{:?}", reports[1]);
    let log = server.wait_for_log(2).await;
    assert_eq!(log[0].peer, log[1].peer, "one session carried both");
    assert_eq!(server.wait_for_messages(1).await.len(), 1);
}

#[tokio::test]
async fn when_the_connection_breaks_after_a_message_the_letter_behind_it_goes_on_a_new_one() {
    let test = "when_the_connection_breaks_after_a_message_the_letter_behind_it_goes_on_a_new_one";
    let Some(server) = pipelining_server(test, Faults::cut_after_data(1)) else {
        return;
    };
    let reports = send_together(server.port(), 1..=2).await;
    // The first may have arrived (it did); the second's commands went with the connection
    // before any of its message left, so it is sent, once, on a new session.
    assert_eq!(
        reports[0].outcome,
        AttemptOutcome::PossiblyAccepted,
        "{:?}",
        reports[0]
    );
    assert_eq!(reports[1].outcome, AttemptOutcome::Ok, "{:?}", reports[1]);
    let log = server.wait_for_log(2).await;
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].cut);
    assert_ne!(log[0].peer, log[1].peer);
    let messages = server.wait_for_messages(2).await;
    let ids: HashSet<_> = messages.iter().map(|m| m.header("Message-ID")).collect();
    assert_eq!(ids.len(), 2, "each letter stored once");
}

#[tokio::test]
async fn a_letter_that_stops_waiting_after_its_commands_went_ahead_sends_nothing() {
    let test = "a_letter_that_stops_waiting_after_its_commands_went_ahead_sends_nothing";
    let Some(server) = pipelining_server(test, Faults::delay(Duration::from_millis(600))) else {
        return;
    };
    let channel = SmtpChannel::new(SmtpSettings {
        max_connections: 1,
        ..settings(server.port())
    })
    .unwrap();
    let (first, second, third) = (
        letter(DeliveryId::new(1)),
        letter(DeliveryId::new(2)),
        letter(DeliveryId::new(3)),
    );
    // The second letter waits in line, goes along behind the first's dot, and stops
    // waiting (a worker shutting down) while the first's reply is still delayed.
    let (sent, gave_up) = tokio::join!(
        channel.send(&first),
        tokio::time::timeout(Duration::from_millis(250), channel.send(&second))
    );
    assert_eq!(sent.outcome, AttemptOutcome::Ok, "{sent:?}");
    assert!(gave_up.is_err(), "the second letter was still waiting");
    // Its transaction was left open on the first session, so that session is not reused.
    let next = channel.send(&third).await;
    assert_eq!(next.outcome, AttemptOutcome::Ok, "{next:?}");
    let log = server.wait_for_log(2).await;
    assert_ne!(log[0].peer, log[1].peer);
    let stored: Vec<_> = server
        .wait_for_messages(2)
        .await
        .iter()
        .map(|m| m.header("Message-ID").unwrap().to_string())
        .collect();
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(!stored.iter().any(|id| id.contains(&format!("{:032x}", 2))));
    // Nothing else arrives later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.log().len(), 2);
}

/// A server that takes one letter per connection, as servers limiting letters per
/// connection do: the next MAIL gets 421 and the server closes its side. Returns the
/// Message-IDs it accepted over `connections` connections.
async fn one_letter_per_connection(listener: TcpListener, connections: usize) -> Vec<String> {
    let mut sessions = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (socket, _) = listener.accept().await.unwrap();
        sessions.spawn(one_letter(socket));
    }
    let mut accepted = Vec::new();
    while let Some(ids) = sessions.join_next().await {
        accepted.extend(ids.unwrap());
    }
    accepted
}

async fn one_letter(socket: tokio::net::TcpStream) -> Vec<String> {
    use tokio::io::AsyncBufReadExt;
    let (read, mut write) = socket.into_split();
    let mut lines = tokio::io::BufReader::new(read).lines();
    write.write_all(b"220 one ESMTP\r\n").await.unwrap();
    let (mut accepted, mut in_data) = (Vec::new(), false);
    while let Ok(Some(line)) = lines.next_line().await {
        if in_data {
            if line == "." {
                in_data = false;
                write.write_all(b"250 queued\r\n").await.unwrap();
            } else if let Some(id) = line.strip_prefix("Message-ID: ") {
                accepted.push(id.to_string());
            }
            continue;
        }
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = match command.get(..4).unwrap_or_default() {
            "EHLO" => b"250-one\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
            "MAIL" if !accepted.is_empty() => b"421 4.7.0 one letter per connection\r\n",
            "MAIL" | "RCPT" | "RSET" => b"250 ok\r\n",
            "DATA" => {
                in_data = true;
                b"354 go ahead\r\n"
            }
            "QUIT" => b"221 bye\r\n",
            _ => b"500 what\r\n",
        };
        write.write_all(reply).await.unwrap();
        if reply.starts_with(b"421") || reply.starts_with(b"221") {
            // Closing our side; what the client still sends is read and ignored.
            write.shutdown().await.unwrap();
            while let Ok(Some(_)) = lines.next_line().await {}
            break;
        }
    }
    accepted
}

#[tokio::test]
async fn a_session_the_server_closes_with_421_at_the_next_mail_is_replaced_without_a_failed_attempt()
 {
    for together in [false, true] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(one_letter_per_connection(listener, 2));
        // One after the other the second letter finds the pooled session closing; sent
        // together its commands went behind the first letter's dot. Either way it goes out
        // on a new session, in its first attempt.
        let reports = if together {
            send_together(port, 1..=2).await
        } else {
            let channel = channel(port);
            let first = channel.send(&letter(DeliveryId::new(1))).await;
            let second = channel.send(&letter(DeliveryId::new(2))).await;
            channel.close().await;
            vec![first, second]
        };
        for report in &reports {
            assert_eq!(
                report.outcome,
                AttemptOutcome::Ok,
                "together: {together}: {report:?}"
            );
        }
        let accepted = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(accepted.len(), 2, "{accepted:?}");
        assert_ne!(accepted[0], accepted[1]);
    }
}
