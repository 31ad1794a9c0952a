//! `log.format = "json"` follows work through spans: a batch action's events carry its
//! span (campaign, actor), every attempt's events carry the delivery's, and no line names
//! a signer.

use serde_json::Value;

use crate::support::Workspace;

const SIGNERS: usize = 3;

fn json_lines(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"))
        })
        .collect()
}

#[test]
fn json_logs_follow_a_batch_and_each_attempt_without_naming_a_signer() {
    let ws = Workspace::new()
        .env("HILLPOST__LOG__FORMAT", "json")
        .env("RUST_LOG", "info,hillpost_worker=debug,sqlx=warn");
    ws.seed(
        "individual",
        SIGNERS,
        ("Committee staff", "staff@committee.example.org"),
    );
    let created = ws.run(&["batch", "create", "e2e"]).ok();
    let worked = ws.run(&["worker", "--until-idle"]).ok();

    let created_lines = json_lines(&created.stderr);
    let create = created_lines
        .iter()
        .find(|line| line["span"]["name"] == "batch.create")
        .unwrap_or_else(|| panic!("batch creation is logged in its span:\n{}", created.stderr));
    assert_eq!(create["span"]["campaign"], "e2e");
    assert!(
        create["span"]["actor"]
            .as_str()
            .is_some_and(|actor| actor.starts_with("cli")),
        "{create}"
    );

    let worked_lines = json_lines(&worked.stderr);
    let mut deliveries: Vec<i64> = worked_lines
        .iter()
        .filter(|line| line["span"]["name"] == "attempt")
        .map(|line| {
            assert_eq!(line["span"]["channel"], "email", "{line}");
            assert_eq!(line["span"]["attempt"], 1, "{line}");
            line["span"]["delivery"].as_i64().expect("a delivery id")
        })
        .collect();
    deliveries.sort_unstable();
    deliveries.dedup();
    assert_eq!(deliveries.len(), SIGNERS, "{}", worked.stderr);

    for i in 0..SIGNERS {
        for personal in [format!("signer{i}@example.org"), format!("Number{i}")] {
            for stderr in [&created.stderr, &worked.stderr] {
                assert!(
                    !stderr.contains(&personal),
                    "a log names a signer: {personal}"
                );
            }
        }
    }
}
