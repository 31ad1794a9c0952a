//! Receipts and the auditor API end to end: a batch created through the API with receipts
//! on, sent by an in-process worker through a real SMTP server; the receipt page, the audit
//! export and verification, who the audit trail names, and the deliveries' pages.

use hillpost::audit_export::{ExportFormat, write_lines};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::support::{Api, ORG, code, receipt_token};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

async fn audit_actor(url: &str, kind: &str) -> String {
    let sql = "SELECT actor FROM audit_events WHERE kind = $1 ORDER BY seq DESC LIMIT 1";
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(kind)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(kind)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }
}

both_backends!(receipts_pages_audit_and_actors);
async fn receipts_pages_audit_and_actors(url: String) {
    let Some((api, smtp)) =
        Api::sending_receipts(&url, "api::receipts::receipts_pages_audit_and_actors", 13).await
    else {
        return;
    };
    api.seed("ours", ORG, 2, &[STAFF]).await;
    let batch = api.completed_batch("ours").await;

    // Who did it: the token, by label and id.
    let token_id = api.store.tokens().await.unwrap()[0].id;
    let actor = format!("api:test#{token_id}");
    assert_eq!(audit_actor(&url, "batch.created").await, actor);
    assert_eq!(audit_actor(&url, "import.committed").await, actor);

    // Two letters, two receipts (both signers consented), one each.
    let messages = smtp.wait_for_messages(4).await;
    let receipts: Vec<_> = messages
        .iter()
        .filter(|m| m.mailbox("To").unwrap().address != STAFF.1)
        .collect();
    assert_eq!((messages.len(), receipts.len()), (4, 2));
    for receipt in receipts {
        let text = receipt.text.as_deref().unwrap();
        let language = receipt.header("Content-Language").unwrap();
        let path = format!("/receipts/{}", receipt_token(text));
        // No account: the token is the key. JSON with the same lines as the email.
        let response = api
            .client
            .get(format!("{}{path}", api.base))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let page: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(page["language"], language);
        let lines = page["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["office"], STAFF.0);
        assert_eq!(lines[0]["outcome"], "delivered");
        let line = lines[0]["text"].as_str().unwrap();
        assert!(
            text.contains(&format!("- {}: {line}", STAFF.0)),
            "{line}\n{text}"
        );
        // HTML by default, in the signer's language.
        let response = api
            .client
            .get(format!("{}{path}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("<html lang=\"{language}\">")),
            "{html}"
        );
        assert!(html.contains("Committee staff"), "{html}");
        // The page offers the signed statement the email carried; the published key
        // verifies it.
        assert!(html.contains("/receipt.json\" download>"), "{html}");
        let response = api
            .client
            .get(format!("{}{path}/receipt.json", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let downloaded = response.text().await.unwrap();
        let attached = &receipt.attachments[0];
        assert_eq!(attached.filename.as_deref(), Some("receipt.json"));
        assert_eq!(downloaded.as_bytes(), attached.content.as_slice());
        let (_, keys) = api
            .call(
                reqwest::Method::GET,
                "/.well-known/hillpost-signing-key",
                None,
                None,
            )
            .await;
        let keys: hillpost_core::audit::KeyList = serde_json::from_value(keys).unwrap();
        hillpost_core::receipt::verify_receipt(&downloaded, &keys).expect("verifies");
    }
    // A wrong token: a bare 404 that says nothing.
    for wrong in ["0".repeat(64), "nothing".to_string(), "a".repeat(300)] {
        let response = api
            .client
            .get(format!("{}/receipts/{wrong}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.text().await.unwrap(), "not found\n");
    }

    // The export is the CLI's, byte for byte, for the organizer and the auditor.
    let lines = api.store.audit_export(batch).await.unwrap();
    for (format, name) in [(ExportFormat::Jsonl, "jsonl"), (ExportFormat::Csv, "csv")] {
        let mut expected = Vec::new();
        write_lines(&mut expected, &lines, format).unwrap();
        for token in [&api.organizer, &api.auditor] {
            let response = api
                .client
                .get(format!(
                    "{}/api/v1/batches/{batch}/audit?format={name}",
                    api.base
                ))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(
                response.bytes().await.unwrap().as_ref(),
                expected.as_slice()
            );
        }
    }
    assert_eq!(lines.len(), 4, "two letters and two receipts");
    let (status, body) = api
        .get(
            &format!("/api/v1/batches/{batch}/audit?format=xml"),
            &api.auditor,
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_query")
    );

    // Verification: auditors only.
    let (status, report) = api.get("/api/v1/audit/verify", &api.auditor).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["intact"], true);
    assert!(report["verified"].as_u64().unwrap() >= 8, "{report}");
    assert!(report["broken"].is_null());
    let (status, body) = api.get("/api/v1/audit/verify", &api.organizer).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "forbidden"));

    // Sign-ups, pausing, resuming and cancelling name the token too.
    let (status, body) = api
        .post_json(
            "/api/v1/campaigns/ours/signatures",
            &api.organizer,
            json!({"email": "late@example.org", "first_name": "Late", "last_name": "Signer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sql = "SELECT actor FROM audit_events WHERE kind = 'import.committed' ORDER BY seq";
    let imports: Vec<String> = if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    };
    assert_eq!(
        imports,
        [actor.clone(), actor.clone()],
        "the import, then the sign-up"
    );
    let (status, _) = api
        .post_json(
            "/api/v1/campaigns/ours/batches",
            &api.organizer,
            json!({"at": "+1h"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let later = api.store.batches(None).await.unwrap().last().unwrap().id;
    for (action, kind) in [
        ("pause", "batch.paused"),
        ("resume", "batch.resumed"),
        ("cancel", "batch.cancelled"),
    ] {
        let (status, body) = api
            .post_json(
                &format!("/api/v1/batches/{later}/{action}"),
                &api.organizer,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
        assert_eq!(audit_actor(&url, kind).await, actor, "{kind}");
    }
}

both_backends!(deliveries_come_a_page_at_a_time);
async fn deliveries_come_a_page_at_a_time(url: String) {
    let api = Api::start(&url, &[]).await;
    api.seed(
        "ours",
        ORG,
        5,
        &[STAFF, ("Chair", "chair@senate.example.org")],
    )
    .await;
    let (status, created) = api
        .post_json(
            "/api/v1/campaigns/ours/batches",
            &api.organizer,
            json!({"at": "+1h"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let batch = created["batch"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/batches/{batch}/deliveries");

    let (status, all) = api.get(&path, &api.auditor).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["deliveries"].as_array().unwrap().len(), 10);
    assert!(all["next"].is_null(), "one page holds all by default");

    let mut seen = Vec::new();
    let mut after: Option<i64> = None;
    let mut pages = 0;
    loop {
        let query = match after {
            Some(a) => format!("{path}?limit=3&after={a}"),
            None => format!("{path}?limit=3"),
        };
        let (status, page) = api.get(&query, &api.organizer).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        let ids: Vec<i64> = page["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect();
        assert!(ids.len() <= 3);
        seen.extend(ids);
        match page["next"].as_i64() {
            Some(next) => {
                assert_eq!(Some(&next), seen.last(), "the cursor is the last id");
                after = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(pages, 4, "3 + 3 + 3 + 1");
    let expected: Vec<i64> = all["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(seen, expected, "every delivery once, in order");

    for bad in ["limit=0", "limit=5001", "limit=x", "after=y"] {
        let (status, body) = api.get(&format!("{path}?{bad}"), &api.auditor).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_query"),
            "{bad}: {body}"
        );
    }
}
