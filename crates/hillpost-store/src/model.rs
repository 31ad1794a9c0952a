//! What the store hands out and takes in. Both backends use these types, so the worker, the
//! CLI and the tests never see a dialect.

use hillpost_core::AttemptNo;
use hillpost_core::ids::{
    AttemptId, BatchId, DeliveryId, EventId, MessageId, RecipientId, SignatureId,
};
use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hillpost_core::batch::Endpoint;
pub use hillpost_core::delivery::BatchAction;
pub use hillpost_core::delivery::DeliveryKind;
use hillpost_core::delivery::{
    AttemptOutcome, BatchState, Channel, DeliveryState, OperatorAction, RetrySelection, Transition,
};
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
    pub id: BatchId,
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
    /// The organizer asked to send again letters earlier batches delivered
    /// (`--include-delivered`): the audit event says so.
    pub include_delivered: bool,
}

/// `hillpost batch status`: counts per state, per recipient, and why deliveries were skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStatus {
    pub batch: BatchRow,
    pub by_state: BTreeMap<DeliveryState, u64>,
    pub by_recipient: Vec<RecipientStatus>,
    pub skip_reasons: Vec<(String, u64)>,
    /// Why deliveries left an endpoint (for the recipient's next one, or with none left),
    /// with how many did.
    pub route_notes: Vec<(String, u64)>,
    pub attempts: u64,
    /// Attempts that may have reached the office without a confirmation
    /// (`possibly_accepted`, `unconfirmed`, and `unknown` from older versions).
    pub unconfirmed_attempts: u64,
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
    /// Channels whose deliveries on unlimited keys are marked sending as they are claimed,
    /// in the claim's own write (see [`ClaimedDelivery::marked_sending`]). Only channels
    /// that may send a letter again under the same id belong here: a worker killed before
    /// such a letter left leaves it "may have been sent", and it is sent again, once.
    pub mark_sending_on_claim: &'a [Channel],
}

/// A delivery leased to a worker for one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    pub id: DeliveryId,
    pub batch_id: BatchId,
    pub recipient_id: RecipientId,
    pub signature_id: Option<SignatureId>,
    pub message_id: MessageId,
    /// The attempt about to be made (1-based); also the lease's fencing token.
    pub attempt_no: AttemptNo,
    pub max_attempts: u32,
    pub channel: Channel,
    pub endpoint: String,
    pub rate_key: String,
    /// An earlier attempt may have reached the office (see `hillpost_core::delivery`).
    pub possibly_accepted: bool,
    /// The claim marked this attempt as sending already (its channel is one of the
    /// request's `mark_sending_on_claim` and its key is unlimited): no separate mark.
    pub marked_sending: bool,
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
    pub delivery_id: DeliveryId,
    pub kind: DeliveryKind,
    pub idempotency_key: String,
    pub recipient_name: String,
    pub language: String,
    pub subject: String,
    pub body_markdown: String,
    pub signer: Option<NewSignature>,
    /// The recipient's endpoints in order of preference, where the delivery may move.
    pub endpoints: Vec<Endpoint>,
    /// A receipt's signed `receipt.json`, put in by the worker just before sending.
    pub receipt_statement: Option<String>,
}

/// One ended attempt (or a decision the channel made without trying) and what the delivery
/// becomes, as `hillpost_core::delivery::transition` decided.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    pub delivery_id: DeliveryId,
    pub attempt_no: AttemptNo,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub outcome: AttemptOutcome,
    pub endpoint: String,
    pub remote_code: Option<i32>,
    pub remote_text: Option<String>,
    pub sent_sha256: Option<String>,
    /// What identifies the letter at the receiver (see `SendReport::receiver_id`); kept in
    /// the attempt's audit event.
    pub receiver_id: Option<String>,
    pub note: Option<String>,
    pub transition: Transition,
}

impl AttemptRecord {
    pub(crate) fn duration_ms(&self) -> i32 {
        let ms = (self.finished_at - self.started_at)
            .num_milliseconds()
            .max(0);
        i32::try_from(ms).unwrap_or(i32::MAX)
    }

    /// How long until the delivery is due again, in milliseconds (0 unless queued).
    pub(crate) fn due_in_ms(&self) -> i64 {
        i64::try_from(self.transition.due_in.as_millis()).unwrap_or(i64::MAX)
    }

    /// The delivery event this record adds beside its attempt row, if any.
    pub(crate) fn event(&self) -> Option<NewDeliveryEvent<'_>> {
        let t = &self.transition;
        let (kind, reason) = match (&t.route, &t.deferred) {
            (Some(route), _) => (DeliveryEventKind::Route, route.reason.as_str()),
            (None, Some(reason)) => (DeliveryEventKind::Deferred, reason.as_str()),
            (None, None) => return None,
        };
        Some(NewDeliveryEvent {
            kind,
            reason,
            to: t.route.as_ref().and_then(|r| r.to.as_ref()),
        })
    }
}

/// A delivery event about to be written by a record: the from side is the delivery's
/// endpoint before the record.
pub(crate) struct NewDeliveryEvent<'a> {
    pub kind: DeliveryEventKind,
    pub reason: &'a str,
    pub to: Option<&'a Endpoint>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    pub id: AttemptId,
    pub delivery_id: DeliveryId,
    pub attempt_no: AttemptNo,
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
    pub id: DeliveryId,
    pub batch_id: BatchId,
    pub kind: DeliveryKind,
    pub recipient_key: String,
    pub recipient_name: String,
    pub signature_id: Option<SignatureId>,
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
    /// Some attempt may have reached the office: it is never sent elsewhere.
    pub possibly_accepted: bool,
    pub finalized_at: Option<DateTime<Utc>>,
}

