//! `hillpost audit export | verify` on a batch the binary's worker delivered.

use sqlx::{AssertSqlSafe, Connection};

use crate::support::Workspace;

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

fn delivered_batch(ws: &Workspace) {
    ws.seed("individual", 12, STAFF);
    ws.run(&["batch", "create", "e2e"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();
}

fn workspace(database: Option<String>) -> Workspace {
    let ws = match database {
        Some(url) => Workspace::with_database(url),
        None => Workspace::new(),
    };
    ws.env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited")
        .env("HILLPOST__WORKER__POLL_INTERVAL", "50ms")
}

async fn export_and_verify(ws: Workspace) {
    delivered_batch(&ws);

    let jsonl = ws
        .run(&["audit", "export", "--batch", "1", "--format", "jsonl"])
        .ok();
    let lines: Vec<serde_json::Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    let store = ws.store().await;
    let deliveries = store
        .deliveries(hillpost_core::BatchId::new(1))
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 12);
    assert_eq!(lines.len(), 12, "one attempt each");
    for d in &deliveries {
        let line = lines
            .iter()
            .find(|l| l["delivery_id"] == d.id.get())
            .unwrap_or_else(|| panic!("delivery {} is not in the export", d.id));
        assert_eq!(line["recipient_name"], "Committee staff");
        assert_eq!(line["endpoint"], "staff@committee.example.org");
        assert_eq!(line["outcome"], "ok");
        assert_eq!(line["signer_id"], d.signature_id.unwrap().get());
        assert_eq!(line["sent_sha256"].as_str().map(str::len), Some(64));
        // The Message-ID the office's mail system got, as the attempt's audit event holds it.
        let message_id = line["receiver_id"].as_str().expect("a receiver id");
        assert!(
            message_id.starts_with('<') && message_id.ends_with("@hillpost.invalid>"),
            "{message_id}"
        );
        assert!(line["finished_at"].is_string());
    }
    let campaign = hillpost_core::CampaignId::parse("e2e").unwrap();
    for (_, signer) in store.signatures(&campaign).await.unwrap() {
        assert!(
            !jsonl.stdout.contains(signer.email.as_str()),
            "signer emails stay out"
        );
    }

    let out = ws.path().join("batch-1.csv");
    ws.run(&[
        "audit",
        "export",
        "--batch",
        "1",
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ])
    .ok();
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut rows = csv.lines();
    assert!(rows.next().unwrap().starts_with(
        "record,batch_id,delivery_id,recipient_key,recipient_name,channel,endpoint,signer_id"
    ));
    assert_eq!(rows.count(), 12);

    let missing = ws.run(&["audit", "export", "--batch", "99"]).failed();
    assert!(
        missing.stderr.contains("there is no batch 99"),
        "{}",
        missing.stderr
    );

    // import, batch created, 12 attempts, batch completed
    let intact = ws.run(&["audit", "verify"]).ok();
    assert!(
        intact.stdout.contains("audit chain intact: 15 event(s)"),
        "{}",
        intact.stdout
    );

    tamper(&ws.database, "UPDATE audit_events SET payload = replace(payload, '\"ok\"', '\"permanent\"') WHERE seq = 7").await;
    let output = ws.command(&["audit", "verify"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("BROKEN at seq 7"), "{stdout}");
    assert!(
        stdout.contains("6 event(s) before it check out"),
        "{stdout}"
    );
}

async fn tamper(url: &str, statement: &str) {
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        let sql = format!("DROP TRIGGER audit_events_no_update; {statement};");
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let sql = format!(
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; {statement};
             ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;"
        );
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_lists_every_delivery_and_verify_names_an_edited_event_on_sqlite() {
    export_and_verify(workspace(None)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_lists_every_delivery_and_verify_names_an_edited_event_on_postgres() {
    let Some(schema) = hillpost_testkit::postgres::schema("e2e::audit::postgres").await else {
        return;
    };
    export_and_verify(workspace(Some(schema.url.clone()))).await;
}
