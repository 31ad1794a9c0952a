//! A worker given the signing key signs a checkpoint; the API serves it to auditors and the
//! public key to anyone, and the two check out together.

use hillpost_core::audit::{Checkpoint, KeyList, SigningKey};
use reqwest::{Method, StatusCode};

use crate::support::{Api, LONG};

both_backends!(the_worker_signs_a_checkpoint_that_the_published_key_verifies);
async fn the_worker_signs_a_checkpoint_that_the_published_key_verifies(url: String) {
    let key = SigningKey::from_seed([6; 32]);
    let pem = key.to_pem();
    let api = Api::start(&url, &[("HILLPOST__SIGNING__KEY", &pem)]).await;
    api.delivered_batch().await;

    let checkpoint = hillpost_testkit::poll_until("a signed checkpoint", LONG, || async {
        let response = api
            .client
            .get(format!("{}/api/v1/audit/checkpoint", api.base))
            .bearer_auth(&api.auditor)
            .send()
            .await
            .expect("request");
        (response.status() == StatusCode::OK).then_some(())?;
        Some(response.text().await.expect("body"))
    })
    .await;
    let checkpoint = Checkpoint::parse(&checkpoint).expect("a checkpoint file");
    assert!(checkpoint.seq >= 1);

    // The published keys, fetched without a token.
    let (status, keys) = api
        .call(Method::GET, "/.well-known/hillpost-signing-key", None, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{keys}");
    let keys: KeyList = serde_json::from_value(keys).expect("a key list");
    assert_eq!(keys.keys[0].public_key, key.public().to_hex());
    checkpoint
        .verify(&keys)
        .expect("the published key verifies it");

    let (_, report) = api.get("/api/v1/audit/verify", &api.auditor).await;
    assert_eq!(report["intact"], true, "{report}");
    assert!(report["checkpoints"].as_u64() >= Some(1), "{report}");
    assert_eq!(report["unrecorded"], serde_json::json!([]));
}
