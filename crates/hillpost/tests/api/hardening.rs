//! Findings of the security probe (issue 15), each through the API as the probe made it.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Api, ORG, code};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

// A template that renders 40 MB per letter: 422 naming the limit, and the server lives.
both_backends!(a_letter_that_fills_in_too_large_is_refused_with_the_limit);
async fn a_letter_that_fills_in_too_large_is_refused_with_the_limit(url: String) {
    let api = Api::start(&url, &[]).await;
    let toml = hillpost_testkit::fixtures::campaign_toml("huge", "individual", &[STAFF]).replace(
        "Please bring the troops home.",
        "{% set s = \\\"x\\\" * 40000000 %}{{ s }}",
    );
    assert!(toml.contains("40000000"), "the body was replaced");
    api.seed_file("huge", &api.organizer, &toml, 200).await;
    for dry_run in [true, false] {
        let (status, body) = api
            .post_json(
                "/api/v1/campaigns/huge/batches",
                &api.organizer,
                json!({ "dry_run": dry_run }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("100000 bytes") || message.contains("fuel"),
            "names the limit: {message}"
        );
    }
    let (status, _) = api.get("/api/v1/campaigns", &api.organizer).await;
    assert_eq!(status, StatusCode::OK, "the server still answers");
}

both_backends!(a_far_future_start_is_a_422_not_a_panic);
async fn a_far_future_start_is_a_422_not_a_panic(url: String) {
    let api = Api::start(&url, &[]).await;
    api.seed("later", ORG, 2, &[STAFF]).await;
    for at in ["+9999999999d", "+400d", "9999-01-01T00:00:00Z"] {
        let (status, body) = api
            .post_json(
                "/api/v1/campaigns/later/batches",
                &api.organizer,
                json!({ "at": at }),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_time"),
            "{at}: {body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("366 days")
        );
    }
}

// `/metrics` counts every organization's deliveries: not for an organizer's token.
both_backends!(metrics_on_the_api_listener_are_for_auditors_only);
async fn metrics_on_the_api_listener_are_for_auditors_only(url: String) {
    let api = Api::start(&url, &[]).await;
    let (status, body) = api.get("/metrics", &api.organizer).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, body) = api.get("/metrics", &api.auditor).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.as_str().unwrap().contains("hillpost_deliveries"));
}

both_backends!(every_answer_carries_security_headers);
async fn every_answer_carries_security_headers(url: String) {
    let api = Api::start(&url, &[]).await;
    let receipt = format!("/receipts/{}", "0".repeat(64));
    for (path, token) in [
        ("/api/v1/campaigns", Some(api.organizer.as_str())),
        ("/api/v1/campaigns", None),
        (receipt.as_str(), None),
        ("/health", None),
    ] {
        let mut request = api.client.get(format!("{}{path}", api.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert!(
            header("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(!header("referrer-policy").is_empty(), "{path}");
    }
}

both_backends!(errors_made_before_a_handler_have_the_json_shape);
async fn errors_made_before_a_handler_have_the_json_shape(url: String) {
    let api = Api::start(&url, &[]).await;
    let cases = [
        (
            Method::DELETE,
            "/api/v1/campaigns".to_string(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::GET,
            format!("/api/v1/campaigns/{}", "a".repeat(9000)),
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
        ),
        (
            Method::GET,
            "/api/v1/campaigns/%FF%FE".to_string(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    for (method, path, status, expected) in cases {
        let (got, body) = api
            .call(method.clone(), &path, Some(&api.organizer), None)
            .await;
        assert_eq!(got, status, "{method} {path}: {body}");
        assert_eq!(code(&body), expected, "{method} {path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

// RFC 7235: the scheme is case-insensitive.
both_backends!(the_bearer_scheme_is_case_insensitive);
async fn the_bearer_scheme_is_case_insensitive(url: String) {
    let api = Api::start(&url, &[]).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let response = api
            .client
            .get(format!("{}/api/v1/campaigns", api.base))
            .header("authorization", format!("{scheme} {}", api.organizer))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{scheme}");
    }
    let response = api
        .client
        .get(format!("{}/api/v1/campaigns", api.base))
        .header("authorization", format!("Basic {}", api.organizer))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
