//! An attempt's evidence through the API: listed and served to the organizers of the
//! campaign and to auditors, a 404 for another organization, the bytes as captured (never
//! run in our origin), and each SHA-256 in the batch's audit export.

use hillpost_core::delivery::{Evidence, EvidenceKind};
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::support::{Api, OTHER_ORG};

both_backends!(evidence_is_served_to_its_organization_and_listed_in_the_audit_export);
async fn evidence_is_served_to_its_organization_and_listed_in_the_audit_export(url: String) {
    let api = Api::start(&url, &[]).await;
    let (batch, delivery) = api.delivered_batch().await;
    let page = Evidence::page(
        EvidenceKind::AnswerPage,
        "<html><body><h2>Thank you for contacting my office.</h2><script>alert(1)</script></body></html>",
    );
    let shot = Evidence::screenshot(
        EvidenceKind::ScreenshotAfterSubmit,
        b"\x89PNG\r\n\x1a\n-- a screenshot --".to_vec(),
    )
    .unwrap();
    api.keep_evidence(delivery, &[&page, &shot]).await;

    let list = format!("/api/v1/batches/{batch}/evidence?delivery={delivery}");
    let (status, listed) = api.get(&list, &api.organizer).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let listed = listed.as_array().unwrap().clone();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["kind"], "answer_page");
    assert_eq!(listed[1]["kind"], "screenshot_after_submit");
    assert_eq!(listed[0]["sha256"], page.sha256());
    // The delivery's own record lists the same evidence, to decide it by.
    let (status, record) = api
        .get(&format!("/api/v1/deliveries/{delivery}"), &api.organizer)
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["evidence"].as_array().unwrap().len(), 2, "{record}");
    assert_eq!(record["evidence"][0]["sha256"], page.sha256());
    let (status, _) = api.get(&list, &api.auditor).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api.get(&list, &api.other).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another organization: {body}"
    );

    for (item, evidence) in listed.iter().zip([&page, &shot]) {
        let path = item["url"].as_str().unwrap();
        for (token, allowed) in [
            (&api.organizer, true),
            (&api.auditor, true),
            (&api.other, false),
        ] {
            let response = api
                .client
                .get(format!("{}{path}", api.base))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            if !allowed {
                assert_eq!(
                    response.status(),
                    StatusCode::NOT_FOUND,
                    "{OTHER_ORG}: {path}"
                );
                continue;
            }
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let headers = response.headers().clone();
            assert_eq!(headers["content-type"], evidence.content_type.as_str());
            assert!(
                headers["content-disposition"]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment")
            );
            assert!(
                headers["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .contains("sandbox")
            );
            let bytes = response.bytes().await.unwrap();
            assert_eq!(bytes.as_ref(), evidence.content.as_slice());
            assert_eq!(
                hex::encode(Sha256::digest(&bytes)),
                item["sha256"].as_str().unwrap()
            );
        }
    }
    // Another batch's id does not reach this evidence.
    let elsewhere = format!(
        "/api/v1/batches/{}/evidence/{}",
        batch.get() + 1,
        listed[0]["id"]
    );
    let (status, _) = api.get(&elsewhere, &api.auditor).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The audit export names both by SHA-256, on the attempt's line (CSV and JSON Lines).
    let expected = format!(
        "answer_page:{} screenshot_after_submit:{}",
        page.sha256(),
        shot.sha256()
    );
    let (status, csv) = api
        .get(
            &format!("/api/v1/batches/{batch}/audit?format=csv"),
            &api.auditor,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let csv = csv.as_str().unwrap().to_string();
    assert!(
        csv.lines().next().unwrap().ends_with(",evidence_sha256"),
        "{csv}"
    );
    assert!(csv.contains(&expected), "{csv}");
    let (status, jsonl) = api
        .get(&format!("/api/v1/batches/{batch}/audit"), &api.organizer)
        .await;
    assert_eq!(status, StatusCode::OK);
    let line: serde_json::Value = match jsonl {
        serde_json::Value::String(text) => {
            serde_json::from_str(text.lines().next().unwrap()).unwrap()
        }
        other => other,
    };
    assert_eq!(line["delivery_id"], delivery.get());
    assert_eq!(line["attempt_no"], 1);
    assert_eq!(line["evidence_sha256"], expected.as_str());
}
