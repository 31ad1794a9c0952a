use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Api, ORG, OTHER_ORG, code};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

/// Every route the API serves, as the OpenAPI document lists it. A route added to the
/// router is in the document by construction (utoipa-axum registers both); this list makes
/// a change to either visible in review.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/.well-known/hillpost-signing-key"),
    ("GET", "/api/v1/audit/checkpoint"),
    ("GET", "/api/v1/audit/verify"),
    ("GET", "/api/v1/batches/{id}"),
    ("GET", "/api/v1/batches/{id}/audit"),
    ("GET", "/api/v1/batches/{id}/deliveries"),
    ("GET", "/api/v1/batches/{id}/evidence"),
    ("GET", "/api/v1/batches/{id}/evidence/{evidence}"),
    ("GET", "/api/v1/campaigns"),
    ("GET", "/api/v1/campaigns/{id}"),
    ("GET", "/api/v1/campaigns/{id}/batches"),
    ("GET", "/api/v1/deliveries/{id}"),
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/receipts/{token}"),
    ("GET", "/receipts/{token}/receipt.json"),
    ("POST", "/api/v1/batches/{id}/cancel"),
    ("POST", "/api/v1/batches/{id}/pause"),
    ("POST", "/api/v1/batches/{id}/resume"),
    ("POST", "/api/v1/batches/{id}/retry"),
    ("POST", "/api/v1/bounces"),
    ("POST", "/api/v1/campaigns"),
    ("POST", "/api/v1/campaigns/{id}/batches"),
    ("POST", "/api/v1/campaigns/{id}/signatures"),
    ("POST", "/api/v1/campaigns/{id}/signatures/import"),
    ("POST", "/api/v1/campaigns/{id}/signers/erase"),
    ("POST", "/api/v1/deliveries/{id}/confirm"),
    ("POST", "/api/v1/deliveries/{id}/resend"),
];

fn documented() -> Vec<(String, String)> {
    let doc = serde_json::to_value(hillpost::server::openapi()).expect("document");
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes.sort();
    routes
}

#[test]
fn the_openapi_document_lists_exactly_the_routes() {
    let expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented(), expected);
}

