//! The settings, section by section, exactly as `defaults.toml` documents them: every key
//! is required there (no serde defaults), so the file and these structs cannot drift apart
//! without a test failing.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use hillpost_core::audit::SigningKey;
use hillpost_core::delivery::{DeliveryRules, ResendPolicy};
use hillpost_core::quota::RateQuota;
use hillpost_core::retry::RetrySchedule;
use hillpost_core::signer::Email;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

use super::ConfigError;
use super::secrets::{read_secret_file, read_secret_text};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub database: Database,
    pub email: EmailSettings,
    pub dkim: Dkim,
    pub signing: Signing,
    pub smtp: Smtp,
    pub worker: Worker,
    pub retry: Retry,
    pub rate_limits: RateLimits,
    pub directory: DirectorySettings,
    pub log: Log,
    pub server: Server,
    pub web_forms: WebForms,
    pub receipts: Receipts,
    pub cwc: super::cwc::Cwc,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailTransport {
    Smtp,
    Outbox,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    pub transport: EmailTransport,
    pub outbox_dir: PathBuf,
    pub from_address: String,
    pub message_id_domain: String,
    pub bounce_domain: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dkim {
    pub enabled: bool,
    pub selector: String,
    pub domain: String,
    /// Only ever from the environment (files holding it are refused before this is read).
    #[serde(default)]
    pub private_key: Option<SecretString>,
    pub private_key_file: PathBuf,
}

/// `[signing]`: the Ed25519 key audit checkpoints (and receipts) are signed with.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signing {
    /// Only ever from the environment (files holding it are refused before this is read).
    #[serde(default)]
    pub key: Option<SecretString>,
    pub key_file: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: String,
    /// Only ever from the environment (files holding it are refused before this is read).
    #[serde(default)]
    pub password: Option<SecretString>,
    pub password_file: PathBuf,
    pub hello_name: String,
    #[serde(deserialize_with = "duration")]
    pub connect_timeout: Duration,
    #[serde(deserialize_with = "duration")]
    pub command_timeout: Duration,
    pub max_connections: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Worker {
    pub capacity: usize,
    pub claim_batch: u32,
    #[serde(deserialize_with = "duration")]
    pub lease: Duration,
    #[serde(deserialize_with = "duration")]
    pub key_lease: Duration,
    #[serde(deserialize_with = "duration")]
    pub poll_interval: Duration,
    #[serde(deserialize_with = "duration")]
    pub shutdown_grace: Duration,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    #[serde(deserialize_with = "durations")]
    pub schedule: Vec<Duration>,
    pub jitter: f64,
    #[serde(deserialize_with = "duration")]
    pub max_retry_after: Duration,
    pub resend_possibly_accepted: ResendPossiblyAccepted,
}

/// `[retry.resend_possibly_accepted]`, per channel.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendPossiblyAccepted {
    pub email: bool,
    pub web_form: bool,
    pub cwc: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    pub default: RateQuota,
    pub overrides: HashMap<String, RateQuota>,
}

/// Addresses an operator gives offices the public data has no email for. Member offices are
/// reached by CWC or web form where hillpost has those channels; until then (and as a last
/// resort after) an office needs an email here to receive anything.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorySettings {
    /// Bioguide id → the office's email address.
    pub office_email: BTreeMap<String, String>,
    /// Committee id → its staff mailbox, reached besides the members' offices.
    pub committee_mailbox: BTreeMap<String, String>,
    /// The White House's email, after its web form; empty for none.
    pub president_email: String,
}

/// `[web_forms]`: the web-form channel and the egress policy its HTTP goes through.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebForms {
    pub enabled: bool,
    pub allowed_hosts: Vec<String>,
    pub allow_private_addresses: bool,
    pub resolve: BTreeMap<String, String>,
    /// Empty: no proxy.
    pub proxy: String,
    pub extra_root_certs: Vec<PathBuf>,
    #[serde(deserialize_with = "duration")]
    pub connect_timeout: Duration,
    #[serde(deserialize_with = "duration")]
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    #[serde(deserialize_with = "duration")]
    pub max_wait: Duration,
    pub name_prefix: String,
    pub default_topic: String,
    pub org_name: String,
    pub org_url: String,
    pub petition_sender: PetitionSender,
    pub browser: WebFormBrowser,
}

