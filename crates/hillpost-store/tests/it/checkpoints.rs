//! Signed checkpoints and the cross-check: someone with write access to the database who
//! cuts events from the end of the chain and moves its head back (no hashing needed) is
//! caught by a checkpoint kept elsewhere, naming the first missing seq, and by the rows
//! whose events are gone, without any checkpoint.

use hillpost_core::ids::*;
use std::time::Duration;

use chrono::Utc;
use hillpost_core::audit::{Anchor, Checkpoint, KeyList, SigningKey};
use hillpost_core::delivery::{AttemptOutcome, BatchAction, DeliveryState, Transition};
use hillpost_store::{
    AttemptRecord, CheckpointWrite, ClaimRequest, RateKeyPolicy, Store, TestClock,
};
use sqlx::{AssertSqlSafe, Connection};

use crate::support::running_batch;

fn key() -> SigningKey {
    SigningKey::from_seed([9; 32])
}

/// 3 signers × `offices` letters, each attempted once (ok): 2 + 3 × `offices` events.
async fn attempted(store: &Store, offices: usize) -> BatchId {
    let keys: Vec<String> = (0..offices).map(|i| format!("o{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let batch = running_batch(store, &keys).await;
    let policy = RateKeyPolicy::default();
    let claim = store
        .claim(&ClaimRequest {
            worker_id: "w1",
            limit: 10_000,
            lease: Duration::from_secs(30),
            key_lease: Duration::from_secs(30),
            exclude_keys: &[],
            policy: &policy,
            mark_sending_on_claim: &[],
        })
        .await
        .unwrap();
    let now = Utc::now();
    let records: Vec<_> = claim
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
            remote_text: None,
            sent_sha256: None,
            receiver_id: None,
            note: None,
            transition: Transition::finish(DeliveryState::Delivered),
        })
        .collect();
    store.record_attempts("w1", &records).await.unwrap();
    batch
}

/// What someone with write access does: the append-only triggers out of the way, then
/// `statements`. No hashes are computed.
async fn as_attacker(url: &str, statements: &str) {
    let sql = if url.starts_with("sqlite") {
        format!(
            "DROP TRIGGER IF EXISTS audit_events_no_delete; DROP TRIGGER IF EXISTS audit_checkpoints_no_delete; {statements}"
        )
    } else {
        format!(
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
             ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_append_only; {statements}"
        )
    };
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

/// Deletes the last `n` events and the stored checkpoints, and sets the head to the last
/// event left.
fn cut_tail(head: i64, n: i64) -> String {
    let keep = head - n;
    format!(
        "DELETE FROM audit_events WHERE seq > {keep};
         DELETE FROM audit_checkpoints;
         UPDATE audit_head SET seq = {keep},
                hash = COALESCE((SELECT hash FROM audit_events WHERE seq = {keep}),
                                '0000000000000000000000000000000000000000000000000000000000000000')"
    )
}

/// Signs a checkpoint now and returns its file's text, as an auditor would keep it.
async fn checkpoint_kept_outside(store: &Store) -> String {
    match store
        .write_checkpoint(&key(), Duration::ZERO)
        .await
        .unwrap()
    {
        CheckpointWrite::Written(checkpoint) => checkpoint.to_json(),
        other => panic!("no checkpoint written: {other:?}"),
    }
}

/// The kept file read back, its signature checked, as `audit verify --checkpoint` does.
fn anchor(file: &str) -> Anchor {
    let checkpoint = Checkpoint::parse(file).unwrap();
    checkpoint.verify(&KeyList::single(key().public())).unwrap();
    Anchor {
        head: checkpoint.head(),
        from: "checkpoint file".into(),
    }
}

both_backends!(
    a_cut_tail_is_found_by_a_checkpoint_and_by_the_cross_check,
    url
);
async fn a_cut_tail_is_found_by_a_checkpoint_and_by_the_cross_check(store: Store, url: String) {
    // 2 + 3 × 170 = 512 events: the last 500 are attempts.
    attempted(&store, 170).await;
    let file = checkpoint_kept_outside(&store).await;
    let report = store.verify_audit().await.unwrap();
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.head.seq, 512);
    assert_eq!(report.checkpoints, 1);

    // N = 1.
    as_attacker(&url, &cut_tail(512, 1)).await;
    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.broken, None, "the chain alone looks whole");
    assert!(!report.intact());
    assert_eq!(report.unrecorded.len(), 1, "{:?}", report.unrecorded);
    assert_eq!(report.unrecorded[0].table, "attempts");
    assert_eq!(report.unrecorded[0].count, 1);
    let report = store.verify_audit_with(vec![anchor(&file)]).await.unwrap();
    let broken = report.broken.expect("the checkpoint finds the cut");
    assert_eq!(broken.seq, 512, "{broken}");
    assert!(broken.problem.contains("covers seq 512"), "{broken}");

    // N = 500 from the original end (499 more).
    as_attacker(&url, &cut_tail(511, 499)).await;
    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.unrecorded[0].count, 500);
    let broken = store
        .verify_audit_with(vec![anchor(&file)])
        .await
        .unwrap()
        .broken
        .unwrap();
    assert_eq!(broken.seq, 13, "{broken}");

    // Everything, the head back at the start: the batch and its attempts remain.
    as_attacker(&url, &cut_tail(12, 12)).await;
    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.verified, 0);
    assert_eq!(report.broken, None);
    let tables: Vec<_> = report.unrecorded.iter().map(|u| u.table).collect();
    assert_eq!(tables, ["batches", "attempts"], "{:?}", report.unrecorded);
    assert_eq!(report.unrecorded[1].count, 510);
    let broken = store
        .verify_audit_with(vec![anchor(&file)])
        .await
        .unwrap()
        .broken
        .unwrap();
    assert_eq!(broken.seq, 1, "{broken}");
}

