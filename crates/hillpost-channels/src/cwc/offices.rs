//! The active-office lists (`GET /v2/offices`), fetched once and refreshed when older than
//! the configured interval. An office that is not on its gateway's list is reached another
//! way: the channel asks the worker for the recipient's next endpoint.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use hillpost_core::campaign::Chamber;
use hillpost_core::cwc::OfficeCode;
use secrecy::SecretString;
use tokio::sync::Mutex;

use super::gateway::Gateway;
use super::http::{failure_kind, keyless};
use crate::egress::{EgressClient, EgressRequest};

pub(super) enum OfficeStatus {
    Active,
    Inactive,
    /// No list could be fetched yet: the reason, without the URL.
    Unknown(String),
}

struct Fetched {
    codes: HashSet<String>,
    at: Instant,
}

pub(super) struct ActiveOffices {
    refresh: Duration,
    // Held across a fetch, so concurrent sends wait for one fetch instead of each starting
    // their own.
    lists: Mutex<HashMap<Chamber, Fetched>>,
}

impl ActiveOffices {
    pub fn new(refresh: Duration) -> Self {
        Self {
            refresh,
            lists: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `office` is on `gateway`'s list, fetching the list when it is missing or
    /// stale. A failed refresh keeps the previous list.
    pub async fn status(
        &self,
        client: &EgressClient,
        gateway: &Gateway,
        api_key: &SecretString,
        office: &OfficeCode,
    ) -> OfficeStatus {
        let mut lists = self.lists.lock().await;
        let stale = lists
            .get(&gateway.chamber)
            .is_none_or(|list| list.at.elapsed() >= self.refresh);
        if stale {
            match fetch(client, gateway, api_key).await {
                Ok(codes) => {
                    tracing::info!(
                        gateway = gateway.name(),
                        offices = codes.len(),
                        "fetched the CWC active-office list"
                    );
                    lists.insert(
                        gateway.chamber,
                        Fetched {
                            codes,
                            at: Instant::now(),
                        },
                    );
                }
                Err(reason) => {
                    tracing::warn!(gateway = gateway.name(), %reason, "could not fetch the CWC active-office list");
                    if !lists.contains_key(&gateway.chamber) {
                        return OfficeStatus::Unknown(reason);
                    }
                }
            }
        }
        match lists.get(&gateway.chamber) {
            Some(list) if list.codes.contains(office.as_str()) => OfficeStatus::Active,
            Some(_) => OfficeStatus::Inactive,
            None => OfficeStatus::Unknown("no active-office list".into()),
        }
    }
}

async fn fetch(
    client: &EgressClient,
    gateway: &Gateway,
    api_key: &SecretString,
) -> Result<HashSet<String>, String> {
    let request = EgressRequest::get(Gateway::keyed(&gateway.offices_url(), api_key));
    let response = client.fetch(request).await.map_err(|e| {
        // Without the key: the URL in the error carries it.
        let detail = keyless(&e.to_string(), api_key);
        format!("GET /v2/offices {}: {detail}", failure_kind(&e))
    })?;
    if !(200..300).contains(&response.status) {
        return Err(format!("GET /v2/offices answered HTTP {}", response.status));
    }
    let codes = office_codes(&response.text());
    if codes.is_empty() {
        return Err("GET /v2/offices listed no office codes".into());
    }
    Ok(codes)
}

/// Every office code in an answer, whatever its wrapping (a JSON array, XML elements, one
/// per line): the codes have a shape nothing else in such a list has.
pub(super) fn office_codes(body: &str) -> HashSet<String> {
    body.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|token| token.len() == 5)
        .filter_map(|token| OfficeCode::parse(token).ok())
        .map(|code| code.as_str().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found_in_any_wrapping() {
        let json = r#"["HVA04","HWY00", "SID02"]"#;
        let xml = "<Offices><Office>HVA04</Office><Office>hak00</Office></Offices>";
        let codes = office_codes(json);
        assert_eq!(codes.len(), 3);
        assert!(codes.contains("SID02"));
        let codes = office_codes(xml);
        assert!(codes.contains("HVA04") && codes.contains("HAK00"));
        assert!(office_codes("Offices: none today").is_empty());
    }
}
