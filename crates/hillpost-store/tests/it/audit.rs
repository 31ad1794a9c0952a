//! The audit chain: every change appends an event, an edited or deleted event is named by
//! `verify_audit`, concurrent appenders keep one chain, and the export lists every delivery.

use hillpost_core::ids::*;
use std::time::Duration;

use chrono::Utc;
use hillpost_core::delivery::{AttemptOutcome, BatchAction, DeliveryState, Transition};
use hillpost_store::{
    AttemptRecord, ClaimRequest, ClaimedDelivery, RateKeyPolicy, Store, TestClock,
};
use sqlx::{AssertSqlSafe, Connection};

use crate::support::{request, running_batch};

fn record(d: &ClaimedDelivery, outcome: AttemptOutcome, next: Transition) -> AttemptRecord {
    let now = Utc::now();
    AttemptRecord {
        delivery_id: d.id,
        attempt_no: d.attempt_no,
        started_at: now,
        finished_at: now,
        outcome,
        endpoint: d.endpoint.clone(),
        remote_code: Some(250),
        remote_text: Some("2.0.0 queued as 4F2".into()),
        sent_sha256: Some(format!("{:064x}", d.id.get())),
        receiver_id: None,
        note: None,
        transition: next,
    }
}

fn delivered() -> Transition {
    Transition::finish(DeliveryState::Delivered)
}

/// Runs `sql` (several statements allowed) on a connection of its own, outside the store.
async fn raw(url: &str, sql: String) {
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

/// `statement` with the append-only triggers out of the way (what someone with direct
/// database access could do), then back in place.
async fn tamper(url: &str, statement: &str) {
    let sql = if url.starts_with("sqlite") {
        format!(
            "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; {statement};
             CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
             BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: rows are never updated or deleted'); END;
             CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
             BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: rows are never updated or deleted'); END;"
        )
    } else {
        format!(
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; {statement};
             ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;"
        )
    };
    raw(url, sql).await;
}

async fn kinds(url: &str) -> Vec<String> {
    let sql = "SELECT kind FROM audit_events ORDER BY seq";
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    }
}

/// A batch of 3 signers × `keys` recipients, every delivery attempted once (ok) by one
/// worker in one group.
async fn attempted_batch(store: &Store, keys: &[&str]) -> BatchId {
    let batch = running_batch(store, keys).await;
    let policy = RateKeyPolicy::default();
    let claim = store.claim(&request("w1", 100, &policy)).await.unwrap();
    let records: Vec<_> = claim
        .deliveries
        .iter()
        .map(|d| record(d, AttemptOutcome::Ok, delivered()))
        .collect();
    store.record_attempts("w1", &records).await.unwrap();
    batch
}

both_backends!(every_change_appends_one_chained_event, url);
async fn every_change_appends_one_chained_event(store: Store, url: String) {
    let batch = running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let claim = store.claim(&request("w1", 2, &policy)).await.unwrap();
    let records = vec![
        record(&claim.deliveries[0], AttemptOutcome::Ok, delivered()),
        record(
            &claim.deliveries[1],
            AttemptOutcome::Transient,
            Transition::retry_after(Duration::ZERO),
        ),
    ];
    store.record_attempts("w1", &records).await.unwrap();
    store
        .control_batch_by(batch, BatchAction::Pause, "cli:organizer")
        .await
        .unwrap();
    store
        .control_batch(batch, BatchAction::Resume)
        .await
        .unwrap();
    store
        .control_batch(batch, BatchAction::Cancel)
        .await
        .unwrap();

    assert_eq!(
        kinds(&url).await,
        [
            "import.committed",
            "batch.created",
            "attempt.recorded",
            "attempt.recorded",
            "batch.paused",
            "batch.resumed",
            "batch.cancelled"
        ]
    );
    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.broken, None);
    assert_eq!(report.verified, 7);
    assert_eq!(report.head.seq, 7);

    // An attempt's event says what was sent to whom, and names the signer only by id.
    let sql =
        "SELECT actor, payload FROM audit_events WHERE kind = 'attempt.recorded' ORDER BY seq";
    let rows: Vec<(String, String)> = if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap()
    };
    assert_eq!(rows[0].0, "worker:w1");
    let payload: serde_json::Value = serde_json::from_str(&rows[0].1).unwrap();
    assert_eq!(payload["recipient"], "custom:a");
    assert_eq!(payload["endpoint"], "a@a.example.org");
    assert_eq!(payload["channel"], "email");
    assert_eq!(payload["outcome"], "ok");
    assert_eq!(payload["remote_code"], 250);
    assert_eq!(payload["delivery_state"], "delivered");
    assert_eq!(
        payload["sent_sha256"],
        format!("{:064x}", claim.deliveries[0].id.get())
    );
    assert!(payload["signer_id"].is_i64());
    for (_, payload) in &rows {
        for pii in ["ana@example.org", "López", "Lima", "bob@", "Smith"] {
            assert!(!payload.contains(pii), "{pii} in {payload}");
        }
    }
}

