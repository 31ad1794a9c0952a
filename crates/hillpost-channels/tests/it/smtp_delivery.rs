//! Letters that arrive: what the receiving office gets, and what the attempt records.

use hillpost_channels::Channel;
use hillpost_core::AttemptOutcome;
use hillpost_core::DeliveryId;
use hillpost_testkit::smtp::{Faults, ParsedMailbox, SmtpServer};

use crate::support::{FROM, as_sent, channel, letter, letter_with_attachment, sha256_hex};

#[tokio::test]
async fn a_letter_arrives_once_with_its_headers_parts_and_attachment() {
    let Some(server) = SmtpServer::start(
        "a_letter_arrives_once_with_its_headers_parts_and_attachment",
        Faults::default(),
    ) else {
        return;
    };
    let csv = "name,zip\nAna Pérez,97201\nJosé Núñez,97202\n"
        .as_bytes()
        .to_vec();
    let letter = letter_with_attachment(DeliveryId::new(41), csv.clone());

    let report = channel(server.port()).send(&letter).await;

    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    assert_eq!(report.remote_code, Some(250));
    assert_eq!(report.remote_text.as_deref(), Some("2.0.0 OK"));
    assert!(report.started_at <= report.finished_at);
    assert_eq!(report.note, None);

    let log = server.wait_for_log(1).await;
    assert_eq!(log.len(), 1, "sent exactly once");
    assert_eq!(log[0].mail_from, FROM);
    assert_eq!(log[0].rcpt_tos, ["chair@foreign.senate.gov"]);

    let messages = server.messages();
    let email = &messages[0];
    let key = "00000000000000000000000000000029";
    let message_id = format!("<{key}@hillpost.example.org>");
    assert_eq!(email.header("Message-ID"), Some(message_id.as_str()));
    assert_eq!(log[0].message_id.as_deref(), Some(message_id.as_str()));
    assert_eq!(
        email.mailbox("From"),
        Some(ParsedMailbox {
            name: Some("Ana Pérez".into()),
            address: FROM.into()
        })
    );
    assert_eq!(
        email.mailbox("To"),
        Some(ParsedMailbox {
            name: Some("Senate Foreign Relations Committee".into()),
            address: "chair@foreign.senate.gov".into()
        })
    );
    assert_eq!(
        email.mailbox("Reply-To").map(|m| m.address),
        Some("ana.perez@example.org".into())
    );
    assert_eq!(email.header("Subject"), Some("Detengan la ayuda militar"));
    assert_eq!(email.header("Content-Language"), Some("es"));
    assert!(email.header("Date").is_some());

    assert_eq!(
        email.mime_types,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/csv"
        ]
    );
    assert_eq!(
        email.text.as_deref(),
        Some("Estimado presidente:\n\nLe pedimos suspender la ayuda.\n")
    );
    let html = email.html.as_deref().unwrap();
    assert!(html.contains("<strong>suspender</strong>"), "{html}");
    assert_eq!(email.attachments.len(), 1);
    assert_eq!(email.attachments[0].filename.as_deref(), Some("firmas.csv"));
    assert_eq!(email.attachments[0].content, csv);

    // The hash in the attempt row is that of the very bytes the server received.
    assert_eq!(
        report.sent_sha256.as_deref(),
        Some(sha256_hex(as_sent(&email.raw)).as_str())
    );
}

#[tokio::test]
async fn every_attempt_of_a_delivery_carries_the_same_message_id() {
    let Some(server) = SmtpServer::start(
        "every_attempt_of_a_delivery_carries_the_same_message_id",
        Faults::default(),
    ) else {
        return;
    };
    let channel = channel(server.port());
    let first = letter(DeliveryId::new(7));
    let retry = hillpost_core::delivery::OutgoingLetter {
        attempt_no: hillpost_core::AttemptNo::new(2),
        ..first.clone()
    };
    let other = letter(DeliveryId::new(8));
    for l in [&first, &retry, &other] {
        assert_eq!(channel.send(l).await.outcome, AttemptOutcome::Ok);
    }

    let ids: Vec<String> = server
        .wait_for_messages(3)
        .await
        .iter()
        .map(|m| m.header("Message-ID").unwrap().to_string())
        .collect();
    assert_eq!(ids[0], ids[1], "a retry is recognisably the same letter");
    assert_ne!(ids[0], ids[2], "another delivery is another letter");
    assert_eq!(
        ids[0],
        "<00000000000000000000000000000007@hillpost.example.org>"
    );
}

#[tokio::test]
async fn non_ascii_names_arrive_intact() {
    let Some(server) = SmtpServer::start("non_ascii_names_arrive_intact", Faults::default()) else {
        return;
    };
    let mut letter = letter(DeliveryId::new(9));
    letter.sender_name = "José Núñez".into();
    letter.recipient_name = "Comité de Relaciones Exteriores — Señora Presidenta".into();
    letter.subject = "¿Por qué seguimos enviando armas? Ñandú 🕊".into();

    let report = channel(server.port()).send(&letter).await;
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");

    let messages = server.wait_for_messages(1).await;
    let email = &messages[0];
    assert!(
        email.raw.is_ascii(),
        "headers are encoded, not sent as raw UTF-8"
    );
    assert_eq!(
        email.mailbox("From").unwrap().name.as_deref(),
        Some("José Núñez")
    );
    assert_eq!(
        email.mailbox("Reply-To").unwrap().name.as_deref(),
        Some("José Núñez")
    );
    assert_eq!(
        email.mailbox("To").unwrap().name.as_deref(),
        Some("Comité de Relaciones Exteriores — Señora Presidenta")
    );
    assert_eq!(
        email.header("Subject"),
        Some("¿Por qué seguimos enviando armas? Ñandú 🕊")
    );
}
