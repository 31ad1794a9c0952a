use hillpost_testkit::fixtures;

use crate::support::{Workspace, eml_files, has_count};

fn campaign(ws: &Workspace) {
    let file = ws.write(
        "campaign.toml",
        &fixtures::campaign_toml(
            "cli-test",
            "individual",
            &[("Committee staff", "staff@committee.example.org")],
        ),
    );
    ws.run(&["campaign", "add", file.to_str().unwrap()]).ok();
}

#[test]
fn a_campaign_file_with_mistakes_is_refused_with_every_problem_named() {
    let ws = Workspace::new();
    let broken = fixtures::campaign_toml("Bad Id", "petition", &[("Staff", "not-an-address")]);
    let file = ws.write("campaign.toml", &broken);
    let run = ws
        .run(&["campaign", "add", file.to_str().unwrap()])
        .failed();
    assert!(
        run.stderr.contains("id: `Bad Id` is not a campaign id"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("targets[1]: email: is not a valid email address"),
        "{}",
        run.stderr
    );
    assert!(ws.run(&["campaign", "list"]).ok().stdout.is_empty());

    let huge = ws.write("huge.toml", &"# padding\n".repeat(1_100_000));
    let run = ws
        .run(&["campaign", "add", huge.to_str().unwrap()])
        .failed();
    assert!(
        run.stderr.contains("a campaign file is at most"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_import_with_bad_rows_stores_nothing_unless_told_to_skip_them() {
    let ws = Workspace::new();
    campaign(&ws);
    let mut csv = fixtures::signers_csv(5);
    csv.push_str("Eve,Bad,not-an-email,Lima,PE,es,yes\n");
    let file = ws.write("signers.csv", &csv);
    let run = ws
        .run(&["signatures", "import", "cli-test", file.to_str().unwrap()])
        .failed();
    assert!(
        run.stdout
            .contains("line 7: email: is not a valid email address"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("nothing was imported"),
        "{}",
        run.stdout
    );
    assert!(
        ws.run(&["campaign", "show", "cli-test"])
            .ok()
            .stdout
            .contains("signatures:   0")
    );

    let run = ws
        .run(&[
            "signatures",
            "import",
            "cli-test",
            file.to_str().unwrap(),
            "--skip-invalid",
        ])
        .ok();
    assert!(
        run.stdout
            .contains("6 rows read: 5 new signatures, 0 duplicates"),
        "{}",
        run.stdout
    );
    let again = ws
        .run(&[
            "signatures",
            "import",
            "cli-test",
            file.to_str().unwrap(),
            "--skip-invalid",
        ])
        .ok();
    assert!(
        again
            .stdout
            .contains("0 new signatures, 5 duplicates (0 within the file, 5 already signed)"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_dry_run_renders_every_letter_and_stores_nothing() {
    let ws = Workspace::new();
    campaign(&ws);
    let file = ws.write("signers.csv", &fixtures::signers_csv(7));
    ws.run(&["signatures", "import", "cli-test", file.to_str().unwrap()])
        .ok();
    let run = ws
        .run(&[
            "batch",
            "create",
            "cli-test",
            "--dry-run",
            "--outbox",
            "preview",
        ])
        .ok();
    assert!(
        run.stdout.contains("7 letter(s) for 1 recipient(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(eml_files(&ws.path().join("preview")).len(), 7);
    assert!(
        ws.run(&["batch", "list"]).ok().stdout.is_empty(),
        "a dry run creates no batch"
    );
}

#[test]
fn batches_are_created_scheduled_controlled_and_delivered() {
    let ws = Workspace::new().env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited");
    campaign(&ws);
    let file = ws.write("signers.csv", &fixtures::signers_csv(4));
    ws.run(&["signatures", "import", "cli-test", file.to_str().unwrap()])
        .ok();

    // Next New Year's Day: always within the year a batch may be scheduled ahead.
    let year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    let at = format!("{year}-01-01 09:00");
    let run = ws
        .run(&[
            "batch",
            "create",
            "cli-test",
            "--at",
            &at,
            "--timezone",
            "America/New_York",
        ])
        .ok();
    assert!(
        run.stdout
            .contains("batch 1 created for `cli-test`: 4 deliveries"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("starts at {year}-01-01T14:00:00+00:00")),
        "{}",
        run.stdout
    );
    ws.run(&["batch", "pause", "1"]).ok();
    let run = ws.run(&["batch", "pause", "1"]).failed();
    assert!(
        run.stderr
            .contains("batch 1 is paused: it cannot be paused"),
        "{}",
        run.stderr
    );
    ws.run(&["batch", "cancel", "1"]).ok();
    assert!(has_count(
        &ws.run(&["batch", "status", "1"]).ok().stdout,
        "cancelled",
        4
    ));

    ws.run(&["batch", "create", "cli-test"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();
    let status = ws.run(&["batch", "status", "2"]).ok().stdout;
    assert!(status.contains(": completed"), "{status}");
    assert!(has_count(&status, "delivered", 4), "{status}");
    assert_eq!(eml_files(&ws.path().join("outbox")).len(), 4);
}

#[test]
fn the_shipped_deployment_configuration_is_valid() {
    let ws = Workspace::new();
    let shipped = hillpost_testkit::repo_root().join("deploy/hillpost.toml");
    let run = ws
        .run(&["--config", shipped.to_str().unwrap(), "batch", "list"])
        .ok();
    assert!(!run.stderr.contains("error"), "{}", run.stderr);

    // And the same file with a password written into it is refused, naming the setting.
    let mut with_secret = std::fs::read_to_string(&shipped).unwrap();
    with_secret = with_secret.replace(
        "username = \"letters@example.org\"",
        "username = \"letters@example.org\"\npassword = \"hunter2\"",
    );
    let config = ws.write("with-secret.toml", &with_secret);
    let run = ws
        .run(&["--config", config.to_str().unwrap(), "batch", "list"])
        .failed();
    assert!(run.stderr.contains("password"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("hunter2"),
        "the secret is not echoed: {}",
        run.stderr
    );
}

/// `hillpost campaign show ID | head -0`: the reader is gone before the first line.
#[test]
fn a_closed_pipe_stops_the_command_quietly() {
    let ws = Workspace::new();
    campaign(&ws);
    let mut child = ws
        .command(&["campaign", "show", "cli-test"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start hillpost");
    drop(child.stdout.take()); // the reader closes at once
    let output = child.wait_with_output().expect("wait for hillpost");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.trim().is_empty(), "nothing said: {stderr}");
    assert_eq!(output.status.code(), Some(141), "{stderr}");
}