/// `[web_forms.browser]`: headless Chromium for definitions whose scripts need a browser.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebFormBrowser {
    pub enabled: bool,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    /// Empty: hillpost starts `chromedriver` itself.
    pub webdriver_url: String,
    pub max_sessions: usize,
    #[serde(deserialize_with = "duration")]
    pub page_timeout: Duration,
    pub reuse_sessions: bool,
    pub all_forms: bool,
}

/// The contact that fills forms for petition letters; an empty email means none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PetitionSender {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub phone: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    pub format: LogFormat,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub listen: String,
    /// Empty: `/metrics` is served on `listen` and needs a token.
    pub metrics_listen: String,
    pub max_body_bytes: usize,
    /// Where people reach this server from outside (receipt links); empty: not set.
    pub public_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipts {
    /// Batches created while this is on send receipts (needs `server.public_url`).
    pub enabled: bool,
}

impl Settings {
    /// Checks what the types alone can't: addresses parse, numbers are in range, a password
    /// file exists.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid =
            |key: &'static str, problem: String| Err(ConfigError::Invalid { key, problem });
        if !(self.database.url.starts_with("sqlite:") || self.database.url.starts_with("postgres"))
        {
            return invalid(
                "database.url",
                "expected sqlite:PATH or postgres://…".into(),
            );
        }
        if let Err(e) = Email::parse(&self.email.from_address) {
            return invalid("email.from_address", e.to_string());
        }
        let domain = &self.email.message_id_domain;
        if domain.is_empty()
            || !domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return invalid(
                "email.message_id_domain",
                format!("`{domain}` is not a domain name"),
            );
        }
        if self.smtp.host.trim().is_empty() {
            return invalid("smtp.host", "is empty".into());
        }
        if self.smtp.max_connections == 0 {
            return invalid("smtp.max_connections", "must be at least 1".into());
        }
        let browser = &self.web_forms.browser;
        if browser.enabled && browser.max_sessions == 0 {
            return invalid(
                "web_forms.browser.max_sessions",
                "must be at least 1".into(),
            );
        }
        if browser.enabled && browser.page_timeout < Duration::from_secs(1) {
            return invalid(
                "web_forms.browser.page_timeout",
                "pages take longer than a second to load".into(),
            );
        }
        if self.worker.capacity == 0 || self.worker.claim_batch == 0 {
            return invalid(
                "worker.capacity",
                "capacity and claim_batch must be at least 1".into(),
            );
        }
        if self.worker.lease < Duration::from_secs(1)
            || self.worker.key_lease < Duration::from_secs(1)
        {
            return invalid(
                "worker.lease",
                "leases shorter than a second expire under ordinary load".into(),
            );
        }
        if !(0.0..=1.0).contains(&self.retry.jitter) {
            return invalid(
                "retry.jitter",
                format!("{} is not between 0 and 1", self.retry.jitter),
            );
        }
        self.directory.validate()?;
        for (key, address) in [
            ("server.listen", &self.server.listen),
            ("server.metrics_listen", &self.server.metrics_listen),
        ] {
            if (key == "server.listen" || !address.is_empty())
                && address.parse::<std::net::SocketAddr>().is_err()
            {
                return invalid(
                    key,
                    format!("`{address}` is not an address (e.g. 127.0.0.1:8080)"),
                );
            }
        }
        let public_url = &self.server.public_url;
        if !public_url.is_empty()
            && !url::Url::parse(public_url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
        {
            return invalid(
                "server.public_url",
                format!("`{public_url}` is not an http(s) URL (e.g. https://letters.example.org)"),
            );
        }
        if self.receipts.enabled && public_url.is_empty() {
            return invalid(
                "receipts.enabled",
                "receipts link to a page on this server: set server.public_url".into(),
            );
        }
        if self.server.max_body_bytes == 0 {
            return invalid("server.max_body_bytes", "must be at least 1".into());
        }
        self.cwc.channel_settings()?;
        if self.email.transport == EmailTransport::Smtp
            && !self.smtp.password_file.as_os_str().is_empty()
        {
            self.smtp_password()?;
        }
        Ok(())
    }

    /// The SMTP password: from the environment, else from `smtp.password_file`, else none.
    pub fn smtp_password(&self) -> Result<Option<SecretString>, ConfigError> {
        if let Some(password) = &self.smtp.password {
            return Ok(Some(password.clone()));
        }
        if self.smtp.password_file.as_os_str().is_empty() {
            return Ok(None);
        }
        read_secret_file("smtp.password_file", &self.smtp.password_file).map(Some)
    }

    /// The DKIM signer's settings when `[dkim]` is enabled: the key from the environment,
    /// else from `dkim.private_key_file` (the whole file: a PEM has many lines).
    pub fn dkim_settings(&self) -> Result<Option<hillpost_channels::DkimSettings>, ConfigError> {
        let dkim = &self.dkim;
        if !dkim.enabled {
            return Ok(None);
        }
        let private_key = match &dkim.private_key {
            Some(key) => key.clone(),
            None if dkim.private_key_file.as_os_str().is_empty() => {
                return Err(ConfigError::Invalid {
                    key: "dkim.private_key_file",
                    problem: "DKIM is enabled but no key is given: set dkim.private_key_file \
                              or HILLPOST__DKIM__PRIVATE_KEY"
                        .into(),
                });
            }
            None => read_secret_text("dkim.private_key_file", &dkim.private_key_file)?,
        };
        let domain = match dkim.domain.trim() {
            "" => self
                .email
                .from_address
                .rsplit_once('@')
                .map(|(_, domain)| domain.to_string())
                .unwrap_or_default(),
            domain => domain.to_string(),
        };
        Ok(Some(hillpost_channels::DkimSettings {
            selector: dkim.selector.clone(),
            domain,
            private_key,
        }))
    }

    /// The service's signing key: from `HILLPOST__SIGNING__KEY`, else `signing.key_file`;
    /// `None` when neither is set (then nothing is signed).
    pub fn signing_key(&self) -> Result<Option<SigningKey>, ConfigError> {
        use secrecy::ExposeSecret;
        let (key, text) = match &self.signing.key {
            Some(text) => ("HILLPOST__SIGNING__KEY", text.clone()),
            None if self.signing.key_file.as_os_str().is_empty() => return Ok(None),
            None => (
                "signing.key_file",
                read_secret_text("signing.key_file", &self.signing.key_file)?,
            ),
        };
        SigningKey::from_pem(text.expose_secret())
            .map(Some)
            .map_err(|e| ConfigError::Invalid {
                key,
                problem: e.to_string(),
            })
    }

    /// The link base of receipts for batches created now; `None` when receipts are off.
    pub fn receipt_base_url(&self) -> Option<&str> {
        self.receipts
            .enabled
            .then(|| self.server.public_url.trim_end_matches('/'))
    }

    pub fn retry_schedule(&self) -> RetrySchedule {
        RetrySchedule::new(
            self.retry.schedule.clone(),
            self.retry.jitter,
            self.retry.max_retry_after,
        )
    }

    /// What core's delivery transition follows: the retry schedule and the resend policy.
    pub fn delivery_rules(&self) -> DeliveryRules {
        let resend = &self.retry.resend_possibly_accepted;
        DeliveryRules {
            retry: self.retry_schedule(),
            resend: ResendPolicy {
                email: resend.email,
                web_form: resend.web_form,
                cwc: resend.cwc,
            },
        }
    }
}

pub(super) fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text)
        .map_err(|e| serde::de::Error::custom(format!("`{text}` is not a duration ({e})")))
}

/// A list of texts: a TOML array, or text separated by `separator` (from the environment).
fn list<'de, D: Deserializer<'de>>(
    deserializer: D,
    separator: char,
) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum List {
        Items(Vec<String>),
        Text(String),
    }
    Ok(match List::deserialize(deserializer)? {
        List::Items(items) => items,
        List::Text(text) => text
            .split(separator)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    })
}

/// A list of texts; from the environment separated by `;`
/// (`HILLPOST__CWC__MAINTENANCE="house daily 00:00-06:00;senate sun 00:00-06:00"`).
pub(super) fn strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    list(deserializer, ';')
}

/// A list of durations: a TOML array, or comma-separated text (from the environment:
/// `HILLPOST__RETRY__SCHEDULE=30s,2m,10m`).
fn durations<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Duration>, D::Error> {
    let items = list(deserializer, ',')?;
    items
        .into_iter()
        .map(|text| {
            humantime::parse_duration(&text)
                .map_err(|e| serde::de::Error::custom(format!("`{text}` is not a duration ({e})")))
        })
        .collect()
}
