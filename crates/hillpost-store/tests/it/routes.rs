//! Never twice, never dropped, as the store applies it: route events beside attempts,
//! housekeeping's decisions for lost workers, a person's confirm / resend / retry, and what a
//! new batch must not send again.

use hillpost_core::ids::*;
use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use hillpost_core::batch::{Eligibility, Endpoint, Recipient, plan_batch};
use hillpost_core::delivery::{
    AttemptOutcome, Channel, DeliveryState, OperatorAction, RetrySelection, SendReport,
};
use hillpost_core::render::LetterTemplates;
use hillpost_core::signer::Email;
use hillpost_store::{
    ClaimRequest, ClaimedDelivery, DeliveryAction, DeliveryEventKind, RateKeyPolicy, RetryRequest,
    Store, StoreError, TestClock,
};

use crate::support::{answered, housekeeping, record_for, rules, seeded};

const RECAPTCHA: &str = "the form has a recaptcha step";

fn form() -> Endpoint {
    Endpoint {
        channel: Channel::WebForm,
        address: "S001181".into(),
        rate_key: "www.example.senate.gov".into(),
    }
}

fn email() -> Endpoint {
    Endpoint::email(&Email::parse("staff@office.example.org").expect("email"))
}

fn office(endpoints: Vec<Endpoint>) -> Recipient {
    Recipient {
        key: "member:S001181".into(),
        name: "Senator Example".into(),
        endpoints,
        eligibility: Eligibility::Anyone,
        passed_over: vec![
            "the contact form at https://example.senate.gov/contact has no step definition".into(),
        ],
    }
}

/// One signer's letter to an office with `endpoints`; returns the batch.
async fn batch_to(store: &Store, endpoints: Vec<Endpoint>) -> BatchId {
    let campaign = seeded(
        store,
        "first_name,last_name,email,city,country\nAna,López,ana@example.org,Lima,PE\n",
    )
    .await;
    let templates = LetterTemplates::compile(&campaign).expect("templates");
    let signatures = store.signatures(&campaign.id).await.expect("signatures");
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).expect("date");
    let plan = plan_batch(
        &campaign,
        &templates,
        &signatures,
        &[office(endpoints)],
        date,
    )
    .expect("plan");
    store
        .create_batch(&campaign.id, &plan, crate::support::started(), 3)
        .await
        .expect("create batch")
}

async fn claim_one(store: &Store, worker: &str, lease: Duration) -> ClaimedDelivery {
    let policy = RateKeyPolicy::default();
    let claim = store
        .claim(&ClaimRequest {
            worker_id: worker,
            limit: 1,
            lease,
            key_lease: Duration::from_secs(30),
            exclude_keys: &[],
            policy: &policy,
            mark_sending_on_claim: &[],
        })
        .await
        .expect("claim");
    claim.deliveries.into_iter().next().expect("a due delivery")
}

fn passed_over_here() -> SendReport {
    SendReport {
        remote_code: None,
        remote_text: None,
        sent_sha256: None,
        note: Some(RECAPTCHA.into()),
        touched_network: false,
        receiver_id: None,
        ..answered(AttemptOutcome::Permanent)
    }
}

