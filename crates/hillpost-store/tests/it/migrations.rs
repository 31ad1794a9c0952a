//! A database an earlier version made keeps its rows through the migrations that came after
//! it: SQLite's rebuild of `deliveries` and `attempts` (0011) loses nothing and keeps the
//! foreign keys, and letters an `unknown` attempt may have delivered are marked so.

use hillpost_core::ids::*;
use std::path::Path;

use hillpost_core::delivery::{AttemptOutcome, DeliveryState};
use hillpost_store::Store;
use sqlx::migrate::Migrator;

/// The backend's migrations numbered below `before`, in a folder of their own.
fn migrations_before(backend: &str, before: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = hillpost_testkit::repo_root()
        .join("migrations")
        .join(backend);
    for entry in std::fs::read_dir(&source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let number: u32 = name[..4].parse().expect("numbered");
        if number < before {
            std::fs::copy(&path, dir.path().join(&name)).expect("copy");
        }
    }
    dir
}

async fn old_migrator(backend: &str) -> (Migrator, tempfile::TempDir) {
    let dir = migrations_before(backend, 11);
    let migrator = Migrator::new(Path::new(dir.path()))
        .await
        .expect("the old migrations");
    (migrator, dir)
}

/// One batch with two deliveries: one delivered, one dead after an `unknown` attempt.
const SQLITE_ROWS: &[&str] = &[
    "INSERT INTO campaigns VALUES ('c', 't', 'o', 'individual', '{}', 0, 0)",
    "INSERT INTO batches (id, campaign_id, state, mode, start_at, signature_count, created_at, updated_at, finished_at)
     VALUES (1, 'c', 'completed', 'individual', 0, 1, 0, 0, 1)",
    "INSERT INTO recipients (id, batch_id, key, name) VALUES (1, 1, 'custom:a', 'A')",
    "INSERT INTO messages (id, batch_id, sha256, language, subject, body_markdown) VALUES (1, 1, 's', 'en', 'S', 'B')",
    "INSERT INTO deliveries (id, batch_id, recipient_id, message_id, channel, endpoint, rate_key, idempotency_key,
                             state, attempts, max_attempts, due_at, created_at, finalized_at)
     VALUES (1, 1, 1, 1, 'email', 'a@a.example', 'a.example', 'k1', 'delivered', 1, 3, 0, 0, 1),
            (2, 1, 1, 1, 'email', 'a@a.example', 'a.example', 'k2', 'dead', 3, 3, 0, 0, 1)",
    "INSERT INTO attempts (delivery_id, attempt_no, worker_id, started_at, finished_at, outcome, endpoint, duration_ms)
     VALUES (1, 1, 'w', 0, 1, 'ok', 'a@a.example', 1),
            (2, 1, 'w', 0, 1, 'unknown', 'a@a.example', 1)",
];

const POSTGRES_ROWS: &[&str] = &[
    "INSERT INTO campaigns (id, title, organization, mode, definition) VALUES ('c', 't', 'o', 'individual', '{}')",
    "INSERT INTO batches (id, campaign_id, state, mode, start_at, signature_count, finished_at)
     OVERRIDING SYSTEM VALUE VALUES (1, 'c', 'completed', 'individual', now(), 1, now())",
    "INSERT INTO recipients (id, batch_id, key, name) OVERRIDING SYSTEM VALUE VALUES (1, 1, 'custom:a', 'A')",
    "INSERT INTO messages (id, batch_id, sha256, language, subject, body_markdown)
     OVERRIDING SYSTEM VALUE VALUES (1, 1, 's', 'en', 'S', 'B')",
    "INSERT INTO deliveries (id, batch_id, recipient_id, message_id, channel, endpoint, rate_key, idempotency_key,
                             state, attempts, max_attempts, due_at, finalized_at)
     OVERRIDING SYSTEM VALUE
     VALUES (1, 1, 1, 1, 'email', 'a@a.example', 'a.example', 'k1', 'delivered', 1, 3, now(), now()),
            (2, 1, 1, 1, 'email', 'a@a.example', 'a.example', 'k2', 'dead', 3, 3, now(), now())",
    "INSERT INTO attempts (delivery_id, attempt_no, worker_id, started_at, finished_at, outcome, endpoint, duration_ms)
     VALUES (1, 1, 'w', now(), now(), 'ok', 'a@a.example', 1),
            (2, 1, 'w', now(), now(), 'unknown', 'a@a.example', 1)",
];

