//! Receipts through the real queue: the worker sends them with the letters' SMTP channel,
//! once per consenting signer, in the signer's language, saying what the attempt rows say.

use std::collections::HashMap;
use std::time::Duration;

use hillpost_core::delivery::{AttemptOutcome, BatchState, DeliveryKind, DeliveryState};
use hillpost_core::receipt::token_sha256;
use hillpost_testkit::fixtures;
use hillpost_testkit::smtp::{Faults, ParsedEmail, SmtpServer};
use hillpost_worker::{RateLimits, RunOnce, Worker};

use crate::support::{RECEIPT_BASE, SharedStore, batch_of, settings, smtp_channels};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");
const CHAIR: (&str, &str) = ("the Chair's office", "chair@senate.example.org");

/// Four signers (en, es, en, es); the fourth does not want a receipt.
fn signers() -> String {
    let csv = fixtures::signers_csv(4);
    let last = csv.rfind(",yes\n").expect("consent column");
    format!("{},no\n", &csv[..last])
}

fn is_receipt(message: &ParsedEmail) -> bool {
    let subject = message.header("Subject").unwrap_or_default();
    subject.starts_with("Your letter:") || subject.starts_with("Su carta:")
}

/// The receipt page token in a receipt's text.
fn token(text: &str) -> String {
    let start = text
        .find(&format!("{RECEIPT_BASE}/receipts/"))
        .expect("a link")
        + RECEIPT_BASE.len()
        + 10;
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

both_backends!(consenting_signers_get_one_receipt_each_matching_the_attempts);
async fn consenting_signers_get_one_receipt_each_matching_the_attempts(
    store: SharedStore,
    test: &str,
) {
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let id = batch_of(
        &store,
        "individual",
        &signers(),
        &[STAFF, CHAIR],
        4,
        Some(RECEIPT_BASE),
        &[],
    )
    .await;
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    while worker.run_once().await.unwrap() != RunOnce::EmptyQueue {}
    assert_eq!(
        store.batch(id).await.unwrap().unwrap().state,
        BatchState::Completed
    );

    // 4 signers × 2 offices, then 3 receipts.
    let messages = server.wait_for_messages(11).await;
    let receipts: Vec<&ParsedEmail> = messages.iter().filter(|m| is_receipt(m)).collect();
    assert_eq!(messages.len(), 11, "8 letters and 3 receipts");
    assert_eq!(receipts.len(), 3);

    let signatures: HashMap<hillpost_core::SignatureId, _> = store
        .signatures(&hillpost_core::CampaignId::parse("test-campaign").unwrap())
        .await
        .unwrap()
        .into_iter()
        .collect();
    let deliveries = store.deliveries(id).await.unwrap();
    let attempts = store.batch_attempts(id).await.unwrap();
    for (signature_id, signer) in &signatures {
        let to_signer: Vec<_> = receipts
            .iter()
            .filter(|m| m.mailbox("To").unwrap().address == signer.email.as_str())
            .collect();
        if !signer.receipt_consent {
            assert!(to_signer.is_empty(), "no consent, no receipt");
            continue;
        }
        assert_eq!(
            to_signer.len(),
            1,
            "exactly one receipt to {}",
            signer.email
        );
        let receipt = to_signer[0];
        let spanish = signer.language.as_ref().unwrap().as_str() == "es";
        assert_eq!(
            receipt.header("Content-Language"),
            Some(if spanish { "es" } else { "en" })
        );
        assert_eq!(
            receipt.header("Subject"),
            Some(if spanish {
                "Su carta: Bring the troops home"
            } else {
                "Your letter: Bring the troops home"
            })
        );
        assert!(receipt.header("Reply-To").is_none());
        let text = receipt.text.as_deref().unwrap();
        // One line per letter, saying what its attempt row says.
        for letter in deliveries
            .iter()
            .filter(|d| d.kind == DeliveryKind::Letter && d.signature_id == Some(*signature_id))
        {
            assert_eq!(letter.state, DeliveryState::Delivered);
            let attempt = attempts
                .iter()
                .find(|a| a.delivery_id == letter.id)
                .unwrap();
            assert_eq!(attempt.outcome, AttemptOutcome::Ok);
            let t = attempt.finished_at;
            let line = if spanish {
                format!(
                    "- {}: aceptada por el servidor de correo de {} el {} a las {} UTC",
                    letter.recipient_name,
                    letter.recipient_name,
                    t.format("%d/%m/%Y"),
                    t.format("%H:%M")
                )
            } else {
                format!(
                    "- {}: accepted by {}'s email server at {} UTC on {}",
                    letter.recipient_name,
                    letter.recipient_name,
                    t.format("%H:%M"),
                    t.format("%Y-%m-%d")
                )
            };
            assert!(text.contains(&line), "{line}\nnot in\n{text}");
        }
        // The link opens the page with the same lines.
        let page = store
            .receipt_by_token(&token_sha256(&token(text)))
            .await
            .unwrap()
            .expect("the emailed link opens the receipt");
        assert_eq!(page.lines.len(), 2);
        for line in &page.lines {
            assert!(text.contains(&line.text), "{}", line.text);
        }
    }

    // Receipts are deliveries with attempts in the audit export, under no address.
    let export = store.audit_export(id).await.unwrap();
    let receipt_lines: Vec<_> = export
        .iter()
        .filter(|l| l.recipient_key == "receipts")
        .collect();
    assert_eq!(receipt_lines.len(), 3);
    assert!(
        receipt_lines
            .iter()
            .all(|l| l.endpoint == "signer" && l.outcome.as_deref() == Some("ok"))
    );

    // More passes send nothing more.
    let again = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    assert_eq!(again.run_once().await.unwrap(), RunOnce::EmptyQueue);
    store.tick(&crate::support::rules()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.messages().len(), 11, "no second receipt");
}

both_backends!(a_receipt_failing_transiently_is_retried);
async fn a_receipt_failing_transiently_is_retried(store: SharedStore, test: &str) {
    let Some(letters) = SmtpServer::start(&format!("{test}::letters"), Faults::default()) else {
        return;
    };
    let csv = fixtures::signers_csv(1);
    let id = batch_of(
        &store,
        "individual",
        &csv,
        &[STAFF],
        4,
        Some(RECEIPT_BASE),
        &[],
    )
    .await;
    // The letter goes out; its pass's housekeeping enqueues the receipt.
    let first = Worker::new(
        store.clone(),
        smtp_channels(letters.port()),
        settings(RateLimits::unlimited()),
    );
    assert_eq!(first.run_once().await.unwrap(), RunOnce::Processed(1));
    assert_eq!(letters.wait_for_messages(1).await.len(), 1);

    // The receipt meets a server that answers 451 once.
    let Some(flaky) = SmtpServer::start(&format!("{test}::receipts"), Faults::fail_first(1, 451))
    else {
        return;
    };
    let worker = Worker::new(
        store.clone(),
        smtp_channels(flaky.port()),
        settings(RateLimits::unlimited()),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while store.batch(id).await.unwrap().unwrap().state != BatchState::Completed {
        assert!(
            std::time::Instant::now() < deadline,
            "the receipt was not retried"
        );
        if worker.run_once().await.unwrap() == RunOnce::EmptyQueue {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let receipt = store
        .deliveries(id)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.kind == DeliveryKind::Receipt)
        .expect("a receipt");
    assert_eq!(receipt.state, DeliveryState::Delivered);
    let outcomes: Vec<AttemptOutcome> = store
        .attempts(receipt.id)
        .await
        .unwrap()
        .iter()
        .map(|a| a.outcome)
        .collect();
    assert_eq!(outcomes, [AttemptOutcome::Transient, AttemptOutcome::Ok]);
    let stored = flaky.wait_for_messages(1).await;
    assert_eq!(stored.len(), 1);
    assert!(is_receipt(&stored[0]));
    assert_eq!(flaky.log().len(), 2, "one refused DATA, one accepted");
}

both_backends!(a_petitions_signers_get_receipts_about_its_letters);
async fn a_petitions_signers_get_receipts_about_its_letters(store: SharedStore, test: &str) {
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let csv = fixtures::signers_csv(3);
    let id = batch_of(
        &store,
        "petition",
        &csv,
        &[STAFF, CHAIR],
        4,
        Some(RECEIPT_BASE),
        &[],
    )
    .await;
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    while worker.run_once().await.unwrap() != RunOnce::EmptyQueue {}
    assert_eq!(
        store.batch(id).await.unwrap().unwrap().state,
        BatchState::Completed
    );
    // One letter per office, then one receipt per signer, each about both letters.
    let messages = server.wait_for_messages(5).await;
    assert_eq!(messages.len(), 5);
    let receipts: Vec<_> = messages.iter().filter(|m| is_receipt(m)).collect();
    assert_eq!(receipts.len(), 3);
    let mut to: Vec<String> = receipts
        .iter()
        .map(|m| m.mailbox("To").unwrap().address)
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            "signer0@example.org",
            "signer1@example.org",
            "signer2@example.org"
        ]
    );
    for receipt in receipts {
        let page = store
            .receipt_by_token(&token_sha256(&token(receipt.text.as_deref().unwrap())))
            .await
            .unwrap()
            .unwrap();
        let offices: Vec<&str> = page.lines.iter().map(|l| l.office.as_str()).collect();
        assert_eq!(offices, [STAFF.0, CHAIR.0]);
        assert!(page.lines.iter().all(|l| l.outcome == "delivered"));
    }
}
