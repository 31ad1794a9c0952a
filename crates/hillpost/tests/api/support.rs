use hillpost_core::{BatchId, DeliveryId};
use std::sync::Arc;
use std::time::Duration;

use hillpost::config::{self, Settings, Sources};
use hillpost::server::{self, AppState};
use hillpost::tokens::{new_secret, secret_sha256};
use hillpost_store::{NewToken, Store, TokenRole};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Runs `$name(url)` with a fresh SQLite file and with a fresh PostgreSQL schema.
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = hillpost_testkit::sqlite::database();
                super::$name(db.url.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let test = concat!(module_path!(), "::postgres");
                let Some(schema) = hillpost_testkit::postgres::schema(test).await else {
                    return;
                };
                super::$name(schema.url.clone()).await;
            }
        }
    };
}

pub const ORG: &str = "Test Peace Coalition";
pub const OTHER_ORG: &str = "Other Coalition";
/// Small, so the oversized-body test stays cheap.
pub const BODY_LIMIT: usize = 64 * 1024;

pub struct Api {
    pub base: String,
    pub metrics_base: String,
    pub client: reqwest::Client,
    pub store: Arc<Store>,
    pub settings: Arc<Settings>,
    /// Organizer of [`ORG`].
    pub organizer: String,
    /// Organizer of [`OTHER_ORG`].
    pub other: String,
    pub auditor: String,
    /// Holds the outbox until the test ends.
    pub _dir: tempfile::TempDir,
    shutdown: CancellationToken,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn settings(url: &str, dir: &std::path::Path, extra: &[(&str, &str)]) -> Settings {
    let mut env = vec![
        ("HILLPOST__DATABASE__URL".to_string(), url.to_string()),
        ("HILLPOST__EMAIL__TRANSPORT".into(), "outbox".into()),
        (
            "HILLPOST__EMAIL__OUTBOX_DIR".into(),
            dir.join("outbox").display().to_string(),
        ),
        (
            "HILLPOST__SERVER__MAX_BODY_BYTES".into(),
            BODY_LIMIT.to_string(),
        ),
        ("HILLPOST__WORKER__POLL_INTERVAL".into(), "50ms".into()),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    config::load(Sources {
        file: None,
        environment: Some(env),
    })
    .expect("test settings")
}

impl Api {
    /// A server on a random loopback port with three tokens.
    pub async fn start(url: &str, extra: &[(&str, &str)]) -> Api {
        let dir = tempfile::tempdir().expect("temporary directory");
        let settings = Arc::new(settings(url, dir.path(), extra));
        let store = Arc::new(Store::connect(url).await.expect("open the store"));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let shutdown = CancellationToken::new();
        let state = AppState {
            store: store.clone(),
            settings: settings.clone(),
        };
        // /metrics without a token, on a listener of its own.
        let metrics = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let metrics_base = format!("http://{}", metrics.local_addr().expect("address"));
        tokio::spawn(server::serve(
            state,
            listener,
            Some(metrics),
            shutdown.clone(),
        ));
        let organizer = token(&store, TokenRole::Organizer, Some(ORG)).await;
        let other = token(&store, TokenRole::Organizer, Some(OTHER_ORG)).await;
        let auditor = token(&store, TokenRole::Auditor, None).await;
        Api {
            base,
            metrics_base,
            client: client(),
            store,
            settings,
            organizer,
            other,
            auditor,
            _dir: dir,
            shutdown,
        }
    }

    /// Runs a worker in this process until the server stops.
    pub fn start_worker(&self) {
        let worker = hillpost_worker::Worker::new(
            self.store.clone(),
            hillpost::channels::from_settings(&self.settings).expect("channels"),
            hillpost::commands::worker::worker_settings(&self.settings),
        );
        if let Some(key) = self.settings.signing_key().expect("signing key") {
            worker.sign_with(key);
        }
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move { worker.run(shutdown).await });
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let bytes = response.bytes().await.expect("body");
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let bytes = serde_json::to_vec(&body).expect("json");
        self.call(
            Method::POST,
            path,
            Some(token),
            Some(("application/json", bytes)),
        )
        .await
    }

    pub async fn post_text(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        text: &str,
    ) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            path,
            Some(token),
            Some((content_type, text.as_bytes().to_vec())),
        )
        .await
    }

    /// Campaign `ours` (one signer, one office), a batch of it delivered by a worker of this
    /// process to the outbox: the batch and its delivery, to hang a form's evidence on.
    pub async fn delivered_batch(&self) -> (BatchId, DeliveryId) {
        self.seed(
            "ours",
            ORG,
            1,
            &[("Committee staff", "staff@committee.example.org")],
        )
        .await;
        self.start_worker();
        let (status, body) = self
            .post_json(
                "/api/v1/campaigns/ours/batches",
                &self.organizer,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let batch = BatchId::new(body["batch"]["id"].as_i64().expect("batch id"));
        hillpost_testkit::poll_until("the batch to complete", LONG, || async {
            let (_, s) = self
                .get(&format!("/api/v1/batches/{batch}"), &self.auditor)
                .await;
            (s["batch"]["state"] == "completed").then_some(())
        })
        .await;
        let delivery = self.store.deliveries(batch).await.expect("deliveries")[0].id;
        (batch, delivery)
    }

    /// Stores `evidence` as attempt 1's of `delivery`, as the worker's recorder does.
    pub async fn keep_evidence(
        &self,
        delivery: DeliveryId,
        evidence: &[&hillpost_core::delivery::Evidence],
    ) -> Vec<hillpost_store::EvidenceRow> {
        let items: Vec<hillpost_store::NewEvidence> = evidence
            .iter()
            .map(|evidence| hillpost_store::NewEvidence {
                delivery_id: delivery,
                attempt_no: hillpost_core::AttemptNo::new(1),
                evidence,
            })
            .collect();
        self.store.store_evidence(&items).await.expect("evidence");
        self.store
            .evidence_of(delivery)
            .await
            .expect("evidence rows")
    }

    /// Adds campaign `id` of `organization` to `recipients`, with `signers` signers, through
    /// the API with that organization's token.
    pub async fn seed(
        &self,
        id: &str,
        organization: &str,
        signers: usize,
        recipients: &[(&str, &str)],
    ) {
        let token = if organization == ORG {
            &self.organizer
        } else {
            &self.other
        };
        let toml = hillpost_testkit::fixtures::campaign_toml(id, "individual", recipients)
            .replace(ORG, organization);
        self.seed_file(id, token, &toml, signers).await;
    }

    /// Adds campaign `id` from the campaign file `toml` with `token`, and `signers` signers.
    pub async fn seed_file(&self, id: &str, token: &str, toml: &str, signers: usize) {
        let (status, body) = self
            .post_text("/api/v1/campaigns", token, "application/toml", toml)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let csv = hillpost_testkit::fixtures::signers_csv(signers);
        let (status, body) = self
            .post_text(
                &format!("/api/v1/campaigns/{id}/signatures/import"),
                token,
                "text/csv",
                &csv,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// A reqwest client (plain HTTP on loopback; reqwest still wants a crypto provider).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn token(store: &Store, role: TokenRole, organization: Option<&str>) -> String {
    let secret = new_secret();
    store
        .create_token(&NewToken {
            secret_sha256: secret_sha256(&secret),
            role,
            organization: organization.map(str::to_string),
            label: "test".into(),
        })
        .await
        .expect("token");
    secret
}

pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

pub const LONG: Duration = Duration::from_secs(60);

/// Where receipt links point in the tests that send receipts.
pub const RECEIPTS_URL: &str = "https://letters.example.org";

/// The receipt page token in a receipt's text.
pub fn receipt_token(text: &str) -> String {
    let prefix = format!("{RECEIPTS_URL}/receipts/");
    let start = text.find(&prefix).expect("a link") + prefix.len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

impl Api {
    /// A server whose worker sends through the test SMTP server (`test` names it in a skip)
    /// with receipts on and a signing key registered; `None` when there is no SMTP server.
    pub async fn sending_receipts(
        url: &str,
        test: &str,
        key_seed: u8,
    ) -> Option<(Api, hillpost_testkit::smtp::SmtpServer)> {
        use hillpost_testkit::smtp::{Faults, SmtpServer};
        let smtp = SmtpServer::start(test, Faults::default())?;
        let port = smtp.port().to_string();
        let signing_key = hillpost_core::audit::SigningKey::from_seed([key_seed; 32]).to_pem();
        let api = Api::start(
            url,
            &[
                ("HILLPOST__EMAIL__TRANSPORT", "smtp"),
                ("HILLPOST__SMTP__HOST", "127.0.0.1"),
                ("HILLPOST__SMTP__PORT", &port),
                ("HILLPOST__SMTP__TLS", "none"),
                ("HILLPOST__RATE_LIMITS__DEFAULT", "unlimited"),
                ("HILLPOST__SERVER__PUBLIC_URL", RECEIPTS_URL),
                ("HILLPOST__RECEIPTS__ENABLED", "true"),
                ("HILLPOST__SIGNING__KEY", &signing_key),
            ],
        )
        .await;
        api.store
            .register_signing_key(api.settings.signing_key().unwrap().expect("a key").public())
            .await
            .unwrap();
        api.start_worker();
        Some((api, smtp))
    }

    /// Creates a batch of `campaign` now, as its organizer, and waits until it completed;
    /// its id.
    pub async fn completed_batch(&self, campaign: &str) -> BatchId {
        let (status, created) = self
            .post_json(
                &format!("/api/v1/campaigns/{campaign}/batches"),
                &self.organizer,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let batch = BatchId::new(created["batch"]["id"].as_i64().unwrap());
        hillpost_testkit::poll_until("the batch to complete", LONG, || async {
            let (_, s) = self
                .get(&format!("/api/v1/batches/{batch}"), &self.auditor)
                .await;
            (s["batch"]["state"] == "completed").then_some(())
        })
        .await;
        batch
    }
}
