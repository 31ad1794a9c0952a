//! The DNS resolver every egress connection uses: address overrides first (curl's
//! `--resolve`), the system resolver otherwise, then private addresses are dropped unless
//! allowed. Filtering here, after resolution, is what stops a public name that points at
//! 127.0.0.1 or 169.254.169.254 (DNS rebinding, a poisoned definition).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::EgressError;
use super::address::is_private;

pub(super) struct GuardedResolver {
    /// Lower-case host → addresses.
    pub overrides: HashMap<String, Vec<SocketAddr>>,
    pub allow_private: bool,
    /// Hosts the operator configured as infrastructure (the proxy): exempt from the
    /// private-address rule.
    pub trusted: HashSet<String>,
}

impl GuardedResolver {
    /// The addresses `host` may be reached at: its override (with the override's port),
    /// else what DNS returns (port 0: the caller's), private ones dropped unless allowed.
    /// Used by reqwest (through [`Resolve`]) and by the browser's gate.
    pub(super) async fn addresses(&self, host: &str) -> Result<Vec<SocketAddr>, EgressError> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let allow_private = self.allow_private || self.trusted.contains(&host);
        let found: Vec<SocketAddr> = match self.overrides.get(&host) {
            Some(addrs) => addrs.clone(),
            None => tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| EgressError::Resolve {
                    host: host.clone(),
                    reason: e.to_string(),
                })?
                .collect(),
        };
        let usable: Vec<SocketAddr> = found
            .iter()
            .copied()
            .filter(|a| allow_private || !is_private(a.ip()))
            .collect();
        if !usable.is_empty() {
            return Ok(usable);
        }
        Err(if found.is_empty() {
            EgressError::Resolve {
                host,
                reason: "no addresses".into(),
            }
        } else {
            EgressError::PrivateAddress {
                host,
                addresses: found
                    .iter()
                    .map(|a| a.ip().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
    }
}

/// The resolver as reqwest holds it (its futures outlive the call, so they own a handle).
pub(super) struct SharedResolver(pub Arc<GuardedResolver>);

impl Resolve for SharedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = Arc::clone(&self.0);
        Box::pin(async move {
            match resolver.addresses(name.as_str()).await {
                Ok(usable) => Ok(Box::new(usable.into_iter()) as Addrs),
                Err(err) => Err(Box::new(err) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// Parses one override: the key is `host` or `host:port` (the port is the URL's, 443 for
/// https; the resolver sees only names, so the override applies to the host), the value an
/// `ip:port` socket address.
pub(super) fn parse_override(key: &str, value: &str) -> Result<(String, SocketAddr), EgressError> {
    let bad = |reason: &str| EgressError::BadOverride {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let host = match key.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        Some(_) => return Err(bad("the key must be `host` or `host:port`")),
        None => key,
    };
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.contains('/') {
        return Err(bad("the key must be `host` or `host:port`"));
    }
    let addr: SocketAddr = value
        .trim()
        .parse()
        .map_err(|_| bad("the value must be an address such as `127.0.0.1:8443`"))?;
    Ok((host, addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_with_or_without_port() {
        let (host, addr) = parse_override("WWW.Risch.Senate.gov:443", "127.0.0.1:8443").unwrap();
        assert_eq!(host, "www.risch.senate.gov");
        assert_eq!(addr, "127.0.0.1:8443".parse().unwrap());
        assert!(parse_override("a.senate.gov", "127.0.0.1:1").is_ok());
        assert!(parse_override("a.senate.gov:https", "127.0.0.1:1").is_err());
        assert!(parse_override("a.senate.gov:443", "localhost").is_err());
    }
}
