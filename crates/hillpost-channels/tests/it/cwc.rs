//! The CWC channel against a loopback gateway that checks every message's layout.

use hillpost_core::DeliveryId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Timelike, Utc};
use hillpost_channels::Channel;
use hillpost_channels::cwc::{CwcChannel, CwcSettings, default_egress};
use hillpost_channels::egress::EgressSettings;
use hillpost_core::cwc::{
    BodyElement, DeliveryAgent, LocTopic, MaintenanceSchedule, MessageSettings,
};
use hillpost_core::delivery::{Channel as ChannelKind, LetterCampaign, OutgoingLetter, SendReport};
use hillpost_core::signer::{
    Country, Email, Language, NewSignature, PersonName, PostalAddress, PostalCode, UsState,
};
use hillpost_core::{AttemptOutcome, CampaignId};
use hillpost_testkit::cwc::{Answer, CwcServer};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

const API_KEY: &str = "sekret-cwc-key-7f3a";
const KEY: &str = "00000000000000000000000000c0ffee";

pub fn signer() -> NewSignature {
    NewSignature {
        email: Email::parse("ana.garcia@example.org").unwrap(),
        first_name: Some(PersonName::parse("Ana").unwrap()),
        last_name: Some(PersonName::parse("García").unwrap()),
        organization: None,
        address: PostalAddress {
            line1: Some("1 Main St & Co".into()),
            line2: None,
            city: Some("Richmond".into()),
            state: Some(UsState::parse("VA").unwrap()),
            postal_code: PostalCode::parse_optional("23219", Some(Country::US)).unwrap(),
            country: Some(Country::US),
        },
        district: Some(4),
        language: None,
        phone: Some("8045550100".into()),
        receipt_consent: false,
        signed_at: None,
        source: None,
    }
}

fn letter(office: &str) -> OutgoingLetter {
    OutgoingLetter {
        delivery_id: DeliveryId::new(11),
        attempt_no: hillpost_core::AttemptNo::new(1),
        idempotency_key: KEY.into(),
        channel: ChannelKind::Cwc,
        endpoint: office.into(),
        recipient_name: "Rep. Example".into(),
        sender_name: "Ana García".into(),
        reply_to: None,
        language: Language::parse("en").unwrap(),
        subject: "Bring the troops home".into(),
        body_markdown: "Dear Representative,\n\nPlease bring the troops <home>.\n".into(),
        attachments: Arc::from(Vec::new()),
        signer: Some(Arc::new(signer())),
        campaign: Some(Arc::new(LetterCampaign {
            id: CampaignId::parse("troops-home").unwrap(),
            organization: "Test Peace Coalition".into(),
        })),
    }
}

fn settings(server: &CwcServer) -> CwcSettings {
    CwcSettings {
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
    }
}

/// The CWC egress policy with the loopback gateway added (tests only).
fn egress() -> EgressSettings {
    EgressSettings {
        allowed_hosts: vec!["127.0.0.1".into()],
        allow_private_addresses: true,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        ..default_egress()
    }
}

fn channel(settings: CwcSettings) -> CwcChannel {
    CwcChannel::new(settings, &egress()).expect("CWC channel")
}

/// No report field carries the API key.
fn assert_keyless(report: &SendReport) {
    let text = format!("{report:?}");
    assert!(!text.contains(API_KEY), "the API key leaked: {text}");
}

#[tokio::test]
async fn a_201_is_delivered_with_the_xml_hash_and_the_key_in_the_query() {
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    let report = channel(settings(&server)).send(&letter("HVA04")).await;
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    assert_eq!(report.remote_code, Some(201));
    assert_keyless(&report);
    let received = server.received();
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(message.path, "/v2/message");
    assert!(
        message.layout_problems.is_empty(),
        "{:?}",
        message.layout_problems
    );
    assert_eq!(message.api_key.as_deref(), Some(API_KEY));
    assert_eq!(message.content_type.as_deref(), Some("application/xml"));
    assert_eq!(
        report.sent_sha256.as_deref(),
        Some(hex::encode(Sha256::digest(&message.body)).as_str())
    );
    assert_eq!(message.value("Delivery/DeliveryId"), Some(KEY));
    assert_eq!(
        report.receiver_id.as_deref(),
        Some(KEY),
        "the report names the DeliveryId the office sees"
    );
    assert_eq!(
        message.value("Constituent/Address1"),
        Some("1 Main St & Co")
    );
    assert_eq!(message.value("Constituent/Phone"), Some("804-555-0100"));
    assert_eq!(
        message.value("Message/OrganizationStatement"),
        Some("Dear Representative,\n\nPlease bring the troops <home>.")
    );
    assert_eq!(server.office_keys(), vec![Some(API_KEY.to_string())]);
}