both_backends!(a_local_refusal_is_a_route_event_and_the_letter_moves_on);
async fn a_local_refusal_is_a_route_event_and_the_letter_moves_on(store: Store) {
    let batch = batch_to(&store, vec![form(), email()]).await;
    let endpoints = [form(), email()];

    let on_form = claim_one(&store, "w1", Duration::from_secs(30)).await;
    assert_eq!(on_form.channel, Channel::WebForm);
    let moved = store
        .record_attempts(
            "w1",
            &[record_for(&on_form, &endpoints, passed_over_here())],
        )
        .await
        .expect("record");
    assert_eq!(moved, [on_form.id]);

    let delivery = &store.deliveries(batch).await.expect("deliveries")[0];
    assert_eq!(delivery.state, DeliveryState::Queued);
    assert_eq!(
        (delivery.channel, delivery.endpoint.as_str()),
        (Channel::Email, "staff@office.example.org")
    );
    assert_eq!(delivery.rate_key, "office.example.org");
    assert_eq!(
        delivery.attempts, 0,
        "nothing was tried: the attempt number is given back"
    );
    assert_eq!(
        delivery.max_attempts, 3,
        "a whole budget on the email endpoint"
    );
    assert!(
        store
            .attempts(delivery.id)
            .await
            .expect("attempts")
            .is_empty(),
        "a decision that never touched the network is not an attempt"
    );
    let detail = store
        .delivery_detail(delivery.id)
        .await
        .expect("detail")
        .expect("found");
    assert_eq!(detail.events.len(), 1);
    let event = &detail.events[0];
    assert_eq!(event.kind, DeliveryEventKind::Route);
    assert_eq!(event.from, Some((Channel::WebForm, "S001181".to_string())));
    assert_eq!(
        event.to,
        Some((Channel::Email, "staff@office.example.org".to_string()))
    );
    assert_eq!(event.reason, RECAPTCHA);
    assert_eq!(event.actor, "worker:w1");
    assert_eq!(event.attempt_no, None);
    assert_eq!(
        detail.passed_over.len(),
        1,
        "planning's pass-overs are kept"
    );

    // On email, the server refuses for good: no endpoint is left, and both reasons are on record.
    let on_email = claim_one(&store, "w1", Duration::from_secs(30)).await;
    assert_eq!(
        (on_email.id, on_email.attempt_no),
        (delivery.id, hillpost_core::AttemptNo::new(1))
    );
    store
        .record_attempts(
            "w1",
            &[record_for(
                &on_email,
                &endpoints,
                answered(AttemptOutcome::Permanent),
            )],
        )
        .await
        .expect("record");
    let detail = store
        .delivery_detail(delivery.id)
        .await
        .expect("detail")
        .expect("found");
    assert_eq!(detail.delivery.state, DeliveryState::Failed);
    assert_eq!(detail.delivery.last_error.as_deref(), Some("250 OK"));
    assert_eq!(detail.attempts.len(), 1);
    assert_eq!(detail.attempts[0].channel, Some(Channel::Email));
    let routes: Vec<String> = detail.events.iter().map(|e| e.describe()).collect();
    assert_eq!(
        routes,
        [
            format!("web_form S001181 passed over for email staff@office.example.org: {RECAPTCHA}"),
            "email staff@office.example.org passed over, no endpoint left: 250 OK".to_string(),
        ]
    );
    let status = store.batch_status(batch).await.expect("status");
    assert_eq!(status.route_notes.len(), 2);
    assert!(status.route_notes.iter().all(|(_, n)| *n == 1));
    let report = store.verify_audit().await.expect("verify");
    assert_eq!(report.broken, None);
    assert_eq!(
        report.unrecorded,
        [],
        "every route event has its audit event"
    );
    let export = store.audit_export(batch).await.expect("export");
    let records: Vec<(&str, Option<&str>)> = export
        .iter()
        .map(|l| (l.record, l.event_kind.as_deref()))
        .collect();
    assert_eq!(
        records,
        [
            ("event", Some("route")),
            ("attempt", None),
            ("event", Some("route"))
        ],
        "the pass-over, the refused attempt, the end of the route: each for what it is"
    );
}

both_backends!(
    a_web_form_whose_worker_died_while_sending_is_never_posted_again,
    clock
);
async fn a_web_form_whose_worker_died_while_sending_is_never_posted_again(
    store: Store,
    clock: TestClock,
) {
    let batch = batch_to(&store, vec![form(), email()]).await;
    let lost = claim_one(&store, "gone", Duration::from_millis(50)).await;
    store
        .mark_sending("gone", &[(lost.id, lost.attempt_no)])
        .await
        .expect("mark");
    clock.advance(Duration::from_millis(80));
    let tick = housekeeping(&store).await;
    assert_eq!(tick.recovered, 1);
    assert_eq!(tick.completed, [batch], "nothing is left to send");

    let detail = store
        .delivery_detail(lost.id)
        .await
        .expect("detail")
        .expect("found");
    assert_eq!(detail.delivery.state, DeliveryState::Unconfirmed);
    assert!(detail.delivery.possibly_accepted);
    assert_eq!(
        detail.delivery.channel,
        Channel::WebForm,
        "never moved to email"
    );
    assert_eq!(detail.attempts.len(), 1);
    assert_eq!(detail.attempts[0].outcome, AttemptOutcome::PossiblyAccepted);
    assert!(detail.events.is_empty());
    // Nothing is left to claim: no second post, no email.
    let policy = RateKeyPolicy::default();
    let claim = store
        .claim(&ClaimRequest {
            worker_id: "next",
            limit: 10,
            lease: Duration::from_secs(30),
            key_lease: Duration::from_secs(30),
            exclude_keys: &[],
            policy: &policy,
            mark_sending_on_claim: &[],
        })
        .await
        .expect("claim");
    assert!(claim.deliveries.is_empty());
}