async fn rows_survive(store: &Store) {
    let deliveries = store.deliveries(BatchId::new(1)).await.expect("deliveries");
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].state, DeliveryState::Delivered);
    assert!(!deliveries[0].possibly_accepted);
    assert_eq!(deliveries[1].state, DeliveryState::Dead);
    assert!(
        deliveries[1].possibly_accepted,
        "an `unknown` attempt may have delivered it"
    );
    let attempts = store
        .batch_attempts(BatchId::new(1))
        .await
        .expect("attempts");
    let outcomes: Vec<_> = attempts.iter().map(|a| a.outcome).collect();
    assert_eq!(outcomes, [AttemptOutcome::Ok, AttemptOutcome::Unknown]);
}

#[tokio::test]
async fn an_earlier_sqlite_database_keeps_its_rows_and_keys() {
    use sqlx::Executor;
    let db = hillpost_testkit::sqlite::database();
    let (old, _dir) = old_migrator("sqlite").await;
    {
        let pool = sqlx::SqlitePool::connect(&format!("{}?mode=rwc", db.url))
            .await
            .expect("pool");
        old.run(&pool).await.expect("the old schema");
        for sql in SQLITE_ROWS {
            pool.execute(*sql).await.expect("old rows");
        }
        pool.close().await;
    }
    let store = Store::connect(&db.url).await.expect("migrated");
    rows_survive(&store).await;
    older_rows_need_no_events(&store).await;
    store.close().await;
    // The rebuilt tables still refuse what the old ones refused.
    let pool = sqlx::SqlitePool::connect_with(
        db.url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .unwrap()
            .foreign_keys(true),
    )
    .await
    .unwrap();
    let orphan = pool
        .execute(
            "INSERT INTO attempts (delivery_id, attempt_no, worker_id, started_at, finished_at, outcome, endpoint, duration_ms)
             VALUES (99, 1, 'w', 0, 1, 'ok', 'x', 1)",
        )
        .await;
    assert!(orphan.is_err(), "attempts still reference deliveries");
    let edit = pool.execute("UPDATE attempts SET outcome = 'ok'").await;
    assert!(edit.is_err(), "attempts are still append-only");
}

#[tokio::test]
async fn an_earlier_postgres_database_keeps_its_rows() {
    use sqlx::Executor;
    let test = "it::migrations::postgres";
    let Some(schema) = hillpost_testkit::postgres::schema(test).await else {
        return;
    };
    let (old, _dir) = old_migrator("postgres").await;
    {
        let pool = hillpost_testkit::postgres::pool(&schema).await;
        old.run(&pool).await.expect("the old schema");
        for sql in POSTGRES_ROWS {
            pool.execute(*sql).await.expect("old rows");
        }
        pool.close().await;
    }
    let store = Store::connect(&schema.url).await.expect("migrated");
    rows_survive(&store).await;
    older_rows_need_no_events(&store).await;
}

/// Rows from before the audit trail have no events: the cross-check leaves them out (and
/// only them), so an earlier database still verifies.
async fn older_rows_need_no_events(store: &Store) {
    let report = store.verify_audit().await.expect("verify");
    assert!(report.intact(), "{report:?}");
}

/// A chain an earlier version wrote (the events of the rows above, sealed as that version
/// sealed them): after the migrations it verifies, the cross-check finds every row's
/// event, and the first checkpoint seals it.
fn earlier_chain() -> (
    Vec<hillpost_core::audit::ChainedEvent>,
    hillpost_core::audit::ChainHead,
) {
    use hillpost_core::audit::{ChainHead, EventKind, NewEvent, Subjects, seal};
    let at = chrono::Utc::now();
    let batch = |kind| NewEvent {
        kind,
        actor: "cli:old".into(),
        subjects: Subjects {
            campaign_id: Some("c".into()),
            batch_id: Some(hillpost_core::BatchId::new(1)),
            ..Subjects::default()
        },
        payload: serde_json::json!({ "state": "running" }),
    };
    let attempt = |id: i64| NewEvent {
        kind: EventKind::AttemptRecorded,
        actor: "worker:w".into(),
        subjects: Subjects {
            campaign_id: None,
            batch_id: Some(hillpost_core::BatchId::new(1)),
            delivery_id: Some(id.into()),
            attempt_id: Some(id.into()),
        },
        payload: serde_json::json!({ "outcome": "ok", "sent_sha256": null }),
    };
    seal(
        &ChainHead::genesis(),
        at,
        vec![batch(EventKind::BatchCreated), attempt(1), attempt(2)],
    )
}