both_backends!(the_append_only_triggers_refuse_edits, url);
async fn the_append_only_triggers_refuse_edits(store: Store, url: String) {
    running_batch(&store, &["a"]).await;
    for sql in [
        "UPDATE audit_events SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 2",
    ] {
        let refused = if url.starts_with("sqlite") {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap_err()
        } else {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap_err()
        };
        assert!(refused.to_string().contains("append-only"), "{refused}");
    }
}

both_backends!(editing_any_stored_event_breaks_the_chain_at_that_event, url);
async fn editing_any_stored_event_breaks_the_chain_at_that_event(store: Store, url: String) {
    attempted_batch(&store, &["a", "b"]).await;
    let head = store.verify_audit().await.unwrap().head;
    assert_eq!(head.seq, 8, "import, batch, 6 attempts");
    let at = if url.starts_with("sqlite") {
        "at = at + 1"
    } else {
        "at = at + interval '1 millisecond'"
    };
    let at_back = if url.starts_with("sqlite") {
        "at = at - 1"
    } else {
        "at = at - interval '1 millisecond'"
    };
    // (edit, undo) for every column an event has; the first ones apply to any event.
    let edits = [
        (
            "payload = replace(payload, ',', ', ')",
            "payload = replace(payload, ', ', ',')",
        ),
        ("actor = upper(actor)", "actor = lower(actor)"),
        ("kind = upper(kind)", "kind = lower(kind)"),
        (at, at_back),
        (
            "prev_hash = 'f' || prev_hash",
            "prev_hash = substr(prev_hash, 2)",
        ),
        ("hash = 'f' || hash", "hash = substr(hash, 2)"),
        (
            "payload = replace(payload, '\"ok\"', '\"permanent\"')",
            "payload = replace(payload, '\"permanent\"', '\"ok\"')",
        ),
        ("batch_id = batch_id + 1", "batch_id = batch_id - 1"),
        (
            "delivery_id = delivery_id + 1",
            "delivery_id = delivery_id - 1",
        ),
        (
            "attempt_id = attempt_id + 1000",
            "attempt_id = attempt_id - 1000",
        ),
    ];
    // Every column of attempt events (seq 3–8); the import's and the batch's events (whose
    // delivery and attempt columns are empty) in every column they fill.
    let cases = [3, 5, 8]
        .into_iter()
        .flat_map(|seq| edits.iter().map(move |e| (seq, *e)))
        .chain(
            [1, 2]
                .into_iter()
                .flat_map(|seq| edits[..6].iter().map(move |e| (seq, *e))),
        );
    for (seq, (edit, undo)) in cases {
        {
            tamper(
                &url,
                &format!("UPDATE audit_events SET {edit} WHERE seq = {seq}"),
            )
            .await;
            let report = store.verify_audit().await.unwrap();
            let broken = report
                .broken
                .unwrap_or_else(|| panic!("`{edit}` at seq {seq} went unnoticed"));
            assert_eq!(broken.seq, seq, "`{edit}`: {broken}");
            assert_eq!(report.verified, (seq - 1) as u64);
            tamper(
                &url,
                &format!("UPDATE audit_events SET {undo} WHERE seq = {seq}"),
            )
            .await;
            assert_eq!(
                store.verify_audit().await.unwrap().broken,
                None,
                "undoing `{edit}`"
            );
        }
    }
}

