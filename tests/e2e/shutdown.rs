//! Stopping a worker (issue 15, finding B): after SIGTERM nothing new is sent, sends on the
//! wire get `shutdown_grace`, and the process exits soon after, even when the SMTP server
//! takes far longer than that to answer.

use std::process::Stdio;
use std::time::{Duration, Instant};

use hillpost_core::delivery::DeliveryState;
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::support::Workspace;

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");
const LETTERS: usize = 40;
const GRACE: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_sends_nothing_new_and_exits_after_the_grace() {
    let test = "e2e::shutdown::sigterm_sends_nothing_new_and_exits_after_the_grace";
    // Every message is stored, then answered 15 s later: the four connections are busy and
    // the other letters wait for one.
    let Some(server) = SmtpServer::start(test, Faults::delay(Duration::from_secs(15))) else {
        return;
    };
    let ws = Workspace::new()
        .smtp(server.port())
        .env("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited")
        .env("HILLPOST__SMTP__MAX_CONNECTIONS", "4")
        .env("HILLPOST__WORKER__SHUTDOWN_GRACE", "1s");
    ws.seed("individual", LETTERS, STAFF);
    ws.run(&["batch", "create", "e2e"]).ok();
    let mut worker = ws
        .command(&["worker"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the worker");

    let on_the_wire = server.wait_for_log(4).await.len();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("kill(1)");
    assert!(status.success());
    let stopped_at = Instant::now();
    let exit = hillpost_testkit::poll_until(
        "the worker to exit after SIGTERM",
        Duration::from_secs(12),
        || std::future::ready(worker.try_wait().expect("wait for the worker")),
    )
    .await;
    let took = stopped_at.elapsed();
    assert!(exit.success(), "the worker exits cleanly: {exit:?}");
    assert!(
        took < GRACE + Duration::from_secs(3),
        "the worker took {took:?} to exit after SIGTERM (grace {GRACE:?})"
    );
    assert_eq!(
        server.log().len(),
        on_the_wire,
        "no letter was sent after SIGTERM"
    );

    // The letters that never left are queued again, without an attempt; the ones left on
    // the wire stay with their lease, which housekeeping will recover as possibly sent.
    let store = ws.store().await;
    let deliveries = store
        .deliveries(hillpost_core::BatchId::new(1))
        .await
        .unwrap();
    let count = |state| deliveries.iter().filter(|d| d.state == state).count();
    assert_eq!(count(DeliveryState::Queued), LETTERS - on_the_wire);
    assert_eq!(count(DeliveryState::InFlight), on_the_wire);
    assert_eq!(count(DeliveryState::Delivered), 0);
    for delivery in deliveries
        .iter()
        .filter(|d| d.state == DeliveryState::Queued)
    {
        assert!(store.attempts(delivery.id).await.unwrap().is_empty());
    }
}
