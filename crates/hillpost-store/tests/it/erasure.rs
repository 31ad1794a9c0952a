//! Erasure: a signer with delivered and failed letters, an answer page kept as evidence, a
//! bounce and a sent receipt is erased; nothing of their name, address or email is left in
//! any column of any table or in the audit export, the chain still verifies (and still
//! catches an edit afterwards), and nothing is ever sent in their name again.

use hillpost_core::ids::*;
use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use hillpost_core::audit::{SignerSalt, commitment};
use hillpost_core::batch::plan_batch;
use hillpost_core::bounce::{DeliveryNotice, NoticeForm, NoticeKind};
use hillpost_core::delivery::{
    AttemptOutcome, DeliveryKind, DeliveryState, Evidence, EvidenceKind, OperatorAction,
    RetrySelection,
};
use hillpost_core::render::LetterTemplates;
use hillpost_store::{
    BatchOptions, ClaimRequest, ClaimedDelivery, DeliveryAction, ERASED_TEXT, Erasure, NewEvidence,
    NewNotice, RateKeyPolicy, Reading, RetryRequest, Store, StoreError,
};
use sqlx::Connection;

use hillpost_testkit::scan::{every_value, traces};

use crate::support::{SIGNERS, answered, execute_raw, recipients, record_for, rules, seeded};

/// What identifies Ana in the test data: name, address (city), email, and what the
/// receivers below quote of her.
const ANA: [&str; 5] = ["Ana", "López", "ana@example.org", "Lima", "Calle Sol 12"];

async fn claim_all(store: &Store, worker: &str) -> Vec<ClaimedDelivery> {
    let policy = RateKeyPolicy::default();
    store
        .claim(&ClaimRequest {
            worker_id: worker,
            limit: 100,
            lease: Duration::from_secs(60),
            key_lease: Duration::from_secs(60),
            exclude_keys: &[],
            policy: &policy,
            mark_sending_on_claim: &[],
        })
        .await
        .expect("claim")
        .deliveries
}

async fn scalar_i64(url: &str, sql: &'static str) -> i64 {
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    }
}

async fn ana_salt(url: &str) -> SignerSalt {
    let sql = "SELECT salt FROM signatures WHERE email = 'ana@example.org'";
    let salt: Option<Vec<u8>> = if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    };
    SignerSalt::from_stored(salt).expect("every signature has a salt")
}

async fn attempt_payloads(url: &str) -> Vec<serde_json::Value> {
    let sql = "SELECT payload FROM audit_events WHERE kind = 'attempt.recorded' ORDER BY seq";
    let texts: Vec<String> = if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    };
    texts
        .iter()
        .map(|t| serde_json::from_str(t).unwrap())
        .collect()
}

fn is_ana(d: &ClaimedDelivery, ana_id: SignatureId) -> bool {
    d.signature_id == Some(ana_id)
}

