//! `[cwc]`: the Communicating with Congress channel. Checked as a whole when enabled, so a
//! wrong topic, phone or window is reported at start with its key, not at the first letter.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use hillpost_channels::CwcSettings;
use hillpost_channels::egress::{AllowList, EgressSettings};
use hillpost_core::cwc::{
    BodyElement, DeliveryAgent, LocTopic, MaintenanceSchedule, MaintenanceWindow, MessageSettings,
};
use secrecy::SecretString;
use serde::Deserialize;

use super::ConfigError;
use super::secrets::read_secret_file;
use super::sections::{duration, strings};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CwcBodyElement {
    OrganizationStatement,
    ConstituentMessage,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cwc {
    pub enabled: bool,
    pub house_url: String,
    pub senate_url: String,
    /// Only ever from the environment (files holding it are refused before this is read).
    #[serde(default)]
    pub api_key: Option<SecretString>,
    pub api_key_file: PathBuf,
    pub validate_only: bool,
    pub delivery_agent: String,
    pub ack_email: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub topic: String,
    pub campaign_topics: BTreeMap<String, String>,
    pub constituent_prefix: String,
    pub body_element: CwcBodyElement,
    pub maintenance_time_zone: String,
    #[serde(deserialize_with = "strings")]
    pub maintenance: Vec<String>,
    pub check_offices: bool,
    #[serde(deserialize_with = "duration")]
    pub offices_refresh: Duration,
    #[serde(deserialize_with = "duration")]
    pub connect_timeout: Duration,
    #[serde(deserialize_with = "duration")]
    pub request_timeout: Duration,
    pub proxy: String,
    /// The egress policy, as in `[web_forms]`: hosts the gateways may be on (from the
    /// environment separated by `;`).
    #[serde(deserialize_with = "strings")]
    pub allowed_hosts: Vec<String>,
    pub allow_private_addresses: bool,
    pub extra_root_certs: Vec<PathBuf>,
    /// `"host:port" = "ip:port"` address overrides (`[cwc.resolve]`).
    pub resolve: BTreeMap<String, String>,
}

fn invalid(key: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        problem: problem.into(),
    }
}

impl Cwc {
    /// The channel's settings; `Ok(None)` when CWC is not enabled. Called by validation
    /// (so mistakes stop the start) and when the channels are built.
    pub fn channel_settings(&self) -> Result<Option<(CwcSettings, EgressSettings)>, ConfigError> {
        if !self.enabled {
            return Ok(None);
        }
        let api_key = match (&self.api_key, self.api_key_file.as_os_str().is_empty()) {
            (Some(key), _) => key.clone(),
            (None, false) => read_secret_file("cwc.api_key_file", &self.api_key_file)?,
            (None, true) => {
                return Err(invalid(
                    "cwc.api_key",
                    "CWC is enabled but has no API key: set HILLPOST__CWC__API_KEY or \
                     cwc.api_key_file",
                ));
            }
        };
        let agent = DeliveryAgent::new(
            &self.delivery_agent,
            &self.ack_email,
            &self.contact_name,
            &self.contact_email,
            &self.contact_phone,
        )
        .map_err(|e| invalid("cwc.delivery_agent", e.to_string()))?;
        let topic =
            LocTopic::parse(&self.topic).map_err(|e| invalid("cwc.topic", e.to_string()))?;
        let campaign_topics = self
            .campaign_topics
            .iter()
            .map(|(campaign, topic)| {
                LocTopic::parse(topic)
                    .map(|t| (campaign.clone(), t))
                    .map_err(|e| invalid("cwc.campaign_topics", format!("{campaign}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        if self.constituent_prefix.trim().is_empty() {
            return Err(invalid(
                "cwc.constituent_prefix",
                "CWC requires a Prefix and signers carry none; the Senate accepts only Mr., \
                 Mrs., Miss, Ms., Dr.",
            ));
        }
        let windows = self
            .maintenance
            .iter()
            .map(|w| w.parse::<MaintenanceWindow>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid("cwc.maintenance", e.to_string()))?;
        let maintenance = MaintenanceSchedule::new(&self.maintenance_time_zone, windows)
            .map_err(|e| invalid("cwc.maintenance_time_zone", e.to_string()))?;
        let settings = CwcSettings {
            house_url: self.house_url.clone(),
            senate_url: Some(self.senate_url.clone()).filter(|u| !u.is_empty()),
            api_key,
            validate_only: self.validate_only,
            message: MessageSettings {
                agent,
                topic,
                campaign_topics,
                constituent_prefix: self.constituent_prefix.trim().to_string(),
                body_element: match self.body_element {
                    CwcBodyElement::OrganizationStatement => BodyElement::OrganizationStatement,
                    CwcBodyElement::ConstituentMessage => BodyElement::ConstituentMessage,
                },
            },
            maintenance,
            check_offices: self.check_offices,
            offices_refresh: self.offices_refresh,
        };
        let egress = self.egress()?;
        Ok(Some((settings, egress)))
    }

    /// The egress policy CWC goes through. A gateway URL the allow-list refuses is named by
    /// its key here, at start, rather than on every send.
    fn egress(&self) -> Result<EgressSettings, ConfigError> {
        let allow = AllowList::parse(&self.allowed_hosts)
            .map_err(|e| invalid("cwc.allowed_hosts", e.to_string()))?;
        for (key, url) in [
            ("cwc.house_url", &self.house_url),
            ("cwc.senate_url", &self.senate_url),
        ] {
            if url.is_empty() {
                continue;
            }
            let parsed = url::Url::parse(url).map_err(|e| invalid(key, e.to_string()))?;
            allow.check(&parsed).map_err(|e| {
                invalid(
                    key,
                    format!("{e} (add it to cwc.allowed_hosts if it really is a gateway)"),
                )
            })?;
        }
        Ok(EgressSettings {
            allowed_hosts: self.allowed_hosts.clone(),
            allow_private_addresses: self.allow_private_addresses,
            resolve: self.resolve.clone(),
            proxy: Some(self.proxy.clone()).filter(|p| !p.trim().is_empty()),
            extra_root_certs: self.extra_root_certs.clone(),
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            ..hillpost_channels::cwc::default_egress()
        })
    }
}
