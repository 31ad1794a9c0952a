//! CWC deliveries end to end: a batch to a House office, delivered by the worker through
//! the CWC channel to the loopback gateway, with the attempts recorded in a real store.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use hillpost_channels::Channels;
use hillpost_channels::cwc::{CwcChannel, CwcSettings, default_egress};
use hillpost_channels::egress::EgressSettings;
use hillpost_core::Campaign;
use hillpost_core::batch::{Eligibility, Endpoint, Recipient, plan_batch};
use hillpost_core::cwc::{
    BodyElement, DeliveryAgent, LocTopic, MaintenanceSchedule, MessageSettings,
};
use hillpost_core::delivery::{AttemptOutcome, Channel, DeliveryState};
use hillpost_core::render::LetterTemplates;
use hillpost_store::import::{ImportOptions, import_signatures};
use hillpost_testkit::cwc::{Answer, CwcServer};
use hillpost_testkit::fixtures;
use hillpost_worker::{RateLimits, Worker};
use secrecy::SecretString;

use crate::support::{SharedStore, settings, smtp_sender};
use hillpost_testkit::smtp::{Faults, SmtpServer};

const API_KEY: &str = "worker-test-cwc-key";

/// Three Virginia constituents writing to office HVA04.
async fn cwc_batch(store: &SharedStore) -> hillpost_core::BatchId {
    cwc_batch_with(store, "Signer,Number0", &[]).await
}

/// Three Virginia constituents writing to office HVA04 (the first named `first_signer`:
/// "first,last"), whose office has `more` endpoints after CWC.
async fn cwc_batch_with(
    store: &SharedStore,
    first_signer: &str,
    more: &[Endpoint],
) -> hillpost_core::BatchId {
    let campaign = Campaign::from_toml(&fixtures::campaign_toml(
        "troops-home",
        "individual",
        &[("Rep. Example", "unused@example.org")],
    ))
    .expect("campaign");
    store
        .add_campaign(&campaign, false)
        .await
        .expect("add campaign");
    let mut csv = String::from(
        "first_name,last_name,organization,email,address1,city,state,zip,country,phone,language,can_be_emailed\n",
    );
    for i in 0..3 {
        let name = match i {
            0 => first_signer.to_string(),
            _ => format!("Signer,Number{i}"),
        };
        csv.push_str(&format!(
            "{name},Peace Org,signer{i}@example.org,{i} Main St,Richmond,VA,23219,US,804555010{i},en,yes\n"
        ));
    }
    let report = import_signatures(
        store,
        &campaign.id,
        csv.as_bytes(),
        "signers.csv",
        ImportOptions::default(),
        |_| {},
    )
    .await
    .expect("import");
    assert_eq!(report.counts.accepted, 3, "{:?}", report.counts);
    let recipients = vec![Recipient {
        key: "member:V000004".into(),
        name: "Rep. Example".into(),
        endpoints: std::iter::once(Endpoint {
            channel: Channel::Cwc,
            address: "HVA04".into(),
            rate_key: "cwc:house".into(),
        })
        .chain(more.iter().cloned())
        .collect(),
        eligibility: Eligibility::Anyone,
        passed_over: Vec::new(),
    }];
    let signatures = store.signatures(&campaign.id).await.expect("signatures");
    let templates = LetterTemplates::compile(&campaign).expect("templates");
    let date = NaiveDate::from_ymd_opt(2024, 7, 10).expect("date");
    let plan = plan_batch(&campaign, &templates, &signatures, &recipients, date).expect("plan");
    store
        .create_batch(&campaign.id, &plan, Utc::now(), 4)
        .await
        .expect("batch")
}

fn cwc_channels(server: &CwcServer) -> Channels {
    Channels::default().with_cwc(cwc_channel(server))
}

fn cwc_channel(server: &CwcServer) -> CwcChannel {
    let settings = CwcSettings {
        house_url: server.base_url(),
        senate_url: None,
        api_key: SecretString::from(API_KEY),
        validate_only: false,
        message: MessageSettings {
            agent: DeliveryAgent::new(
                "Hillpost Test",
                "acks@example.org",
                "Ops Person",
                "ops@example.org",
                "202-555-0100",
            )
            .unwrap(),
            topic: LocTopic::parse("International Affairs").unwrap(),
            campaign_topics: HashMap::new(),
            constituent_prefix: "Ms.".into(),
            body_element: BodyElement::OrganizationStatement,
        },
        maintenance: MaintenanceSchedule::none(),
        check_offices: true,
        offices_refresh: Duration::from_secs(3600),
    };
    // The CWC egress policy with the loopback gateway added.
    let egress = EgressSettings {
        allowed_hosts: vec!["127.0.0.1".into()],
        allow_private_addresses: true,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        ..default_egress()
    };
    CwcChannel::new(settings, &egress).expect("CWC channel")
}

