//! `hillpost keys generate | show`, the worker signing a checkpoint, `audit checkpoint` and
//! `audit verify --checkpoint` on a chain whose tail someone with database access cut.

use sqlx::{AssertSqlSafe, Connection};

use crate::support::Workspace;

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

fn workspace(database: Option<String>) -> Workspace {
    let ws = match database {
        Some(url) => Workspace::with_database(url),
        None => Workspace::new(),
    };
    ws.env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited")
        .env("HILLPOST__WORKER__POLL_INTERVAL", "50ms")
}

/// Deletes every event after `keep` and the stored checkpoints, and moves the head back to
/// the last event left: no hashing.
async fn cut_tail(url: &str, keep: i64) {
    let statements = format!(
        "DELETE FROM audit_events WHERE seq > {keep};
         DELETE FROM audit_checkpoints;
         UPDATE audit_head SET seq = {keep}, hash = (SELECT hash FROM audit_events WHERE seq = {keep});"
    );
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        let sql = format!(
            "DROP TRIGGER IF EXISTS audit_events_no_delete;
             DROP TRIGGER IF EXISTS audit_checkpoints_no_delete; {statements}"
        );
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let sql = format!(
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
             ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_append_only;
             {statements}"
        );
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

async fn sign_and_catch_a_cut(ws: Workspace) {
    let key = ws.path().join("signing.pem");
    let generated = ws
        .run(&["keys", "generate", "--out", key.to_str().unwrap()])
        .ok();
    let public = generated
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .expect("the public key is printed")
        .trim()
        .to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the key is its owner's only");
    }
    let again = ws
        .run(&["keys", "generate", "--out", key.to_str().unwrap()])
        .failed();
    assert!(again.stderr.contains("never replaced"), "{}", again.stderr);
    let ws = ws.env("HILLPOST__SIGNING__KEY_FILE", key.to_str().unwrap());

    ws.seed("individual", 6, STAFF);
    ws.run(&["batch", "create", "e2e"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();
    let shown = ws.run(&["keys", "show"]).ok();
    assert!(shown.stdout.contains(&public), "{}", shown.stdout);
    assert!(shown.stdout.contains("– now"), "{}", shown.stdout);

    let file = ws.path().join("checkpoint.json");
    ws.run(&["audit", "checkpoint", "--out", file.to_str().unwrap()])
        .ok();
    let checkpoint: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let seq = checkpoint["seq"].as_i64().expect("seq");
    assert!(seq >= 2, "the import and the batch at least: {checkpoint}");

    let intact = ws
        .run(&[
            "audit",
            "verify",
            "--checkpoint",
            file.to_str().unwrap(),
            "--key",
            &public,
        ])
        .ok();
    assert!(intact.stdout.contains("intact"), "{}", intact.stdout);

    // A checkpoint signed by another key is refused, naming the file.
    let other = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
    let refused = ws
        .run(&[
            "audit",
            "verify",
            "--checkpoint",
            file.to_str().unwrap(),
            "--key",
            other,
        ])
        .failed();
    assert!(
        refused.stderr.contains("checkpoint.json"),
        "{}",
        refused.stderr
    );

    cut_tail(&ws.database, seq - 1).await;
    let output = ws
        .command(&["audit", "verify", "--checkpoint", file.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains(&format!("BROKEN at seq {seq}")), "{stdout}");
    assert!(stdout.contains(&format!("covers seq {seq}")), "{stdout}");

    // Without the file, and with the attempts' events cut too, the rows whose events went
    // missing still give it away.
    cut_tail(&ws.database, (seq - 1).min(2)).await;
    let output = ws.command(&["audit", "verify"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("have no"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_checkpoint_catches_a_cut_tail_on_sqlite() {
    sign_and_catch_a_cut(workspace(None)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_checkpoint_catches_a_cut_tail_on_postgres() {
    let Some(schema) = hillpost_testkit::postgres::schema("e2e::checkpoints::postgres").await
    else {
        return;
    };
    sign_and_catch_a_cut(workspace(Some(schema.url.clone()))).await;
}
