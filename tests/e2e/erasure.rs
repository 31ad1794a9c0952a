//! `hillpost signers erase` from the binary: after the worker sent letters and receipts,
//! one signer is erased; no table keeps their name or address, `audit verify` still says
//! intact, the log never names them, and a second erasure finds no one.

use hillpost_testkit::scan::{every_value, traces};

use crate::support::Workspace;

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

async fn erase_after_sending(ws: Workspace) {
    let ws = ws
        .env("HILLPOST__RECEIPTS__ENABLED", "true")
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited")
        .env(
            "HILLPOST__SERVER__PUBLIC_URL",
            "https://letters.example.org",
        );
    ws.seed("individual", 2, STAFF);
    ws.run(&["batch", "create", "e2e"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();
    let before = every_value(&ws.database).await;
    assert!(!traces(&before, "Number0").is_empty());
    assert!(!traces(&before, "signer0@example.org").is_empty());

    let erased = crate::support::Run::from(
        ws.command(&["signers", "erase", "e2e", "SIGNER0@example.org"])
            .env("RUST_LOG", "debug")
            .output()
            .expect("run hillpost"),
    )
    .ok();
    assert!(erased.stdout.contains("erased"), "{}", erased.stdout);
    assert!(
        !erased.stderr.contains("signer0@") && !erased.stdout.contains("signer0@"),
        "the address is not repeated in the output or the log:\n{}\n{}",
        erased.stdout,
        erased.stderr
    );

    let after = every_value(&ws.database).await;
    for needle in ["Number0", "signer0@example.org"] {
        assert_eq!(traces(&after, needle), Vec::<&str>::new(), "{needle}");
    }
    assert!(!traces(&after, "signer1@example.org").is_empty());
    let verified = ws.run(&["audit", "verify"]).ok();
    assert!(verified.stdout.contains("intact"), "{}", verified.stdout);

    let again = ws
        .run(&["signers", "erase", "e2e", "signer0@example.org"])
        .failed();
    assert!(again.stderr.contains("no signer"), "{}", again.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signer_is_erased_from_the_command_line_on_sqlite() {
    erase_after_sending(Workspace::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signer_is_erased_from_the_command_line_on_postgres() {
    let Some(schema) = hillpost_testkit::postgres::schema("e2e::erasure::postgres").await else {
        return;
    };
    erase_after_sending(Workspace::with_database(schema.url.clone())).await;
}