#[tokio::test]
async fn a_400_is_permanent_with_the_error_texts() {
    let server = CwcServer::start(
        &["HVA04"],
        Answer::Errors(vec![
            "Constituent address could not be verified".into(),
            "Zip does not match district".into(),
        ]),
    )
    .await;
    let report = channel(settings(&server)).send(&letter("HVA04")).await;
    assert_eq!(report.outcome, AttemptOutcome::Permanent);
    assert_eq!(report.remote_code, Some(400));
    assert_eq!(report.passed_over(), None);
    assert_eq!(
        report.remote_text.as_deref(),
        Some("Constituent address could not be verified\nZip does not match district")
    );
    assert!(report.sent_sha256.is_some());
    assert_keyless(&report);
}

#[tokio::test]
async fn a_409_is_a_duplicate_of_an_earlier_success() {
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    server.answer(vec![Answer::ServerError, Answer::Duplicate]);
    let cwc = channel(settings(&server));
    let first = cwc.send(&letter("HVA04")).await;
    assert_eq!(
        first.outcome,
        AttemptOutcome::PossiblyAccepted,
        "500 after posting: it may have arrived, and is resent with the same DeliveryId"
    );
    assert_eq!(first.remote_code, Some(500));
    let retry = cwc
        .send(&OutgoingLetter {
            attempt_no: hillpost_core::AttemptNo::new(2),
            ..letter("HVA04")
        })
        .await;
    assert_eq!(retry.outcome, AttemptOutcome::Ok);
    assert_eq!(retry.remote_code, Some(409));
    assert!(
        retry
            .note
            .unwrap()
            .contains("duplicate of an earlier success")
    );
    let received = server.received();
    assert_eq!(
        received[0].value("Delivery/DeliveryId"),
        received[1].value("Delivery/DeliveryId"),
        "the same DeliveryId on the retry"
    );
    assert_eq!(first.sent_sha256, retry.sent_sha256, "the same bytes");
}

#[tokio::test]
async fn a_503_after_posting_may_have_arrived_and_a_429_is_transient_both_ask_to_wait() {
    let server = CwcServer::start(&["HVA04"], Answer::Unavailable("120".into())).await;
    let cwc = channel(settings(&server));
    let report = cwc.send(&letter("HVA04")).await;
    assert_eq!(report.outcome, AttemptOutcome::PossiblyAccepted);
    assert_eq!(report.remote_code, Some(503));
    assert_eq!(report.retry_after, Some(Duration::from_secs(120)));

    let in_a_minute = std::time::SystemTime::now() + Duration::from_secs(60);
    server.answer(vec![Answer::TooMany(httpdate::fmt_http_date(in_a_minute))]);
    let report = cwc.send(&letter("HVA04")).await;
    assert_eq!(report.outcome, AttemptOutcome::Transient);
    assert_eq!(report.remote_code, Some(429));
    let wait = report.retry_after.expect("Retry-After as a date");
    assert!(
        wait > Duration::from_secs(55) && wait <= Duration::from_secs(60),
        "{wait:?}"
    );
    assert_eq!(server.office_requests(), 1, "the office list is cached");
}

#[tokio::test]
async fn a_timeout_after_posting_may_have_arrived_and_its_note_has_no_key() {
    let server = CwcServer::start(&["HVA04"], Answer::Slow(Duration::from_secs(5))).await;
    let report = channel(settings(&server)).send(&letter("HVA04")).await;
    assert_eq!(report.outcome, AttemptOutcome::PossiblyAccepted);
    assert!(report.sent_sha256.is_some(), "the message was posted");
    assert!(
        report.note.as_deref().unwrap().contains("timed out"),
        "{report:?}"
    );
    assert_keyless(&report);
}

