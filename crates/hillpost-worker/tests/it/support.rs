use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use hillpost_channels::{Channels, EmailSender, SmtpChannel, SmtpSettings, SmtpTls};
use hillpost_core::batch::{Eligibility, Endpoint, Recipient, plan_batch};
use hillpost_core::delivery::{DeliveryRules, ResendPolicy};
use hillpost_core::render::LetterTemplates;
use hillpost_core::retry::RetrySchedule;
use hillpost_core::{Campaign, Target};
use hillpost_store::import::{ImportOptions, import_signatures};
use hillpost_store::{BatchOptions, Store};
use hillpost_testkit::fixtures;
use hillpost_worker::{RateLimits, WorkerSettings};

/// Runs `$name(store)` on a fresh SQLite file and a fresh PostgreSQL schema.
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = hillpost_testkit::sqlite::database();
                let store = hillpost_store::Store::connect(&db.url)
                    .await
                    .expect("open SQLite");
                super::$name(
                    std::sync::Arc::new(store),
                    concat!(module_path!(), "::sqlite"),
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let test = concat!(module_path!(), "::postgres");
                let Some(schema) = hillpost_testkit::postgres::schema(test).await else {
                    return;
                };
                let store = hillpost_store::Store::connect(&schema.url)
                    .await
                    .expect("open PostgreSQL");
                super::$name(std::sync::Arc::new(store), test).await;
            }
        }
    };
}

/// Adds a campaign to `recipients`, imports `signers` signers and creates a running batch.
pub async fn batch(
    store: &Store,
    mode: &str,
    signers: usize,
    recipients: &[(&str, &str)],
    max_attempts: u32,
) -> hillpost_core::BatchId {
    let csv = fixtures::signers_csv(signers);
    batch_of(store, mode, &csv, recipients, max_attempts, None, &[]).await
}

/// [`batch`], with `preferred` endpoints ahead of each recipient's email.
pub async fn batch_preferring(
    store: &Store,
    mode: &str,
    signers: usize,
    recipients: &[(&str, &str)],
    max_attempts: u32,
    preferred: &[Endpoint],
) -> hillpost_core::BatchId {
    let csv = fixtures::signers_csv(signers);
    batch_of(store, mode, &csv, recipients, max_attempts, None, preferred).await
}

/// Where receipt links point in these tests.
pub const RECEIPT_BASE: &str = "https://letters.example.org";

/// [`batch`] with the signers of `csv`, sending receipts when `receipt_base_url` is set,
/// and `preferred` endpoints ahead of each recipient's email.
pub async fn batch_of(
    store: &Store,
    mode: &str,
    csv: &str,
    recipients: &[(&str, &str)],
    max_attempts: u32,
    receipt_base_url: Option<&str>,
    preferred: &[Endpoint],
) -> hillpost_core::BatchId {
    let campaign = Campaign::from_toml(&fixtures::campaign_toml("test-campaign", mode, recipients))
        .expect("campaign");
    store
        .add_campaign(&campaign, false)
        .await
        .expect("add campaign");
    import_signatures(
        store,
        &campaign.id,
        csv.as_bytes(),
        "signers.csv",
        ImportOptions::default(),
        |_| {},
    )
    .await
    .expect("import");
    let recipients: Vec<Recipient> = campaign
        .targets
        .iter()
        .map(|t| match t {
            Target::Custom(c) => Recipient {
                key: c.key.clone(),
                name: c.name.clone(),
                endpoints: preferred
                    .iter()
                    .cloned()
                    .chain([Endpoint::email(&c.email)])
                    .collect(),
                eligibility: Eligibility::Anyone,
                passed_over: Vec::new(),
            },
            other => panic!("unexpected target {other}"),
        })
        .collect();
    let signatures = store.signatures(&campaign.id).await.expect("signatures");
    let templates = LetterTemplates::compile(&campaign).expect("templates");
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).expect("date");
    let plan = plan_batch(&campaign, &templates, &signatures, &recipients, date).expect("plan");
    store
        .create_batch_with(
            &campaign.id,
            &plan,
            &BatchOptions {
                start_at: Utc::now(),
                max_attempts,
                actor: "test",
                receipt_base_url,
                include_delivered: false,
            },
        )
        .await
        .expect("batch")
}

pub fn smtp_channels(port: u16) -> Channels {
    Channels::default().with_email(smtp_sender(port))
}

/// Email through the test SMTP server at `port`.
pub fn smtp_sender(port: u16) -> EmailSender {
    let mut settings = SmtpSettings::new(
        "127.0.0.1",
        port,
        "letters@hillpost.example.org",
        "hillpost.example.org",
    );
    settings.tls = SmtpTls::None;
    settings.connect_timeout = Duration::from_secs(2);
    settings.command_timeout = Duration::from_secs(5);
    EmailSender::Smtp(SmtpChannel::new(settings).expect("smtp channel"))
}

/// Fast retries for tests: three retries 100 ms apart, no jitter; the default resend policy.
pub fn rules() -> DeliveryRules {
    DeliveryRules {
        retry: RetrySchedule::new(
            vec![Duration::from_millis(100); 3],
            0.0,
            Duration::from_secs(1),
        ),
        resend: ResendPolicy::default(),
    }
}

/// Worker settings for tests: small claims, short polls, [`rules`].
pub fn settings(rate_limits: RateLimits) -> WorkerSettings {
    WorkerSettings {
        capacity: 64,
        claim_batch: 32,
        lease: Duration::from_secs(30),
        key_lease: Duration::from_secs(30),
        poll_interval: Duration::from_millis(50),
        shutdown_grace: Duration::from_secs(5),
        rules: rules(),
        rate_limits,
    }
}

pub type SharedStore = Arc<Store>;

/// A worker sending over SMTP to `port` without rate limits, running in the background
/// until [`RunningWorker::stop`].
pub struct RunningWorker {
    pub worker: Arc<hillpost_worker::Worker<Channels>>,
    shutdown: tokio_util::sync::CancellationToken,
    running: tokio::task::JoinHandle<Result<(), hillpost_worker::WorkerError>>,
}

impl RunningWorker {
    pub fn start(store: &SharedStore, port: u16) -> Self {
        let worker = Arc::new(hillpost_worker::Worker::new(
            store.clone(),
            smtp_channels(port),
            settings(RateLimits::unlimited()),
        ));
        let shutdown = tokio_util::sync::CancellationToken::new();
        let running = tokio::spawn({
            let (worker, shutdown) = (worker.clone(), shutdown.clone());
            async move { worker.run(shutdown).await }
        });
        Self {
            worker,
            shutdown,
            running,
        }
    }

    /// Stops the worker and checks that it stopped cleanly.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.running
            .await
            .expect("the worker's task")
            .expect("the worker stops cleanly");
    }
}
