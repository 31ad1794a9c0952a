//! How many attempts per second four workers can record on PostgreSQL, audit events
//! included. Ignored by default (it measures, it doesn't check behaviour); run with
//! `cargo test -p hillpost-store --test it throughput -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use hillpost_core::batch::plan_batch;
use hillpost_core::delivery::{AttemptOutcome, DeliveryState, Transition};
use hillpost_core::render::LetterTemplates;
use hillpost_store::{AttemptRecord, ClaimRequest, RateKeyPolicy, Store};

use crate::support::{recipients, seeded};

const WORKERS: usize = 4;
const SIGNERS: usize = 5_000;
const GROUP: u32 = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a measurement; run on purpose"]
async fn record_attempts_throughput_on_postgres() {
    let Some(schema) = hillpost_testkit::postgres::schema("it::throughput").await else {
        return;
    };
    let store = Store::connect(&schema.url).await.unwrap();
    let campaign = seeded(&store, &hillpost_testkit::fixtures::signers_csv(SIGNERS)).await;
    let templates = LetterTemplates::compile(&campaign).unwrap();
    let signatures = store.signatures(&campaign.id).await.unwrap();
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).unwrap();
    let plan = plan_batch(
        &campaign,
        &templates,
        &signatures,
        &recipients(&["a", "b", "c", "d"]),
        date,
    )
    .unwrap();
    let total = plan.deliveries.len();
    store
        .create_batch(&campaign.id, &plan, Utc::now(), 3)
        .await
        .unwrap();

    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let url = schema.url.clone();
        workers.push(tokio::spawn(async move {
            let store = Store::connect(&url).await.unwrap();
            let worker = format!("w{w}");
            let policy = RateKeyPolicy::default();
            let mut recording = Duration::ZERO;
            let mut recorded = 0;
            loop {
                let claim = store
                    .claim(&ClaimRequest {
                        worker_id: &worker,
                        limit: GROUP,
                        lease: Duration::from_secs(60),
                        key_lease: Duration::from_secs(60),
                        exclude_keys: &[],
                        policy: &policy,
                        mark_sending_on_claim: &[],
                    })
                    .await
                    .unwrap();
                if claim.deliveries.is_empty() {
                    break;
                }
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
                        remote_text: Some("2.0.0 Ok: queued".into()),
                        sent_sha256: Some("ab".repeat(32)),
                        receiver_id: None,
                        note: None,
                        transition: Transition::finish(DeliveryState::Delivered),
                    })
                    .collect();
                let t = Instant::now();
                recorded += store
                    .record_attempts(&worker, &records)
                    .await
                    .unwrap()
                    .len();
                recording += t.elapsed();
            }
            store.close().await;
            (recorded, recording)
        }));
    }
    let mut recorded = 0;
    let mut recording = Duration::ZERO;
    for worker in workers {
        let (n, t) = worker.await.unwrap();
        recorded += n;
        recording += t;
    }
    let elapsed = started.elapsed();
    assert_eq!(recorded, total);
    println!(
        "{total} deliveries claimed and recorded by {WORKERS} workers in groups of {GROUP}: {:.2}s, {:.0}/s; \
         record_attempts alone {:.0}/s per worker",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        recorded as f64 / WORKERS as f64 / (recording.as_secs_f64() / WORKERS as f64),
    );
    let verifying = Instant::now();
    let report = store.verify_audit().await.unwrap();
    println!(
        "audit verify (chain of {} events, then the cross-check of batches, attempts and delivery events): {:.2}s",
        report.verified,
        verifying.elapsed().as_secs_f64()
    );
    assert_eq!(report.broken, None);
    assert!(report.intact(), "{:?}", report.unrecorded);
    let signing = Instant::now();
    let key = hillpost_core::audit::SigningKey::from_seed([1; 32]);
    let written = store.write_checkpoint(&key, Duration::ZERO).await.unwrap();
    assert!(matches!(
        written,
        hillpost_store::CheckpointWrite::Written(_)
    ));
    println!(
        "the first checkpoint (checking the whole chain, then signing): {:.2}s",
        signing.elapsed().as_secs_f64()
    );
}