#[tokio::test]
async fn a_message_that_cannot_be_valid_is_never_posted() {
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    let cwc = channel(settings(&server));
    let mut bad = signer();
    bad.address.postal_code = None;
    let report = cwc
        .send(&OutgoingLetter {
            signer: Some(Arc::new(bad)),
            ..letter("HVA04")
        })
        .await;
    assert_eq!(report.outcome, AttemptOutcome::Permanent);
    assert!(
        report
            .passed_over()
            .is_some_and(|why| why.contains("Constituent/Zip")),
        "decided without posting, so the office's next endpoint may take it: {report:?}"
    );
    assert_eq!(report.sent_sha256, None);
    assert_eq!(report.receiver_id, None, "nothing was posted");

    let mut senate = settings(&server);
    senate.senate_url = Some(server.base_url());
    senate.message.constituent_prefix = "Mx.".into();
    let report = channel(senate).send(&letter("SVA01")).await;
    assert!(
        report
            .note
            .as_deref()
            .unwrap()
            .contains("Constituent/Prefix")
    );
    assert_eq!(server.posts(), 0, "nothing was posted");
}

#[tokio::test]
async fn inactive_offices_petitions_and_an_unconfigured_senate_fall_back() {
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    let cwc = channel(settings(&server));
    let report = cwc.send(&letter("HVA05")).await;
    assert_eq!(report.outcome, AttemptOutcome::Permanent);
    assert_eq!(
        report.passed_over(),
        Some("office HVA05 is not active on CWC")
    );
    let petition = cwc
        .send(&OutgoingLetter {
            signer: None,
            ..letter("HVA04")
        })
        .await;
    assert!(
        petition
            .passed_over()
            .unwrap()
            .contains("a petition goes by the next endpoint")
    );
    let senate = cwc.send(&letter("SVA01")).await;
    assert!(
        senate
            .passed_over()
            .unwrap()
            .contains("Senate CWC gateway is not configured")
    );
    assert_eq!(server.posts(), 0);

    // The list is refreshed: an office that becomes active is used.
    let mut fresh = settings(&server);
    fresh.offices_refresh = Duration::ZERO;
    let cwc = channel(fresh);
    assert!(cwc.send(&letter("HVA05")).await.passed_over().is_some());
    server.set_offices(&["HVA04", "HVA05"]);
    assert_eq!(cwc.send(&letter("HVA05")).await.outcome, AttemptOutcome::Ok);
    assert_eq!(server.posts(), 1);
}

#[tokio::test]
async fn a_maintenance_window_delays_without_posting() {
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    let now = Utc::now();
    let start = now - chrono::Duration::minutes(1);
    let end = now + chrono::Duration::minutes(2);
    let window = format!(
        "house daily {:02}:{:02}-{:02}:{:02}",
        start.hour(),
        start.minute(),
        end.hour(),
        end.minute()
    );
    let mut s = settings(&server);
    s.maintenance = MaintenanceSchedule::new("UTC", vec![window.parse().unwrap()]).unwrap();
    let report = channel(s).send(&letter("HVA04")).await;
    assert_eq!(report.outcome, AttemptOutcome::Transient);
    assert_eq!(report.passed_over(), None);
    let wait = report.retry_after.expect("waits for the window's end");
    assert!(
        wait > Duration::from_secs(50) && wait <= Duration::from_secs(180),
        "{wait:?}"
    );
    assert!(report.note.unwrap().contains("delayed, not failed"));
    assert_eq!(server.posts(), 0);
    assert_eq!(server.office_requests(), 0);
}

#[tokio::test]
async fn validate_only_posts_to_validate_and_delivers_nothing() {
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    let mut s = settings(&server);
    s.validate_only = true;
    let report = channel(s).send(&letter("HVA04")).await;
    assert_eq!(report.outcome, AttemptOutcome::Permanent);
    assert!(report.note.unwrap().contains("not delivered"));
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/v2/validate");
}

/// Collects every log line (all crates, every level) written while a test runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_api_key_never_reaches_the_logs() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    let cwc = channel(settings(&server));
    server.answer(vec![
        Answer::Created,
        Answer::Errors(vec!["bad".into()]),
        Answer::Slow(Duration::from_secs(5)),
    ]);
    for _ in 0..3 {
        cwc.send(&letter("HVA04")).await;
    }
    cwc.send(&letter("HVA05")).await;
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("CWC attempt finished"),
        "logs were captured: {logs}"
    );
    assert!(
        !logs.contains(API_KEY),
        "the API key is in the logs:\n{logs}"
    );
    assert!(
        !logs.contains("García"),
        "signer names stay out of the logs"
    );
}