both_backends!(deleting_an_event_is_found_where_it_was, url);
async fn deleting_an_event_is_found_where_it_was(store: Store, url: String) {
    attempted_batch(&store, &["a"]).await;
    assert_eq!(store.verify_audit().await.unwrap().head.seq, 5);

    tamper(&url, "DELETE FROM audit_events WHERE seq = 5").await;
    let broken = store.verify_audit().await.unwrap().broken.unwrap();
    assert_eq!(broken.seq, 5, "{broken}");
    assert!(broken.problem.contains("deleted"), "{broken}");

    tamper(&url, "DELETE FROM audit_events WHERE seq = 2").await;
    let report = store.verify_audit().await.unwrap();
    let broken = report.broken.unwrap();
    assert_eq!(broken.seq, 2, "{broken}");
    assert_eq!(report.verified, 1);
}

both_backends!(two_stores_appending_at_once_keep_one_chain, url);
async fn two_stores_appending_at_once_keep_one_chain(store: Store, url: String) {
    let keys: Vec<String> = (0..10).map(|i| format!("k{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let batch = running_batch(&store, &keys).await;
    let other = Store::connect(&url).await.unwrap();
    let policy = RateKeyPolicy::default();
    let first = store
        .claim(&request("w1", 15, &policy))
        .await
        .unwrap()
        .deliveries;
    let second = other
        .claim(&request("w2", 15, &policy))
        .await
        .unwrap()
        .deliveries;
    assert_eq!(first.len() + second.len(), 30);

    async fn record_each(store: &Store, worker: &str, claimed: &[ClaimedDelivery]) {
        for d in claimed {
            let records = [record(d, AttemptOutcome::Ok, delivered())];
            store.record_attempts(worker, &records).await.unwrap();
        }
    }
    async fn toggle(store: &Store, batch: BatchId) {
        for _ in 0..5 {
            store
                .control_batch(batch, BatchAction::Pause)
                .await
                .unwrap();
            store
                .control_batch(batch, BatchAction::Resume)
                .await
                .unwrap();
        }
    }
    tokio::join!(
        record_each(&store, "w1", &first),
        record_each(&other, "w2", &second),
        toggle(&other, batch),
    );

    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.broken, None);
    // import + batch + 30 attempts + 10 pauses and resumes
    assert_eq!(report.verified, 42);
    assert_eq!(report.head.seq, 42);
    other.close().await;
}

both_backends!(
    housekeeping_appends_starts_lost_attempts_and_completions,
    clock,
    url
);
async fn housekeeping_appends_starts_lost_attempts_and_completions(
    store: Store,
    clock: TestClock,
    url: String,
) {
    running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let short = ClaimRequest {
        lease: Duration::from_millis(1),
        ..request("lost", 3, &policy)
    };
    let claim = store.claim(&short).await.unwrap().deliveries;
    let marks: Vec<(DeliveryId, hillpost_core::AttemptNo)> =
        claim.iter().map(|d| (d.id, d.attempt_no)).collect();
    store.mark_sending("lost", &marks).await.unwrap();
    clock.advance(Duration::from_millis(20));
    assert_eq!(crate::support::housekeeping(&store).await.recovered, 3);
    let again = store
        .claim(&request("w2", 3, &policy))
        .await
        .unwrap()
        .deliveries;
    let records: Vec<_> = again
        .iter()
        .map(|d| record(d, AttemptOutcome::Ok, delivered()))
        .collect();
    store.record_attempts("w2", &records).await.unwrap();
    assert_eq!(
        crate::support::housekeeping(&store).await.completed.len(),
        1
    );

    let kinds = kinds(&url).await;
    assert_eq!(kinds.iter().filter(|k| *k == "attempt.recorded").count(), 6);
    assert_eq!(kinds.last().map(String::as_str), Some("batch.completed"));
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
}

both_backends!(the_export_lists_every_delivery_and_every_attempt);
async fn the_export_lists_every_delivery_and_every_attempt(store: Store) {
    let batch = running_batch(&store, &["a", "b"]).await;
    let policy = RateKeyPolicy::default();
    let claim = store
        .claim(&request("w1", 4, &policy))
        .await
        .unwrap()
        .deliveries;
    let mut records = vec![record(
        &claim[0],
        AttemptOutcome::Transient,
        Transition::retry_after(Duration::ZERO),
    )];
    records.extend(
        claim[1..]
            .iter()
            .map(|d| record(d, AttemptOutcome::Ok, delivered())),
    );
    store.record_attempts("w1", &records).await.unwrap();
    let rest = store
        .claim(&request("w1", 10, &policy))
        .await
        .unwrap()
        .deliveries;
    let (retry, untouched): (Vec<_>, Vec<_>) = rest.into_iter().partition(|d| d.id == claim[0].id);
    store
        .record_attempts("w1", &[record(&retry[0], AttemptOutcome::Ok, delivered())])
        .await
        .unwrap();
    let untouched: Vec<DeliveryId> = untouched.iter().map(|d| d.id).collect();
    assert_eq!(store.release("w1", &untouched).await.unwrap(), 2);
    store
        .control_batch(batch, BatchAction::Cancel)
        .await
        .unwrap();

    let lines = store.audit_export(batch).await.unwrap();
    let deliveries = store.deliveries(batch).await.unwrap();
    assert_eq!(deliveries.len(), 6);
    for d in &deliveries {
        assert!(
            lines.iter().any(|l| l.delivery_id == d.id),
            "delivery {} missing",
            d.id
        );
    }
    assert_eq!(
        lines.len(),
        5 + 2,
        "5 attempts, 2 cancelled deliveries never attempted"
    );
    let retried: Vec<_> = lines
        .iter()
        .filter(|l| l.delivery_id == claim[0].id)
        .collect();
    assert_eq!(retried.len(), 2);
    assert_eq!(retried[0].outcome.as_deref(), Some("transient"));
    assert_eq!(retried[1].outcome.as_deref(), Some("ok"));
    assert_eq!(
        retried[1].attempt_no,
        Some(hillpost_core::AttemptNo::new(2))
    );
    assert_eq!(retried[1].remote_code, Some(250));
    assert_eq!(
        retried[1].sent_sha256.as_deref(),
        Some(format!("{:064x}", claim[0].id.get()).as_str())
    );
    assert!(retried[1].signer_id.is_some());
    assert_eq!(
        retried[1].signature_count, None,
        "individual mode names the signer"
    );
    let cancelled: Vec<_> = lines
        .iter()
        .filter(|l| l.delivery_state == "cancelled")
        .collect();
    assert_eq!(cancelled.len(), 2);
    assert!(
        cancelled
            .iter()
            .all(|l| l.attempt_no.is_none() && l.outcome.is_none())
    );
    assert!(store.audit_export(BatchId::new(9_999)).await.is_err());
}

both_backends!(
    the_attempt_event_and_the_export_name_what_the_receiver_knows_it_by,
    url
);
async fn the_attempt_event_and_the_export_name_what_the_receiver_knows_it_by(
    store: Store,
    url: String,
) {
    let batch = running_batch(&store, &["a"]).await;
    let policy = RateKeyPolicy::default();
    let claim = store.claim(&request("w1", 3, &policy)).await.unwrap();
    let mut records: Vec<_> = claim
        .deliveries
        .iter()
        .map(|d| record(d, AttemptOutcome::Ok, delivered()))
        .collect();
    records[0].receiver_id = Some("<k1@letters.example.org>".into());
    store.record_attempts("w1", &records).await.unwrap();

    let sql = "SELECT payload FROM audit_events WHERE kind = 'attempt.recorded' ORDER BY seq";
    let payloads: Vec<String> = if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    };
    let first: serde_json::Value = serde_json::from_str(&payloads[0]).unwrap();
    assert_eq!(first["receiver_id"], "<k1@letters.example.org>");
    let second: serde_json::Value = serde_json::from_str(&payloads[1]).unwrap();
    assert!(second["receiver_id"].is_null());

    let lines = store.audit_export(batch).await.unwrap();
    let named = |id: i64| {
        lines
            .iter()
            .find(|l| l.delivery_id == id.into() && l.record == "attempt")
            .and_then(|l| l.receiver_id.clone())
    };
    assert_eq!(
        named(claim.deliveries[0].id.get()).as_deref(),
        Some("<k1@letters.example.org>")
    );
    assert_eq!(named(claim.deliveries[1].id.get()), None);
    assert!(store.verify_audit().await.unwrap().intact());
}
