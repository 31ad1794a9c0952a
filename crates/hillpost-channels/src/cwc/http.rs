//! How CWC traffic leaves hillpost: through the same egress policy as web forms
//! ([`crate::egress`]) — allow-listed hosts only (the gateways' domains by default), no
//! private addresses unless allowed, address overrides, a fixed proxy, extra roots — plus
//! what CWC needs whatever the configuration: redirects are never followed (a redirect is
//! an answer to record, not to chase) and answers are bounded.
//!
//! The API key travels in the query string, so every error text that may carry the URL is
//! passed through [`keyless`] before it is recorded.

use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;
use url::Url;

use crate::egress::{EgressClient, EgressError, EgressSettings};

/// The hosts CWC may reach unless configured otherwise: the House's and the Senate's.
pub const CWC_ALLOWED_HOSTS: [&str; 2] = ["*.house.gov", "*.senate.gov"];

/// The most of an answer read: far more than any CWC answer or office list, far less than a
/// flood.
pub(super) const MAX_ANSWER_BYTES: usize = 1 << 20;

#[derive(Debug, Error)]
pub enum CwcEgressError {
    #[error("the CWC egress settings are unusable: {0}")]
    Settings(EgressError),
    #[error("the CWC {which} base URL `{url}` is refused by the egress policy: {reason}")]
    Refused {
        which: &'static str,
        url: String,
        reason: EgressError,
    },
}

/// The egress policy CWC starts from: the defaults with [`CWC_ALLOWED_HOSTS`].
pub fn default_egress() -> EgressSettings {
    EgressSettings {
        allowed_hosts: CWC_ALLOWED_HOSTS.iter().map(|h| h.to_string()).collect(),
        ..EgressSettings::default()
    }
}

/// Builds the client CWC posts with from `egress`, never following redirects and reading
/// at most [`MAX_ANSWER_BYTES`] of an answer.
pub(super) fn client(egress: &EgressSettings) -> Result<EgressClient, CwcEgressError> {
    EgressSettings {
        max_redirects: 0,
        max_body_bytes: MAX_ANSWER_BYTES,
        ..egress.clone()
    }
    .build()
    .map_err(CwcEgressError::Settings)
}

/// Refuses, when the channel is built, a gateway the policy would refuse on every send.
pub(super) fn check_gateway(
    client: &EgressClient,
    which: &'static str,
    base: &Url,
) -> Result<(), CwcEgressError> {
    client
        .permits(base)
        .map_err(|reason| CwcEgressError::Refused {
            which,
            url: base.to_string(),
            reason,
        })
}

/// `text` with the API key (as it appears in a URL, and raw) replaced.
pub(super) fn keyless(text: &str, api_key: &SecretString) -> String {
    let key = api_key.expose_secret();
    if key.is_empty() {
        return text.to_string();
    }
    let encoded: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
    text.replace(&encoded, "[API key]")
        .replace(key, "[API key]")
}

/// What an egress failure says about the request, for the attempt's note.
pub(super) fn failure_kind(error: &EgressError) -> &'static str {
    match error {
        EgressError::Timeout { .. } => "timed out",
        EgressError::Connect { .. } | EgressError::Resolve { .. } => "could not connect",
        EgressError::HostNotAllowed(_)
        | EgressError::SchemeNotAllowed(_)
        | EgressError::PrivateAddress { .. } => "was refused by the egress policy",
        _ => "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_removed_raw_and_url_encoded() {
        let key = SecretString::from("k3y/with+chars".to_string());
        let text =
            "https://cwc.house.gov/v2/message?apikey=k3y%2Fwith%2Bchars failed; k3y/with+chars";
        let cleaned = keyless(text, &key);
        assert!(!cleaned.contains("k3y"), "{cleaned}");
        assert_eq!(cleaned.matches("[API key]").count(), 2);
    }

    #[test]
    fn the_default_policy_allows_the_gateways_only() {
        let client = client(&default_egress()).unwrap();
        let house = Url::parse("https://cwc.house.gov").unwrap();
        assert!(check_gateway(&client, "House", &house).is_ok());
        let elsewhere = Url::parse("https://cwc.example.org").unwrap();
        let refused = check_gateway(&client, "House", &elsewhere).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("`cwc.example.org` is not on the egress allow-list"),
            "{refused}"
        );
        let loopback = Url::parse("http://127.0.0.1:8080").unwrap();
        assert!(check_gateway(&client, "House", &loopback).is_err());
    }
}
