//! What the store hands out and takes in. Both backends use these types, so the worker, the
//! CLI and the tests never see a dialect.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
pub use hillpost_core::delivery::BatchAction;
pub use hillpost_core::delivery::DeliveryKind;
use hillpost_core::delivery::{AttemptOutcome, BatchState, Channel, DeliveryState, NextStep};
use hillpost_core::{Campaign, Mode, NewSignature};

#[derive(Debug, Clone, PartialEq)]
pub struct StoredCampaign {
    pub campaign: Campaign,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub signature_count: u64,
    pub batch_count: u64,
}

/// What one signature file did to a campaign.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub rows_read: u64,
    /// Newly stored.
    pub accepted: u64,
    /// The same email as an earlier row of this file or a signature already stored.
    pub duplicates: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatchRow {
    pub id: i64,
    pub campaign_id: String,
    pub state: BatchState,
    pub mode: Mode,
    pub start_at: DateTime<Utc>,
    pub signature_count: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Where this batch's receipt links point; `None` when it sends no receipts.
    pub receipt_base_url: Option<String>,
}

/// How a batch is created: when it starts, its retry budget, who created it, and whether
/// (and with which link base) it sends receipts.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOptions<'a> {
    pub start_at: DateTime<Utc>,
    pub max_attempts: u32,
    /// `cli:<user>`, `api:<token>`: the audit event names it.
    pub actor: &'a str,
    /// `[server] public_url` when receipts are on; `None` sends none.
    pub receipt_base_url: Option<&'a str>,
}

/// `hillpost batch status`: counts per state, per recipient, and why deliveries were skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStatus {
    pub batch: BatchRow,
    pub by_state: BTreeMap<DeliveryState, u64>,
    pub by_recipient: Vec<RecipientStatus>,
    pub skip_reasons: Vec<(String, u64)>,
    /// Why deliveries left an endpoint for the recipient's next one, with how many did.
    pub route_notes: Vec<(String, u64)>,
    pub attempts: u64,
    /// Attempts whose outcome is unknown: the letter may have arrived more than once.
    pub unknown_attempts: u64,
}

impl BatchStatus {
    pub fn total(&self) -> u64 {
        self.by_state.values().sum()
    }

    pub fn count(&self, state: DeliveryState) -> u64 {
        self.by_state.get(&state).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecipientStatus {
    pub key: String,
    pub name: String,
    pub by_state: BTreeMap<DeliveryState, u64>,
}

/// Which rate keys are limited, and so must be leased to one worker at a time. Keys without
/// a limit are sent to by every worker at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateKeyPolicy {
    /// Whether keys not named below are limited (the configured default quota).
    pub default_limited: bool,
    pub limited: Vec<String>,
    pub unlimited: Vec<String>,
}

impl RateKeyPolicy {
    pub fn is_limited(&self, key: &str) -> bool {
        if self.limited.iter().any(|k| k == key) {
            return true;
        }
        self.default_limited && !self.unlimited.iter().any(|k| k == key)
    }
}

#[derive(Debug, Clone)]
pub struct ClaimRequest<'a> {
    pub worker_id: &'a str,
    pub limit: u32,
    /// How long the claimed deliveries are ours without a heartbeat.
    pub lease: Duration,
    /// How long a rate key is ours without a heartbeat.
    pub key_lease: Duration,
    /// Keys this worker already has enough of in memory.
    pub exclude_keys: &'a [String],
    pub policy: &'a RateKeyPolicy,
}

/// A delivery leased to a worker for one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub id: i64,
    pub batch_id: i64,
    pub recipient_id: i64,
    pub signature_id: Option<i64>,
    pub message_id: i64,
    /// The attempt about to be made (1-based); also the lease's fencing token.
    pub attempt_no: u32,
    pub max_attempts: u32,
    pub channel: Channel,
    pub endpoint: String,
    pub rate_key: String,
}

