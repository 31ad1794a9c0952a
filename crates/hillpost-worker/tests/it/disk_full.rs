//! A full disk under SQLite in the middle of a batch (issue 15, finding A): the worker
//! stops sending while it cannot record, loses nothing, sends nothing twice, and carries on
//! once the disk has room again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use hillpost_core::delivery::DeliveryState;
use hillpost_store::Store;
use hillpost_testkit::disk::SmallDisk;
use hillpost_testkit::smtp::{Faults, SmtpServer};

use crate::support::{RunningWorker, batch};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");
const LETTERS: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_mid_batch_loses_nothing_and_sends_nothing_twice() {
    let test = "disk_full::a_full_disk_mid_batch_loses_nothing_and_sends_nothing_twice";
    let Some(disk) = SmallDisk::mount(test, 24) else {
        return;
    };
    // A few milliseconds per letter, so the batch is still going when the disk fills.
    let Some(server) = SmtpServer::start(test, Faults::delay(Duration::from_millis(10))) else {
        return;
    };
    let url = format!("sqlite://{}", disk.path().join("hillpost.db").display());
    let store = Arc::new(
        Store::connect(&url)
            .await
            .expect("open SQLite on the tmpfs"),
    );
    let id = batch(&store, "individual", LETTERS, &[STAFF], 4).await;
    let running = RunningWorker::start(&store, server.port());

    server.wait_for_log(LETTERS / 5).await;
    // An empty write-ahead log: the next commits must grow it, as on a disk that filled up
    // while the log was growing.
    hillpost_testkit::sqlite::checkpoint_and_truncate_wal(&url).await;
    let filled = disk.fill();
    let sent_when_full = server.log().len();
    assert!(
        sent_when_full < LETTERS,
        "the batch was over before the disk filled"
    );
    // While the disk is full nothing can be recorded: the store refuses a write...
    let refused = hillpost_testkit::sqlite::try_write(&url).await;
    assert!(
        refused.is_err(),
        "a write succeeded on a full disk ({filled} bytes filled)"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    disk.free();

    // ...and once it has room again every letter ends delivered, the worker recovering.
    hillpost_testkit::poll_until(
        "every letter to be delivered",
        Duration::from_secs(30),
        || async {
            let status = store.batch_status(id).await.ok()?;
            (status.count(DeliveryState::Delivered) == LETTERS as u64).then_some(())
        },
    )
    .await;
    running.stop().await;

    let log = server.log();
    let mut received: HashMap<String, usize> = HashMap::new();
    for entry in &log {
        *received
            .entry(entry.message_id.clone().expect("a Message-ID"))
            .or_default() += 1;
    }
    let twice: Vec<_> = received.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "letters received more than once: {twice:?}"
    );
    assert_eq!(received.len(), LETTERS, "every letter arrived");
    for delivery in store.deliveries(id).await.unwrap() {
        let attempts = store.attempts(delivery.id).await.unwrap();
        assert_eq!(
            attempts.len(),
            1,
            "delivery {} has one attempt, the one that was sent: {attempts:?}",
            delivery.id
        );
    }
    // The store takes writes again (no connection was left stuck in a failed transaction).
    hillpost_testkit::sqlite::try_write(&url)
        .await
        .expect("a write works after the disk had room again");
    store
        .tick(&crate::support::rules())
        .await
        .expect("housekeeping works again");
}
