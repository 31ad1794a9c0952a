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
