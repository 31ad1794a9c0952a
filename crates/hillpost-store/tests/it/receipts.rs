//! Receipts: housekeeping enqueues one per consenting signer once their letters are final,
//! however many passes run at once; a batch completes only when its receipts are done; the
//! page opens only with a token whose SHA-256 was stored.

use hillpost_core::ids::*;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use hillpost_core::batch::{Eligibility, plan_batch};
use hillpost_core::delivery::{AttemptOutcome, DeliveryKind, DeliveryState, Transition};
use hillpost_core::receipt::{ReceiptLanguage, token_sha256};
use hillpost_core::render::LetterTemplates;
use hillpost_core::signer::UsState;
use hillpost_store::{
    AttemptRecord, BatchOptions, ClaimRequest, RECEIPT_ENDPOINT, RECEIPT_RATE_KEY, RateKeyPolicy,
    Store,
};
use sqlx::Connection;

use crate::support::{SIGNERS, recipients, seeded};

/// A running batch whose one office accepts only Texans: every letter is skipped at once
/// (Ana is in Peru, Bob gave no state, Chloé is in France), so receipts are owed at once.
async fn skipped_batch(store: &Store, receipts: bool) -> BatchId {
    let campaign = seeded(store, SIGNERS).await;
    let templates = LetterTemplates::compile(&campaign).expect("templates");
    let signatures = store.signatures(&campaign.id).await.expect("signatures");
    let mut offices = recipients(&["tx"]);
    offices[0].eligibility = Eligibility::State {
        state: UsState::parse("TX").unwrap(),
    };
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).expect("date");
    let plan = plan_batch(&campaign, &templates, &signatures, &offices, date).expect("plan");
    store
        .create_batch_with(
            &campaign.id,
            &plan,
            &BatchOptions {
                start_at: Utc::now(),
                max_attempts: 3,
                actor: "test",
                receipt_base_url: receipts.then_some("https://letters.example.org"),
                include_delivered: false,
            },
        )
        .await
        .expect("create batch")
}

async fn receipt_events(url: &str) -> i64 {
    let sql = "SELECT count(*) FROM audit_events WHERE kind = 'receipt.enqueued'";
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    }
}

