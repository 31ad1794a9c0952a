//! The built client and what one request looks like going out and coming back.

use std::collections::{HashMap, HashSet};
use std::error::Error as StdError;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, redirect};
use url::Url;

use super::address::is_private;
use super::allow::AllowList;
use super::resolver::{GuardedResolver, SharedResolver, parse_override};
use super::retry_after::parse_retry_after;
use super::{EgressError, EgressSettings};

/// The configured egress: cheap to clone, shared by every channel that speaks HTTP.
#[derive(Clone)]
pub struct EgressClient {
    parts: Arc<Parts>,
    /// Cookie-less client for one-off requests ([`EgressClient::fetch`]).
    shared: reqwest::Client,
}

pub(super) struct Parts {
    pub(super) allow: AllowList,
    pub(super) allow_private: bool,
    pub(super) resolver: Arc<GuardedResolver>,
    proxy: Option<reqwest::Proxy>,
    /// The same proxy as a URL (the browser's gate speaks to it itself).
    pub(super) proxy_url: Option<Url>,
    tls: rustls::ClientConfig,
    /// The certificates of `extra_root_certs` (the browser trusts exactly these by key).
    extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    pub(super) connect_timeout: Duration,
    request_timeout: Duration,
    max_body_bytes: usize,
    max_redirects: usize,
    user_agent: String,
}

/// A client with its own cookie jar: one per form submission, so cookies never leak from
/// one signer's attempt to another's.
pub struct EgressSession {
    parts: Arc<Parts>,
    client: reqwest::Client,
}

/// One outgoing request.
#[derive(Debug, Clone)]
pub struct EgressRequest {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl EgressRequest {
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            headers: Vec::new(),
            content_type: None,
            body: Vec::new(),
        }
    }

    pub fn post(url: Url, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            method: Method::POST,
            url,
            headers: Vec::new(),
            content_type: Some(content_type.to_string()),
            body,
        }
    }
}

/// The answer, read in full (up to the body cap).
#[derive(Debug, Clone)]
pub struct EgressResponse {
    /// Where the answer came from after redirects.
    pub url: Url,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// For 429 and 503: how long the server asked us to wait.
    pub retry_after: Option<Duration>,
}

impl EgressResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl EgressSettings {
    /// Checks every setting and builds the client; a bad setting is named in the error.
    pub fn build(&self) -> Result<EgressClient, EgressError> {
        let allow = AllowList::parse(&self.allowed_hosts)?;
        let mut overrides: HashMap<String, Vec<std::net::SocketAddr>> = HashMap::new();
        for (key, value) in &self.resolve {
            let (host, addr) = parse_override(key, value)?;
            overrides.entry(host).or_default().push(addr);
        }
        let mut trusted = HashSet::new();
        let mut proxy_url = None;
        let proxy = match &self.proxy {
            None => None,
            Some(raw) => {
                let bad = |reason: String| EgressError::BadProxy {
                    url: raw.clone(),
                    reason,
                };
                let url = Url::parse(raw).map_err(|e| bad(e.to_string()))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(bad("only http:// and https:// proxies are supported".into()));
                }
                if let Some(host) = url.host_str() {
                    trusted.insert(host.to_ascii_lowercase());
                }
                let proxy = reqwest::Proxy::all(url.as_str()).map_err(|e| bad(e.to_string()))?;
                proxy_url = Some(url);
                Some(proxy)
            }
        };
        let (tls, extra_roots) = tls_config(&self.extra_root_certs)?;
        let parts = Arc::new(Parts {
            allow,
            allow_private: self.allow_private_addresses,
            resolver: Arc::new(GuardedResolver {
                overrides,
                allow_private: self.allow_private_addresses,
                trusted,
            }),
            proxy,
            proxy_url,
            tls,
            extra_roots,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            max_body_bytes: self.max_body_bytes,
            max_redirects: self.max_redirects,
            user_agent: self.user_agent.clone(),
        });
        let shared = parts.client(false)?;
        Ok(EgressClient { parts, shared })
    }
}

type ExtraRoots = Vec<rustls::pki_types::CertificateDer<'static>>;

fn tls_config(
    extra_roots: &[std::path::PathBuf],
) -> Result<(rustls::ClientConfig, ExtraRoots), EgressError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore::empty();
    let mut extra = Vec::new();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for path in extra_roots {
        let bad = |reason: String| EgressError::BadRootCertificate {
            path: path.display().to_string(),
            reason,
        };
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("no PEM certificate in the file".into()));
        }
        for cert in certs {
            roots.add(cert.clone()).map_err(|e| bad(e.to_string()))?;
            extra.push(cert);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| EgressError::Setup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok((config, extra))
}

