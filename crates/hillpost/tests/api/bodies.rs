use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Api, BODY_LIMIT, ORG, code};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

both_backends!(bad_bodies_get_clear_errors_and_change_nothing);
async fn bad_bodies_get_clear_errors_and_change_nothing(url: String) {
    let api = Api::start(&url, &[]).await;
    let token = &api.organizer;

    // Over the limit: 413, in the API's JSON shape.
    let huge = "#".repeat(BODY_LIMIT + 1);
    let (status, body) = api
        .post_text("/api/v1/campaigns", token, "application/toml", &huge)
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(code(&body), "payload_too_large");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&BODY_LIMIT.to_string())
    );

    // A campaign that does not check: 422 naming the problem.
    let (status, body) = api
        .post_text(
            "/api/v1/campaigns",
            token,
            "application/toml",
            "id = \"x\"\ntitle = ",
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_campaign"),
        "{body}"
    );
    assert!(
        api.store.campaigns().await.unwrap().is_empty(),
        "nothing stored"
    );

    api.seed("ours", ORG, 2, &[STAFF]).await;

    // A CSV without an email column: 400. A CSV with a bad row: 422 with the line, and
    // nothing imported.
    let import = "/api/v1/campaigns/ours/signatures/import";
    let (status, body) = api
        .post_text(import, token, "text/csv", "name,city\nAna,Lima\n")
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "malformed_body"),
        "{body}"
    );
    let bad_row = "first_name,email,country\nAna,ana@example.org,PE\nBob,not-an-email,US\n";
    let (status, body) = api.post_text(import, token, "text/csv", bad_row).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "rejected_rows"),
        "{body}"
    );
    assert_eq!(body["error"]["details"][0]["line"], 3, "{body}");
    assert_eq!(signature_count(&api).await, 2);
    let (status, body) = api
        .post_text(
            &format!("{import}?skip_invalid=true"),
            token,
            "text/csv",
            bad_row,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["accepted"].as_u64(), body["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(signature_count(&api).await, 3);

    // Single sign-ups: malformed JSON 400, wrong shape 422, unknown field 422, bad email
    // 422; a good one 201, the same again 200 (a duplicate, not stored twice).
    let sign_up = "/api/v1/campaigns/ours/signatures";
    let (status, body) = api
        .post_text(sign_up, token, "application/json", "{\"email\": ")
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "malformed_body"),
        "{body}"
    );
    let (status, body) = api.post_json(sign_up, token, json!(["a list"])).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        "{body}"
    );
    let (status, body) = api
        .post_json(
            sign_up,
            token,
            json!({"email": "c@example.org", "first_name": "C", "shoe_size": "9"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_signature"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("shoe_size")
    );
    let (status, body) = api
        .post_json(sign_up, token, json!({"email": "nope", "first_name": "C"}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_signature"),
        "{body}"
    );
    assert_eq!(signature_count(&api).await, 3);
    let chloe = json!({"email": "chloe@example.fr", "first_name": "Chloé", "country": "FR",
        "language": "fr", "can_be_emailed": true});
    let (status, body) = api.post_json(sign_up, token, chloe.clone()).await;
    assert_eq!(
        (status, body["stored"].as_bool()),
        (StatusCode::CREATED, Some(true)),
        "{body}"
    );
    let (status, body) = api.post_json(sign_up, token, chloe).await;
    assert_eq!(
        (status, body["stored"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{body}"
    );
    assert_eq!(signature_count(&api).await, 4);

    // Batches: a bad time, an unknown field, malformed JSON; nothing created.
    let batches = "/api/v1/campaigns/ours/batches";
    for (request, expected) in [
        (json!({"at": "tomorrow"}), "invalid_time"),
        (
            json!({"at": "2026-12-01 09:00", "timezone": "Mars/Olympus"}),
            "invalid_time",
        ),
        (json!({"dry_run": true, "priority": "high"}), "invalid_body"),
    ] {
        let (status, body) = api.post_json(batches, token, request).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, expected),
            "{body}"
        );
    }
    let (status, body) = api
        .post_text(batches, token, "application/json", "{dry_run: true}")
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "malformed_body"),
        "{body}"
    );
    assert!(
        api.store.batches(None).await.unwrap().is_empty(),
        "no batch created"
    );

    // Bad path and query values answer in JSON too.
    let (status, body) = api.get("/api/v1/batches/abc", token).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::NOT_FOUND, "not_found"),
        "{body}"
    );
    let (status, body) = api
        .post_text(
            "/api/v1/campaigns?replace=maybe",
            token,
            "application/toml",
            "",
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_query"),
        "{body}"
    );

    // A dry run previews and stores nothing.
    let (status, body) = api
        .post_json(batches, token, json!({"dry_run": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["letters"], 4, "{body}");
    assert_eq!(body["recipients"][0]["name"], "Committee staff");
    assert!(
        api.store.batches(None).await.unwrap().is_empty(),
        "a dry run stores nothing"
    );
}

async fn signature_count(api: &Api) -> u64 {
    let stored = api.get("/api/v1/campaigns/ours", &api.organizer).await.1;
    stored["signature_count"].as_u64().expect("signature_count")
}
