//! The CWC channel: one constituent's letter to one member office, as CWC 2.0 XML posted to
//! the House gateway (or the Senate's, when configured).
//!
//! ```text
//!  letter ─┬─ no signer (petition) ───────────────▶ falls back: next endpoint
//!          ├─ CwcMessage::build fails ────────────▶ permanent, the element named, nothing posted
//!          ├─ no gateway for the chamber ─────────▶ falls back
//!          ├─ gateway in a maintenance window ────▶ transient, retry when the window ends
//!          ├─ office not on GET /v2/offices ──────▶ falls back
//!          └─ POST {base}/v2/message?apikey=… ────▶ answer::classify (201 ok, 409 ok,
//!                 (/v2/validate when validate-only)   400 permanent + <Error>s, 5xx/429 transient)
//! ```
//!
//! Checks that need no network happen before the worker's turn (the rate limit), so a
//! letter that cannot go by CWC neither waits for nor uses a slot. The API key is only ever
//! in the query string of the request being sent: errors are stripped of their URL before
//! they are recorded, and nothing here logs more than delivery ids and outcomes.

mod answer;
mod body;
mod gateway;
mod http;
mod offices;

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hillpost_core::AttemptOutcome;
use hillpost_core::campaign::Chamber;
use hillpost_core::cwc::{CwcMessage, MaintenanceSchedule, MessageSettings};
use hillpost_core::delivery::{OutgoingLetter, SendReport};
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::report::{falls_back, finished, refused_locally};
use crate::{Channel, Go};

pub use answer::parse_retry_after;
pub use gateway::GatewayUrlError;
pub use http::{HttpSettings, HttpSetupError, http_client};

use answer::{Answer, classify};
use gateway::Gateway;
use offices::{ActiveOffices, OfficeStatus};

/// Why a petition never goes by CWC.
pub const PETITION_FALLBACK: &str =
    "CWC carries one constituent's message; a petition goes by the next endpoint";

/// The most of an answer read: far more than any CWC answer, far less than a flood.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Everything the channel needs, from configuration.
#[derive(Debug, Clone)]
pub struct CwcSettings {
    /// The House gateway, e.g. `https://cwc.house.gov` (its UAT host for testing).
    pub house_url: String,
    /// The Senate (SOAPBox) gateway; `None`: Senate offices go by their next endpoint.
    pub senate_url: Option<String>,
    pub api_key: SecretString,
    /// Post to `/v2/validate` instead of `/v2/message`: checks, delivers nothing.
    pub validate_only: bool,
    pub message: MessageSettings,
    pub maintenance: MaintenanceSchedule,
    /// Ask `GET /v2/offices` whether an office is active before posting to it.
    pub check_offices: bool,
    pub offices_refresh: Duration,
}