async fn an_earlier_chain_verifies_and_is_sealed_by_a_first_checkpoint(store: &Store) {
    let report = store.verify_audit().await.expect("verify");
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.verified, 3);
    let key = hillpost_core::audit::SigningKey::from_seed([2; 32]);
    match store
        .write_checkpoint(&key, std::time::Duration::from_secs(60))
        .await
        .expect("checkpoint")
    {
        hillpost_store::CheckpointWrite::Written(checkpoint) => assert_eq!(checkpoint.seq, 3),
        other => panic!("the earlier chain was not sealed: {other:?}"),
    }
}

#[tokio::test]
async fn an_earlier_sqlite_chain_still_verifies() {
    use sqlx::Executor;
    let db = hillpost_testkit::sqlite::database();
    let dir = migrations_before("sqlite", 16);
    let old = Migrator::new(Path::new(dir.path()))
        .await
        .expect("migrations");
    {
        let pool = sqlx::SqlitePool::connect(&format!("{}?mode=rwc", db.url))
            .await
            .expect("pool");
        old.run(&pool).await.expect("the old schema");
        for sql in SQLITE_ROWS {
            pool.execute(*sql).await.expect("old rows");
        }
        let (events, head) = earlier_chain();
        for e in &events {
            sqlx::query(
                "INSERT INTO audit_events (seq, at, kind, actor, campaign_id, batch_id, delivery_id, attempt_id,
                        payload, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .bind(e.seq)
            .bind(e.at.timestamp_millis())
            .bind(&e.kind)
            .bind(&e.actor)
            .bind(&e.subjects.campaign_id)
            .bind(e.subjects.batch_id.map(i64::from))
            .bind(e.subjects.delivery_id.map(i64::from))
            .bind(e.subjects.attempt_id.map(i64::from))
            .bind(&e.payload)
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .execute(&pool)
            .await
            .expect("an old event");
        }
        sqlx::query("UPDATE audit_head SET seq = ?1, hash = ?2")
            .bind(head.seq)
            .bind(&head.hash)
            .execute(&pool)
            .await
            .expect("the old head");
        pool.close().await;
    }
    let store = Store::connect(&db.url).await.expect("migrated");
    an_earlier_chain_verifies_and_is_sealed_by_a_first_checkpoint(&store).await;
    store.close().await;
}

#[tokio::test]
async fn an_earlier_postgres_chain_still_verifies() {
    use sqlx::Executor;
    let Some(schema) = hillpost_testkit::postgres::schema("it::migrations::chain").await else {
        return;
    };
    let dir = migrations_before("postgres", 16);
    let old = Migrator::new(Path::new(dir.path()))
        .await
        .expect("migrations");
    {
        let pool = hillpost_testkit::postgres::pool(&schema).await;
        old.run(&pool).await.expect("the old schema");
        for sql in POSTGRES_ROWS {
            pool.execute(*sql).await.expect("old rows");
        }
        let (events, head) = earlier_chain();
        for e in &events {
            sqlx::query(
                "INSERT INTO audit_events (seq, at, kind, actor, campaign_id, batch_id, delivery_id, attempt_id,
                        payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(e.seq)
            .bind(e.at)
            .bind(&e.kind)
            .bind(&e.actor)
            .bind(&e.subjects.campaign_id)
            .bind(e.subjects.batch_id.map(i64::from))
            .bind(e.subjects.delivery_id.map(i64::from))
            .bind(e.subjects.attempt_id.map(i64::from))
            .bind(&e.payload)
            .bind(&e.prev_hash)
            .bind(&e.hash)
            .execute(&pool)
            .await
            .expect("an old event");
        }
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2")
            .bind(head.seq)
            .bind(&head.hash)
            .execute(&pool)
            .await
            .expect("the old head");
        pool.close().await;
    }
    let store = Store::connect(&schema.url).await.expect("migrated");
    an_earlier_chain_verifies_and_is_sealed_by_a_first_checkpoint(&store).await;
}
