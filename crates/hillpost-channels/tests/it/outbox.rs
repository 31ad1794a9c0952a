//! The outbox writes each letter as an `.eml` file, exactly as SMTP would send it.

use hillpost_core::DeliveryId;
use std::path::PathBuf;

use hillpost_channels::{Channel, EmailIdentity, OutboxChannel};
use hillpost_core::AttemptOutcome;
use hillpost_testkit::smtp::ParsedEmail;

use crate::support::{FROM, MESSAGE_ID_DOMAIN, letter_with_attachment, sha256_hex};

#[tokio::test]
async fn the_outbox_holds_a_parseable_eml_per_letter() {
    let dir = tempfile::tempdir().unwrap();
    let outbox_dir = dir.path().join("outbox");
    let outbox = OutboxChannel::new(
        &outbox_dir,
        EmailIdentity::new(FROM, MESSAGE_ID_DOMAIN).unwrap(),
    )
    .unwrap();
    let letter = letter_with_attachment(DeliveryId::new(12), b"name\nAna\n".to_vec());

    let report = outbox.send(&letter).await;

    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    let path = PathBuf::from(report.remote_text.clone().unwrap());
    assert_eq!(path.parent(), Some(outbox_dir.as_path()));
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("eml"));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(report.sent_sha256, Some(sha256_hex(&bytes)));

    let email = ParsedEmail::parse(bytes).unwrap();
    assert_eq!(
        email.header("Message-ID"),
        Some("<0000000000000000000000000000000c@hillpost.example.org>")
    );
    assert_eq!(email.header("Subject"), Some("Detengan la ayuda militar"));
    assert_eq!(email.attachments[0].content, b"name\nAna\n");
    assert!(email.text.unwrap().contains("suspender"));
    assert_eq!(std::fs::read_dir(&outbox_dir).unwrap().count(), 1);
}
