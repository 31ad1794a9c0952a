//! Signed receipts through the real queue and a real SMTP server: the receipt email carries
//! `receipt.json`, which verifies with the published key, names a changed field, agrees with
//! the audit chain and the page, and counts only within its key's validity after rotation.

use hillpost_core::audit::{KeyError, SigningKey};
use hillpost_core::receipt::{ReceiptError, sign_receipt, token_sha256, verify_receipt};
use hillpost_testkit::fixtures;
use hillpost_testkit::smtp::{Faults, SmtpServer};
use hillpost_worker::{RECEIPT_FILENAME, RateLimits, RunOnce, Worker};

use crate::support::{RECEIPT_BASE, SharedStore, batch_of, settings, smtp_channels};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");
const CHAIR: (&str, &str) = ("the Chair's office", "chair@senate.example.org");

both_backends!(a_receipt_carries_a_statement_the_published_key_verifies);
async fn a_receipt_carries_a_statement_the_published_key_verifies(store: SharedStore, test: &str) {
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let id = batch_of(
        &store,
        "individual",
        &fixtures::signers_csv(2),
        &[STAFF, CHAIR],
        4,
        Some(RECEIPT_BASE),
        &[],
    )
    .await;
    let key = SigningKey::from_seed([11; 32]);
    store.register_signing_key(key.public()).await.unwrap();
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    worker.sign_with(key.clone());
    while worker.run_once().await.unwrap() != RunOnce::EmptyQueue {}

    let messages = server.wait_for_messages(6).await;
    let receipts: Vec<_> = messages
        .iter()
        .filter(|m| {
            m.header("Subject").unwrap_or_default().contains(':') && !m.attachments.is_empty()
        })
        .collect();
    assert_eq!(receipts.len(), 2, "one per signer, each with its statement");
    let published = store.signing_keys().await.unwrap();
    let attempts = store.batch_attempts(id).await.unwrap();
    for receipt in receipts {
        let attachment = &receipt.attachments[0];
        assert_eq!(attachment.filename.as_deref(), Some(RECEIPT_FILENAME));
        assert!(attachment.content_type.starts_with("application/json"));
        let text = String::from_utf8(attachment.content.clone()).unwrap();
        let verified = verify_receipt(&text, &published).expect("verifies");
        let statement = &verified.statement;
        assert_eq!(statement.batch_id, id);
        assert_eq!(statement.lines.len(), 2);
        let address = receipt.mailbox("To").unwrap().address;
        assert!(
            !text.contains(&address),
            "no signer address in the statement"
        );
        for line in &statement.lines {
            // The line's proof is the attempt's: bytes sent and its audit event.
            let attempt = attempts
                .iter()
                .find(|a| a.sent_sha256 == line.sent_sha256 && a.sent_sha256.is_some())
                .expect("the attempt whose bytes the line names");
            assert_eq!(attempt.outcome.as_str(), "ok");
            let seq = line.audit_seq.expect("an audit event");
            assert_eq!(
                store.audit_event_hash(seq).await.unwrap(),
                line.audit_hash,
                "the line names event {seq} by its hash"
            );
        }

        // One changed byte in a field: that field is named.
        let office = &statement.lines[0].office;
        let changed = text.replacen(
            &format!("\"office\":\"{office}\""),
            &format!("\"office\":\"{office}.\""),
            1,
        );
        assert_eq!(
            verify_receipt(&changed, &published),
            Err(ReceiptError::FieldChanged(
                "statement.lines[0].office".into()
            ))
        );

        // The receipt page offers the same statement.
        let body = receipt.text.as_deref().unwrap();
        let start = body.find("/receipts/").unwrap() + "/receipts/".len();
        let token: String = body[start..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        let page = store
            .receipt_by_token(&token_sha256(&token))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(page.statement.as_deref(), Some(text.as_str()));
    }

    // Rotation: receipts signed before still verify; the old key signing now does not.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let new = SigningKey::from_seed([12; 32]);
    let rotated = store.register_signing_key(new.public()).await.unwrap();
    let statement = store
        .receipt_statement(
            store
                .deliveries(id)
                .await
                .unwrap()
                .iter()
                .find(|d| d.kind == hillpost_core::delivery::DeliveryKind::Receipt)
                .unwrap()
                .id,
        )
        .await
        .unwrap()
        .unwrap();
    let late = sign_receipt(&statement, chrono::Utc::now(), &key);
    assert!(matches!(
        verify_receipt(&late, &rotated),
        Err(ReceiptError::Key(KeyError::OutsideValidity { .. }))
    ));
    let emailed = messages
        .iter()
        .find_map(|m| m.attachments.first())
        .map(|a| String::from_utf8(a.content.clone()).unwrap())
        .unwrap();
    verify_receipt(&emailed, &rotated).expect("signed while the old key was current");
}
