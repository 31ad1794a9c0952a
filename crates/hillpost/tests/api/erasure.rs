//! `POST /api/v1/campaigns/{id}/signers/erase` end to end: letters and signed receipts sent
//! by an in-process worker through a real SMTP server, then one signer erased through the
//! API. Their name and address are gone from every table and from the audit export; the
//! chain still verifies; their receipt page no longer opens; only the campaign's own
//! organizer may erase, and the answers say what went wrong without repeating the address.

use hillpost_testkit::scan::{every_value, traces};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Api, ORG, OTHER_ORG, code, receipt_token};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

both_backends!(an_organizer_erases_a_signer_through_the_api);
async fn an_organizer_erases_a_signer_through_the_api(url: String) {
    let Some((api, smtp)) = Api::sending_receipts(
        &url,
        "api::erasure::an_organizer_erases_a_signer_through_the_api",
        21,
    )
    .await
    else {
        return;
    };
    api.seed("ours", ORG, 2, &[STAFF]).await;
    let batch = api.completed_batch("ours").await;
    let messages = smtp.wait_for_messages(4).await;
    let receipt = messages
        .iter()
        .find(|m| m.mailbox("To").unwrap().address == "signer0@example.org")
        .expect("signer 0's receipt");
    let page = format!(
        "{}/receipts/{}",
        api.base,
        receipt_token(receipt.text.as_deref().unwrap())
    );
    let opened = api.client.get(&page).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);

    // Signer 0 (Boston) is in letters, a receipt and its signed statement.
    let signer0 = ["signer0@example.org", "Number0"];
    let before = every_value(&url).await;
    for needle in signer0 {
        assert!(!traces(&before, needle).is_empty(), "{needle} is stored");
    }

    let erase = "/api/v1/campaigns/ours/signers/erase";
    let body = json!({ "email": "Signer0@example.org" });
    // Only the campaign's own organizer: an auditor is refused, another organization is
    // told there is no such campaign.
    let (status, _) = api.post_json(erase, &api.auditor, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = api.post_json(erase, &api.other, body.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(OTHER_ORG != ORG);
    let (status, answer) = api
        .post_json(erase, &api.organizer, json!({ "email": "not an address" }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(code(&answer), "invalid_email");

    let (status, report) = api.post_json(erase, &api.organizer, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["receipts"], 1, "{report}");
    assert_eq!(report["cancelled"], 0, "everything was sent already");
    assert!(report["letters"].as_u64().unwrap() >= 2, "{report}");

    let after = every_value(&url).await;
    for needle in signer0 {
        assert_eq!(traces(&after, needle), Vec::<&str>::new(), "{needle}");
    }
    for needle in ["signer1@example.org", "Number1"] {
        assert!(!traces(&after, needle).is_empty(), "{needle} is kept");
    }
    for line in api.store.audit_export(batch).await.unwrap() {
        let text = serde_json::to_string(&line).unwrap();
        assert!(
            !text.contains("Number0") && !text.contains("signer0@"),
            "{text}"
        );
    }
    let (status, verified) = api.get("/api/v1/audit/verify", &api.auditor).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["intact"], true, "{verified}");
    let closed = api.client.get(&page).send().await.unwrap();
    assert_eq!(
        closed.status(),
        StatusCode::NOT_FOUND,
        "the receipt page is gone"
    );

    // Again: nothing left to erase, and the answer does not repeat the address.
    let (status, answer) = api.post_json(erase, &api.organizer, body).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!answer.to_string().contains("igner0@"), "{answer}");
}

// A petition batch carries every signer in its signature list (CSV) and document (PDF):
// erasing one makes both again from the rest of the list, as planning would have made them.
both_backends!(an_erasure_remakes_the_petition_documents_without_the_signer);
async fn an_erasure_remakes_the_petition_documents_without_the_signer(url: String) {
    let api = Api::start(&url, &[]).await;
    let toml = hillpost_testkit::fixtures::campaign_toml("petition", "petition", &[STAFF]);
    api.seed_file("petition", &api.organizer, &toml, 3).await;
    let (status, created) = api
        .post_json(
            "/api/v1/campaigns/petition/batches",
            &api.organizer,
            json!({ "at": "+1h" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let batch = created["batch"]["id"].as_i64().unwrap();
    let stored = |name: &'static str| {
        let store = api.store.clone();
        async move {
            store
                .attachments(batch.into())
                .await
                .unwrap()
                .into_iter()
                .find(|a| a.filename == name)
                .expect(name)
                .content
        }
    };
    let list = String::from_utf8(stored("signatures.csv").await).unwrap();
    assert!(
        list.contains("Number0") && list.contains("Number2"),
        "{list}"
    );

    let (status, report) = api
        .post_json(
            "/api/v1/campaigns/petition/signers/erase",
            &api.organizer,
            json!({ "email": "signer0@example.org" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["documents"], 2, "{report}");

    let list = String::from_utf8(stored("signatures.csv").await).unwrap();
    assert!(!list.contains("Number0"), "{list}");
    assert!(
        list.contains("Number1") && list.contains("Number2"),
        "{list}"
    );
    // The PDF is the one planning makes for the two who remain, addressed and dated as the
    // batch was.
    let campaign = api.store.batch_campaign(batch.into()).await.unwrap();
    let remaining: Vec<_> = api
        .store
        .signatures(&campaign.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    assert_eq!(remaining.len(), 2);
    let created_on = api
        .store
        .batch(batch.into())
        .await
        .unwrap()
        .unwrap()
        .created_at;
    let expected = hillpost_document::petition_pdf(
        &campaign,
        remaining.iter(),
        STAFF.0,
        created_on.date_naive(),
    )
    .unwrap();
    assert!(
        stored("signatures.pdf").await == expected,
        "the stored PDF is the list without the erased signer"
    );
    let (status, verified) = api.get("/api/v1/audit/verify", &api.auditor).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["intact"], true, "{verified}");
}