/// What happened to a delivery besides attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeliveryEventKind {
    /// It left an endpoint: for the next one, or with none left (then it ended).
    Route,
    /// It waited without trying (a gateway's maintenance window).
    Deferred,
    /// A person said an `unconfirmed` delivery arrived.
    Confirmed,
    /// A person sent an `unconfirmed` (or failed) delivery again.
    Resent,
    /// `batch retry` planned it again on the current directory.
    Replanned,
    /// Its office's mail system returned it after accepting it.
    Bounced,
}

impl DeliveryEventKind {
    pub const ALL: [DeliveryEventKind; 6] = [
        DeliveryEventKind::Route,
        DeliveryEventKind::Deferred,
        DeliveryEventKind::Confirmed,
        DeliveryEventKind::Resent,
        DeliveryEventKind::Replanned,
        DeliveryEventKind::Bounced,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryEventKind::Route => "route",
            DeliveryEventKind::Deferred => "deferred",
            DeliveryEventKind::Confirmed => "confirmed",
            DeliveryEventKind::Resent => "resent",
            DeliveryEventKind::Replanned => "replanned",
            DeliveryEventKind::Bounced => "bounced",
        }
    }
}

impl std::str::FromStr for DeliveryEventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a delivery event kind"))
    }
}

/// One row of `delivery_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryEventRow {
    pub id: EventId,
    pub delivery_id: DeliveryId,
    pub at: DateTime<Utc>,
    pub kind: DeliveryEventKind,
    /// `worker:<id>`, `housekeeping`, `cli:<user>`, `api:<token>`.
    pub actor: String,
    pub attempt_no: Option<AttemptNo>,
    pub from: Option<(Channel, String)>,
    pub to: Option<(Channel, String)>,
    pub reason: String,
}

impl DeliveryEventRow {
    /// The event in one line, as `batch status` and `delivery show` print it.
    pub fn describe(&self) -> String {
        let endpoint = |e: &Option<(Channel, String)>| {
            e.as_ref()
                .map(|(channel, address)| format!("{channel} {address}"))
        };
        match self.kind {
            DeliveryEventKind::Route => {
                route_words(self.from.as_ref(), self.to.as_ref(), &self.reason)
            }
            DeliveryEventKind::Deferred => format!("waited: {}", self.reason),
            DeliveryEventKind::Confirmed => {
                format!("confirmed by {}: {}", self.actor, self.reason)
            }
            DeliveryEventKind::Resent => format!("sent again by {}: {}", self.actor, self.reason),
            DeliveryEventKind::Replanned => format!(
                "planned again by {}{}: {}",
                self.actor,
                endpoint(&self.to)
                    .map(|to| format!(" (now {to})"))
                    .unwrap_or_default(),
                self.reason
            ),
            DeliveryEventKind::Bounced => format!("returned by the office: {}", self.reason),
        }
    }
}

/// A route event in words: `web_form S001181 passed over for email staff@example.org: why`.
pub fn route_words(
    from: Option<&(Channel, String)>,
    to: Option<&(Channel, String)>,
    reason: &str,
) -> String {
    let from = from.map_or_else(
        || "the endpoint".to_string(),
        |(channel, address)| format!("{channel} {address}"),
    );
    match to {
        Some((channel, address)) => {
            format!("{from} passed over for {channel} {address}: {reason}")
        }
        None => format!("{from} passed over, no endpoint left: {reason}"),
    }
}

/// `hillpost delivery show`: a delivery, every attempt and every event, oldest first, and
/// the endpoints planning passed over.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryDetail {
    pub delivery: DeliveryRow,
    pub campaign_id: String,
    pub attempts: Vec<AttemptRow>,
    pub events: Vec<DeliveryEventRow>,
    pub passed_over: Vec<String>,
}

/// What the periodic housekeeping did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Scheduled batches whose time came.
    pub started: Vec<BatchId>,
    /// Running batches with nothing left to do.
    pub completed: Vec<BatchId>,
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
pub type SignatureRecord = (SignatureId, NewSignature);

/// A person's action on one delivery (`hillpost delivery confirm|resend`, the API, the
/// dashboard).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryAction<'a> {
    /// [`OperatorAction::Confirm`] or [`OperatorAction::Resend`].
    pub action: OperatorAction,
    /// `cli:<user>`, `api:<token>`, `dashboard:<token>`.
    pub actor: &'a str,
    /// Why, in the person's words: kept in the event and the audit.
    pub reason: &'a str,
    /// A resend's attempts on the endpoint.
    pub budget: u32,
}

/// `batch retry`: which letters, planned again on which endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryRequest<'a> {
    pub selection: RetrySelection,
    /// Per office (recipient key): its endpoints as the current directory has them, and
    /// what planning passed over. Offices missing here keep what they had.
    pub endpoints: BTreeMap<String, (Vec<Endpoint>, Vec<String>)>,
    pub actor: &'a str,
    pub reason: &'a str,
    /// Attempts each letter gets on its (new) first endpoint.
    pub budget: u32,
}

/// What `batch retry` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryReport {
    /// Deliveries queued again.
    pub replanned: u64,
    /// Offices whose letters stay as they were: no endpoint now.
    pub without_endpoint: Vec<String>,
}
