//! A quota held across worker processes sharing PostgreSQL.

use hillpost_core::delivery::DeliveryState;
use hillpost_testkit::smtp::{Faults, SmtpServer};
use hillpost_testkit::timing::busiest_window;

use crate::support::Workspace;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_never_exceed_one_quota() {
    let test = "e2e::rate_limits::two_processes";
    let Some(schema) = hillpost_testkit::postgres::schema(test).await else {
        return;
    };
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let ws = Workspace::with_database(schema.url.clone()).smtp(server.port());
    let config = ws.write(
        "hillpost.toml",
        "[rate_limits]\ndefault = \"unlimited\"\n[rate_limits.overrides]\n\"committee.example.org\" = \"5/s\"\n",
    );
    ws.seed(
        "individual",
        30,
        ("Committee staff", "staff@committee.example.org"),
    );
    ws.run(&["batch", "create", "e2e"]).ok();
    let config = config.to_str().unwrap();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            ws.command(&["--config", config, "worker", "--until-idle"])
                .spawn()
                .expect("start a worker")
        })
        .collect();
    for mut worker in workers {
        assert!(worker.wait().unwrap().success());
    }
    let log = server.wait_for_log(30).await;
    let times: Vec<f64> = log.iter().map(|e| e.received_at).collect();
    // Receive times carry the machine's scheduling jitter: one letter that reaches the server
    // 50 ms late puts it in a one-second window with the five sent on time after it. So the
    // window is shortened by the jitter we tolerate (100 ms); two processes that each held the
    // quota on their own would still show nine or ten letters in it.
    assert!(
        busiest_window(&times, 0.9) <= 5,
        "more than 5 letters within 0.9 s: {times:?}"
    );
    assert!(
        busiest_window(&times, 0.75) >= 4,
        "the quota was not used in full: {times:?}"
    );
    let span = times.iter().copied().fold(f64::MIN, f64::max)
        - times.iter().copied().fold(f64::MAX, f64::min);
    let rate = (times.len() - 1) as f64 / span;
    assert!(
        (4.0..=5.25).contains(&rate),
        "mean rate {rate:.2}/s, expected about 5/s"
    );
    let store = ws.store().await;
    assert_eq!(
        store
            .batch_status(hillpost_core::BatchId::new(1))
            .await
            .unwrap()
            .count(DeliveryState::Delivered),
        30
    );
}