both_backends!(
    the_stored_checkpoints_alone_catch_a_cut_that_leaves_them,
    url
);
async fn the_stored_checkpoints_alone_catch_a_cut_that_leaves_them(store: Store, url: String) {
    attempted(&store, 2).await;
    checkpoint_kept_outside(&store).await;
    let sql = "DELETE FROM audit_events WHERE seq > 6;
         UPDATE audit_head SET seq = 6, hash = (SELECT hash FROM audit_events WHERE seq = 6)";
    as_attacker(&url, sql).await;
    let broken = store.verify_audit().await.unwrap().broken.unwrap();
    assert_eq!(broken.seq, 7, "{broken}");
    assert!(broken.problem.contains("stored checkpoint"), "{broken}");
}

both_backends!(
    checkpoints_are_written_once_per_interval_and_only_over_a_whole_chain,
    url
);
async fn checkpoints_are_written_once_per_interval_and_only_over_a_whole_chain(
    store: Store,
    url: String,
) {
    let hour = Duration::from_secs(3600);
    assert_eq!(
        store.write_checkpoint(&key(), hour).await.unwrap(),
        CheckpointWrite::NotDue,
        "an empty chain needs none"
    );
    let batch = attempted(&store, 1).await;
    let CheckpointWrite::Written(first) = store.write_checkpoint(&key(), hour).await.unwrap()
    else {
        panic!("the first is due at once");
    };
    assert_eq!((first.seq, first.count), (5, 5));
    first.verify(&KeyList::single(key().public())).unwrap();
    assert_eq!(
        store.latest_checkpoint().await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store
            .write_checkpoint(&key(), Duration::ZERO)
            .await
            .unwrap(),
        CheckpointWrite::NotDue,
        "nothing appended since"
    );
    store
        .control_batch(batch, BatchAction::Pause)
        .await
        .unwrap();
    store
        .control_batch(batch, BatchAction::Resume)
        .await
        .unwrap();
    assert_eq!(
        store.write_checkpoint(&key(), hour).await.unwrap(),
        CheckpointWrite::NotDue,
        "the last is younger than the interval"
    );

    // An event after the checkpoint edited: housekeeping signs nothing.
    let edit = if url.starts_with("sqlite") {
        "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET actor = 'x' WHERE seq = 7"
    } else {
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
         UPDATE audit_events SET actor = 'x' WHERE seq = 7"
    };
    as_attacker(&url, edit).await;
    match store
        .write_checkpoint(&key(), Duration::ZERO)
        .await
        .unwrap()
    {
        CheckpointWrite::Broken(link) => assert_eq!(link.seq, 7, "{link}"),
        other => panic!("signed a broken chain: {other:?}"),
    }
    assert_eq!(store.latest_checkpoint().await.unwrap(), Some(first));
}

