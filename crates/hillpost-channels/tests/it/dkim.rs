//! DKIM-signed letters as the office's server receives them, checked by dkimpy (a verifier
//! real mail systems run) with the record `DkimSigner::record` tells operators to publish.

use hillpost_core::DeliveryId;
use std::sync::Arc;

use hillpost_channels::{Channel, DkimSettings, DkimSigner, EmailIdentity, SmtpChannel};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::{Attachment, OutgoingLetter};
use hillpost_testkit::dkim::{self, KeyKind};
use hillpost_testkit::smtp::{Faults, SmtpServer};
use secrecy::SecretString;

use crate::support::{FROM, MESSAGE_ID_DOMAIN, letter, settings};

/// A letter with non-ASCII text and a PDF attachment: the two things most likely to be
/// re-encoded, or hashed differently, on the way.
fn letter_with_pdf(delivery_id: DeliveryId) -> OutgoingLetter {
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    pdf.extend((0u8..=255).cycle().take(5000));
    pdf.extend_from_slice(b"\n%%EOF\n");
    OutgoingLetter {
        body_markdown: "Señor presidente:\n\nLe pedimos — con urgencia — que suspenda la ayuda. \
                        Ñandú, café, 東京.\n\n.a line that starts with a dot\n"
            .into(),
        attachments: Arc::from(vec![Attachment {
            filename: "firmas.pdf".into(),
            content_type: "application/pdf".into(),
            content: pdf,
        }]),
        ..letter(delivery_id)
    }
}

fn signer(key: &str) -> DkimSigner {
    DkimSigner::new(&DkimSettings {
        selector: "hp2026".into(),
        domain: "hillpost.example.org".into(),
        private_key: SecretString::from(key.to_string()),
    })
    .expect("a usable key")
}

async fn check(test: &str, kind: KeyKind) {
    if !dkim::verifier_available(test) {
        return;
    }
    let Some(key) = dkim::private_key(test, kind) else {
        return;
    };
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let signer = signer(&key);
    let record = signer.record().clone();
    let identity = EmailIdentity::new(FROM, MESSAGE_ID_DOMAIN)
        .unwrap()
        .with_bounce_domain("bounce.hillpost.example.org")
        .unwrap()
        .with_dkim(signer);
    let channel = SmtpChannel::with_identity(settings(server.port()), identity).unwrap();
    let letter = letter_with_pdf(DeliveryId::new(77));
    let report = channel.send(&letter).await;
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");

    let log = server.wait_for_log(1).await;
    assert_eq!(
        log[0].mail_from,
        format!(
            "bounces+{}@bounce.hillpost.example.org",
            letter.idempotency_key
        ),
        "the envelope sender names the delivery (VERP)"
    );
    let received = &server.messages()[0];
    assert_eq!(received.header_count("DKIM-Signature"), 1);
    assert_eq!(
        received.attachments[0].content,
        letter.attachments[0].content
    );

    let verdict = dkim::verify(&received.raw, &record.name, &record.value);
    assert!(verdict.passed, "dkimpy: {}", verdict.detail);

    // A tampered copy: one word of the body changed.
    let text = String::from_utf8(received.raw.clone()).expect("8-bit text, base64 attachment");
    assert!(text.contains("urgencia"));
    let tampered = text.replacen("urgencia", "urgenciA", 1);
    let verdict = dkim::verify(tampered.as_bytes(), &record.name, &record.value);
    assert!(
        !verdict.passed,
        "a changed body must fail: {}",
        verdict.detail
    );
    // And a changed header.
    let tampered = text.replacen("Subject: ", "Subject: Re: ", 1);
    let verdict = dkim::verify(tampered.as_bytes(), &record.name, &record.value);
    assert!(
        !verdict.passed,
        "a changed subject must fail: {}",
        verdict.detail
    );
}

#[tokio::test]
async fn rsa_signed_letters_verify_and_tampered_copies_fail() {
    check(
        "rsa_signed_letters_verify_and_tampered_copies_fail",
        KeyKind::Rsa2048,
    )
    .await;
}

#[tokio::test]
async fn ed25519_signed_letters_verify_and_tampered_copies_fail() {
    check(
        "ed25519_signed_letters_verify_and_tampered_copies_fail",
        KeyKind::Ed25519,
    )
    .await;
}
