//! `hillpost tokens` and `hillpost serve --with-worker`: the binary as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::support::{Workspace, eml_files};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_worker_delivers_a_batch_created_through_the_api() {
    let ws = Workspace::new()
        .env("HILLPOST__SERVER__LISTEN", "127.0.0.1:0")
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited");
    ws.seed(
        "individual",
        3,
        ("Committee staff", "staff@committee.example.org"),
    );

    let refused = ws
        .run(&["tokens", "create", "--role", "organizer"])
        .failed();
    assert!(
        refused.stderr.contains("needs an organization"),
        "{}",
        refused.stderr
    );
    let created = ws
        .run(&[
            "tokens",
            "create",
            "--role",
            "organizer",
            "--organization",
            "Test Peace Coalition",
            "--label",
            "e2e",
        ])
        .ok();
    let secret = created.stdout.trim().to_string();
    assert!(secret.starts_with("hp_") && secret.len() == 67, "{secret}");
    let listed = ws.run(&["tokens", "list"]).ok();
    assert!(
        listed.stdout.contains("Test Peace Coalition"),
        "{}",
        listed.stdout
    );
    assert!(
        !listed.stdout.contains(&secret[3..]),
        "the secret is never listed"
    );

    let mut server = ws
        .command(&["serve", "--with-worker"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start hillpost serve");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the listening line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let created = client
        .post(format!("{base}/api/v1/campaigns/e2e/batches"))
        .bearer_auth(&secret)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = serde_json::from_slice(&created.bytes().await.unwrap()).unwrap();
    let batch = body["batch"]["id"].as_i64().unwrap();
    hillpost_testkit::poll_until("the batch to complete", Duration::from_secs(60), || async {
        let status: serde_json::Value = serde_json::from_slice(
            &client
                .get(format!("{base}/api/v1/batches/{batch}"))
                .bearer_auth(&secret)
                .send()
                .await
                .ok()?
                .bytes()
                .await
                .ok()?,
        )
        .ok()?;
        (status["batch"]["state"] == "completed").then_some(())
    })
    .await;
    assert_eq!(eml_files(&ws.path().join("outbox")).len(), 3);

    ws.run(&["tokens", "revoke", "1"]).ok();
    let refused = client
        .get(format!("{base}/api/v1/campaigns"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    server.kill().expect("stop the server");
    let _ = server.wait();
}