/// A rate key this worker holds, with where the previous holder's limiter stood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLease {
    pub key: String,
    /// Don't send on this key before this time (carried over from the previous holder).
    pub next_send_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claim {
    pub deliveries: Vec<ClaimedDelivery>,
    /// Limited keys leased (or renewed) by this claim.
    pub keys: Vec<KeyLease>,
}

/// The letter content of a claimed delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct LetterParts {
    pub delivery_id: i64,
    pub kind: DeliveryKind,
    pub idempotency_key: String,
    pub recipient_name: String,
    pub language: String,
    pub subject: String,
    pub body_markdown: String,
    pub signer: Option<NewSignature>,
}

/// One ended attempt and what the delivery becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub delivery_id: i64,
    pub attempt_no: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub outcome: AttemptOutcome,
    pub endpoint: String,
    pub remote_code: Option<i32>,
    pub remote_text: Option<String>,
    pub sent_sha256: Option<String>,
    pub note: Option<String>,
    pub next: NextStep,
}

impl AttemptRecord {
    pub(crate) fn duration_ms(&self) -> i32 {
        let ms = (self.finished_at - self.started_at)
            .num_milliseconds()
            .max(0);
        i32::try_from(ms).unwrap_or(i32::MAX)
    }

    /// The state, due delay and error text the delivery gets.
    pub(crate) fn transition(&self) -> (DeliveryState, i64, Option<String>) {
        let error = match self.outcome {
            AttemptOutcome::Ok => None,
            _ => Some(match (&self.remote_code, &self.remote_text) {
                (Some(code), Some(text)) => format!("{code} {text}"),
                (None, Some(text)) => text.clone(),
                (Some(code), None) => code.to_string(),
                (None, None) => self
                    .note
                    .clone()
                    .unwrap_or_else(|| self.outcome.to_string()),
            }),
        };
        match self.next {
            NextStep::Finish(state) => (state, 0, error),
            // Failed unless the store finds a next endpoint in the same transaction.
            NextStep::NextEndpoint => (DeliveryState::Failed, 0, error),
            NextStep::RetryAfter(delay) => (
                DeliveryState::Queued,
                i64::try_from(delay.as_millis()).unwrap_or(i64::MAX),
                error,
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    pub id: i64,
    pub delivery_id: i64,
    pub attempt_no: u32,
    pub worker_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub outcome: AttemptOutcome,
    /// The channel of the endpoint tried; `None` on rows older than the column (then the
    /// delivery's channel).
    pub channel: Option<Channel>,
    pub endpoint: String,
    pub remote_code: Option<i32>,
    pub remote_text: Option<String>,
    pub sent_sha256: Option<String>,
    pub duration_ms: u32,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub id: i64,
    pub batch_id: i64,
    pub kind: DeliveryKind,
    pub recipient_key: String,
    pub recipient_name: String,
    pub signature_id: Option<i64>,
    pub channel: Channel,
    pub endpoint: String,
    pub rate_key: String,
    pub idempotency_key: String,
    pub state: DeliveryState,
    pub skip_reason: Option<String>,
    pub attempts: u32,
    pub max_attempts: u32,
    pub due_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// Why the delivery left earlier endpoints for the one it is on now.
    pub route_note: Option<String>,
    pub finalized_at: Option<DateTime<Utc>>,
}

/// What the periodic housekeeping did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Scheduled batches whose time came.
    pub started: Vec<i64>,
    /// Running batches with nothing left to do.
    pub completed: Vec<i64>,
    /// In-flight deliveries whose worker stopped renewing its lease while sending; each got
    /// an `unknown` attempt row and went back to the queue (or to `dead` when out of attempts).
    pub recovered: u64,
    /// In-flight deliveries whose worker stopped before sending them: back to the queue, no
    /// attempt spent.
    pub requeued: u64,
    /// Queued deliveries of cancelled batches, now cancelled.
    pub cancelled: u64,
}

/// Signer rows are written by the importer and read back as [`NewSignature`].
pub type SignatureRecord = (i64, NewSignature);
