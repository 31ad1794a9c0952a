//! Bounces through the binary: letters go out with VERP envelope senders into the test SMTP
//! server; the test makes real notices about some of them (RFC 3464 reports, an Exchange
//! and a qmail plain-text bounce, an auto-reply) and feeds them to `bounces ingest` on
//! stdin and from a Maildir, with a garbage message and a report for an unknown key.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use hillpost_core::delivery::DeliveryState;
use hillpost_store::NoticeRow;
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::support::Workspace;

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");
const BOUNCE_DOMAIN: &str = "bounce.e2e.example";

/// A notice about `letter` (raw, as received), sent to `to`, made by make_bounce.py.
fn make(kind: &str, letter: &[u8], to: &str, dir: &Path) -> Vec<u8> {
    let file = dir.join(format!("letter-{kind}.eml"));
    std::fs::write(&file, letter).unwrap();
    let out = Command::new("/usr/bin/python3")
        .arg(hillpost_testkit::repo_root().join("tests/support/make_bounce.py"))
        .args([kind, file.to_str().unwrap(), to])
        .output()
        .expect("run make_bounce.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ingest_stdin(ws: &Workspace, message: &[u8], recipient: Option<&str>) -> String {
    let mut args = vec!["bounces", "ingest"];
    if let Some(recipient) = recipient {
        args.extend(["--recipient", recipient]);
    }
    let mut child = ws
        .command(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(message).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "exit 0 whatever the message: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn bounces_are_recorded_and_the_rest_set_aside(ws: Workspace, server: SmtpServer) {
    let ws = ws
        .smtp(server.port())
        .env("HILLPOST__EMAIL__BOUNCE_DOMAIN", BOUNCE_DOMAIN);
    ws.seed("individual", 6, STAFF);
    ws.run(&["batch", "create", "e2e"]).ok();
    ws.run(&["worker", "--until-idle"]).ok();
    let store = ws.store().await;
    let deliveries = store
        .deliveries(hillpost_core::BatchId::new(1))
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 6);

    // Each letter as the office received it, by delivery key, with its envelope sender.
    server.wait_for_messages(6).await;
    let log = server.log();
    let mut letters: HashMap<String, (Vec<u8>, String)> = HashMap::new();
    for (entry, message) in log.iter().zip(server.messages()) {
        let id = entry.message_id.clone().unwrap();
        let key = id
            .trim_matches(['<', '>'])
            .split('@')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(
            entry.mail_from,
            format!("bounces+{key}@{BOUNCE_DOMAIN}"),
            "VERP"
        );
        letters.insert(key, (message.raw, entry.mail_from.clone()));
    }
    let keys: Vec<String> = deliveries
        .iter()
        .map(|d| d.idempotency_key.clone())
        .collect();
    let letter = |i: usize| &letters[&keys[i]];
    let dir = ws.path().to_path_buf();

    // On stdin, as a pipe transport gives it: a 5.1.1 report with the envelope recipient,
    // and a delay notice.
    let (raw, verp) = letter(0);
    let said = ingest_stdin(&ws, &make("dsn-failed", raw, verp, &dir), Some(verp));
    assert!(
        said.contains(&format!("delivery {}", deliveries[0].id)),
        "{said}"
    );
    let (raw, verp) = letter(3);
    ingest_stdin(&ws, &make("dsn-delayed", raw, verp, &dir), None);
    // A report about a letter that is not ours.
    let (raw, _) = letter(4);
    let stranger = String::from_utf8(make("dsn-failed", raw, "x@y.example", &dir))
        .unwrap()
        .replace(&keys[4], "ffffffffffffffffffffffffffffffff");
    let said = ingest_stdin(&ws, stranger.as_bytes(), None);
    assert!(said.contains("set aside"), "{said}");

    // A Maildir: Exchange and qmail bounces, an auto-reply, garbage.
    let maildir = dir.join("bounces");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for (name, kind, i) in [
        ("1.exchange", "exchange", 1),
        ("2.qmail", "qmail", 2),
        ("3.auto", "auto-reply", 5),
    ] {
        let (raw, verp) = letter(i);
        std::fs::write(maildir.join("new").join(name), make(kind, raw, verp, &dir)).unwrap();
    }
    std::fs::write(
        maildir.join("new/4.garbage"),
        make("garbage", b"", "", &dir),
    )
    .unwrap();
    let run = ws
        .run(&["bounces", "ingest", "--maildir", maildir.to_str().unwrap()])
        .ok();
    assert!(
        run.stdout.contains("4 messages: 3 recorded, 1 set aside"),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read_dir(maildir.join("new")).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(maildir.join("cur")).unwrap().count(), 4);

    // The same message again is recorded once.
    let (raw, verp) = letter(0);
    let again = ingest_stdin(&ws, &make("dsn-failed", raw, verp, &dir), Some(verp));
    assert!(
        again.contains("already recorded") || again.contains("delivery"),
        "{again}"
    );

    let notices: Vec<NoticeRow> = store.notices(false, 100).await.unwrap();
    let about = |i: usize| -> Vec<&NoticeRow> {
        notices
            .iter()
            .filter(|n| n.delivery_id == Some(deliveries[i].id) && n.set_aside.is_none())
            .collect()
    };
    for (i, kind, status) in [
        (0, "failed", Some("5.1.1")),
        (1, "failed", Some("5.1.10")),
        (2, "failed", Some("5.1.1")),
        (3, "delayed", Some("4.4.1")),
        (5, "auto_reply", None),
    ] {
        let found = about(i);
        assert!(!found.is_empty(), "a notice for letter {i}: {notices:#?}");
        assert_eq!(found[0].kind.as_deref(), Some(kind), "letter {i}");
        assert_eq!(found[0].status.as_deref(), status, "letter {i}");
    }
    assert!(
        about(4).is_empty(),
        "the stranger's report names no letter of ours"
    );
    let set_aside: Vec<&NoticeRow> = notices.iter().filter(|n| n.set_aside.is_some()).collect();
    assert_eq!(set_aside.len(), 2, "{set_aside:#?}");
    assert!(set_aside.iter().any(|n| {
        n.set_aside
            .as_deref()
            .unwrap()
            .contains("ffffffffffffffffffffffffffffffff")
    }));
    assert!(
        set_aside
            .iter()
            .any(|n| n.set_aside.as_deref().unwrap().starts_with("not "))
    );
    // The three failures bounced their delivered letters (the office has no other
    // endpoint); the delay, the auto-reply and the stranger's report changed nothing.
    let after = store
        .deliveries(hillpost_core::BatchId::new(1))
        .await
        .unwrap();
    for (i, delivery) in after.iter().enumerate() {
        let expected = if i < 3 {
            DeliveryState::Bounced
        } else {
            DeliveryState::Delivered
        };
        assert_eq!(delivery.state, expected, "letter {i}: {delivery:?}");
    }
    assert!(after[0].last_error.as_deref().unwrap().contains("5.1.1"));
    let status = ws.run(&["batch", "status", "1"]).ok();
    assert!(
        crate::support::has_count(&status.stdout, "bounced", 3),
        "{}",
        status.stdout
    );
    let list = ws.run(&["bounces", "list", "--set-aside"]).ok();
    assert_eq!(list.stdout.lines().count(), 2, "{}", list.stdout);

    // Every notice is in the audit trail, and the trail is intact.
    ws.run(&["audit", "verify"]).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounces_are_recorded_and_the_rest_set_aside_on_sqlite() {
    let test = "e2e::bounces::sqlite";
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    bounces_are_recorded_and_the_rest_set_aside(Workspace::new(), server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounces_are_recorded_and_the_rest_set_aside_on_postgres() {
    let test = "e2e::bounces::postgres";
    let Some(schema) = hillpost_testkit::postgres::schema(test).await else {
        return;
    };
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    bounces_are_recorded_and_the_rest_set_aside(
        Workspace::with_database(schema.url.clone()),
        server,
    )
    .await;
}