#[derive(Debug, Error)]
pub enum CwcSetupError {
    #[error(transparent)]
    Url(#[from] GatewayUrlError),
    #[error(transparent)]
    Http(#[from] HttpSetupError),
}

pub struct CwcChannel {
    client: reqwest::Client,
    house: Gateway,
    senate: Option<Gateway>,
    api_key: SecretString,
    validate_only: bool,
    message: MessageSettings,
    maintenance: MaintenanceSchedule,
    offices: Option<ActiveOffices>,
}

/// A message that passed every local check, ready to post.
struct Ready {
    url: String,
    xml: Vec<u8>,
}

impl CwcChannel {
    /// Builds the channel with its own HTTP client ([`http_client`]).
    pub fn new(settings: CwcSettings, http: &HttpSettings) -> Result<Self, CwcSetupError> {
        Self::with_client(settings, http_client(http)?)
    }

    /// Builds the channel around `client` (for example the shared egress client). The
    /// client must not follow redirects.
    pub fn with_client(
        settings: CwcSettings,
        client: reqwest::Client,
    ) -> Result<Self, CwcSetupError> {
        let house = Gateway::new(Chamber::House, &settings.house_url)?;
        let senate = settings
            .senate_url
            .as_deref()
            .map(|url| Gateway::new(Chamber::Senate, url))
            .transpose()?;
        Ok(Self {
            client,
            house,
            senate,
            api_key: settings.api_key,
            validate_only: settings.validate_only,
            message: settings.message,
            maintenance: settings.maintenance,
            offices: settings
                .check_offices
                .then(|| ActiveOffices::new(settings.offices_refresh)),
        })
    }

    pub fn validate_only(&self) -> bool {
        self.validate_only
    }

    /// Every check before the post. `Err` is the attempt's report: nothing was sent.
    async fn prepare(
        &self,
        letter: &OutgoingLetter,
        started_at: DateTime<Utc>,
    ) -> Result<Ready, SendReport> {
        if letter.signer.is_none() {
            return Err(falls_back(started_at, PETITION_FALLBACK.into()));
        }
        let message =
            CwcMessage::build(letter, &self.message, started_at.date_naive()).map_err(|e| {
                refused_locally(
                    started_at,
                    AttemptOutcome::Permanent,
                    format!("{e}; the message was not posted"),
                )
            })?;
        let office = message.office();
        let gateway = match office.chamber() {
            Chamber::House => &self.house,
            Chamber::Senate => self.senate.as_ref().ok_or_else(|| {
                falls_back(
                    started_at,
                    format!("office {office}: the Senate CWC gateway is not configured"),
                )
            })?,
        };
        if let Some((until, window)) = self.maintenance.closed_until(office.chamber(), started_at) {
            let wait = (until - started_at).to_std().unwrap_or(Duration::ZERO);
            return Err(SendReport {
                retry_after: Some(wait),
                note: Some(format!(
                    "the {} CWC gateway is in maintenance ({window}) until {}; delayed, not \
                     failed",
                    gateway.name(),
                    until.format("%Y-%m-%d %H:%M UTC")
                )),
                ..finished(started_at, AttemptOutcome::Transient)
            });
        }
        if let Some(offices) = &self.offices {
            match offices
                .status(&self.client, gateway, &self.api_key, office)
                .await
            {
                OfficeStatus::Active => {}
                OfficeStatus::Inactive => {
                    return Err(falls_back(
                        started_at,
                        format!("office {office} is not active on CWC"),
                    ));
                }
                OfficeStatus::Unknown(reason) => {
                    return Err(refused_locally(
                        started_at,
                        AttemptOutcome::Transient,
                        format!(
                            "the {} CWC active-office list is not available ({reason})",
                            gateway.name()
                        ),
                    ));
                }
            }
        }
        Ok(Ready {
            url: gateway.message_url(self.validate_only),
            xml: message.to_xml(),
        })
    }

    async fn post(&self, ready: Ready, started_at: DateTime<Utc>) -> SendReport {
        let sha256 = hex::encode(Sha256::digest(&ready.xml));
        let sent = self
            .client
            .post(Gateway::keyed(&ready.url, &self.api_key))
            .header(CONTENT_TYPE, "application/xml")
            .body(ready.xml)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => return transport_failure(started_at, error, sha256),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // The status arrived; a broken body does not change what it said.
        let body = body::read_capped(response, MAX_ANSWER_BYTES)
            .await
            .unwrap_or_default();
        classify(
            started_at,
            &Answer {
                status,
                retry_after: retry_after.as_deref(),
                body: &body,
            },
            self.validate_only,
            sha256,
        )
    }
}

/// No answer: timeouts, refused or broken connections. All worth retrying; a retry of a
/// message that did arrive is answered 409 and recorded as delivered.
fn transport_failure(
    started_at: DateTime<Utc>,
    error: reqwest::Error,
    sha256: String,
) -> SendReport {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    // Never the URL: it carries the API key.
    let detail = error.without_url();
    SendReport {
        sent_sha256: Some(sha256),
        note: Some(format!("the CWC request {what}: {detail}")),
        ..finished(started_at, AttemptOutcome::Transient)
    }
}

impl Channel for CwcChannel {
    async fn send(&self, letter: &OutgoingLetter) -> SendReport {
        self.send_on_turn(letter, std::future::ready(Go::Ahead))
            .await
            .unwrap_or_else(|| unreachable_withdraw(letter))
    }

    async fn send_on_turn<T>(&self, letter: &OutgoingLetter, turn: T) -> Option<SendReport>
    where
        T: Future<Output = Go> + Send,
    {
        let started_at = Utc::now();
        let report = match self.prepare(letter, started_at).await {
            Err(report) => report,
            Ok(ready) => match turn.await {
                Go::Withdraw => return None,
                Go::Ahead => self.post(ready, started_at).await,
            },
        };
        tracing::info!(
            delivery_id = letter.delivery_id,
            attempt = letter.attempt_no,
            outcome = %report.outcome,
            status = report.remote_code,
            "CWC attempt finished"
        );
        Some(report)
    }
}

/// `send` passes a turn that always says go.
fn unreachable_withdraw(letter: &OutgoingLetter) -> SendReport {
    refused_locally(
        Utc::now(),
        AttemptOutcome::Transient,
        format!("delivery {} was withdrawn", letter.delivery_id),
    )
}