both_backends!(an_erased_signer_leaves_no_trace_and_the_chain_holds, url);
async fn an_erased_signer_leaves_no_trace_and_the_chain_holds(store: Store, url: String) {
    let campaign = seeded(&store, SIGNERS).await;
    let templates = LetterTemplates::compile(&campaign).expect("templates");
    let signatures = store.signatures(&campaign.id).await.expect("signatures");
    let ana_id = signatures
        .iter()
        .find(|(_, s)| s.email.as_str() == "ana@example.org")
        .map(|(id, _)| *id)
        .unwrap();
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).unwrap();
    let plan = plan_batch(
        &campaign,
        &templates,
        &signatures,
        &recipients(&["a", "b"]),
        date,
    )
    .expect("plan");
    let options = BatchOptions {
        start_at: Utc::now(),
        max_attempts: 1,
        actor: "test",
        receipt_base_url: Some("https://letters.example.org"),
        include_delivered: false,
    };
    let batch = store
        .create_batch_with(&campaign.id, &plan, &options)
        .await
        .expect("batch");

    // Office a takes every letter, quoting Ana's name and address back; office b's server
    // times out on Ana's, quoting her email, so it is `unconfirmed`. Her accepted letter keeps an answer page naming her.
    let claimed = claim_all(&store, "w1").await;
    assert_eq!(claimed.len(), 6);
    let mut records = Vec::new();
    for d in &claimed {
        let office_b = d.endpoint.starts_with("b@");
        let mut report = answered(if office_b && is_ana(d, ana_id) {
            AttemptOutcome::Unconfirmed
        } else {
            AttemptOutcome::Ok
        });
        if is_ana(d, ana_id) {
            report.remote_code = Some(if office_b { 451 } else { 250 });
            report.remote_text = Some(if office_b {
                "451 timed out after DATA for ana@example.org".into()
            } else {
                "250 queued: letter from Ana López, Calle Sol 12, Lima".into()
            });
            report.note = Some("signer Ana López".into());
        }
        records.push(record_for(d, &[endpoint_of(d)], report));
    }
    let ana_a = claimed
        .iter()
        .find(|d| is_ana(d, ana_id) && d.endpoint.starts_with("a@"))
        .unwrap();
    let page = Evidence::page(
        EvidenceKind::AnswerPage,
        "<p>Thank you, Ana López of Calle Sol 12, Lima</p>",
    );
    store
        .store_evidence(&[NewEvidence {
            delivery_id: ana_a.id,
            attempt_no: ana_a.attempt_no,
            evidence: &page,
        }])
        .await
        .unwrap();
    store.record_attempts("w1", &records).await.unwrap();

    // The chain never held her words: commitments, which her salt reproduces.
    let salt = ana_salt(&url).await;
    let payloads = attempt_payloads(&url).await;
    let of_ana: Vec<_> = payloads
        .iter()
        .filter(|p| p["signer_id"] == ana_id.get())
        .collect();
    assert_eq!(of_ana.len(), 2);
    for p in &of_ana {
        assert!(p["remote_text"].is_null() && p["note"].is_null(), "{p}");
        let text = if p["remote_code"] == 451 {
            "451 timed out after DATA for ana@example.org"
        } else {
            "250 queued: letter from Ana López, Calle Sol 12, Lima"
        };
        assert_eq!(
            p["remote_text_commitment"],
            commitment(&salt, "remote_text", text)
        );
        assert_eq!(
            p["note_commitment"],
            commitment(&salt, "note", "signer Ana López")
        );
    }

    // Her receipt (and Chloé's) goes out; its bounce quotes her address.
    crate::support::housekeeping(&store).await;
    let receipts = claim_all(&store, "w1").await;
    assert_eq!(receipts.len(), 2, "Ana and Chloé consented");
    let ana_receipt = receipts.iter().find(|d| is_ana(d, ana_id)).unwrap();
    assert_eq!(ana_receipt.endpoint, hillpost_store::RECEIPT_ENDPOINT);
    store
        .add_receipt_link(ana_receipt.id, &"c".repeat(64))
        .await
        .unwrap();
    store
        .keep_receipt_statement(ana_receipt.id, "{\"signed\":\"Ana López\"}")
        .await
        .unwrap();
    let mut receipt_records = Vec::new();
    for d in &receipts {
        let mut report = answered(AttemptOutcome::Ok);
        if is_ana(d, ana_id) {
            report.remote_text = Some("250 ok for <ana@example.org>".into());
        }
        receipt_records.push(record_for(d, &[endpoint_of(d)], report));
    }
    store.record_attempts("w1", &receipt_records).await.unwrap();
    let key = store
        .deliveries(batch)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.id == ana_receipt.id)
        .unwrap()
        .idempotency_key;
    store
        .record_notice("cli:test", &bounce(&key))
        .await
        .expect("notice");

    // A second batch was planned for her too, and is not sent yet.
    let later = store
        .create_batch_with(&campaign.id, &plan, &options)
        .await
        .expect("second batch");

    let before = every_value(&url).await;
    for needle in ANA {
        assert!(
            !traces(&before, needle).is_empty(),
            "the scan finds {needle} before the erasure"
        );
    }

    // Someone is sending one of her letters right now: refused, nothing changed.
    let sending = claim_all(&store, "w2").await;
    assert!(sending.iter().any(|d| is_ana(d, ana_id)));
    let refused = store
        .erase_signer(&Erasure {
            campaign: campaign.id.as_str(),
            email: "ana@example.org",
            actor: "cli:test",
            documents: &[],
        })
        .await;
    assert!(
        matches!(refused, Err(StoreError::SignerBeingSent { signature_id, .. }) if signature_id == ana_id),
        "{refused:?}"
    );
    store
        .release("w2", &sending.iter().map(|d| d.id).collect::<Vec<_>>())
        .await
        .unwrap();

    // The address as she might type it.
    let report = store
        .erase_signer(&Erasure {
            campaign: campaign.id.as_str(),
            email: "Ana@Example.org",
            actor: "cli:test",
            documents: &[],
        })
        .await
        .expect("erase");
    assert_eq!(report.signature_id, ana_id);
    assert_eq!(report.cancelled, 2, "her letters of the second batch");
    assert_eq!(report.attempts, 3, "two letters and a receipt quoted her");
    assert_eq!(report.evidence, 1);
    assert_eq!(report.notices, 1);
    assert_eq!(report.receipts, 1);

    let after = every_value(&url).await;
    for needle in ANA {
        assert_eq!(
            traces(&after, needle),
            Vec::<&str>::new(),
            "{needle} is gone from every table"
        );
    }
    // Everyone else is as they were (the scan is not blind).
    for needle in ["Chloé", "chloe@example.fr", "Bob", "Boston"] {
        assert!(!traces(&after, needle).is_empty(), "{needle} is kept");
    }
    for line in store.audit_export(batch).await.unwrap() {
        let text = serde_json::to_string(&line).unwrap();
        for needle in ANA {
            assert!(!text.contains(needle), "export line keeps {needle}: {text}");
        }
    }

    // What was sent stays recorded: states, attempts, hashes.
    let deliveries = store.deliveries(batch).await.unwrap();
    let states = |kind: DeliveryKind| {
        let mut s: Vec<DeliveryState> = deliveries
            .iter()
            .filter(|d| d.signature_id == Some(ana_id) && d.kind == kind)
            .map(|d| d.state)
            .collect();
        s.sort_by_key(|s| s.as_str());
        s
    };
    assert_eq!(
        states(DeliveryKind::Letter),
        vec![DeliveryState::Delivered, DeliveryState::Unconfirmed]
    );
    assert_eq!(
        scalar_i64(
            &url,
            "SELECT count(*) FROM attempts WHERE sent_sha256 IS NOT NULL"
        )
        .await,
        8,
        "every attempt keeps the hash of what it sent"
    );
    let evidence = store.evidence_of(ana_a.id).await.unwrap();
    assert!(evidence[0].erased, "the page is marked erased");
    assert_eq!(evidence[0].sha256, page.sha256(), "its hash stays");
    let (_, content) = store
        .evidence_content(evidence[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(content.is_empty());
    assert_eq!(
        scalar_i64(
            &url,
            "SELECT count(*) FROM messages WHERE sha256 LIKE 'erased:%'"
        )
        .await,
        report.letters as i64,
        "a blanked letter's text hash goes with it"
    );
    assert!(report.letters >= 3, "two letters and a receipt: {report:?}");
    for d in store.deliveries(later).await.unwrap() {
        if d.signature_id == Some(ana_id) {
            assert_eq!(
                d.state,
                DeliveryState::Cancelled,
                "nothing goes out for her"
            );
        }
    }
    assert!(
        store
            .signatures(&campaign.id)
            .await
            .unwrap()
            .iter()
            .all(|(id, _)| *id != ana_id),
        "an erased signer is never planned again"
    );

    // A batch planned before the erasure (its plan still has her letters) is refused whole.
    let batches_before = store.batches(Some(&campaign.id)).await.unwrap().len();
    let stale = store.create_batch_with(&campaign.id, &plan, &options).await;
    assert!(
        matches!(stale, Err(StoreError::ErasedWhilePlanned { signature_id }) if signature_id == Some(ana_id)),
        "{stale:?}"
    );
    assert_eq!(
        store.batches(Some(&campaign.id)).await.unwrap().len(),
        batches_before,
        "nothing of it was stored"
    );

    // The chain is whole, says who erased whom (by id), and still catches an edit.
    let verified = store.verify_audit().await.unwrap();
    assert!(verified.intact(), "{verified:?}");
    assert_eq!(
        scalar_i64(
            &url,
            "SELECT count(*) FROM audit_events WHERE kind = 'signer.erased'"
        )
        .await,
        1
    );

    // Her unconfirmed letter is never retried, nor resent, nor erased twice.
    let retried = store
        .retry_batch(
            batch,
            &RetryRequest {
                selection: RetrySelection::Unconfirmed,
                endpoints: BTreeMap::new(),
                actor: "cli:test",
                reason: "try again",
                budget: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(retried.replanned, 0, "{retried:?}");
    let unconfirmed = deliveries
        .iter()
        .find(|d| d.signature_id == Some(ana_id) && d.state == DeliveryState::Unconfirmed)
        .unwrap();
    let resend = store
        .act_on_delivery(
            unconfirmed.id,
            &DeliveryAction {
                action: OperatorAction::Resend,
                actor: "cli:test",
                reason: "once more",
                budget: 1,
            },
        )
        .await;
    assert!(
        matches!(resend, Err(StoreError::SignerErased { delivery }) if delivery == unconfirmed.id),
        "{resend:?}"
    );
    let again = store
        .erase_signer(&Erasure {
            campaign: campaign.id.as_str(),
            email: "ana@example.org",
            actor: "cli:test",
            documents: &[],
        })
        .await;
    assert!(
        matches!(again, Err(StoreError::NoSigner { .. })),
        "{again:?}"
    );
    assert!(ERASED_TEXT.contains("erased"));

    // The append-only rows take an erasure's blanking and nothing else: not outside an
    // erasure, and not a change to what was sent even while one is listed.
    for sql in [
        "UPDATE attempts SET remote_text = NULL, note = NULL",
        "DELETE FROM attempts",
        "UPDATE delivery_events SET reason = 'edited'",
        "UPDATE delivery_notices SET recipient = NULL, diagnostic = NULL",
    ] {
        assert!(execute_raw(&url, sql).await.is_err(), "refused: {sql}");
    }
    let listed = "INSERT INTO erasing (signature_id)
                  SELECT id FROM signatures WHERE email = 'chloe@example.fr'";
    execute_raw(&url, listed).await.unwrap();
    for sql in [
        "UPDATE attempts SET outcome = 'ok', remote_text = NULL, note = NULL",
        "UPDATE attempts SET sent_sha256 = NULL, remote_text = NULL, note = NULL",
        "UPDATE attempts SET remote_text = 'edited'",
        "DELETE FROM attempt_evidence",
    ] {
        assert!(
            execute_raw(&url, sql).await.is_err(),
            "refused while erasing: {sql}"
        );
    }
    execute_raw(&url, "DELETE FROM erasing").await.unwrap();

    tamper_event(&url).await;
    assert!(
        !store.verify_audit().await.unwrap().intact(),
        "an edited event is still caught after an erasure"
    );
}

fn endpoint_of(d: &ClaimedDelivery) -> hillpost_core::batch::Endpoint {
    hillpost_core::batch::Endpoint {
        channel: d.channel,
        address: d.endpoint.clone(),
        rate_key: d.rate_key.clone(),
    }
}

fn bounce(key: &str) -> NewNotice {
    NewNotice {
        received_at: Utc::now(),
        source: "stdin".into(),
        message: b"Final-Recipient: rfc822; ana@example.org\r\n\r\nDear Ana Lopez".to_vec(),
        reading: Reading::Notice(DeliveryNotice {
            kind: NoticeKind::Failed,
            form: NoticeForm::Dsn,
            delivery_key: Some(key.to_string()),
            status: Some("5.1.1".parse().expect("status")),
            diagnostic: Some("smtp; 550 5.1.1 <ana@example.org>: no such user".into()),
            reporting_mta: Some("mx.example.org".into()),
            recipient: Some("ana@example.org".into()),
        }),
        organization: None,
        rules: rules(),
    }
}

/// Edits the last event's payload with the append-only trigger out of the way.
async fn tamper_event(url: &str) {
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(
            "DROP TRIGGER audit_events_no_update;
             UPDATE audit_events SET payload = replace(payload, '\"cancelled\":2', '\"cancelled\":0')
              WHERE kind = 'signer.erased';",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
             UPDATE audit_events SET payload = replace(payload, '\"cancelled\":2', '\"cancelled\":0')
              WHERE kind = 'signer.erased';",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

both_backends!(an_attempt_row_changed_after_recording_is_caught, url);
async fn an_attempt_row_changed_after_recording_is_caught(store: Store, url: String) {
    let batch = crate::support::running_batch(&store, &["a"]).await;
    let claimed = claim_all(&store, "w1").await;
    let records: Vec<_> = claimed
        .iter()
        .map(|d| {
            let mut report = answered(AttemptOutcome::Ok);
            report.remote_text = Some(format!("250 queued as {}", d.id));
            record_for(d, &[endpoint_of(d)], report)
        })
        .collect();
    store.record_attempts("w1", &records).await.unwrap();
    let report = store.verify_audit().await.unwrap();
    assert!(report.intact(), "{report:?}");
    assert!(!store.deliveries(batch).await.unwrap().is_empty());

    // Someone with write access rewrites what an office answered to one letter.
    let rewrite = if url.starts_with("sqlite") {
        "DROP TRIGGER attempts_no_update;
         UPDATE attempts SET remote_text = '550 rejected' WHERE id = (SELECT min(id) FROM attempts);"
    } else {
        "ALTER TABLE attempts DISABLE TRIGGER USER;
         UPDATE attempts SET remote_text = '550 rejected' WHERE id = (SELECT min(id) FROM attempts);"
    };
    raw(&url, rewrite).await;
    let report = store.verify_audit().await.unwrap();
    assert!(!report.intact());
    assert_eq!(report.altered_count, 1, "{report:?}");
    assert_eq!(report.altered[0].field, "remote_text");
    assert!(
        report.altered[0]
            .to_string()
            .contains("the row was changed"),
        "{}",
        report.altered[0]
    );
}

async fn raw(url: &str, sql: &'static str) {
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    }
}

// A petition planned before one of its signers was erased still lists them: creating it
// afterwards is refused whole, while a petition planned afterwards is stored.
both_backends!(a_petition_planned_before_an_erasure_is_refused);
async fn a_petition_planned_before_an_erasure_is_refused(store: Store) {
    let toml = hillpost_testkit::fixtures::campaign_toml(
        "petition",
        "petition",
        &[("Committee staff", "staff@committee.example.org")],
    );
    let campaign = hillpost_core::Campaign::from_toml(&toml).expect("campaign");
    store.add_campaign(&campaign, false).await.unwrap();
    let mut session = store.begin_import(&campaign.id).await.unwrap();
    let rows = crate::support::signatures(SIGNERS);
    session.insert(&rows).await.unwrap();
    session
        .commit("signers.csv", "sha", &Default::default())
        .await
        .unwrap();
    let templates = LetterTemplates::compile(&campaign).unwrap();
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).unwrap();
    let plan_now = |signatures: &[(SignatureId, hillpost_core::NewSignature)]| {
        plan_batch(&campaign, &templates, signatures, &recipients(&["a"]), date).expect("plan")
    };
    let before = plan_now(&store.signatures(&campaign.id).await.unwrap());
    assert_eq!(before.signature_count, 3);
    let options = BatchOptions {
        start_at: Utc::now(),
        max_attempts: 1,
        actor: "test",
        receipt_base_url: None,
        include_delivered: false,
    };
    store
        .erase_signer(&Erasure {
            campaign: campaign.id.as_str(),
            email: "bob@example.com",
            actor: "cli:test",
            documents: &[],
        })
        .await
        .expect("erase");
    let stale = store
        .create_batch_with(&campaign.id, &before, &options)
        .await;
    assert!(
        matches!(
            stale,
            Err(StoreError::ErasedWhilePlanned { signature_id: None })
        ),
        "{stale:?}"
    );
    assert!(store.batches(Some(&campaign.id)).await.unwrap().is_empty());
    let after = plan_now(&store.signatures(&campaign.id).await.unwrap());
    assert_eq!(after.signature_count, 2);
    store
        .create_batch_with(&campaign.id, &after, &options)
        .await
        .expect("a fresh plan is stored");
}
