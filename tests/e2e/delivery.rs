//! Letters through the binary's worker into a real SMTP server.

use std::collections::HashMap;
use std::time::Duration;

use hillpost_core::delivery::{AttemptOutcome, DeliveryState};
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::support::Workspace;

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_individual_letters_arrive_once_each() {
    let Some(server) = SmtpServer::start("e2e::delivery::two_hundred", Faults::default()) else {
        return;
    };
    let ws = Workspace::new()
        .smtp(server.port())
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited");
    ws.seed("individual", 200, STAFF);
    ws.run(&["batch", "create", "e2e"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();

    let store = ws.store().await;
    let deliveries = store
        .deliveries(hillpost_core::BatchId::new(1))
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 200);
    assert!(
        deliveries
            .iter()
            .all(|d| d.state == DeliveryState::Delivered)
    );
    let signatures: HashMap<hillpost_core::SignatureId, _> = store
        .signatures(&hillpost_core::CampaignId::parse("e2e").unwrap())
        .await
        .unwrap()
        .into_iter()
        .collect();
    let messages = server.wait_for_messages(200).await;
    assert_eq!(messages.len(), 200, "no duplicates");
    let by_id: HashMap<&str, _> = messages
        .iter()
        .map(|m| (m.header("Message-ID").unwrap(), m))
        .collect();
    for delivery in &deliveries {
        let message = by_id[format!("<{}@hillpost.invalid>", delivery.idempotency_key).as_str()];
        let signer = &signatures[&delivery.signature_id.unwrap()];
        let spanish = signer.language.as_ref().unwrap().as_str() == "es";
        assert_eq!(
            message.header("Content-Language"),
            Some(if spanish { "es" } else { "en" })
        );
        let city = signer.address.city.as_deref().unwrap();
        let subject = if spanish {
            format!("Que vuelvan las tropas (desde {city})")
        } else {
            format!("Bring the troops home (from {city})")
        };
        assert_eq!(message.header("Subject"), Some(subject.as_str()));
        assert_eq!(
            message.mailbox("Reply-To").unwrap().address,
            signer.email.as_str()
        );
        assert_eq!(message.mailbox("To").unwrap().address, STAFF.1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petition_carries_the_signature_list() {
    let Some(server) = SmtpServer::start("e2e::delivery::petition", Faults::default()) else {
        return;
    };
    let ws = Workspace::new().smtp(server.port());
    ws.seed("petition", 50, STAFF);
    ws.run(&["batch", "create", "e2e"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();
    let messages = server.wait_for_messages(1).await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0].text.as_deref().unwrap().contains("50 signers"));
    let list = &messages[0].attachments[0];
    assert_eq!(list.filename.as_deref(), Some("signatures.csv"));
    assert_eq!(String::from_utf8_lossy(&list.content).lines().count(), 51);
    let pdf = &messages[0].attachments[1];
    assert_eq!(pdf.filename.as_deref(), Some("signatures.pdf"));
    assert_eq!(pdf.content_type, "application/pdf");
    let text = pdf_extract::extract_text_from_mem(&pdf.content).expect("the PDF parses");
    assert!(text.contains("50 signatures"), "{text}");
    assert!(text.contains("Dear Committee staff,"), "{text}");
    for i in 0..50 {
        assert!(
            text.contains(&format!("Signer Number{i} ")),
            "signer {i} missing from the PDF"
        );
    }
}

#[test]
fn a_preview_writes_the_petition_pdf_and_creates_no_batch() {
    let ws = Workspace::new();
    ws.seed("petition", 30, STAFF);
    let out = ws.path().join("preview.pdf");
    let run = ws
        .run(&["batch", "preview", "e2e", "--out", out.to_str().unwrap()])
        .ok();
    assert!(run.stdout.contains("30 signatures"), "{}", run.stdout);
    let text =
        pdf_extract::extract_text_from_mem(&std::fs::read(&out).unwrap()).expect("the PDF parses");
    assert!(
        text.contains("Que vuelvan las tropas"),
        "the Spanish letter is missing: {text}"
    );
    assert!(text.contains("page 1 of"), "{text}");
    assert!(text.contains("Signer Number29"), "{text}");
    assert!(
        ws.run(&["batch", "list"]).ok().stdout.trim().is_empty(),
        "a preview created a batch"
    );

    let individual = Workspace::new();
    individual.seed("individual", 3, STAFF);
    let run = individual.run(&["batch", "preview", "e2e"]).failed();
    assert!(run.stderr.contains("individual mode"), "{}", run.stderr);
}

/// Kills the worker (SIGKILL) three times mid-batch and restarts it: every letter ends up
/// delivered, and every letter the server got twice is one whose attempts include an
/// `unknown` (the attempt the killed worker could not record).
async fn killed_workers_lose_nothing(ws: Workspace, server: SmtpServer) {
    let ws = ws
        .smtp(server.port())
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited")
        .env("HILLPOST__WORKER__LEASE", "2s")
        .env("HILLPOST__WORKER__KEY_LEASE", "2s");
    ws.seed("individual", 300, STAFF);
    ws.run(&["batch", "create", "e2e"]).ok();
    for kill_after in [40, 110, 190] {
        let mut worker = ws.command(&["worker"]).spawn().expect("start a worker");
        server.wait_for_log(kill_after).await;
        worker.kill().expect("SIGKILL the worker");
        worker.wait().expect("reap the worker");
    }
    let finish = ws
        .command(&["worker", "--until-idle"])
        .output()
        .expect("last worker");
    assert!(
        finish.status.success(),
        "{}",
        String::from_utf8_lossy(&finish.stderr)
    );

    let store = ws.store().await;
    let deliveries = store
        .deliveries(hillpost_core::BatchId::new(1))
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 300);
    let mut received: HashMap<String, usize> = HashMap::new();
    for entry in server.log().iter().filter(|e| e.stored.is_some()) {
        *received
            .entry(entry.message_id.clone().unwrap())
            .or_default() += 1;
    }
    let mut duplicates = 0;
    for delivery in &deliveries {
        assert_eq!(
            delivery.state,
            DeliveryState::Delivered,
            "delivery {} was lost",
            delivery.id
        );
        let copies = received
            .get(&format!("<{}@hillpost.invalid>", delivery.idempotency_key))
            .copied()
            .unwrap_or(0);
        assert!(
            copies >= 1,
            "delivery {} never reached the server",
            delivery.id
        );
        if copies > 1 {
            duplicates += 1;
            let attempts = store.attempts(delivery.id).await.unwrap();
            assert!(
                attempts
                    .iter()
                    .any(|a| a.outcome == AttemptOutcome::PossiblyAccepted),
                "delivery {} arrived {copies} times but no attempt says possibly accepted: {attempts:?}",
                delivery.id
            );
        }
    }
    let status = store
        .batch_status(hillpost_core::BatchId::new(1))
        .await
        .unwrap();
    assert!(duplicates as u64 <= status.unconfirmed_attempts);
    println!(
        "300 letters, 3 kills: {duplicates} duplicates, {} possibly accepted attempts",
        status.unconfirmed_attempts
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_loses_nothing_on_sqlite() {
    let Some(server) = SmtpServer::start(
        "e2e::delivery::kill_sqlite",
        Faults::delay(Duration::from_millis(5)),
    ) else {
        return;
    };
    killed_workers_lose_nothing(Workspace::new(), server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_loses_nothing_on_postgres() {
    let test = "e2e::delivery::kill_postgres";
    let Some(schema) = hillpost_testkit::postgres::schema(test).await else {
        return;
    };
    let Some(server) = SmtpServer::start(test, Faults::delay(Duration::from_millis(5))) else {
        return;
    };
    killed_workers_lose_nothing(Workspace::with_database(schema.url.clone()), server).await;
}
