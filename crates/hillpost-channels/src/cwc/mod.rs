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
//! Every request goes through the egress policy ([`crate::egress`], see [`http`]): the
//! gateways' hosts must be on its allow-list (checked when the channel is built), private
//! addresses are refused unless allowed, address overrides apply, redirects are not followed.
//!
//! Checks that need no network happen before the worker's turn (the rate limit), so a
//! letter that cannot go by CWC neither waits for nor uses a slot. The API key is only ever
//! in the query string of the request being sent: errors are stripped of their URL before
//! they are recorded, and nothing here logs more than delivery ids and outcomes.

mod answer;
#[cfg(test)]
mod fuzz;
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
use reqwest::header::RETRY_AFTER;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::egress::{EgressClient, EgressError, EgressRequest, EgressSettings};
use crate::report::{falls_back, finished, not_submitted, refused_locally};
use crate::{Channel, Go};

pub use answer::parse_retry_after;
pub use gateway::GatewayUrlError;
pub use http::{CWC_ALLOWED_HOSTS, CwcEgressError, default_egress};

use answer::{Answer, classify};
use gateway::Gateway;
use offices::{ActiveOffices, OfficeStatus};

/// Why a petition never goes by CWC.
pub const PETITION_FALLBACK: &str =
    "CWC carries one constituent's message; a petition goes by the next endpoint";

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
    Egress(#[from] CwcEgressError),
}

pub struct CwcChannel {
    client: EgressClient,
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
    /// The message's DeliveryId.
    delivery_id: String,
}

impl CwcChannel {
    /// Builds the channel; its requests go through `egress` (see [`default_egress`]),
    /// without following redirects. A gateway whose URL the policy refuses (a host off the
    /// allow-list, a private IP literal) stops the build, naming the host.
    pub fn new(settings: CwcSettings, egress: &EgressSettings) -> Result<Self, CwcSetupError> {
        let client = http::client(egress)?;
        let house = Gateway::new(Chamber::House, &settings.house_url)?;
        let senate = settings
            .senate_url
            .as_deref()
            .map(|url| Gateway::new(Chamber::Senate, url))
            .transpose()?;
        for gateway in std::iter::once(&house).chain(senate.as_ref()) {
            http::check_gateway(&client, gateway.name(), &gateway.base_url())?;
        }
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
            let note = format!(
                "the {} CWC gateway is in maintenance ({window}) until {}; delayed, not failed",
                gateway.name(),
                until.format("%Y-%m-%d %H:%M UTC")
            );
            return Err(SendReport {
                retry_after: Some(wait),
                ..refused_locally(started_at, AttemptOutcome::Transient, note)
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
                    return Err(not_submitted(
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
            delivery_id: message.delivery_id().as_str().to_string(),
        })
    }

    /// Posts the message; a report of anything that may have left names its DeliveryId, what
    /// the office's system knows the letter by.
    async fn post(&self, ready: Ready, started_at: DateTime<Utc>) -> SendReport {
        let delivery_id = ready.delivery_id.clone();
        let mut report = self.post_xml(ready, started_at).await;
        if report.sent_sha256.is_some() {
            report.receiver_id = Some(delivery_id);
        }
        report
    }

    async fn post_xml(&self, ready: Ready, started_at: DateTime<Utc>) -> SendReport {
        let sha256 = hex::encode(Sha256::digest(&ready.xml));
        let request = EgressRequest::post(
            Gateway::keyed(&ready.url, &self.api_key),
            "application/xml",
            ready.xml,
        );
        let response = match self.client.fetch(request).await {
            Ok(response) => response,
            Err(error) => return self.transport_failure(started_at, &error, sha256),
        };
        let retry_after = response
            .headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok());
        classify(
            started_at,
            &Answer {
                status: response.status,
                retry_after,
                body: &response.text(),
            },
            self.validate_only,
            sha256,
        )
    }

    /// No answer: timeouts, refused or broken connections, a refusal by the egress policy.
    /// Before the message left, worth retrying (a policy refusal is for an operator to fix,
    /// like a wrong key); after, it may have arrived, and a retry of a message that did
    /// arrive is answered 409 and recorded as delivered.
    fn transport_failure(
        &self,
        started_at: DateTime<Utc>,
        error: &EgressError,
        sha256: String,
    ) -> SendReport {
        let what = http::failure_kind(error);
        // Never the key: the URL in the error carries it.
        let detail = http::keyless(&error.to_string(), &self.api_key);
        let outcome = match error.nothing_sent() {
            true => AttemptOutcome::Transient,
            false => AttemptOutcome::PossiblyAccepted,
        };
        SendReport {
            sent_sha256: (!error.nothing_sent()).then_some(sha256),
            note: Some(format!("the CWC request {what}: {detail}")),
            ..finished(started_at, outcome)
        }
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
            delivery_id = letter.delivery_id.get(),
            attempt = letter.attempt_no.get(),
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
