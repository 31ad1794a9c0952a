//! Logs follow one delivery: every event of an attempt, the channel's own included, carries
//! the attempt's span (delivery, batch, channel, rate key, attempt number), and nothing that
//! identifies a signer.
//!
//! A test binary of its own: the subscriber it installs must be the only one its callsites
//! ever see (tracing caches each callsite's interest across threads, and another test
//! running beside it without a subscriber could switch the events off).

use std::io::Write;
use std::sync::{Arc, Mutex};

use hillpost_testkit::smtp::{Faults, SmtpServer};
use hillpost_worker::{RateLimits, RunOnce, Worker};
use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;

// The worker's test helpers; this binary uses a few of them.
#[allow(dead_code, unused_macros)]
#[path = "it/support.rs"]
mod support;

use support::{batch, settings, smtp_channels};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");
const SIGNERS: usize = 4;

/// Log lines written into memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

// One thread, so the subscriber set for this test sees every task it runs.
#[tokio::test(flavor = "current_thread")]
async fn every_attempts_events_carry_its_span_and_no_signer() {
    let test = "spans::every_attempts_events_carry_its_span_and_no_signer";
    let Some(server) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let db = hillpost_testkit::sqlite::database();
    let store = Arc::new(hillpost_store::Store::connect(&db.url).await.unwrap());
    let batch_id = batch(&store, "individual", SIGNERS, &[STAFF], 4).await;
    let worker = Worker::new(
        store.clone(),
        smtp_channels(server.port()),
        settings(RateLimits::unlimited()),
    );
    while worker.run_once().await.unwrap() != RunOnce::EmptyQueue {}

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    let deliveries = store.deliveries(batch_id).await.unwrap();
    assert_eq!(deliveries.len(), SIGNERS);
    for delivery in &deliveries {
        let finished = lines
            .iter()
            .find(|line| {
                line["fields"]["message"] == "attempt finished"
                    && line["span"]["delivery"] == delivery.id.get()
            })
            .unwrap_or_else(|| panic!("delivery {}'s attempt is logged in its span", delivery.id));
        let span = &finished["span"];
        assert_eq!(span["name"], "attempt");
        assert_eq!(span["batch"], batch_id.get());
        assert_eq!(span["channel"], "email");
        assert_eq!(span["rate_key"], delivery.rate_key.as_str());
        assert_eq!(span["attempt"], 1);
    }
    assert!(
        lines.iter().any(|line| line["span"]["name"] == "record"),
        "recording attempts has its span"
    );
    for i in 0..SIGNERS {
        for personal in [format!("signer{i}@example.org"), format!("Number{i}")] {
            assert!(
                !text.contains(&personal),
                "the logs name a signer: {personal}"
            );
        }
    }
}
