use std::collections::HashMap;

use hillpost_core::delivery::DeliveryState;
use hillpost_testkit::smtp::{Faults, SmtpServer};
use hillpost_testkit::timing::busiest_window;
use hillpost_worker::{RateLimits, Worker};
use tokio_util::sync::CancellationToken;

use crate::support::{SharedStore, batch, settings, smtp_channels};

both_backends!(one_worker_holds_a_quota_exactly);
async fn one_worker_holds_a_quota_exactly(store: SharedStore, test: &str) {
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let id = batch(
        &store,
        "individual",
        25,
        &[("Staff", "staff@limited.example.org")],
        4,
    )
    .await;
    let mut overrides = HashMap::new();
    overrides.insert("limited.example.org".to_string(), "5/s".parse().unwrap());
    let limits = RateLimits {
        default: "unlimited".parse().unwrap(),
        overrides,
    };
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(limits),
    );
    let shutdown = CancellationToken::new();
    let running = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { worker.run(shutdown).await }
    });
    let log = server.wait_for_log(25).await;
    shutdown.cancel();
    running.await.unwrap().unwrap();
    let times: Vec<f64> = log.iter().map(|e| e.received_at).collect();
    // Receive times carry scheduling jitter on a loaded machine: one letter arriving 50 ms
    // late shares a one-second window with the five sent on time after it. The window is
    // shortened by the jitter tolerated (100 ms); a limiter that let a sixth letter through
    // each second would still show six in it.
    assert!(
        busiest_window(&times, 0.9) <= 5,
        "more than 5 in 0.9 s: {times:?}"
    );
    let span = times.iter().copied().fold(f64::MIN, f64::max)
        - times.iter().copied().fold(f64::MAX, f64::min);
    // 25 sends at 5/s: the first at once, the last 4.8 s (+1 %) later; the quota is used,
    // not just respected.
    assert!((4.8..5.2).contains(&span), "25 sends took {span:.2}s");
    let status = store.batch_status(id).await.unwrap();
    assert_eq!(status.count(DeliveryState::Delivered), 25);
}
