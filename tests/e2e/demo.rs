use hillpost_testkit::smtp::ParsedEmail;

use crate::support::{Workspace, eml_files, has_count};

#[test]
fn the_demo_delivers_the_bundled_campaign_into_an_outbox() {
    let ws = Workspace::new();
    let run = ws.run(&["demo", "--dir", "demo"]).ok();
    assert!(
        run.stdout.contains(
            "1937 signatures imported from 1949 rows (12 duplicates kept out, 0 rejected)"
        ),
        "{}",
        run.stdout
    );
    assert!(has_count(&run.stdout, "delivered", 3874), "{}", run.stdout);
    // The closing hint names a command that works from the checkout: `cargo run --release
    // -- ARGS`, where ARGS are this binary's.
    let hint = run
        .stdout
        .lines()
        .find(|l| l.contains("batch status"))
        .expect("a hint to look at the batch");
    let args: Vec<&str> = hint
        .trim()
        .strip_prefix("cargo run --release -- ")
        .unwrap_or_else(|| panic!("not a cargo run command: {hint}"))
        .split_whitespace()
        .collect();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_hillpost"))
        .current_dir(ws.path())
        .args(&args)
        .output()
        .expect("run the hint");
    assert!(output.status.success(), "{hint}: {output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("delivered"));
    let letters = eml_files(&ws.path().join("demo/outbox"));
    assert_eq!(letters.len(), 3874);
    let spanish = letters
        .iter()
        .map(|p| ParsedEmail::parse(std::fs::read(p).unwrap()).unwrap())
        .find(|m| m.header("Content-Language") == Some("es"))
        .expect("Spanish letters");
    assert_eq!(
        spanish.header("Subject"),
        Some("Retiren las tropas estadounidenses del Perú")
    );
    assert!(
        spanish
            .text
            .as_deref()
            .unwrap()
            .contains("El Perú necesita democracia")
    );

    // Running it again starts from scratch rather than adding to the last run.
    let again = ws.run(&["demo", "--dir", "demo"]).ok();
    assert!(
        has_count(&again.stdout, "delivered", 3874),
        "{}",
        again.stdout
    );
    assert_eq!(eml_files(&ws.path().join("demo/outbox")).len(), 3874);
}

// The demo creates its batch as every surface does (`App::create_batch`): with receipts
// configured, its batch carries the receipt link base, so its signers get receipts.
#[test]
fn the_demo_batch_gets_receipts_when_they_are_configured() {
    let ws = Workspace::new()
        .env("HILLPOST__RECEIPTS__ENABLED", "true")
        .env(
            "HILLPOST__SERVER__PUBLIC_URL",
            "https://letters.example.org/",
        );
    ws.run(&["demo", "--dir", "demo"]).ok();
    let database = format!("sqlite:{}", ws.path().join("demo/hillpost.db").display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let batch = runtime.block_on(async {
        let store = hillpost_store::Store::connect(&database).await.unwrap();
        let batch = store
            .batch(hillpost_core::BatchId::new(1))
            .await
            .unwrap()
            .expect("the demo's batch");
        store.close().await;
        batch
    });
    assert_eq!(
        batch.receipt_base_url.as_deref(),
        Some("https://letters.example.org")
    );
}
