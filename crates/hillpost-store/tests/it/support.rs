use chrono::{NaiveDate, Utc};
use hillpost_core::ids::*;
use std::time::Duration;

use hillpost_core::batch::{Eligibility, Endpoint, Recipient, plan_batch};
use hillpost_core::delivery::{
    AttemptOutcome, DeliveryRules, Position, ResendPolicy, SendReport, transition,
};
use hillpost_core::import::{CsvRow, SignatureCsv};
use hillpost_core::render::LetterTemplates;
use hillpost_core::retry::RetrySchedule;
use hillpost_core::signer::Email;
use hillpost_core::{Campaign, NewSignature};
use hillpost_store::{
    AttemptRecord, ClaimRequest, ClaimedDelivery, ImportCounts, RateKeyPolicy, Store, TickReport,
};

/// Runs `$name(store)` against a fresh SQLite file and a fresh PostgreSQL schema. Extra
/// words pass more, in the order given: `clock` opens the store on a [`TestClock`] and
/// passes it (a test advances it instead of sleeping), `url` passes the database URL (for
/// tests that must reach past the store, to tamper with rows, say):
/// `both_backends!($name, clock, url)` runs `$name(store, clock, url)`.
///
/// [`TestClock`]: hillpost_store::TestClock
macro_rules! both_backends {
    ($name:ident $(, $pass:ident)*) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = hillpost_testkit::sqlite::database();
                let url = db.url.clone();
                let clock = hillpost_store::TestClock::new();
                let with_clock = both_backends!(@clock $($pass)*).then(|| clock.clone());
                let store = crate::support::open(&url, with_clock).await;
                super::$name(store $(, both_backends!(@pass $pass, clock, url))*).await;
            }

            #[tokio::test]
            async fn postgres() {
                let test = concat!(module_path!(), "::postgres");
                let Some(schema) = hillpost_testkit::postgres::schema(test).await else {
                    return;
                };
                let url = schema.url.clone();
                let clock = hillpost_store::TestClock::new();
                let with_clock = both_backends!(@clock $($pass)*).then(|| clock.clone());
                let store = crate::support::open(&url, with_clock).await;
                super::$name(store $(, both_backends!(@pass $pass, clock, url))*).await;
            }
        }
    };
    (@clock) => { false };
    (@clock clock $($rest:ident)*) => { true };
    (@clock $other:ident $($rest:ident)*) => { both_backends!(@clock $($rest)*) };
    (@pass clock, $clock:ident, $url:ident) => { $clock.clone() };
    (@pass url, $clock:ident, $url:ident) => { $url.clone() };
}

/// The store at `url`, on `clock` when one is given (else the production clock).
pub async fn open(url: &str, clock: Option<hillpost_store::TestClock>) -> Store {
    let opened = match clock {
        Some(clock) => Store::connect_with_clock(url, std::sync::Arc::new(clock)).await,
        None => Store::connect(url).await,
    };
    opened.unwrap_or_else(|e| panic!("open {url}: {e}"))
}

/// Runs one statement on a connection of its own, outside the store.
pub async fn execute_raw(url: &str, sql: &'static str) -> Result<u64, sqlx::Error> {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
    }
}

pub const CAMPAIGN: &str = r#"
id = "no-troops"
title = "No troops"
organization = "Example Peace Coalition"
mode = "individual"
default_language = "en"

[letters.en]
subject = "From {{ signer.city }}: bring the troops home"
body = "Dear {{ recipient.name }},\n\nPlease act.\n\n{{ signer.full_name }}\n"

[letters.es]
subject = "Desde {{ signer.city }}: que vuelvan las tropas"
body = "Estimado/a {{ recipient.name }}:\n\n{{ signer.full_name }}\n"

[[targets]]
target = "custom"
name = "Committee staff"
email = "staff@committee.example.org"
"#;

pub fn campaign() -> Campaign {
    Campaign::from_toml(CAMPAIGN).expect("test campaign parses")
}

pub fn signatures(csv: &str) -> Vec<NewSignature> {
    SignatureCsv::new(csv.as_bytes())
        .expect("header")
        .map(|row| match row {
            CsvRow::Accepted { signature, .. } => *signature,
            other => panic!("fixture row refused: {other:?}"),
        })
        .collect()
}

pub const SIGNERS: &str = "first_name,last_name,email,city,country,language,can_be_emailed\n\
    Ana,López,ana@example.org,Lima,PE,es,yes\n\
    Bob,Smith,bob@example.com,Boston,US,en,no\n\
    Chloé,Martin,chloe@example.fr,Paris,FR,fr,yes\n";