both_backends!(an_email_that_may_have_arrived_is_resent_but_never_moved_on);
async fn an_email_that_may_have_arrived_is_resent_but_never_moved_on(store: Store) {
    batch_to(&store, vec![email(), form()]).await;
    let endpoints = [email(), form()];
    let cut = claim_one(&store, "w1", Duration::from_secs(30)).await;
    store
        .record_attempts(
            "w1",
            &[record_for(
                &cut,
                &endpoints,
                answered(AttemptOutcome::PossiblyAccepted),
            )],
        )
        .await
        .expect("record");
    let again = claim_one(&store, "w1", Duration::from_secs(30)).await;
    assert_eq!(
        (again.id, again.attempt_no),
        (cut.id, hillpost_core::AttemptNo::new(2))
    );
    assert_eq!(again.channel, Channel::Email, "resent on the same endpoint");
    assert!(
        again.possibly_accepted,
        "the claim carries what may have arrived"
    );
    // The server now refuses it for good: the first copy may still be there, so it does not
    // go on to the web form.
    store
        .record_attempts(
            "w1",
            &[record_for(
                &again,
                &endpoints,
                answered(AttemptOutcome::Permanent),
            )],
        )
        .await
        .expect("record");
    let detail = store
        .delivery_detail(cut.id)
        .await
        .expect("detail")
        .expect("found");
    assert_eq!(detail.delivery.state, DeliveryState::Unconfirmed);
    assert_eq!(detail.delivery.channel, Channel::Email);
    assert!(
        detail
            .delivery
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("not sent anywhere else"),
        "{:?}",
        detail.delivery.last_error
    );
}

both_backends!(a_person_confirms_or_resends_an_unconfirmed_letter);
async fn a_person_confirms_or_resends_an_unconfirmed_letter(store: Store) {
    let batch = batch_to(&store, vec![form(), email()]).await;
    let endpoints = [form(), email()];
    let posted = claim_one(&store, "w1", Duration::from_secs(30)).await;
    store
        .record_attempts(
            "w1",
            &[record_for(
                &posted,
                &endpoints,
                answered(AttemptOutcome::Unconfirmed),
            )],
        )
        .await
        .expect("record");
    assert_eq!(housekeeping(&store).await.completed, [batch]);

    let resend = DeliveryAction {
        action: OperatorAction::Resend,
        actor: "cli:alice",
        reason: "the office says it never arrived",
        budget: 2,
    };
    let row = store
        .act_on_delivery(posted.id, &resend)
        .await
        .expect("resend");
    assert_eq!(row.state, DeliveryState::Queued);
    assert_eq!((row.channel, row.max_attempts), (Channel::WebForm, 3));
    assert!(
        !row.possibly_accepted,
        "a person decided it had not arrived"
    );
    assert_eq!(
        store
            .batch(batch)
            .await
            .expect("batch")
            .expect("found")
            .state,
        hillpost_core::BatchState::Running,
        "the completed batch runs again"
    );
    let again = claim_one(&store, "w1", Duration::from_secs(30)).await;
    assert_eq!(
        (again.id, again.attempt_no),
        (posted.id, hillpost_core::AttemptNo::new(2))
    );
    store
        .record_attempts(
            "w1",
            &[record_for(
                &again,
                &endpoints,
                answered(AttemptOutcome::Unconfirmed),
            )],
        )
        .await
        .expect("record");

    let confirm = DeliveryAction {
        action: OperatorAction::Confirm,
        actor: "cli:alice",
        reason: "the office's staff confirmed receipt by phone",
        budget: 0,
    };
    let row = store
        .act_on_delivery(posted.id, &confirm)
        .await
        .expect("confirm");
    assert_eq!(row.state, DeliveryState::Delivered);
    // A delivered letter is never confirmed or resent again.
    match store.act_on_delivery(posted.id, &resend).await {
        Err(StoreError::DeliveryAction { state, .. }) => assert_eq!(state, "delivered"),
        other => panic!("a delivered letter was resent: {other:?}"),
    }
    let kinds: Vec<DeliveryEventKind> = store
        .delivery_events(&[posted.id])
        .await
        .expect("events")
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [DeliveryEventKind::Resent, DeliveryEventKind::Confirmed]
    );
    let report = store.verify_audit().await.expect("verify");
    assert_eq!(report.broken, None);
    assert_eq!(
        report.unrecorded,
        [],
        "every route event has its audit event"
    );
}

