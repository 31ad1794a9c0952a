//! A delivery whose endpoint can never take its letter moves on to the recipient's next
//! endpoint, with a fresh attempt budget and the reason on record; at the last endpoint it
//! fails with that reason.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use hillpost_core::batch::{Eligibility, Endpoint, Recipient, plan_batch};
use hillpost_core::delivery::{AttemptOutcome, Channel, DeliveryState, NextStep};
use hillpost_core::render::LetterTemplates;
use hillpost_core::signer::Email;
use hillpost_store::{AttemptRecord, ClaimRequest, ClaimedDelivery, RateKeyPolicy, Store};

use crate::support::seeded;

const REASON: &str = "the form has a recaptcha step";

fn office() -> Recipient {
    let email = Email::parse("staff@office.example.org").expect("email");
    Recipient {
        key: "member:S001181".into(),
        name: "Senator Example".into(),
        endpoints: vec![
            Endpoint {
                channel: Channel::WebForm,
                address: "S001181".into(),
                rate_key: "www.example.senate.gov".into(),
            },
            Endpoint::email(&email),
        ],
        eligibility: Eligibility::Anyone,
    }
}

async fn claim_one(store: &Store) -> ClaimedDelivery {
    let policy = RateKeyPolicy::default();
    let claim = store
        .claim(&ClaimRequest {
            worker_id: "w1",
            limit: 1,
            lease: Duration::from_secs(30),
            key_lease: Duration::from_secs(30),
            exclude_keys: &[],
            policy: &policy,
        })
        .await
        .expect("claim");
    claim.deliveries.into_iter().next().expect("a due delivery")
}

fn refused(d: &ClaimedDelivery) -> AttemptRecord {
    let now = Utc::now();
    AttemptRecord {
        delivery_id: d.id,
        attempt_no: d.attempt_no,
        started_at: now,
        finished_at: now,
        outcome: AttemptOutcome::Permanent,
        endpoint: d.endpoint.clone(),
        remote_code: None,
        remote_text: None,
        sent_sha256: None,
        note: Some(REASON.into()),
        next: NextStep::NextEndpoint,
    }
}

both_backends!(a_refused_endpoint_hands_the_letter_to_the_next);
async fn a_refused_endpoint_hands_the_letter_to_the_next(store: Store) {
    let campaign = seeded(
        &store,
        "first_name,last_name,email,city,country\nAna,López,ana@example.org,Lima,PE\n",
    )
    .await;
    let templates = LetterTemplates::compile(&campaign).expect("templates");
    let signatures = store.signatures(&campaign.id).await.expect("signatures");
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).expect("date");
    let plan = plan_batch(&campaign, &templates, &signatures, &[office()], date).expect("plan");
    let batch = store
        .create_batch(&campaign.id, &plan, Utc::now(), 3)
        .await
        .expect("create batch");

    let on_form = claim_one(&store).await;
    assert_eq!(on_form.channel, Channel::WebForm);
    store
        .record_attempts("w1", &[refused(&on_form)])
        .await
        .expect("record");

    let delivery = &store.deliveries(batch).await.expect("deliveries")[0];
    assert_eq!(delivery.state, DeliveryState::Queued);
    assert_eq!(delivery.channel, Channel::Email);
    assert_eq!(delivery.endpoint, "staff@office.example.org");
    assert_eq!(delivery.rate_key, "office.example.org");
    assert_eq!(
        delivery.max_attempts, 4,
        "the email endpoint gets a whole budget of 3"
    );
    let route_note = delivery.route_note.as_deref().expect("route note");
    assert_eq!(
        route_note,
        format!("web_form S001181 passed over for email staff@office.example.org: {REASON}")
    );
    let status = store.batch_status(batch).await.expect("status");
    assert_eq!(status.route_notes, [(route_note.to_string(), 1)]);

    let attempts = store.attempts(delivery.id).await.expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].channel, Some(Channel::WebForm));
    assert_eq!(attempts[0].endpoint, "S001181");
    assert_eq!(
        attempts[0].note.as_deref(),
        Some(format!("{REASON}; moved on to email staff@office.example.org").as_str())
    );

    // The same letter, now on the email endpoint; refusing there too leaves nowhere to go.
    let on_email = claim_one(&store).await;
    assert_eq!((on_email.id, on_email.attempt_no), (delivery.id, 2));
    assert_eq!(on_email.channel, Channel::Email);
    store
        .record_attempts("w1", &[refused(&on_email)])
        .await
        .expect("record");
    let delivery = &store.deliveries(batch).await.expect("deliveries")[0];
    assert_eq!(delivery.state, DeliveryState::Failed);
    assert_eq!(delivery.last_error.as_deref(), Some(REASON));

    // The export says which endpoint each attempt went through; the chain still verifies.
    let lines = store.audit_export(batch).await.expect("export");
    let tried: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l.channel.as_str(), l.endpoint.as_str()))
        .collect();
    assert_eq!(
        tried,
        [
            ("web_form", "S001181"),
            ("email", "staff@office.example.org")
        ]
    );
    assert_eq!(store.verify_audit().await.expect("verify").broken, None);
}