/// Adds the test campaign and imports `csv`.
pub async fn seeded(store: &Store, csv: &str) -> Campaign {
    let campaign = campaign();
    store
        .add_campaign(&campaign, false)
        .await
        .expect("add campaign");
    let mut session = store
        .begin_import(&campaign.id)
        .await
        .expect("begin import");
    let rows = signatures(csv);
    let accepted = session.insert(&rows).await.expect("insert");
    let counts = ImportCounts {
        rows_read: rows.len() as u64,
        accepted,
        ..Default::default()
    };
    session
        .commit("signers.csv", "sha", &counts)
        .await
        .expect("commit");
    campaign
}

pub fn recipients(keys: &[&str]) -> Vec<Recipient> {
    keys.iter()
        .map(|key| {
            let email = Email::parse(&format!("{key}@{key}.example.org")).expect("email");
            Recipient {
                key: format!("custom:{key}"),
                name: format!("Office {key}"),
                endpoints: vec![Endpoint::email(&email)],
                eligibility: Eligibility::Anyone,
                passed_over: Vec::new(),
            }
        })
        .collect()
}

/// A campaign with signers and a running batch to `keys`; returns the batch id.
pub async fn running_batch(store: &Store, keys: &[&str]) -> BatchId {
    let campaign = seeded(store, SIGNERS).await;
    let templates = LetterTemplates::compile(&campaign).expect("templates");
    let signatures = store.signatures(&campaign.id).await.expect("signatures");
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).expect("date");
    let plan =
        plan_batch(&campaign, &templates, &signatures, &recipients(keys), date).expect("plan");
    store
        .create_batch(&campaign.id, &plan, started(), 3)
        .await
        .expect("create batch")
}

/// A start a minute ago: the batch runs at once by the production clock and by any
/// [`TestClock`](hillpost_store::TestClock) (which stands at the time it was made, a little
/// before the batch).
pub fn started() -> chrono::DateTime<Utc> {
    Utc::now() - chrono::Duration::minutes(1)
}

/// The rules the worker follows by default, with no waits between attempts (three on each
/// endpoint): what housekeeping decides lost workers' attempts by.
/// The lease of the tests' claims (and of their rate keys).
pub const LEASE: Duration = Duration::from_secs(30);

/// A claim by `worker` of up to `limit` deliveries under `policy`, leased for [`LEASE`].
pub fn request<'a>(worker: &'a str, limit: u32, policy: &'a RateKeyPolicy) -> ClaimRequest<'a> {
    ClaimRequest {
        worker_id: worker,
        limit,
        lease: LEASE,
        key_lease: LEASE,
        exclude_keys: &[],
        policy,
        mark_sending_on_claim: &[],
    }
}

/// One housekeeping pass under the test [`rules`], which must succeed.
pub async fn housekeeping(store: &Store) -> TickReport {
    store.tick(&rules()).await.expect("housekeeping pass")
}

pub fn rules() -> DeliveryRules {
    DeliveryRules {
        retry: RetrySchedule::new(vec![Duration::ZERO, Duration::ZERO], 0.0, Duration::ZERO),
        resend: ResendPolicy::default(),
    }
}

/// The record the worker makes of an attempt of `d` ending as `report`, its office having
/// `endpoints`: core's transition decides what follows.
pub fn record_for(
    d: &ClaimedDelivery,
    endpoints: &[Endpoint],
    report: SendReport,
) -> AttemptRecord {
    let at = Position {
        channel: d.channel,
        endpoint: &d.endpoint,
        endpoints,
        attempt_no: d.attempt_no,
        max_attempts: d.max_attempts,
        possibly_accepted: d.possibly_accepted,
    };
    let transition = transition(&at, &report, &rules(), 0.5);
    AttemptRecord {
        delivery_id: d.id,
        attempt_no: d.attempt_no,
        started_at: report.started_at,
        finished_at: report.finished_at,
        outcome: report.outcome,
        endpoint: d.endpoint.clone(),
        remote_code: report.remote_code,
        remote_text: report.remote_text,
        sent_sha256: report.sent_sha256,
        receiver_id: None,
        note: report.note,
        transition,
    }
}

/// An attempt that reached the server (which answered `250 OK`, whatever the outcome says),
/// on a delivery whose office has no other endpoint.
pub fn decided(d: &ClaimedDelivery, outcome: AttemptOutcome) -> AttemptRecord {
    let endpoints = [Endpoint {
        channel: d.channel,
        address: d.endpoint.clone(),
        rate_key: d.rate_key.clone(),
    }];
    record_for(d, &endpoints, answered(outcome))
}

/// A report of an attempt that touched the network and sent the letter.
pub fn answered(outcome: AttemptOutcome) -> SendReport {
    let now = Utc::now();
    SendReport {
        outcome,
        started_at: now,
        finished_at: now,
        remote_code: Some(250),
        remote_text: Some("OK".into()),
        sent_sha256: Some("ab".repeat(32)),
        retry_after: None,
        note: None,
        evidence: Vec::new(),
        touched_network: true,
        receiver_id: None,
    }
}