both_backends!(a_retry_replans_failed_letters_on_the_current_endpoints_only);
async fn a_retry_replans_failed_letters_on_the_current_endpoints_only(store: Store) {
    let batch = batch_to(&store, vec![email()]).await;
    let refused = claim_one(&store, "w1", Duration::from_secs(30)).await;
    store
        .record_attempts(
            "w1",
            &[record_for(
                &refused,
                &[email()],
                answered(AttemptOutcome::Permanent),
            )],
        )
        .await
        .expect("record");
    assert_eq!(housekeeping(&store).await.completed, [batch]);

    // The directory now has a form for the office, first in line.
    let request = RetryRequest {
        selection: RetrySelection::Failed,
        endpoints: BTreeMap::from([(
            "member:S001181".to_string(),
            (vec![form(), email()], Vec::new()),
        )]),
        actor: "cli:alice",
        reason: "the form definition was fixed",
        budget: 3,
    };
    let report = store.retry_batch(batch, &request).await.expect("retry");
    assert_eq!(report.replanned, 1);
    let row = &store.deliveries(batch).await.expect("deliveries")[0];
    assert_eq!(
        (row.state, row.channel),
        (DeliveryState::Queued, Channel::WebForm)
    );
    assert_eq!((row.id, row.attempts, row.max_attempts), (refused.id, 1, 4));
    let again = claim_one(&store, "w1", Duration::from_secs(30)).await;
    assert_eq!(
        (again.id, again.attempt_no),
        (refused.id, hillpost_core::AttemptNo::new(2)),
        "the same delivery, a new attempt"
    );
    store
        .record_attempts(
            "w1",
            &[record_for(
                &again,
                &[form(), email()],
                answered(AttemptOutcome::Ok),
            )],
        )
        .await
        .expect("record");
    // Delivered now: a second retry finds nothing to send.
    let report = store.retry_batch(batch, &request).await.expect("retry");
    assert_eq!(report.replanned, 0);
    let row = &store.deliveries(batch).await.expect("deliveries")[0];
    assert_eq!(row.state, DeliveryState::Delivered);
}

both_backends!(earlier_letters_of_a_campaign_are_listed_for_the_next_batch);
async fn earlier_letters_of_a_campaign_are_listed_for_the_next_batch(store: Store) {
    batch_to(&store, vec![email()]).await;
    let delivered = claim_one(&store, "w1", Duration::from_secs(30)).await;
    store
        .record_attempts(
            "w1",
            &[record_for(
                &delivered,
                &[email()],
                answered(AttemptOutcome::Ok),
            )],
        )
        .await
        .expect("record");
    let campaign = crate::support::campaign();
    let sent = store
        .letters_sent_before(&campaign.id)
        .await
        .expect("sent before");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipient_key, "member:S001181");
    assert_eq!(sent[0].state, DeliveryState::Delivered);
    assert!(sent[0].signature_id.is_some());
}

/// A 5.1.1 report about the delivery with `key`, as the email channel reads one.
fn bounce_about(key: &str, message: &str) -> hillpost_store::NewNotice {
    use hillpost_core::bounce::{DeliveryNotice, NoticeForm, NoticeKind};
    hillpost_store::NewNotice {
        received_at: Utc::now(),
        source: "stdin".into(),
        message: message.as_bytes().to_vec(),
        reading: hillpost_store::Reading::Notice(DeliveryNotice {
            kind: NoticeKind::Failed,
            form: NoticeForm::Dsn,
            delivery_key: Some(key.to_string()),
            status: Some("5.1.1".parse().expect("status")),
            diagnostic: Some("smtp; 550 5.1.1 no such user".into()),
            reporting_mta: Some("mx.office.example.org".into()),
            recipient: Some("staff@office.example.org".into()),
        }),
        organization: None,
        rules: rules(),
    }
}