impl Parts {
    fn client(self: &Arc<Self>, cookies: bool) -> Result<reqwest::Client, EgressError> {
        let policy_parts = Arc::clone(self);
        let follow = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= policy_parts.max_redirects {
                let err = EgressError::TooManyRedirects(policy_parts.max_redirects);
                return attempt.error(err);
            }
            match policy_parts.check(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(EgressError::HostNotAllowed(_) | EgressError::SchemeNotAllowed(_)) => {
                    let err = EgressError::RedirectRefused(attempt.url().to_string());
                    attempt.error(err)
                }
                Err(other) => attempt.error(other),
            }
        });
        // No redirects allowed: the 3xx answer is the answer (CWC records it, never chases it).
        // Through a proxy, `fetch` follows them itself, resolving each target first.
        let policy = if self.max_redirects == 0 || self.proxy.is_some() {
            redirect::Policy::none()
        } else {
            follow
        };
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(self.tls.clone())
            .dns_resolver(SharedResolver(Arc::clone(&self.resolver)))
            .redirect(policy)
            .cookie_store(cookies)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .user_agent(self.user_agent.clone());
        builder = match &self.proxy {
            Some(proxy) => builder.proxy(proxy.clone()),
            // Environment proxies (HTTP_PROXY) are not egress policy: only the configured one.
            None => builder.no_proxy(),
        };
        builder
            .build()
            .map_err(|e| EgressError::Setup(e.to_string()))
    }

    /// The allow-list, plus the private-address rule for URLs that name an IP directly
    /// (those never reach the resolver).
    pub(super) fn check(&self, url: &Url) -> Result<(), EgressError> {
        self.allow.check(url)?;
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        match literal {
            Some(ip) if !self.allow_private && is_private(ip) => Err(EgressError::PrivateAddress {
                host: ip.to_string(),
                addresses: ip.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// Sends `request`, following redirects. Without a proxy, reqwest follows them (the
    /// redirect policy checks each target, the resolver filters each address). With one,
    /// the proxy would resolve names itself, so each target is resolved and filtered here
    /// before it is asked for, and redirects are followed here, one at a time.
    async fn fetch(
        &self,
        client: &reqwest::Client,
        mut request: EgressRequest,
    ) -> Result<EgressResponse, EgressError> {
        self.check(&request.url)?;
        if self.proxy.is_none() {
            return self.fetch_once(client, request).await;
        }
        let mut hops = 0;
        loop {
            if let Some(host) = request.url.host_str() {
                self.resolver
                    .addresses(host.trim_start_matches('[').trim_end_matches(']'))
                    .await?;
            }
            let response = self.fetch_once(client, request.clone()).await?;
            let location = response
                .headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok());
            let (true, Some(location)) = (
                self.max_redirects > 0 && (300..400).contains(&response.status),
                location,
            ) else {
                return Ok(response);
            };
            hops += 1;
            if hops > self.max_redirects {
                return Err(EgressError::TooManyRedirects(self.max_redirects));
            }
            let next = response
                .url
                .join(location)
                .map_err(|_| EgressError::RedirectRefused(location.to_string()))?;
            match self.check(&next) {
                Ok(()) => {}
                Err(EgressError::HostNotAllowed(_) | EgressError::SchemeNotAllowed(_)) => {
                    return Err(EgressError::RedirectRefused(next.to_string()));
                }
                Err(other) => return Err(other),
            }
            // 307 and 308 repeat the request; the others become a GET, as browsers do.
            request = if matches!(response.status, 307 | 308) {
                EgressRequest {
                    url: next,
                    ..request
                }
            } else {
                EgressRequest::get(next)
            };
        }
    }

    async fn fetch_once(
        &self,
        client: &reqwest::Client,
        request: EgressRequest,
    ) -> Result<EgressResponse, EgressError> {
        let url_text = request.url.to_string();
        let mut builder = client.request(request.method, request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(content_type) = &request.content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        if !request.body.is_empty() || request.content_type.is_some() {
            builder = builder.body(request.body);
        }
        let mut response = builder.send().await.map_err(|e| classify(&e, &url_text))?;
        let url = response.url().clone();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let limit = self.max_body_bytes;
        let too_large = || EgressError::BodyTooLarge {
            url: url.to_string(),
            limit,
        };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| classify(&e, url.as_str()))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let retry_after = if matches!(status, 429 | 503) {
            headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()))
        } else {
            None
        };
        Ok(EgressResponse {
            url,
            status,
            headers,
            body,
            retry_after,
        })
    }
}

/// Finds our own error (from the resolver or the redirect policy) inside reqwest's, or
/// names what reqwest saw.
fn classify(err: &reqwest::Error, url: &str) -> EgressError {
    let mut source: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(ours) = current.downcast_ref::<EgressError>() {
            return ours.clone();
        }
        source = current.source();
    }
    let reason = error_chain(err);
    let url = url.to_string();
    if err.is_timeout() {
        EgressError::Timeout { url, reason }
    } else if err.is_connect() {
        EgressError::Connect { url, reason }
    } else {
        EgressError::Http { url, reason }
    }
}

fn error_chain(err: &dyn StdError) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(current) = source {
        text.push_str(": ");
        text.push_str(&current.to_string());
        source = current.source();
    }
    text
}

impl EgressClient {
    /// Sends one request without cookies (API calls such as CWC).
    pub async fn fetch(&self, request: EgressRequest) -> Result<EgressResponse, EgressError> {
        self.parts.fetch(&self.shared, request).await
    }

    /// A fresh session with an empty cookie jar, for one multi-request exchange (one form
    /// submission).
    pub fn session(&self) -> Result<EgressSession, EgressError> {
        Ok(EgressSession {
            client: self.parts.client(true)?,
            parts: Arc::clone(&self.parts),
        })
    }

    /// Whether `url` passes the allow-list (for checks before any request is planned).
    pub fn permits(&self, url: &Url) -> Result<(), EgressError> {
        self.parts.check(url)
    }

    pub fn max_body_bytes(&self) -> usize {
        self.parts.max_body_bytes
    }

    /// The certificates of `extra_root_certs`, for a browser that must trust them too.
    pub fn extra_root_certs(&self) -> &[rustls::pki_types::CertificateDer<'static>] {
        &self.parts.extra_roots
    }

    /// A loopback proxy that applies this policy to every connection through it (see
    /// [`super::gate`]); one per browser session.
    pub async fn open_gate(&self) -> Result<super::EgressGate, EgressError> {
        super::gate::open(Arc::clone(&self.parts)).await
    }
}

impl EgressSession {
    /// Sends one request, keeping cookies the server set for the next one.
    pub async fn fetch(&self, request: EgressRequest) -> Result<EgressResponse, EgressError> {
        self.parts.fetch(&self.client, request).await
    }
}