both_backends!(rotating_the_key_keeps_the_old_one_with_its_validity, clock);
async fn rotating_the_key_keeps_the_old_one_with_its_validity(store: Store, clock: TestClock) {
    let old = SigningKey::from_seed([1; 32]);
    let new = SigningKey::from_seed([2; 32]);
    let keys = store.register_signing_key(old.public()).await.unwrap();
    assert_eq!(keys.keys.len(), 1);
    assert_eq!(keys.keys[0].valid_until, None);
    // Registering the same key again changes nothing.
    assert_eq!(
        store.register_signing_key(old.public()).await.unwrap(),
        keys
    );
    clock.advance(Duration::from_millis(5));
    let keys = store.register_signing_key(new.public()).await.unwrap();
    assert_eq!(keys.keys.len(), 2);
    assert_eq!(keys.keys[0].key_id, new.public().key_id(), "current first");
    assert_eq!(keys.keys[0].valid_until, None);
    let retired = &keys.keys[1];
    assert_eq!(retired.key_id, old.public().key_id());
    assert_eq!(retired.valid_until, Some(keys.keys[0].valid_from));

    // A signature by the old key counts while it was current, not after.
    let during = retired.valid_from + chrono::Duration::microseconds(1);
    let signature = old.sign(b"x");
    keys.verify(&retired.key_id, b"x", &signature, during)
        .unwrap();
    let after = keys.keys[0].valid_from + chrono::Duration::seconds(1);
    assert!(
        keys.verify(&retired.key_id, b"x", &signature, after)
            .is_err()
    );
    assert_eq!(store.signing_keys().await.unwrap(), keys);
}

both_backends!(
    a_payload_edited_into_no_json_is_a_broken_link_not_an_error,
    url
);
async fn a_payload_edited_into_no_json_is_a_broken_link_not_an_error(store: Store, url: String) {
    attempted(&store, 1).await;
    let edit = if url.starts_with("sqlite") {
        "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET payload = '{not json' WHERE seq = 2"
    } else {
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
         UPDATE audit_events SET payload = '{not json' WHERE seq = 2"
    };
    as_attacker(&url, edit).await;
    let report = store.verify_audit().await.expect("checked, not failed");
    assert_eq!(report.broken.expect("broken").seq, 2);
}

both_backends!(a_delivery_event_whose_audit_event_was_cut_is_reported, url);
async fn a_delivery_event_whose_audit_event_was_cut_is_reported(store: Store, url: String) {
    running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let claim = store
        .claim(&ClaimRequest {
            worker_id: "w1",
            limit: 1,
            lease: Duration::from_secs(30),
            key_lease: Duration::from_secs(30),
            exclude_keys: &[],
            policy: &policy,
            mark_sending_on_claim: &[],
        })
        .await
        .unwrap();
    let d = &claim.deliveries[0];
    let now = Utc::now();
    // A gateway's maintenance window: a wait without an attempt, a delivery event.
    let waited = AttemptRecord {
        delivery_id: d.id,
        attempt_no: d.attempt_no,
        started_at: now,
        finished_at: now,
        outcome: AttemptOutcome::Transient,
        endpoint: d.endpoint.clone(),
        remote_code: None,
        remote_text: None,
        sent_sha256: None,
        receiver_id: None,
        note: None,
        transition: Transition {
            deferred: Some("the gateway is in its maintenance window".into()),
            is_attempt: false,
            spends_budget: false,
            ..Transition::retry_after(Duration::from_secs(60))
        },
    };
    store.record_attempts("w1", &[waited]).await.unwrap();
    let report = store.verify_audit().await.unwrap();
    assert!(report.intact(), "{report:?}");
    let head = report.head.seq;

    as_attacker(&url, &cut_tail(head, 1)).await;
    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.unrecorded.len(), 1, "{:?}", report.unrecorded);
    assert_eq!(report.unrecorded[0].table, "delivery_events");
}