both_backends!(a_bounced_letter_moves_on_to_the_next_endpoint_or_ends_bounced);
async fn a_bounced_letter_moves_on_to_the_next_endpoint_or_ends_bounced(store: Store) {
    use hillpost_store::NoticeOutcome;
    let batch = batch_to(&store, vec![email(), form()]).await;
    let endpoints = [email(), form()];
    let on_email = claim_one(&store, "w1", Duration::from_secs(30)).await;
    assert_eq!(on_email.channel, Channel::Email);
    store
        .record_attempts(
            "w1",
            &[record_for(
                &on_email,
                &endpoints,
                answered(AttemptOutcome::Ok),
            )],
        )
        .await
        .expect("record");
    let delivery = store.deliveries(batch).await.expect("deliveries")[0].clone();
    assert_eq!(delivery.state, DeliveryState::Delivered);
    housekeeping(&store).await;

    let notice = bounce_about(&delivery.idempotency_key, "report one");
    let outcome = store
        .record_notice("cli:test", &notice)
        .await
        .expect("notice");
    assert!(
        matches!(outcome, NoticeOutcome::Recorded { bounced: true, delivery_id, .. } if delivery_id == delivery.id),
        "{outcome:?}"
    );
    // The office's mail system did not keep it: on to the form, with a whole budget there.
    let moved = store.deliveries(batch).await.expect("deliveries")[0].clone();
    assert_eq!(moved.state, DeliveryState::Queued);
    assert_eq!(
        (moved.channel, moved.endpoint.as_str()),
        (Channel::WebForm, "S001181")
    );
    assert!(moved.max_attempts > moved.attempts);
    assert!(
        moved
            .last_error
            .as_deref()
            .unwrap()
            .contains("bounced (5.1.1")
    );
    let events = store.delivery_events(&[delivery.id]).await.expect("events");
    let bounced = events
        .iter()
        .find(|e| e.kind == DeliveryEventKind::Bounced)
        .expect("a bounced event");
    assert_eq!(bounced.to.as_ref().map(|(c, _)| *c), Some(Channel::WebForm));
    assert_eq!(
        store
            .batch(batch)
            .await
            .expect("batch")
            .expect("exists")
            .state,
        hillpost_core::BatchState::Running,
        "a completed batch is reopened for the letter that moved on"
    );
    // The same report again is recorded once and moves nothing.
    let again = store
        .record_notice("cli:test", &notice)
        .await
        .expect("notice");
    assert!(
        matches!(again, NoticeOutcome::AlreadyRecorded { .. }),
        "{again:?}"
    );

    // Delivered by form; a later report names a letter not sent by email: set aside.
    let on_form = claim_one(&store, "w1", Duration::from_secs(30)).await;
    store
        .record_attempts(
            "w1",
            &[record_for(
                &on_form,
                &endpoints,
                answered(AttemptOutcome::Ok),
            )],
        )
        .await
        .expect("record");
    let late = bounce_about(&delivery.idempotency_key, "report two");
    let outcome = store
        .record_notice("cli:test", &late)
        .await
        .expect("notice");
    assert!(
        matches!(&outcome, NoticeOutcome::SetAside { reason, .. } if reason.contains("web_form")),
        "{outcome:?}"
    );
    assert_eq!(
        store.deliveries(batch).await.expect("deliveries")[0].state,
        DeliveryState::Delivered
    );
    let audit = store.verify_audit().await.expect("verify");
    assert!(audit.broken.is_none());
}

both_backends!(a_bounce_stamps_the_delivery_its_event_and_its_batch_with_one_instant);
async fn a_bounce_stamps_the_delivery_its_event_and_its_batch_with_one_instant(store: Store) {
    let batch = batch_to(&store, vec![email(), form()]).await;
    let on_email = claim_one(&store, "w1", Duration::from_secs(30)).await;
    store
        .record_attempts(
            "w1",
            &[record_for(
                &on_email,
                &[email(), form()],
                answered(AttemptOutcome::Ok),
            )],
        )
        .await
        .expect("record");
    housekeeping(&store).await;
    let delivery = store.deliveries(batch).await.expect("deliveries")[0].clone();
    store
        .record_notice(
            "cli:test",
            &bounce_about(&delivery.idempotency_key, "report"),
        )
        .await
        .expect("notice");

    // One transaction, one clock reading: the delivery is due when its bounced event
    // happened and its batch was reopened.
    let moved = store.deliveries(batch).await.expect("deliveries")[0].clone();
    let events = store.delivery_events(&[delivery.id]).await.expect("events");
    let bounced = events
        .iter()
        .find(|e| e.kind == DeliveryEventKind::Bounced)
        .expect("a bounced event");
    let reopened = store.batch(batch).await.expect("batch").expect("exists");
    assert_eq!(moved.state, DeliveryState::Queued);
    assert_eq!(moved.due_at, bounced.at);
    assert_eq!(reopened.updated_at, bounced.at);
}
