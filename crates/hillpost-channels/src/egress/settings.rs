use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// How outbound HTTP (web forms, CWC) leaves hillpost. Built once into an
/// [`super::EgressClient`] with [`EgressSettings::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressSettings {
    /// Hosts that may be contacted: exact names or `*.suffix` patterns. Checked before every
    /// request and on every redirect.
    pub allowed_hosts: Vec<String>,
    /// Let names resolve to loopback, RFC 1918 and link-local addresses (tests on loopback,
    /// or an office reached through a private network). Off by default.
    pub allow_private_addresses: bool,
    /// Per-host address overrides like curl's `--resolve`: `"www.risch.senate.gov:443"` (or a
    /// bare host) → `127.0.0.1:8443`. The URL keeps its name (TLS is checked against it);
    /// the connection goes to the address. Overrides are still subject to the
    /// private-address rule.
    pub resolve: BTreeMap<String, String>,
    /// An HTTP(S) proxy every request goes through (a fixed egress IP the offices allow-list).
    pub proxy: Option<String>,
    /// PEM files with root certificates trusted besides the built-in (Mozilla) roots.
    pub extra_root_certs: Vec<PathBuf>,
    pub connect_timeout: Duration,
    /// The whole request, from connecting to the last byte of the answer.
    pub request_timeout: Duration,
    /// Answers longer than this are cut off with [`super::EgressError::BodyTooLarge`].
    pub max_body_bytes: usize,
    /// Redirects followed (each checked against the list); 0 follows none and returns the
    /// 3xx answer as it is.
    pub max_redirects: usize,
    pub user_agent: String,
}

impl EgressSettings {
    pub const DEFAULT_ALLOWED_HOSTS: [&'static str; 3] =
        ["*.senate.gov", "*.house.gov", "*.whitehouse.gov"];
}

impl Default for EgressSettings {
    fn default() -> Self {
        Self {
            allowed_hosts: Self::DEFAULT_ALLOWED_HOSTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            allow_private_addresses: false,
            resolve: BTreeMap::new(),
            proxy: None,
            extra_root_certs: Vec::new(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_body_bytes: 2 * 1024 * 1024,
            max_redirects: 10,
            user_agent: concat!("hillpost/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}
