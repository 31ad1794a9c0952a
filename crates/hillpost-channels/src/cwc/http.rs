//! The HTTP client the CWC channel posts with: timeouts, no redirects, an optional fixed
//! egress proxy, extra trusted roots. One small constructor, so the allow-listed egress
//! client can take its place without touching the channel.

use std::time::Duration;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum HttpSetupError {
    #[error("the CWC proxy `{proxy}` is not usable: {detail}")]
    Proxy { proxy: String, detail: String },
    #[error("an extra root certificate is not PEM: {0}")]
    Certificate(String),
    #[error("the CWC HTTP client could not be built: {0}")]
    Client(String),
}

/// How the channel's HTTP client connects.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// The whole request, answer included.
    pub request_timeout: Duration,
    /// `http://host:port` of a fixed-egress proxy (CWC allow-lists sender addresses);
    /// `None` connects directly and ignores proxy environment variables.
    pub proxy: Option<String>,
    /// PEM certificates trusted besides the system's (a TLS-inspecting egress proxy).
    pub extra_roots_pem: Vec<Vec<u8>>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            proxy: None,
            extra_roots_pem: Vec::new(),
        }
    }
}

/// Builds the client. Redirects are never followed: the channel talks to its configured
/// gateway and nothing else, and a redirect there is an answer to record, not to chase.
pub fn http_client(settings: &HttpSettings) -> Result<reqwest::Client, HttpSetupError> {
    // reqwest is built without a crypto provider; this binary links ring. Installing twice
    // is harmless (the first one stays).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("hillpost/", env!("CARGO_PKG_VERSION")));
    builder = match &settings.proxy {
        Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy.as_str()).map_err(|e| {
            HttpSetupError::Proxy {
                proxy: proxy.clone(),
                detail: e.without_url().to_string(),
            }
        })?),
        None => builder.no_proxy(),
    };
    for pem in &settings.extra_roots_pem {
        let certificate = reqwest::Certificate::from_pem(pem)
            .map_err(|e| HttpSetupError::Certificate(e.to_string()))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build()
        .map_err(|e| HttpSetupError::Client(e.to_string()))
}
