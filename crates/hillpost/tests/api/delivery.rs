use std::time::Duration;

use chrono::{DateTime, Utc};
use hillpost_testkit::poll_until;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Api, LONG, ORG};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

async fn status(api: &Api, batch: i64) -> Value {
    let (status, body) = api
        .get(&format!("/api/v1/batches/{batch}"), &api.auditor)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn count(status: &Value, state: &str) -> u64 {
    status["by_state"][state].as_u64().unwrap_or(0)
}

both_backends!(a_scheduled_batch_starts_at_its_time_not_before);
async fn a_scheduled_batch_starts_at_its_time_not_before(url: String) {
    let api = Api::start(&url, &[("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited")]).await;
    api.start_worker();
    api.seed("ours", ORG, 3, &[STAFF]).await;
    let (code, created) = api
        .post_json(
            "/api/v1/campaigns/ours/batches",
            &api.organizer,
            json!({"at": "+3s"}),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["batch"]["state"], "scheduled");
    let batch = created["batch"]["id"].as_i64().unwrap();
    let start: DateTime<Utc> = created["batch"]["start_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    // Until shortly before its time, nothing is tried.
    while Utc::now() < start - chrono::Duration::milliseconds(500) {
        let s = status(&api, batch).await;
        assert_eq!(s["batch"]["state"], "scheduled", "{s}");
        assert_eq!(s["attempts"], 0, "{s}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let done = poll_until("the batch to complete", LONG, || async {
        let s = status(&api, batch).await;
        (s["batch"]["state"] == "completed").then_some(s)
    })
    .await;
    assert_eq!(count(&done, "delivered"), 3, "{done}");

    let (code, deliveries) = api
        .get(&format!("/api/v1/batches/{batch}/deliveries"), &api.auditor)
        .await;
    assert_eq!(code, StatusCode::OK);
    for delivery in deliveries["deliveries"].as_array().unwrap() {
        assert_eq!(delivery["state"], "delivered", "{delivery}");
        let attempts = delivery["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "{delivery}");
        let started: DateTime<Utc> = attempts[0]["started_at"].as_str().unwrap().parse().unwrap();
        assert!(
            started >= start,
            "attempt at {started}, before the start {start}"
        );
        assert_eq!(attempts[0]["outcome"], "ok");
    }

    // The metrics listener answers without a token and counts what happened.
    let text = api
        .client
        .get(format!("{}/metrics", api.metrics_base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("hillpost_deliveries{state=\"delivered\",channel=\"email\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("hillpost_attempt_duration_seconds_count 3"),
        "{text}"
    );
    assert!(text.contains("hillpost_queue_depth 0"), "{text}");
    let (code, with_token) = api.get("/metrics", &api.auditor).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        with_token
            .as_str()
            .unwrap()
            .contains("hillpost_batches{state=\"completed\"} 1")
    );
}

both_backends!(pause_stops_attempts_resume_continues_cancel_ends);
async fn pause_stops_attempts_resume_continues_cancel_ends(url: String) {
    // One office at 5 letters a second: 20 letters take about four seconds.
    let api = Api::start(&url, &[("HILLPOST__RATE_LIMITS__DEFAULT", "5/s")]).await;
    api.start_worker();
    api.seed("ours", ORG, 20, &[STAFF]).await;
    let (code, created) = api
        .post_json("/api/v1/campaigns/ours/batches", &api.organizer, json!({}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let batch = created["batch"]["id"].as_i64().unwrap();
    let control = |action: &'static str| {
        let api = &api;
        async move {
            let (code, body) = api
                .post_json(
                    &format!("/api/v1/batches/{batch}/{action}"),
                    &api.organizer,
                    json!({}),
                )
                .await;
            assert_eq!(code, StatusCode::OK, "{action}: {body}");
            body
        }
    };

    poll_until("two deliveries", LONG, || async {
        (count(&status(&api, batch).await, "delivered") >= 2).then_some(())
    })
    .await;
    assert_eq!(control("pause").await["state"], "paused");
    // Attempts already under way finish; then nothing moves.
    let paused = poll_until("in-flight deliveries to settle", LONG, || async {
        let s = status(&api, batch).await;
        (count(&s, "in_flight") == 0).then_some(s)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let still = status(&api, batch).await;
    assert_eq!(
        still["attempts"], paused["attempts"],
        "no attempts while paused"
    );
    assert!(count(&still, "queued") > 0, "{still}");

    assert_eq!(control("resume").await["state"], "running");
    let before = paused["attempts"].as_u64().unwrap();
    poll_until("attempts to continue", LONG, || async {
        (status(&api, batch).await["attempts"].as_u64().unwrap() > before).then_some(())
    })
    .await;

    assert_eq!(control("cancel").await["state"], "cancelled");
    let ended = poll_until("the rest to be cancelled", LONG, || async {
        let s = status(&api, batch).await;
        (count(&s, "queued") == 0 && count(&s, "in_flight") == 0).then_some(s)
    })
    .await;
    assert!(count(&ended, "cancelled") > 0, "{ended}");
    assert_eq!(
        count(&ended, "delivered") + count(&ended, "cancelled"),
        20,
        "{ended}"
    );
    // A cancelled batch cannot be resumed.
    let (code, body) = api
        .post_json(
            &format!("/api/v1/batches/{batch}/resume"),
            &api.organizer,
            json!({}),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
}

// A person's decisions through the API: the record of one delivery, confirm or resend an
// unconfirmed letter (409 for any other state), retry a batch's failed letters.
both_backends!(a_person_decides_about_letters_through_the_api);
async fn a_person_decides_about_letters_through_the_api(url: String) {
    use hillpost_core::delivery::{AttemptOutcome, DeliveryState, Transition};
    use hillpost_store::{AttemptRecord, ClaimRequest, RateKeyPolicy};

    let api = Api::start(&url, &[]).await;
    api.seed("ours", ORG, 2, &[STAFF]).await;
    let (code, created) = api
        .post_json("/api/v1/campaigns/ours/batches", &api.organizer, json!({}))
        .await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let batch = created["batch"]["id"].as_i64().unwrap();
    let policy = RateKeyPolicy::default();
    let claim = api
        .store
        .claim(&ClaimRequest {
            worker_id: "w1",
            limit: 2,
            lease: Duration::from_secs(30),
            key_lease: Duration::from_secs(30),
            exclude_keys: &[],
            policy: &policy,
            mark_sending_on_claim: &[],
        })
        .await
        .unwrap();
    let now = Utc::now();
    let records: Vec<AttemptRecord> = claim
        .deliveries
        .iter()
        .zip([DeliveryState::Unconfirmed, DeliveryState::Failed])
        .map(|(d, state)| AttemptRecord {
            delivery_id: d.id,
            attempt_no: d.attempt_no,
            started_at: now,
            finished_at: now,
            outcome: match state {
                DeliveryState::Unconfirmed => AttemptOutcome::Unconfirmed,
                _ => AttemptOutcome::Permanent,
            },
            endpoint: d.endpoint.clone(),
            remote_code: Some(200),
            remote_text: None,
            sent_sha256: None,
            receiver_id: None,
            note: None,
            transition: Transition::finish(state),
        })
        .collect();
    api.store.record_attempts("w1", &records).await.unwrap();
    let (unconfirmed, failed) = (claim.deliveries[0].id, claim.deliveries[1].id);

    let (code, record) = api
        .get(&format!("/api/v1/deliveries/{unconfirmed}"), &api.auditor)
        .await;
    assert_eq!(code, StatusCode::OK, "{record}");
    assert_eq!(record["delivery"]["state"], "unconfirmed");
    assert_eq!(record["delivery"]["attempts"][0]["outcome"], "unconfirmed");
    assert_eq!(record["batch_id"], batch);

    let reason = json!({ "reason": "the office confirmed it" });
    let (code, body) = api
        .post_json(
            &format!("/api/v1/deliveries/{failed}/confirm"),
            &api.organizer,
            reason.clone(),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::CONFLICT,
        "a failed letter is not confirmed: {body}"
    );
    let (code, body) = api
        .post_json(
            &format!("/api/v1/deliveries/{unconfirmed}/confirm"),
            &api.organizer,
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required: {body}"
    );
    let (code, body) = api
        .post_json(
            &format!("/api/v1/deliveries/{unconfirmed}/confirm"),
            &api.organizer,
            reason,
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["delivery"]["state"], "delivered");
    assert_eq!(body["delivery"]["events"][0]["kind"], "confirmed");
    assert!(
        body["delivery"]["events"][0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("api:"),
        "{body}"
    );

    let (code, body) = api
        .post_json(
            &format!("/api/v1/batches/{batch}/retry"),
            &api.organizer,
            json!({ "selection": "failed", "reason": "office email added" }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["replanned"], 1);
    let (_, record) = api
        .get(&format!("/api/v1/deliveries/{failed}"), &api.auditor)
        .await;
    assert_eq!(record["delivery"]["state"], "queued");
    let (code, body) = api
        .post_json(
            &format!("/api/v1/batches/{batch}/retry"),
            &api.organizer,
            json!({ "selection": "everything", "reason": "x" }),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}