both_backends!(receipts_are_enqueued_once_however_many_passes_run, url);
async fn receipts_are_enqueued_once_however_many_passes_run(store: Store, url: String) {
    let batch = skipped_batch(&store, true).await;
    // Four housekeeping passes at once, from four connection pools (four "workers").
    let others = [
        Store::connect(&url).await.unwrap(),
        Store::connect(&url).await.unwrap(),
        Store::connect(&url).await.unwrap(),
    ];
    let rules = crate::support::rules();
    let (a, b, c, d) = tokio::join!(
        store.tick(&rules),
        others[0].tick(&rules),
        others[1].tick(&rules),
        others[2].tick(&rules)
    );
    for report in [a, b, c, d] {
        assert!(
            !report.unwrap().completed.contains(&batch),
            "not complete while receipts are queued"
        );
    }
    crate::support::housekeeping(&store).await;

    let deliveries = store.deliveries(batch).await.unwrap();
    let receipts: Vec<_> = deliveries
        .iter()
        .filter(|d| d.kind == DeliveryKind::Receipt)
        .collect();
    let signatures = store.signatures(&seeded_id()).await.unwrap();
    let id_of = |email: &str| {
        signatures
            .iter()
            .find(|(_, s)| s.email.as_str() == email)
            .map(|(id, _)| *id)
            .unwrap()
    };
    let mut signers: Vec<SignatureId> = receipts.iter().map(|r| r.signature_id.unwrap()).collect();
    signers.sort();
    let mut consenting = vec![id_of("ana@example.org"), id_of("chloe@example.fr")];
    consenting.sort();
    assert_eq!(
        signers, consenting,
        "one receipt per consenting signer, Bob none"
    );
    for receipt in &receipts {
        assert_eq!(receipt.state, DeliveryState::Queued);
        assert_eq!(receipt.endpoint, RECEIPT_ENDPOINT, "no address stored");
        assert_eq!(receipt.rate_key, RECEIPT_RATE_KEY);
        assert_eq!(receipt.recipient_key, "receipts");
    }
    assert_eq!(receipt_events(&url).await, 2, "one audit event per receipt");

    // The worker's side: claim the receipts, mint a link for each, send, record.
    let policy = RateKeyPolicy::default();
    let claim = store
        .claim(&ClaimRequest {
            worker_id: "w1",
            limit: 10,
            lease: Duration::from_secs(30),
            key_lease: Duration::from_secs(30),
            exclude_keys: &[],
            policy: &policy,
            mark_sending_on_claim: &[],
        })
        .await
        .unwrap();
    assert_eq!(claim.deliveries.len(), 2);
    let parts = store
        .letter_parts(&claim.deliveries.iter().map(|d| d.id).collect::<Vec<_>>())
        .await
        .unwrap();
    let ana = parts
        .iter()
        .find(|p| p.signer.as_ref().unwrap().email.as_str() == "ana@example.org")
        .unwrap();
    assert_eq!(ana.kind, DeliveryKind::Receipt);
    assert_eq!(ana.language, "es");
    let text = hillpost_core::markdown::to_plain_text(&ana.body_markdown);
    assert!(
        text.contains(
            "- Office tx: no se pudo entregar: la oficina solo acepta cartas de personas en los Estados Unidos"
        ),
        "{text}"
    );
    let chloe = parts
        .iter()
        .find(|p| p.delivery_id != ana.delivery_id)
        .unwrap();
    assert_eq!(chloe.language, "en", "French signers get English");

    let token = "a".repeat(64);
    assert!(
        store
            .add_receipt_link(ana.delivery_id, &token_sha256(&token))
            .await
            .unwrap()
    );
    let page = store
        .receipt_by_token(&token_sha256(&token))
        .await
        .unwrap()
        .expect("the page opens with its token");
    assert_eq!(page.language, ReceiptLanguage::Es);
    assert_eq!(page.lines.len(), 1);
    assert_eq!(page.lines[0].outcome, "skipped");
    assert_eq!(page.lines[0].office, "Office tx");
    assert!(
        store
            .receipt_by_token(&token_sha256("b"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store.receipt_by_token(&token).await.unwrap().is_none(),
        "the hash, not the token, is the key"
    );

    let now = Utc::now();
    let records: Vec<AttemptRecord> = claim
        .deliveries
        .iter()
        .map(|d| AttemptRecord {
            delivery_id: d.id,
            attempt_no: d.attempt_no,
            started_at: now,
            finished_at: now,
            outcome: AttemptOutcome::Ok,
            endpoint: d.endpoint.clone(),
            remote_code: Some(250),
            remote_text: Some("ok".into()),
            sent_sha256: None,
            receiver_id: None,
            note: None,
            transition: Transition::finish(DeliveryState::Delivered),
        })
        .collect();
    store.record_attempts("w1", &records).await.unwrap();
    let report = crate::support::housekeeping(&store).await;
    assert_eq!(
        report.completed,
        vec![batch],
        "complete once the receipts are out"
    );
    assert_eq!(receipt_events(&url).await, 2, "no receipt twice");
    assert!(store.verify_audit().await.unwrap().broken.is_none());
}

fn seeded_id() -> hillpost_core::CampaignId {
    crate::support::campaign().id
}

both_backends!(a_batch_without_receipts_sends_none);
async fn a_batch_without_receipts_sends_none(store: Store) {
    let batch = skipped_batch(&store, false).await;
    let report = crate::support::housekeeping(&store).await;
    assert_eq!(report.completed, vec![batch]);
    let deliveries = store.deliveries(batch).await.unwrap();
    assert!(deliveries.iter().all(|d| d.kind == DeliveryKind::Letter));
    assert_eq!(
        store.batch(batch).await.unwrap().unwrap().receipt_base_url,
        None
    );
}

// How long housekeeping takes with a big running batch that sends receipts: while its
// letters are queued (every signer checked, none owed), and once they are all final
// (receipts enqueued, 500 a pass). Run with:
// `HILLPOST_MEASURE=1 cargo test -p hillpost-store --test it receipt_pass_cost -- --nocapture`
both_backends!(receipt_pass_cost, url);
#[allow(dead_code)]
async fn receipt_pass_cost(store: Store, url: String) {
    if std::env::var("HILLPOST_MEASURE").is_err() {
        eprintln!("receipt_pass_cost: set HILLPOST_MEASURE=1 to measure");
        return;
    }
    const SIGNERS_N: usize = 10_000;
    let mut csv = String::from("first_name,last_name,email,city,country,language,can_be_emailed\n");
    for i in 0..SIGNERS_N {
        csv.push_str(&format!("S,N{i},s{i}@example.org,Boston,US,en,yes\n"));
    }
    let campaign = seeded(&store, &csv).await;
    let templates = LetterTemplates::compile(&campaign).expect("templates");
    let signatures = store.signatures(&campaign.id).await.expect("signatures");
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).expect("date");
    let plan = plan_batch(
        &campaign,
        &templates,
        &signatures,
        &recipients(&["a", "b"]),
        date,
    )
    .expect("plan");
    let batch = store
        .create_batch_with(
            &campaign.id,
            &plan,
            &BatchOptions {
                start_at: Utc::now(),
                max_attempts: 3,
                actor: "test",
                receipt_base_url: Some("https://letters.example.org"),
                include_delivered: false,
            },
        )
        .await
        .unwrap();
    let timed = |label: &'static str| {
        let store = &store;
        async move {
            let start = std::time::Instant::now();
            crate::support::housekeeping(store).await;
            eprintln!("{label}: {:?}", start.elapsed());
        }
    };
    timed("tick, 20,000 letters queued (first, with planner warm-up)").await;
    timed("tick, again").await;
    crate::support::execute_raw(
        &url,
        "UPDATE deliveries SET state = 'delivered', finalized_at = due_at WHERE state = 'queued'",
    )
    .await
    .unwrap();
    timed("tick, letters final: first 200 receipts").await;
    timed("tick, next 200").await;
    let receipts = store
        .deliveries(batch)
        .await
        .unwrap()
        .iter()
        .filter(|d| d.kind == DeliveryKind::Receipt)
        .count();
    assert_eq!(receipts, 400);
}

