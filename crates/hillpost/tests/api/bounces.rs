//! `POST /api/v1/bounces`: a raw report recorded against the token's organization's
//! delivery, and one about another organization's letter set aside in the same words as
//! one about no letter at all.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::{Api, ORG, OTHER_ORG};

const STAFF: (&str, &str) = ("Committee staff", "staff@committee.example.org");

fn report_about(key: &str) -> Vec<u8> {
    format!(
        "From: MAILER-DAEMON@mx.office.example\r\nTo: letters@hillpost.invalid\r\n\
         Subject: Undelivered Mail\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n\
         --B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.office.example\r\n\r\n\
         Final-Recipient: rfc822; staff@committee.example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
         --B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{key}@hillpost.invalid>\r\n\r\n--B--\r\n"
    )
    .into_bytes()
}

async fn post(api: &Api, token: &str, message: Vec<u8>) -> (StatusCode, Value) {
    api.call(
        Method::POST,
        "/api/v1/bounces",
        Some(token),
        Some(("message/rfc822", message)),
    )
    .await
}

both_backends!(a_report_is_recorded_only_for_the_tokens_own_letters);
async fn a_report_is_recorded_only_for_the_tokens_own_letters(url: String) {
    let api = Api::start(&url, &[]).await;
    api.seed("ours", ORG, 1, &[STAFF]).await;
    api.seed("theirs", OTHER_ORG, 1, &[STAFF]).await;
    for (campaign, token) in [("ours", &api.organizer), ("theirs", &api.other)] {
        let (status, body) = api
            .post_json(
                &format!("/api/v1/campaigns/{campaign}/batches"),
                token,
                serde_json::json!({ "at": "+1h" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let key = |batch: i64| {
        let store = api.store.clone();
        async move {
            store.deliveries(batch.into()).await.expect("deliveries")[0]
                .idempotency_key
                .clone()
        }
    };
    let (ours, theirs) = (key(1).await, key(2).await);

    let (status, body) = post(&api, &api.organizer, report_about(&ours)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "recorded", "{body}");
    assert!(
        body["effect"].as_str().unwrap().contains("recorded only"),
        "{body}"
    );

    // Another organization's letter reads exactly like an unknown one.
    let (_, foreign) = post(&api, &api.organizer, report_about(&theirs)).await;
    let (_, unknown) = post(&api, &api.organizer, report_about(&"e".repeat(32))).await;
    assert_eq!(foreign["outcome"], "set_aside", "{foreign}");
    assert_eq!(foreign["delivery_id"], Value::Null);
    let words = |v: &Value, key: &str| v["reason"].as_str().unwrap().replace(key, "KEY");
    assert_eq!(words(&foreign, &theirs), words(&unknown, &"e".repeat(32)));

    // The same message again is recorded once; garbage is kept aside, not refused.
    let (_, again) = post(&api, &api.organizer, report_about(&ours)).await;
    assert_eq!(again["outcome"], "already_recorded", "{again}");
    let (status, garbage) = post(&api, &api.organizer, b"\x00 not mail".to_vec()).await;
    assert_eq!(
        (status, &garbage["outcome"]),
        (StatusCode::OK, &Value::from("set_aside"))
    );
}