both_backends!(every_route_checks_tokens_roles_and_organizations);
async fn every_route_checks_tokens_roles_and_organizations(url: String) {
    let api = Api::start(&url, &[]).await;
    api.seed("ours", ORG, 2, &[STAFF]).await;
    api.seed("theirs", OTHER_ORG, 2, &[STAFF]).await;
    let later = json!({ "at": "+1h" });
    let (status, ours) = api
        .post_json(
            "/api/v1/campaigns/ours/batches",
            &api.organizer,
            later.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ours}");
    assert_eq!(ours["batch"]["state"], "scheduled");
    let batch = ours["batch"]["id"].as_i64().expect("batch id");
    let (_, page) = api
        .get(
            &format!("/api/v1/batches/{batch}/deliveries"),
            &api.organizer,
        )
        .await;
    let delivery = page["deliveries"][0]["id"].as_i64().expect("a delivery");
    // A page one of the batch's attempts kept.
    let page = hillpost_core::delivery::Evidence::page(
        hillpost_core::delivery::EvidenceKind::AnswerPage,
        "<h2>Thank you</h2>",
    );
    api.store
        .store_evidence(&[hillpost_store::NewEvidence {
            delivery_id: delivery.into(),
            attempt_no: hillpost_core::AttemptNo::new(1),
            evidence: &page,
        }])
        .await
        .expect("evidence");
    let evidence = api
        .store
        .evidence_of(delivery.into())
        .await
        .expect("evidence")[0]
        .id;
    // A signed checkpoint, for the route that serves it.
    api.store
        .write_checkpoint(
            &hillpost_core::audit::SigningKey::from_seed([4; 32]),
            std::time::Duration::ZERO,
        )
        .await
        .expect("checkpoint");

    for (method, path) in documented() {
        let concrete = if path.starts_with("/api/v1/batches") {
            path.replace("{id}", &batch.to_string())
                .replace("{evidence}", &evidence.to_string())
        } else if path.starts_with("/api/v1/deliveries") {
            path.replace("{id}", &delivery.to_string())
        } else {
            path.replace("{id}", "ours")
        };
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let what = format!("{method} {concrete}");

        if path.starts_with("/receipts/{token}") {
            // No bearer token here: the path's token is the key, and a wrong one is a bare
            // 404 whatever Authorization says.
            for token in [
                None,
                Some(api.auditor.as_str()),
                Some(api.organizer.as_str()),
            ] {
                let concrete = path.replace("{token}", &"0".repeat(64));
                let (status, body) = api.call(method.clone(), &concrete, token, None).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{what}: {body}");
                assert_eq!(body, Value::String("not found\n".into()), "{what}");
            }
            continue;
        }
        let (status, body) = api.call(method.clone(), &concrete, None, None).await;
        if path == "/health" || path == "/.well-known/hillpost-signing-key" {
            assert_eq!(status, StatusCode::OK, "{what}: {body}");
            continue;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_eq!(code(&body), "missing_token", "{what}");

        let wrong = "hp_0000000000000000000000000000000000000000000000000000000000000000";
        let (status, body) = api.call(method.clone(), &concrete, Some(wrong), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
        assert_eq!(code(&body), "invalid_token", "{what}");

        if method == Method::POST {
            let (status, body) = api
                .call(
                    method.clone(),
                    &concrete,
                    Some(&api.auditor),
                    Some(("application/json", b"{}".to_vec())),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "auditor {what}: {body}");
            assert_eq!(code(&body), "forbidden", "{what}");
        } else {
            let (status, body) = api
                .call(method.clone(), &concrete, Some(&api.auditor), None)
                .await;
            assert_eq!(status, StatusCode::OK, "auditor {what}: {body}");
        }

        // Another organization's token: our campaign and batch do not exist for it.
        if concrete.contains("ours")
            || concrete.contains(&format!("/{batch}"))
            || path.starts_with("/api/v1/deliveries")
        {
            let (status, body) = api
                .call(
                    method.clone(),
                    &concrete,
                    Some(&api.other),
                    Some(("application/json", b"{}".to_vec())),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "other organization {what}: {body}"
            );
            assert_eq!(code(&body), "not_found", "{what}");
        }
    }

    // The whole chain spans every organization: organizers may not verify it, nor read
    // its checkpoints.
    let (status, body) = api.get("/api/v1/audit/verify", &api.organizer).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, body) = api.get("/api/v1/audit/checkpoint", &api.organizer).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    // Organizers export their own batches.
    let (status, _) = api
        .get(&format!("/api/v1/batches/{batch}/audit"), &api.organizer)
        .await;
    assert_eq!(status, StatusCode::OK);

    // Listing shows each organization its own campaigns; the auditor sees all.
    let ids = |body: Value| -> Vec<String> {
        body.as_array()
            .expect("list")
            .iter()
            .map(|c| c["id"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        ids(api.get("/api/v1/campaigns", &api.organizer).await.1),
        ["ours"]
    );
    assert_eq!(
        ids(api.get("/api/v1/campaigns", &api.other).await.1),
        ["theirs"]
    );
    assert_eq!(
        ids(api.get("/api/v1/campaigns", &api.auditor).await.1),
        ["ours", "theirs"]
    );

    // An organizer cannot add (or take over) a campaign of another organization, and is
    // told no more than that the id is taken, with or without `replace`.
    let foreign = hillpost_testkit::fixtures::campaign_toml("ours", "individual", &[STAFF])
        .replace(ORG, OTHER_ORG);
    let mut answers = Vec::new();
    for path in ["/api/v1/campaigns?replace=true", "/api/v1/campaigns"] {
        let (status, body) = api
            .post_text(path, &api.other, "application/toml", &foreign)
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "campaign_exists"),
            "{body}"
        );
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1], "the same answer either way");
    let (status, _) = api.get("/api/v1/campaigns/ours", &api.organizer).await;
    assert_eq!(status, StatusCode::OK, "still ours");

    // The OpenAPI document needs a token too.
    let (status, body) = api.get("/api/v1/openapi.json", &api.auditor).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["paths"]["/api/v1/campaigns"].is_object());
    let (status, _) = api
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Unknown routes answer in the same JSON shape.
    let (status, body) = api.get("/api/v1/nothing", &api.auditor).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "no_route"));

    // A revoked token stops working at once.
    let id = api.store.tokens().await.unwrap()[0].id;
    api.store.revoke_token(id).await.unwrap();
    let (status, body) = api.get("/api/v1/campaigns", &api.organizer).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
}
