use thiserror::Error;

/// What can go wrong setting up or using the egress client. Setup errors name the bad
/// setting; request errors say whether anything may have reached the remote server.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum EgressError {
    #[error(
        "`{0}` is not a host pattern (write an exact host such as `www.senate.gov`, or `*.senate.gov`)"
    )]
    BadHostPattern(String),
    #[error("the address override `{key}` = `{value}` is unusable: {reason}")]
    BadOverride {
        key: String,
        value: String,
        reason: String,
    },
    #[error("the proxy URL `{url}` is unusable: {reason}")]
    BadProxy { url: String, reason: String },
    #[error("the root certificate file {path} is unusable: {reason}")]
    BadRootCertificate { path: String, reason: String },
    #[error("setting up the HTTP client failed: {0}")]
    Setup(String),
    #[error("the URL scheme `{0}` is not allowed (http and https only)")]
    SchemeNotAllowed(String),
    #[error("the host `{0}` is not on the egress allow-list; nothing was sent")]
    HostNotAllowed(String),
    #[error("a redirect to {0} was refused: its host is not on the egress allow-list")]
    RedirectRefused(String),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error(
        "the host `{host}` resolves only to private addresses ({addresses}), and private addresses are not allowed"
    )]
    PrivateAddress { host: String, addresses: String },
    #[error("the host `{host}` could not be resolved: {reason}")]
    Resolve { host: String, reason: String },
    #[error("connecting to {url} failed: {reason}")]
    Connect { url: String, reason: String },
    #[error("{url} did not answer in time: {reason}")]
    Timeout { url: String, reason: String },
    #[error("the answer from {url} is larger than {limit} bytes; it was cut off there")]
    BodyTooLarge { url: String, limit: usize },
    #[error("the request to {url} failed: {reason}")]
    Http { url: String, reason: String },
}

impl EgressError {
    /// Whether the request certainly never reached the remote application: refused by policy,
    /// not resolved, not connected.
    pub fn nothing_sent(&self) -> bool {
        matches!(
            self,
            EgressError::SchemeNotAllowed(_)
                | EgressError::HostNotAllowed(_)
                | EgressError::PrivateAddress { .. }
                | EgressError::Resolve { .. }
                | EgressError::Connect { .. }
        )
    }

    /// Whether trying again later could help (network trouble), as opposed to a policy or
    /// configuration refusal that will repeat.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            EgressError::Resolve { .. }
                | EgressError::Connect { .. }
                | EgressError::Timeout { .. }
                | EgressError::Http { .. }
        )
    }
}
