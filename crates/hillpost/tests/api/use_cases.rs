//! The use-case layer (`hillpost::app`) as every surface meets it: its failures typed, a
//! database that cannot be used answered 503 without the driver's words.

use hillpost::app::{App, AppError, BadInput, BatchStart, NewBatch};
use hillpost::server::error::ApiError;
use hillpost_core::CampaignId;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Api, ORG, code};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

/// Words that would tell a caller about our insides: drivers, SQL, files, hosts.
fn assert_no_internals(text: &str, url: &str) {
    let lower = text.to_lowercase();
    for word in [
        "sqlx", "sqlite", "postgres", "pool", "select ", "insert ", "/tmp", ".db",
    ] {
        assert!(!lower.contains(word), "`{word}` in {text}");
    }
    assert!(!text.contains(url), "the database URL in {text}");
}

// The layer's refusals: unknown campaign → not found, a start time that does not parse →
// invalid input naming it; the API answers them 404 and 422 with their codes.
both_backends!(the_layer_types_its_refusals);
async fn the_layer_types_its_refusals(url: String) {
    let api = Api::start(&url, &[]).await;
    api.seed("typed", ORG, 2, &[STAFF]).await;
    let app = App::new(&api.store, &api.settings);
    let missing = CampaignId::parse("missing").unwrap();
    let error = app
        .create_batch(&missing, &NewBatch::default(), "test")
        .await
        .err()
        .expect("no campaign, no batch");
    assert!(matches!(error, AppError::NotFound(_)), "{error:?}");
    let tomorrow = NewBatch {
        start: BatchStart::At {
            at: "tomorrow".into(),
            timezone: None,
        },
        include_delivered: false,
    };
    let typed = CampaignId::parse("typed").unwrap();
    let error = app
        .create_batch(&typed, &tomorrow, "test")
        .await
        .err()
        .expect("a time that does not parse");
    assert!(
        matches!(
            error,
            AppError::Invalid {
                input: BadInput::StartTime,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(api.store.batches(None).await.unwrap().is_empty());
    let error = app
        .decide_delivery(
            hillpost_core::DeliveryId::new(1),
            hillpost_core::delivery::OperatorAction::Confirm,
            "   ",
            "test",
        )
        .await
        .expect_err("a decision without a reason");
    assert!(
        matches!(
            error,
            AppError::Invalid {
                input: BadInput::Reason,
                ..
            }
        ),
        "{error:?}"
    );

    // Through the API: a timezone without a time is refused, not ignored.
    let (status, body) = api
        .post_json(
            "/api/v1/campaigns/typed/batches",
            &api.organizer,
            json!({ "timezone": "America/New_York" }),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_time"),
        "{body}"
    );
    let created = app
        .create_batch(&typed, &NewBatch::default(), "cli:tester")
        .await
        .expect("a batch");
    assert_eq!(created.status.total(), created.deliveries as u64);
    let (status, body) = api
        .post_json(
            &format!("/api/v1/batches/{}/resume", created.id),
            &api.organizer,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "invalid_transition"),
        "a running batch is not resumed: {body}"
    );
}

// A database that cannot be used (here: its pool closed under the server) is a 503 with a
// plain message: no SQL, no driver, no file path, no URL; the layer says
// `DatabaseUnavailable`, not "invalid input".
both_backends!(a_closed_database_is_a_503_without_internals);
async fn a_closed_database_is_a_503_without_internals(url: String) {
    let api = Api::start(&url, &[]).await;
    api.seed("closed", ORG, 2, &[STAFF]).await;
    api.store.close().await;

    let app = App::new(&api.store, &api.settings);
    let campaign = CampaignId::parse("closed").unwrap();
    let error = app
        .create_batch(&campaign, &NewBatch::default(), "test")
        .await
        .err()
        .expect("no database, no batch");
    assert!(
        matches!(error, AppError::DatabaseUnavailable(_)),
        "{error:?}"
    );
    let error = app
        .preview_batch(&campaign, false)
        .await
        .err()
        .expect("no database, no preview");
    assert!(
        matches!(error, AppError::DatabaseUnavailable(_)),
        "planning's store failure is not the campaign's fault: {error:?}"
    );
    let answer = ApiError::from(error);
    assert!(matches!(answer, ApiError::Unavailable(_)), "{answer:?}");
    assert_no_internals(&answer.to_string(), &url);

    for (path, body) in [
        ("/api/v1/campaigns/closed/batches", json!({})),
        (
            "/api/v1/campaigns/closed/batches",
            json!({ "dry_run": true }),
        ),
        ("/api/v1/batches/1/pause", json!({})),
    ] {
        let (status, body) = api.post_json(path, &api.organizer, body).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable"),
            "{path}: {body}"
        );
        assert_no_internals(&body.to_string(), &url);
    }
    let (status, body) = api.get("/api/v1/campaigns", &api.auditor).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_no_internals(&body.to_string(), &url);
}