both_backends!(cwc_answers_become_delivered_failed_and_retried_deliveries);
async fn cwc_answers_become_delivered_failed_and_retried_deliveries(store: SharedStore, _: &str) {
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    server.answer(vec![
        Answer::Errors(vec!["Zip does not match the district".into()]),
        Answer::Unavailable("1".into()),
        Answer::Created,
    ]);
    let id = cwc_batch(&store).await;
    let worker = Worker::new(
        store.clone(),
        cwc_channels(&server),
        settings(RateLimits::unlimited()),
    );
    hillpost_testkit::poll_until("the batch to finish", Duration::from_secs(20), || async {
        worker.run_once().await.unwrap();
        let status = store.batch_status(id).await.unwrap();
        (status.count(DeliveryState::Queued) + status.count(DeliveryState::InFlight) == 0)
            .then_some(())
    })
    .await;

    let status = store.batch_status(id).await.unwrap();
    assert_eq!(status.count(DeliveryState::Delivered), 2);
    assert_eq!(status.count(DeliveryState::Failed), 1);
    let received = server.received();
    assert_eq!(received.len(), 4, "three letters and one retry");
    for message in &received {
        assert!(
            message.layout_problems.is_empty(),
            "{:?}",
            message.layout_problems
        );
        assert_eq!(message.value("Delivery/CampaignId"), Some("troops-home"));
        assert_eq!(
            message.value("Delivery/Organization"),
            Some("Test Peace Coalition")
        );
        assert_eq!(message.value("Recipient/MemberOffice"), Some("HVA04"));
    }

    let mut outcomes = Vec::new();
    for delivery in store.deliveries(id).await.unwrap() {
        let attempts = store.attempts(delivery.id).await.unwrap();
        for attempt in &attempts {
            let row = format!("{attempt:?}");
            assert!(
                !row.contains(API_KEY),
                "the API key is in an attempt row: {row}"
            );
            assert!(attempt.sent_sha256.is_some(), "every post keeps its hash");
            assert_eq!(
                received
                    .iter()
                    .filter(|m| m.value("Delivery/DeliveryId")
                        == Some(delivery.idempotency_key.as_str()))
                    .count(),
                attempts.len(),
                "each attempt posted once, under the delivery's own DeliveryId"
            );
        }
        outcomes.push((
            delivery.state,
            attempts
                .iter()
                .map(|a| (a.outcome, a.remote_code))
                .collect::<Vec<_>>(),
            attempts.last().and_then(|a| a.remote_text.clone()),
        ));
    }
    outcomes.sort_by_key(|(_, attempts, _)| attempts.len());
    let failed = outcomes
        .iter()
        .find(|(state, ..)| *state == DeliveryState::Failed)
        .expect("a failed delivery");
    assert_eq!(failed.1, vec![(AttemptOutcome::Permanent, Some(400))]);
    assert_eq!(failed.2.as_deref(), Some("Zip does not match the district"));
    let retried = outcomes.last().unwrap();
    assert_eq!(retried.0, DeliveryState::Delivered);
    assert_eq!(
        retried.1,
        vec![
            (AttemptOutcome::PossiblyAccepted, Some(503)),
            (AttemptOutcome::Ok, Some(201))
        ]
    );
}

both_backends!(what_cwc_cannot_carry_or_refuses_goes_to_the_offices_email);
async fn what_cwc_cannot_carry_or_refuses_goes_to_the_offices_email(
    store: SharedStore,
    test: &str,
) {
    let Some(smtp) = SmtpServer::start(test, Faults::default()) else {
        return;
    };
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    // Two letters are posted: one is refused (400), the other gets a server error, is
    // resent with the same DeliveryId, and CWC says it already has it (409).
    server.answer(vec![
        Answer::Errors(vec!["Zip does not match the district".into()]),
        Answer::ServerError,
        Answer::Duplicate,
    ]);
    let email = Endpoint::email(&hillpost_core::Email::parse("office@house.example").unwrap());
    // The first signer is an organization without a person's name: CWC cannot carry it.
    let id = cwc_batch_with(&store, ",", &[email]).await;
    let worker = Worker::new(
        store.clone(),
        Channels::default()
            .with_cwc(cwc_channel(&server))
            .with_email(smtp_sender(smtp.port())),
        settings(RateLimits::unlimited()),
    );
    hillpost_testkit::poll_until("the batch to finish", Duration::from_secs(20), || async {
        worker.run_once().await.unwrap();
        let status = store.batch_status(id).await.unwrap();
        (status.count(DeliveryState::Queued) + status.count(DeliveryState::InFlight) == 0)
            .then_some(())
    })
    .await;

    let status = store.batch_status(id).await.unwrap();
    assert_eq!(status.count(DeliveryState::Delivered), 3, "{status:?}");
    assert_eq!(server.received().len(), 3, "two letters and one resend");
    let mailed = smtp.wait_for_messages(2).await;
    assert_eq!(mailed.len(), 2, "the uncarried letter and the refused one");
    let mut routes = Vec::new();
    let mut resent = 0;
    for delivery in store.deliveries(id).await.unwrap() {
        let attempts = store.attempts(delivery.id).await.unwrap();
        let events = store.delivery_events(&[delivery.id]).await.unwrap();
        routes.extend(events.iter().map(|e| e.describe()));
        if delivery.channel == Channel::Cwc {
            // 500 then 409: the same DeliveryId both times, delivered.
            let outcomes: Vec<_> = attempts
                .iter()
                .map(|a| (a.outcome, a.remote_code))
                .collect();
            assert_eq!(
                outcomes,
                [
                    (AttemptOutcome::PossiblyAccepted, Some(500)),
                    (AttemptOutcome::Ok, Some(409))
                ]
            );
            let posts = server
                .received()
                .iter()
                .filter(|m| {
                    m.value("Delivery/DeliveryId") == Some(delivery.idempotency_key.as_str())
                })
                .count();
            assert_eq!(posts, 2, "resent under its own DeliveryId");
            resent += 1;
        } else {
            assert_eq!(delivery.channel, Channel::Email);
            assert_eq!(attempts.last().unwrap().outcome, AttemptOutcome::Ok);
        }
    }
    assert_eq!(resent, 1);
    routes.sort();
    assert_eq!(routes.len(), 2, "{routes:?}");
    assert!(
        routes.iter().any(|r| r
            .starts_with("cwc HVA04 passed over for email office@house.example")
            && r.contains("Zip does not match the district")),
        "{routes:?}"
    );
    assert!(
        routes
            .iter()
            .any(|r| r.contains("the message was not posted")),
        "{routes:?}"
    );
}
