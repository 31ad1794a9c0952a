//! `hillpost receipts verify`: a receipt the binary's worker sent (to the outbox) carries
//! receipt.json, which verifies with the public key `keys generate` printed, fails naming a
//! changed field, and, given a checkpoint, is checked against the chain.

use hillpost_core::audit::SigningKey;
use hillpost_testkit::smtp::ParsedEmail;

use crate::support::{Workspace, eml_files};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

/// What housekeeping does once a minute, now.
async fn sign_now(ws: &Workspace, key: &SigningKey) {
    let store = ws.store().await;
    let written = store
        .write_checkpoint(key, std::time::Duration::ZERO)
        .await
        .unwrap();
    assert!(matches!(
        written,
        hillpost_store::CheckpointWrite::Written(_)
    ));
    store.close().await;
}

async fn verify_a_sent_receipt(ws: Workspace) {
    let key_file = ws.path().join("signing.pem");
    let generated = ws
        .run(&["keys", "generate", "--out", key_file.to_str().unwrap()])
        .ok();
    let public = generated
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .unwrap()
        .trim()
        .to_string();
    let ws = ws
        .env("HILLPOST__SIGNING__KEY_FILE", key_file.to_str().unwrap())
        .env("HILLPOST__RECEIPTS__ENABLED", "true")
        .env(
            "HILLPOST__SERVER__PUBLIC_URL",
            "https://letters.example.org",
        );
    ws.seed("individual", 2, STAFF);
    ws.run(&["batch", "create", "e2e"]).ok();
    // A checkpoint before any letter was sent (the worker signs none within the minute).
    let key = SigningKey::from_pem(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    sign_now(&ws, &key).await;
    let early = ws.path().join("early.json");
    ws.run(&["audit", "checkpoint", "--out", early.to_str().unwrap()])
        .ok();
    ws.run(&["worker", "--until-idle"]).ok();

    let statements: Vec<String> = eml_files(&ws.path().join("outbox"))
        .into_iter()
        .filter_map(|path| ParsedEmail::parse(std::fs::read(path).unwrap()).ok())
        .flat_map(|email| email.attachments)
        .filter(|a| a.filename.as_deref() == Some("receipt.json"))
        .map(|a| String::from_utf8(a.content).unwrap())
        .collect();
    assert_eq!(statements.len(), 2, "one signed receipt per signer");
    let receipt = ws.write("receipt.json", &statements[0]);
    let receipt = receipt.to_str().unwrap();

    let ok = ws
        .run(&["receipts", "verify", receipt, "--key", &public])
        .ok();
    assert!(ok.stdout.contains("verifies"), "{}", ok.stdout);
    assert!(
        ok.stdout.contains("its events are in the chain"),
        "{}",
        ok.stdout
    );

    // One changed byte: the field is named, exit 2.
    let tampered =
        statements[0].replacen("\"outcome\":\"delivered\"", "\"outcome\":\"Delivered\"", 1);
    assert_ne!(tampered, statements[0]);
    let tampered = ws.write("tampered.json", &tampered);
    let output = ws
        .command(&[
            "receipts",
            "verify",
            tampered.to_str().unwrap(),
            "--key",
            &public,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("`statement.lines[0].outcome` was changed"),
        "{stdout}"
    );

    // A checkpoint from before the receipt's events does not cover them; a later one does.
    let output = ws
        .command(&[
            "receipts",
            "verify",
            receipt,
            "--key",
            &public,
            "--checkpoint",
            early.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("not covered"), "{stdout}");

    sign_now(&ws, &key).await;
    let later = ws.path().join("later.json");
    ws.run(&["audit", "checkpoint", "--out", later.to_str().unwrap()])
        .ok();
    let covered = ws
        .run(&[
            "receipts",
            "verify",
            receipt,
            "--key",
            &public,
            "--checkpoint",
            later.to_str().unwrap(),
        ])
        .ok();
    assert!(
        covered.stdout.contains("comes before the checkpoint"),
        "{}",
        covered.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_receipt_verifies_offline_and_against_the_chain_on_sqlite() {
    verify_a_sent_receipt(Workspace::new().env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sent_receipt_verifies_offline_and_against_the_chain_on_postgres() {
    let Some(schema) = hillpost_testkit::postgres::schema("e2e::signed_receipts::postgres").await
    else {
        return;
    };
    let ws = Workspace::with_database(schema.url.clone())
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited");
    verify_a_sent_receipt(ws).await;
}