#[tokio::test]
async fn a_gateway_off_the_allow_list_or_on_a_private_address_is_refused_at_start() {
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    // The default policy: the House's and the Senate's domains only.
    let refused = CwcChannel::new(settings(&server), &default_egress())
        .err()
        .expect("a loopback gateway is off the default list");
    let text = refused.to_string();
    assert!(
        text.contains("the CWC House base URL")
            && text.contains("`127.0.0.1` is not on the egress allow-list"),
        "{text}"
    );

    let mut elsewhere = settings(&server);
    elsewhere.senate_url = Some("https://soapbox.example.org".into());
    let text = CwcChannel::new(elsewhere, &egress())
        .err()
        .expect("a Senate gateway off the list")
        .to_string();
    assert!(
        text.contains("Senate") && text.contains("`soapbox.example.org`"),
        "{text}"
    );

    // On the list, but a private address, which is not allowed.
    let no_private = EgressSettings {
        allow_private_addresses: false,
        ..egress()
    };
    let text = CwcChannel::new(settings(&server), &no_private)
        .err()
        .expect("a private address")
        .to_string();
    assert!(text.contains("private addresses are not allowed"), "{text}");
    assert_eq!(server.office_requests() + server.posts(), 0, "nothing sent");
}

/// The gateway under its real name, sent to the loopback server by an address override.
fn under_house_name(server: &CwcServer) -> (CwcSettings, EgressSettings) {
    let mut settings = settings(server);
    let port = server.base_url().rsplit(':').next().unwrap().to_string();
    settings.house_url = format!("http://cwc.house.gov:{port}");
    let egress = EgressSettings {
        resolve: [(format!("cwc.house.gov:{port}"), format!("127.0.0.1:{port}"))].into(),
        allow_private_addresses: true,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        ..default_egress()
    };
    (settings, egress)
}

#[tokio::test]
async fn the_gateway_is_reached_through_an_address_override_on_the_default_list() {
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    let (settings, egress) = under_house_name(&server);
    let report = CwcChannel::new(settings, &egress)
        .expect("cwc.house.gov is on the default list")
        .send(&letter("HVA04"))
        .await;
    assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
    assert_eq!(server.posts(), 1);
    assert_keyless(&report);
}

#[tokio::test]
async fn a_gateway_name_resolving_to_a_private_address_is_refused_on_send() {
    let server = CwcServer::start(&["HVA04"], Answer::Created).await;
    let (mut settings, mut egress) = under_house_name(&server);
    egress.allow_private_addresses = false;
    let cwc = CwcChannel::new(settings.clone(), &egress).expect("the name is on the list");

    let report = cwc.send(&letter("HVA04")).await;
    assert_eq!(report.outcome, AttemptOutcome::Transient);
    let note = report.note.clone().unwrap();
    assert!(
        note.contains("active-office list is not available")
            && note.contains("refused by the egress policy")
            && note.contains("`cwc.house.gov` resolves only to private addresses"),
        "{note}"
    );
    assert_keyless(&report);

    settings.check_offices = false;
    let report = CwcChannel::new(settings, &egress)
        .unwrap()
        .send(&letter("HVA04"))
        .await;
    assert_eq!(report.outcome, AttemptOutcome::Transient);
    let note = report.note.clone().unwrap();
    assert!(
        note.starts_with("the CWC request was refused by the egress policy")
            && note.contains("cwc.house.gov"),
        "{note}"
    );
    assert_eq!(report.sent_sha256, None, "nothing left hillpost");
    assert_keyless(&report);
    assert_eq!(server.office_requests() + server.posts(), 0);
}

#[tokio::test]
async fn a_redirect_from_the_gateway_is_recorded_not_followed() {
    let server = CwcServer::start(
        &["HVA04"],
        Answer::Redirect("https://cwc.house.gov.example.org/v2/message".into()),
    )
    .await;
    let report = channel(settings(&server)).send(&letter("HVA04")).await;
    assert_eq!(
        report.outcome,
        AttemptOutcome::PossiblyAccepted,
        "{report:?}"
    );
    assert_eq!(report.remote_code, Some(307));
    assert_eq!(server.posts(), 1, "posted once, the redirect not followed");
    assert_keyless(&report);
}
