//! The form patterns of `hillpost-channels`' `patterns.rs` (T000469's ZIP lookup and label
//! click, D000622's reveal tab and script submit, B001305's state values ending in the
//! code, a form written with innerHTML with a required select), delivered end to end by the
//! worker from a real batch in a real store, over HTTP and in headless Chromium: each
//! replica checks every posted field, the delivery ends `delivered`, and the attempt's
//! evidence (the answer page, and in the browser a screenshot) is in the store. The
//! replicas are the channel tests' own, included by path.

#[path = "../../../hillpost-channels/tests/it/web_form/pattern_replicas.rs"]
mod pattern_replicas;
#[path = "../../../hillpost-channels/tests/it/web_form/replica.rs"]
#[allow(dead_code)]
mod replica;
#[path = "../../../hillpost-channels/tests/it/web_form/support.rs"]
#[allow(dead_code)]
mod support;

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use hillpost_channels::Channels;
use hillpost_channels::web_form::{BrowserExecutor, BrowserSettings};
use hillpost_core::Campaign;
use hillpost_core::batch::{Eligibility, Endpoint, Recipient, plan_batch};
use hillpost_core::delivery::{Channel, DeliveryState, EvidenceKind};
use hillpost_core::render::LetterTemplates;
use hillpost_directory::forms::FormDefinition;
use hillpost_store::import::{ImportOptions, import_signatures};
use hillpost_worker::{RateLimits, Worker};

use crate::support::{SharedStore, settings};
use pattern_replicas::*;
use replica::{Replica, ReplicaSpec};

/// The channel tests' letter: their subject and text, from Ana Pérez of Boise.
fn campaign_toml() -> String {
    format!(
        "id = \"forms\"\ntitle = \"Forms\"\norganization = \"Test Peace Coalition\"\n\
         mode = \"individual\"\ndefault_language = \"en\"\n\n[letters.en]\nsubject = {:?}\n\
         body = {:?}\n\n[[targets]]\ntarget = \"custom\"\nname = \"Senator\"\n\
         email = \"senator@example.org\"\n",
        support::SUBJECT,
        support::MESSAGE_MARKDOWN
    )
}

const SIGNER: &str =
    "first_name,last_name,email,address1,city,state,zip,country,phone,language,can_be_emailed
Ana,Pérez,ana.perez@example.org,1210 W Franklin St,Boise,ID,83702-5412,US,+1 208 555 0134,en,no
";

/// A batch of one letter to `form`, then the worker until it is final; the replica's
/// submissions and the delivery's evidence kinds.
async fn through_the_worker(
    store: &SharedStore,
    test: &str,
    form: FormDefinition,
    spec: ReplicaSpec,
    browser: bool,
) -> Option<(Vec<Vec<String>>, Vec<EvidenceKind>)> {
    let browser = if browser {
        Some(hillpost_testkit::browser::installed(test)?)
    } else {
        None
    };
    let host = spec.page_url.host_str().unwrap().to_string();
    let replica = Replica::start(spec).await;
    let id = form.id.clone();
    let support_files = support::support(&support::shared_data(test)?);
    let mut channel = support::channel(replica.egress(), vec![form], support_files);
    if let Some((chromium, chromedriver)) = browser {
        channel = channel.with_browser(BrowserExecutor::new(BrowserSettings {
            chromium,
            chromedriver,
            page_timeout: Duration::from_secs(20),
            all_forms: true,
            ..BrowserSettings::default()
        }));
    }
    let campaign = Campaign::from_toml(&campaign_toml()).expect("campaign");
    store
        .add_campaign(&campaign, false)
        .await
        .expect("campaign");
    import_signatures(
        store,
        &campaign.id,
        SIGNER.as_bytes(),
        "signers.csv",
        ImportOptions::default(),
        |_| {},
    )
    .await
    .expect("import");
    let recipients = vec![Recipient {
        key: "member:form".into(),
        name: "Senator".into(),
        endpoints: vec![Endpoint {
            channel: Channel::WebForm,
            address: id,
            rate_key: host,
        }],
        passed_over: Vec::new(),
        eligibility: Eligibility::Anyone,
    }];
    let signatures = store.signatures(&campaign.id).await.expect("signatures");
    let templates = LetterTemplates::compile(&campaign).expect("templates");
    let date = NaiveDate::from_ymd_opt(2024, 7, 10).expect("date");
    let plan = plan_batch(&campaign, &templates, &signatures, &recipients, date).expect("plan");
    let batch = store
        .create_batch(&campaign.id, &plan, Utc::now(), 1)
        .await
        .expect("batch");
    let worker = Worker::new(
        store.clone(),
        Channels::default().with_web_form(channel),
        settings(RateLimits::unlimited()),
    );
    hillpost_testkit::poll_until(
        "the letter to be final",
        Duration::from_secs(60),
        || async {
            worker.run_once().await.unwrap();
            let status = store.batch_status(batch).await.unwrap();
            (status.count(DeliveryState::Queued) + status.count(DeliveryState::InFlight) == 0)
                .then_some(())
        },
    )
    .await;
    let deliveries = store.deliveries(batch).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        deliveries[0].state,
        DeliveryState::Delivered,
        "{:?}",
        store.attempts(deliveries[0].id).await.unwrap()
    );
    let evidence = store.evidence_of(deliveries[0].id).await.unwrap();
    assert!(
        evidence
            .iter()
            .all(|e| e.attempt_no == hillpost_core::AttemptNo::new(1) && e.size > 0)
    );
    Some((
        replica.submissions(),
        evidence.iter().map(|e| e.kind).collect(),
    ))
}

async fn check(store: SharedStore, test: &str, which: &str, browser: bool) {
    let Some(data) = support::shared_data(test) else {
        return;
    };
    let support_files = support::support(&data);
    let (form, spec) = pattern(&data, &support_files, which);
    let Some((submissions, kinds)) = through_the_worker(&store, test, form, spec, browser).await
    else {
        return;
    };
    assert_eq!(submissions, [Vec::<String>::new()], "every field, once");
    assert!(kinds.contains(&EvidenceKind::AnswerPage), "{kinds:?}");
    if browser {
        assert!(
            kinds.contains(&EvidenceKind::ScreenshotAfterSubmit),
            "{kinds:?}"
        );
    }
}

both_backends!(t000469_over_http);
async fn t000469_over_http(store: SharedStore, test: &str) {
    check(store, test, "T000469", false).await;
}

both_backends!(d000622_over_http);
async fn d000622_over_http(store: SharedStore, test: &str) {
    check(store, test, "D000622", false).await;
}

both_backends!(b001305_over_http);
async fn b001305_over_http(store: SharedStore, test: &str) {
    check(store, test, "B001305", false).await;
}

both_backends!(t000469_in_the_browser);
async fn t000469_in_the_browser(store: SharedStore, test: &str) {
    check(store, test, "T000469", true).await;
}

both_backends!(d000622_in_the_browser);
async fn d000622_in_the_browser(store: SharedStore, test: &str) {
    check(store, test, "D000622", true).await;
}

both_backends!(b001305_in_the_browser);
async fn b001305_in_the_browser(store: SharedStore, test: &str) {
    check(store, test, "B001305", true).await;
}

both_backends!(innerhtml_form_with_a_required_select_in_the_browser);
async fn innerhtml_form_with_a_required_select_in_the_browser(store: SharedStore, test: &str) {
    check(store, test, "inner", true).await;
}