// A receipt pass that meets a signer being erased waits for the erasure and then makes no
// receipt for them (PostgreSQL, where both may run at once; SQLite's write lock orders them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_receipt_is_made_for_a_signer_being_erased() {
    let Some(schema) =
        hillpost_testkit::postgres::schema("it::receipts::no_receipt_for_a_signer_being_erased")
            .await
    else {
        return;
    };
    let store = Store::connect(&schema.url).await.unwrap();
    let batch = skipped_batch(&store, true).await;
    // An erasure in progress: Ana's row locked and already changed, not yet committed.
    let mut erasing = sqlx::PgConnection::connect(&schema.url).await.unwrap();
    sqlx::raw_sql(
        "BEGIN;
         SELECT id FROM signatures WHERE email = 'ana@example.org' FOR UPDATE;
         UPDATE signatures SET erased_at = now() WHERE email = 'ana@example.org';",
    )
    .execute(&mut erasing)
    .await
    .unwrap();
    let pass = tokio::spawn({
        let store = Store::connect(&schema.url).await.unwrap();
        async move { store.tick(&crate::support::rules()).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!pass.is_finished(), "the pass waits for the erasure");
    sqlx::raw_sql("COMMIT").execute(&mut erasing).await.unwrap();
    pass.await.unwrap().unwrap();

    let receipts: Vec<_> = store
        .deliveries(batch)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.kind == DeliveryKind::Receipt)
        .collect();
    assert_eq!(receipts.len(), 1, "Chloé's only");
    let signatures = store.signatures(&seeded_id()).await.unwrap();
    let chloe = signatures
        .iter()
        .find(|(_, s)| s.email.as_str() == "chloe@example.fr")
        .unwrap();
    assert_eq!(receipts[0].signature_id, Some(chloe.0));
}
