//! hillpost's persistence: campaigns, signatures, batches, deliveries, attempts and rate-key
//! leases, on SQLite (the embedded default: one file, zero set-up) or PostgreSQL (many worker
//! processes on many machines).
//!
//! Both backends implement the same operations with the same meaning; the integration tests
//! run every one of them against both. The differences are in how a worker claims work:
//!
//! ```text
//! PostgreSQL: one statement — SELECT … FOR UPDATE SKIP LOCKED, lease the rate keys
//!             (INSERT … ON CONFLICT … WHERE expired OR mine), UPDATE … RETURNING
//! SQLite:     the same three steps inside BEGIN IMMEDIATE (one writer at a time)
//! ```
//!
//! A lease is never held across a network call as a database lock: claiming sets
//! `lease_owner`/`lease_expires_at` and commits; the worker sends; recording checks the lease
//! is still its own (owner and attempt number) before it moves the delivery on.

/// The columns of a [`DeliveryRow`] (and what `delivery show` adds: the campaign and what
/// planning passed over), the same on both backends; each appends its own `WHERE`. A macro,
/// so the statements stay `&'static str`.
macro_rules! delivery_select {
    () => {
        "SELECT d.id, d.batch_id, d.kind, r.key AS recipient_key, r.name AS recipient_name, r.passed_over,
                b.campaign_id, d.signature_id, d.channel, d.endpoint, d.rate_key, d.idempotency_key, d.state,
                d.skip_reason, d.attempts, d.max_attempts, d.due_at, d.last_error, d.possibly_accepted,
                d.finalized_at
           FROM deliveries d
           JOIN recipients r ON r.id = d.recipient_id
           JOIN batches b ON b.id = d.batch_id"
    };
}

mod altered;
mod audit;
mod checkpoints;
pub mod clock;
pub mod directory;
mod enqueue;
mod error;
mod evidence;
pub mod import;
mod logic;
mod metrics;
mod model;
mod notices;
mod postgres;
mod receipts;
mod record;
mod signature_row;
mod sqlite;
mod statements;
mod tokens;

use hillpost_core::ids::{AttemptNo, BatchId, DeliveryId, ImportId, SignatureId};
use std::collections::HashMap;
use std::sync::Arc;

use hillpost_core::audit::{Anchor, Checkpoint, KeyList, PublicKey, SigningKey};
use hillpost_core::batch::{BatchPlan, SentBefore};
use hillpost_core::delivery::{Attachment, DeliveryRules};
use hillpost_core::{Campaign, CampaignId, NewSignature};

pub use altered::AlteredAttempt;
pub use audit::{ChainReport, ExportLine, HOUSEKEEPING, UNATTRIBUTED};
pub use checkpoints::{CheckpointWrite, Unrecorded};
pub use clock::{Clock, SystemClock, TestClock};
pub use directory::{DirectoryFile, NewDirectory, StoredDirectory, ZipDistrictRow, ZipTable};
pub(crate) use enqueue::{delivery_rows, sha256_hex};
pub use error::StoreError;
pub(crate) use error::StoreResult;
pub use evidence::{EvidenceRow, NewEvidence};
pub use logic::erasure::{ERASED_TEXT, Erasure, ErasureReport, PetitionCarrying, RemadeDocument};
pub use metrics::{ATTEMPT_DURATION_BUCKETS_MS, DeliveryMetrics, DurationHistogram};
pub use model::*;
pub use notices::{MAX_KEPT_MESSAGE_BYTES, NewNotice, NoticeOutcome, NoticeRow, Reading};
pub use receipts::{RECEIPT_ENDPOINT, RECEIPT_RATE_KEY, ReceiptPage};
pub use tokens::{NewToken, TokenRole, TokenRow};

/// The store, on one of its backends.
pub enum Store {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

macro_rules! dispatch {
    ($self:expr, $store:ident => $call:expr) => {
        match $self {
            Store::Sqlite($store) => $call,
            Store::Postgres($store) => $call,
        }
    };
}

impl Store {
    /// Opens (creating a SQLite file if needed) and brings the schema up to date.
    /// `sqlite:PATH`, `sqlite://PATH` or `postgres://…`.
    ///
    /// The store's clock is the production one: PostgreSQL's own `now()` (every worker on
    /// every machine measures against one clock), the system clock on SQLite.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::open(url, None).await
    }

    /// [`Store::connect`], with the store reading `clock` on either backend (a
    /// [`TestClock`] a test advances instead of sleeping): every statement reads it, claims
    /// and housekeeping included. See [`clock`].
    pub async fn connect_with_clock(url: &str, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::open(url, Some(clock)).await
    }

    async fn open(url: &str, clock: Option<Arc<dyn Clock>>) -> Result<Self, StoreError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => {
                let clock =
                    clock::StoreClock::Process(clock.unwrap_or_else(|| Arc::new(SystemClock)));
                Ok(Store::Sqlite(
                    sqlite::SqliteStore::connect(url, clock).await?,
                ))
            }
            "postgres" | "postgresql" => {
                let clock = clock.map_or(clock::StoreClock::Database, clock::StoreClock::Process);
                Ok(Store::Postgres(
                    postgres::PgStore::connect(url, clock).await?,
                ))
            }
            other => Err(StoreError::UnsupportedUrl(other.to_string())),
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        dispatch!(self, s => s.close().await)
    }

    // ── delivery notices (bounces) ───────────────────────────────────────────────────────

    /// Records a message that came back to the bounce address, in one transaction with its
    /// audit event: against the delivery it names, or set aside with the reason. The same
    /// message recorded twice is written once.
    pub async fn record_notice(
        &self,
        actor: &str,
        notice: &NewNotice,
    ) -> Result<NoticeOutcome, StoreError> {
        dispatch!(self, s => logic::notices::record_notice(s, actor, notice).await)
    }

    /// The newest `limit` notices, or only those set aside.
    pub async fn notices(
        &self,
        set_aside_only: bool,
        limit: i64,
    ) -> Result<Vec<NoticeRow>, StoreError> {
        dispatch!(self, s => logic::notices::notices(s, set_aside_only, limit).await)
    }

    // ── campaigns ────────────────────────────────────────────────────────────────────────

    /// Stores a checked campaign. An existing id is an error unless `replace` is set; batches
    /// already created keep the letters they were rendered with.
    pub async fn add_campaign(&self, campaign: &Campaign, replace: bool) -> Result<(), StoreError> {
        dispatch!(self, s => logic::campaigns::add_campaign(s, campaign, replace).await)
    }

    pub async fn campaign(&self, id: &CampaignId) -> Result<Option<StoredCampaign>, StoreError> {
        dispatch!(self, s => logic::campaigns::campaign(s, id).await)
    }

    pub async fn campaigns(&self) -> Result<Vec<StoredCampaign>, StoreError> {
        dispatch!(self, s => logic::campaigns::campaigns(s).await)
    }

    // ── signatures ───────────────────────────────────────────────────────────────────────

    /// Starts an all-or-nothing import into `campaign`: nothing is visible to anyone else
    /// until [`ImportSession::commit`], and dropping the session keeps the store as it was.
    pub async fn begin_import(&self, campaign: &CampaignId) -> Result<ImportSession, StoreError> {
        if self.campaign(campaign).await?.is_none() {
            return Err(StoreError::NoCampaign(campaign.to_string()));
        }
        Ok(ImportSession(match self {
            Store::Sqlite(s) => {
                Importing::Sqlite(logic::signatures::begin_import(s, campaign).await?)
            }
            Store::Postgres(s) => {
                Importing::Postgres(logic::signatures::begin_import(s, campaign).await?)
            }
        }))
    }

    /// Every signature of a campaign, in the order they were stored.
    pub async fn signatures(
        &self,
        campaign: &CampaignId,
    ) -> Result<Vec<SignatureRecord>, StoreError> {
        dispatch!(self, s => logic::signatures::signatures(s, campaign).await)
    }

    // ── batches ──────────────────────────────────────────────────────────────────────────

    /// Creates a batch and enqueues every delivery of `plan` in one transaction. The batch is
    /// `running` when `start_at` is now or past, `scheduled` otherwise.
    pub async fn create_batch(
        &self,
        campaign: &CampaignId,
        plan: &BatchPlan,
        start_at: chrono::DateTime<chrono::Utc>,
        max_attempts: u32,
    ) -> Result<BatchId, StoreError> {
        self.create_batch_by(campaign, plan, start_at, max_attempts, UNATTRIBUTED)
            .await
    }

    /// [`Store::create_batch`], with the audit event naming `actor` (`cli:<user>`, `api:<token>`).
    pub async fn create_batch_by(
        &self,
        campaign: &CampaignId,
        plan: &BatchPlan,
        start_at: chrono::DateTime<chrono::Utc>,
        max_attempts: u32,
        actor: &str,
    ) -> Result<BatchId, StoreError> {
        self.create_batch_with(
            campaign,
            plan,
            &BatchOptions {
                start_at,
                max_attempts,
                actor,
                receipt_base_url: None,
                include_delivered: false,
            },
        )
        .await
    }

    /// [`Store::create_batch`] with every option, receipts included.
    pub async fn create_batch_with(
        &self,
        campaign: &CampaignId,
        plan: &BatchPlan,
        options: &BatchOptions<'_>,
    ) -> Result<BatchId, StoreError> {
        dispatch!(self, s => logic::batches::create_batch(s, campaign, plan, options).await)
    }

    pub async fn batch(&self, id: BatchId) -> Result<Option<BatchRow>, StoreError> {
        dispatch!(self, s => logic::batches::batch(s, id).await)
    }

    pub async fn batches(
        &self,
        campaign: Option<&CampaignId>,
    ) -> Result<Vec<BatchRow>, StoreError> {
        dispatch!(self, s => logic::batches::Reads::batches(s, campaign).await)
    }

    pub async fn batch_status(&self, id: BatchId) -> Result<BatchStatus, StoreError> {
        dispatch!(self, s => logic::batches::batch_status(s, id).await)
    }

    /// Pause (running or scheduled → paused), resume (paused → running, or scheduled if its
    /// time has not come), cancel (any unfinished state → cancelled; queued deliveries are
    /// cancelled at once, in-flight ones finish their attempt).
    pub async fn control_batch(
        &self,
        id: BatchId,
        action: BatchAction,
    ) -> Result<BatchRow, StoreError> {
        self.control_batch_by(id, action, UNATTRIBUTED).await
    }

    /// [`Store::control_batch`], with the audit event naming `actor`.
    pub async fn control_batch_by(
        &self,
        id: BatchId,
        action: BatchAction,
        actor: &str,
    ) -> Result<BatchRow, StoreError> {
        dispatch!(self, s => logic::batches::control_batch(s, id, action, actor).await)
    }

    pub async fn deliveries(&self, batch_id: BatchId) -> Result<Vec<DeliveryRow>, StoreError> {
        dispatch!(self, s => logic::batches::deliveries_page(s, batch_id, 0, i64::MAX).await)
    }

    /// Up to `limit` deliveries of a batch with ids above `after`, in id order: a page of
    /// [`Store::deliveries`] (the API's listing pages with it).
    pub async fn deliveries_page(
        &self,
        batch_id: BatchId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<DeliveryRow>, StoreError> {
        dispatch!(self, s => logic::batches::deliveries_page(s, batch_id, after, i64::from(limit)).await)
    }

    /// The attempts of these deliveries, in the order they were recorded.
    pub async fn attempts_of(
        &self,
        delivery_ids: &[DeliveryId],
    ) -> Result<Vec<AttemptRow>, StoreError> {
        if delivery_ids.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, s => logic::batches::Reads::attempts_of(s, delivery_ids).await)
    }

    pub async fn attempts(&self, delivery_id: DeliveryId) -> Result<Vec<AttemptRow>, StoreError> {
        dispatch!(self, s => logic::batches::attempts(s, delivery_id).await)
    }

    /// Every attempt of a batch, in the order they were recorded.
    pub async fn batch_attempts(&self, batch_id: BatchId) -> Result<Vec<AttemptRow>, StoreError> {
        dispatch!(self, s => logic::batches::batch_attempts(s, batch_id).await)
    }

    /// The campaign a batch was created from.
    pub async fn batch_campaign(&self, batch_id: BatchId) -> Result<Campaign, StoreError> {
        dispatch!(self, s => logic::batches::batch_campaign(s, batch_id).await)
    }

    pub async fn attachments(&self, batch_id: BatchId) -> Result<Vec<Attachment>, StoreError> {
        dispatch!(self, s => logic::batches::attachments(s, batch_id).await)
    }

    // ── the recipient directory ──────────────────────────────────────────────────────────

    /// Replaces the stored directory with `new` in one transaction: readers see the old one
    /// or the new one, never a mix. Called by `hillpost directory import` after every file
    /// parsed, so a malformed file never gets here.
    pub async fn replace_directory(&self, new: &NewDirectory) -> Result<(), StoreError> {
        dispatch!(self, s => logic::directory::replace_directory(s, new).await)
    }

    /// The stored directory; `None` before the first import.
    pub async fn directory(&self) -> Result<Option<StoredDirectory>, StoreError> {
        dispatch!(self, s => logic::directory::directory(s).await)
    }

    // ── the worker's side ────────────────────────────────────────────────────────────────

    /// Leases up to `limit` due deliveries of running batches, and the limited rate keys they
    /// need. Rows whose limited key another worker holds are left alone.
    pub async fn claim(&self, request: &ClaimRequest<'_>) -> Result<Claim, StoreError> {
        dispatch!(self, s => logic::claims::claim(s, request).await)
    }

    /// Letter content for claimed deliveries (message, recipient, signer).
    pub async fn letter_parts(
        &self,
        delivery_ids: &[DeliveryId],
    ) -> Result<Vec<LetterParts>, StoreError> {
        dispatch!(self, s => logic::claims::letter_parts_of(s, delivery_ids).await)
    }

    /// Notes that these deliveries' current attempts start sending now, so a lease that
    /// expires afterwards is recorded as `possibly_accepted` (the letter may be out) while a lease that
    /// expires before is simply requeued (the attempt never began). Returns the ids marked:
    /// those whose lease is still this worker's. Called just before anything is sent.
    pub async fn mark_sending(
        &self,
        worker_id: &str,
        deliveries: &[(DeliveryId, AttemptNo)],
    ) -> Result<Vec<DeliveryId>, StoreError> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, s => logic::claims::mark_sending(s, worker_id, deliveries).await)
    }

    /// Appends the attempt rows and moves each delivery on, but only where the lease is still
    /// this worker's (owner and attempt number). Returns the ids that were moved on; an
    /// attempt whose lease was lost is still recorded, with a note.
    pub async fn record_attempts(
        &self,
        worker_id: &str,
        records: &[AttemptRecord],
    ) -> Result<Vec<DeliveryId>, StoreError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, s => logic::queue::record_attempts(s, worker_id, records).await)
    }

    /// Gives claimed deliveries back without an attempt (paused batch, shutting down).
    pub async fn release(
        &self,
        worker_id: &str,
        delivery_ids: &[DeliveryId],
    ) -> Result<u64, StoreError> {
        if delivery_ids.is_empty() {
            return Ok(0);
        }
        dispatch!(self, s => logic::claims::release(s, worker_id, delivery_ids).await)
    }

    /// Extends this worker's delivery and key leases and saves where each key's limiter
    /// stands, so a crash hands the key over without a burst. Only delivery leases with less
    /// than [`RENEW_WHEN_LEFT`] of `lease` left are renewed: renewing all of them rewrote
    /// and locked every held row each beat (1,024 of them), stalling the worker's own marks
    /// and records; most deliveries finish long before their first lease runs low.
    pub async fn heartbeat(
        &self,
        worker_id: &str,
        lease: std::time::Duration,
        key_lease: std::time::Duration,
        key_positions: &HashMap<String, chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => logic::claims::heartbeat(s, worker_id, lease, key_lease, key_positions).await)
    }

    /// Hands rate keys back (they are free at once), with where their limiter stands.
    pub async fn release_keys(
        &self,
        worker_id: &str,
        key_positions: &HashMap<String, chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), StoreError> {
        if key_positions.is_empty() {
            return Ok(());
        }
        dispatch!(self, s => logic::claims::release_keys(s, worker_id, key_positions).await)
    }

    /// The states of the given batches (the worker checks before it sends).
    pub async fn batch_states(
        &self,
        ids: &[BatchId],
    ) -> Result<HashMap<BatchId, hillpost_core::BatchState>, StoreError> {
        dispatch!(self, s => logic::batches::Reads::batch_states(s, ids).await)
    }

    // ── one delivery, and what a person may do to it ─────────────────────────────────────

    /// A delivery with every attempt and event: `hillpost delivery show`.
    pub async fn delivery_detail(
        &self,
        id: DeliveryId,
    ) -> Result<Option<DeliveryDetail>, StoreError> {
        dispatch!(self, s => logic::operator::delivery_detail(s, id).await)
    }

    /// The events of these deliveries, oldest first.
    pub async fn delivery_events(
        &self,
        delivery_ids: &[DeliveryId],
    ) -> Result<Vec<DeliveryEventRow>, StoreError> {
        if delivery_ids.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, s => logic::operator::delivery_events(s, delivery_ids).await)
    }

    /// Applies a person's [`OperatorAction::Confirm`] or [`OperatorAction::Resend`] to one
    /// delivery, with an event and an audit event naming `actor` and `reason`. A resend
    /// queues the delivery on its endpoint with `budget` more attempts and reopens its batch
    /// if it had completed. Refused, naming the state, where core says the action does not
    /// apply.
    pub async fn act_on_delivery(
        &self,
        id: DeliveryId,
        action: &DeliveryAction<'_>,
    ) -> Result<DeliveryRow, StoreError> {
        dispatch!(self, s => logic::operator::act_on_delivery(s, id, action).await)
    }

    /// `signers erase`: blanks a signer's personal data wherever the record kept it (see
    /// `logic::erasure`), cancels what was not sent to them or in their name, and appends
    /// `signer.erased`. Refused while one of their letters is being sent.
    pub async fn erase_signer(&self, erasure: &Erasure<'_>) -> Result<ErasureReport, StoreError> {
        let email_key = hillpost_core::signer::Email::parse(erasure.email)
            .map_err(|_| StoreError::NotAnEmail)?
            .dedup_key();
        dispatch!(self, s => logic::erasure::erase_signer(s, erasure, &email_key).await)
    }

    /// The petition batches of `campaign` whose signature list carried `signature_id`, with
    /// what their documents were made from: an erasure must remake them without it.
    pub async fn petitions_carrying(
        &self,
        campaign: &CampaignId,
        signature_id: SignatureId,
    ) -> Result<Vec<PetitionCarrying>, StoreError> {
        dispatch!(self, s => logic::erasure::petitions_carrying(s, campaign.as_str(), signature_id).await)
    }

    /// `batch retry`: every letter of the batch in the selection's states is planned again
    /// on the endpoints given for its office (the current directory's), queued with a fresh
    /// budget, and its batch reopened. Letters whose office has no endpoint now are left as
    /// they are and named.
    pub async fn retry_batch(
        &self,
        batch_id: BatchId,
        request: &RetryRequest<'_>,
    ) -> Result<RetryReport, StoreError> {
        dispatch!(self, s => logic::operator::retry_batch(s, batch_id, request).await)
    }

    /// Letters of the campaign's earlier batches (not receipts), with their state: what a
    /// new batch must not send again.
    pub async fn letters_sent_before(
        &self,
        campaign: &CampaignId,
    ) -> Result<Vec<SentBefore>, StoreError> {
        dispatch!(self, s => logic::operator::letters_sent_before(s, campaign).await)
    }

    // ── the audit trail ──────────────────────────────────────────────────────────────────

    /// Recomputes the audit chain from its first event and names the first broken link;
    /// holds it to the stored checkpoints, and checks every batch, attempt and delivery
    /// event has its audit event.
    pub async fn verify_audit(&self) -> Result<ChainReport, StoreError> {
        self.verify_audit_with(Vec::new()).await
    }

    /// As [`Store::verify_audit`], also holding the chain to `anchors` (checkpoints kept
    /// outside the database, their signatures already checked).
    pub async fn verify_audit_with(&self, anchors: Vec<Anchor>) -> Result<ChainReport, StoreError> {
        dispatch!(self, s => logic::audit::verify_audit(s, anchors).await)
    }

    /// Signs the chain's head with `key` when a checkpoint is due (events were appended
    /// since the last one, which is at least `interval` old), after checking the events
    /// since the last checkpoint link to it. Housekeeping calls it.
    pub async fn write_checkpoint(
        &self,
        key: &SigningKey,
        interval: std::time::Duration,
    ) -> Result<CheckpointWrite, StoreError> {
        dispatch!(self, s => logic::checkpoints::write_checkpoint(s, key, interval).await)
    }

    /// The stored hash of audit event `seq`; `None` when there is no such event.
    pub async fn audit_event_hash(&self, seq: i64) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => logic::audit::audit_event_hash(s, seq).await)
    }

    /// The newest stored checkpoint.
    pub async fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        dispatch!(self, s => logic::checkpoints::latest_checkpoint(s).await)
    }

    /// Makes `key` the one the service signs with from now on, when it is not already
    /// known: the key signing until now gets its `valid_until`. Returns every key.
    pub async fn register_signing_key(&self, key: PublicKey) -> Result<KeyList, StoreError> {
        dispatch!(self, s => logic::checkpoints::register_signing_key(s, key).await)
    }

    /// Every public key the service has signed with, the current one first.
    pub async fn signing_keys(&self) -> Result<KeyList, StoreError> {
        dispatch!(self, s => logic::checkpoints::signing_keys(s).await)
    }

    /// What was sent to whom in a batch: one line per attempt, and one per delivery that
    /// was never attempted (skipped, cancelled, still queued), in delivery order.
    pub async fn audit_export(&self, batch_id: BatchId) -> Result<Vec<ExportLine>, StoreError> {
        let batch = self
            .batch(batch_id)
            .await?
            .ok_or(StoreError::NoBatch(batch_id))?;
        let deliveries = self.deliveries(batch_id).await?;
        let attempts = self.batch_attempts(batch_id).await?;
        let ids: Vec<DeliveryId> = deliveries.iter().map(|d| d.id).collect();
        let events = self.delivery_events(&ids).await?;
        let receivers =
            dispatch!(self, s => logic::audit::attempt_event_payloads(s, batch_id).await)?;
        let receivers = audit::receiver_ids(receivers);
        let mut lines = audit::export_lines(&batch, &deliveries, attempts, events, &receivers);
        evidence::list_in_export(&mut lines, self.batch_evidence(batch_id).await?);
        Ok(lines)
    }

    // ── receipts ─────────────────────────────────────────────────────────────────────────

    /// Stores the SHA-256 of a receipt page token minted for an attempt of receipt delivery
    /// `delivery_id`. Called by the worker just before it sends the receipt with the link;
    /// `false` when the delivery is not a receipt.
    pub async fn add_receipt_link(
        &self,
        delivery_id: DeliveryId,
        token_sha256: &str,
    ) -> Result<bool, StoreError> {
        dispatch!(self, s => logic::receipts::add_receipt_link(s, delivery_id, token_sha256).await)
    }

    /// What receipt delivery `delivery_id`'s signed statement says (its lines, the SHA-256
    /// each letter's last attempt sent, and that attempt's audit event); `None` when it is
    /// not a receipt.
    pub async fn receipt_statement(
        &self,
        delivery_id: DeliveryId,
    ) -> Result<Option<hillpost_core::receipt::Statement>, StoreError> {
        dispatch!(self, s => logic::receipts::receipt_statement(s, delivery_id).await)
    }

    /// Keeps `signed` as the receipt's `receipt.json` unless one is kept already; returns
    /// the one kept.
    pub async fn keep_receipt_statement(
        &self,
        delivery_id: DeliveryId,
        signed: &str,
    ) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => logic::receipts::keep_receipt_statement(s, delivery_id, signed).await)
    }

    /// The receipt a page token opens, by the token's SHA-256; `None` for any other value.
    pub async fn receipt_by_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<ReceiptPage>, StoreError> {
        dispatch!(self, s => logic::receipts::receipt_by_token(s, token_sha256).await)
    }

    /// Housekeeping any worker runs about once a second: start scheduled batches whose time
    /// came, recover deliveries whose lease expired (an `unknown` attempt when they had
    /// started sending, a plain requeue when not), cancel what is left of cancelled batches,
    /// enqueue the receipts owed (see `receipts`), complete batches with nothing left.
    /// Lost workers' attempts are decided by `rules` (core's transition), like any other.
    pub async fn tick(&self, rules: &DeliveryRules) -> Result<TickReport, StoreError> {
        dispatch!(self, s => logic::queue::tick(s, rules).await)
    }
}

macro_rules! dispatch_import {
    ($self:expr, $s:ident => $call:expr) => {
        match $self {
            Importing::Sqlite($s) => $call,
            Importing::Postgres($s) => $call,
        }
    };
}

/// An import in progress (one transaction).
pub struct ImportSession(Importing);

enum Importing {
    Sqlite(logic::signatures::Import<logic::WriteTx<sqlx::Sqlite>>),
    Postgres(logic::signatures::Import<logic::WriteTx<sqlx::Postgres>>),
}

impl ImportSession {
    /// Stores a chunk of accepted rows; returns how many were new (the rest have the email
    /// of a signature the campaign already has).
    pub async fn insert(&mut self, signatures: &[NewSignature]) -> Result<u64, StoreError> {
        if signatures.is_empty() {
            return Ok(0);
        }
        dispatch_import!(&mut self.0, s => s.insert(signatures).await)
    }

    /// Makes the import visible, with a record of the file it came from.
    pub async fn commit(
        self,
        source_name: &str,
        source_sha256: &str,
        counts: &ImportCounts,
    ) -> Result<ImportId, StoreError> {
        self.commit_by(source_name, source_sha256, counts, UNATTRIBUTED)
            .await
    }

    /// [`ImportSession::commit`], with the audit event naming `actor`.
    pub async fn commit_by(
        self,
        source_name: &str,
        source_sha256: &str,
        counts: &ImportCounts,
        actor: &str,
    ) -> Result<ImportId, StoreError> {
        dispatch_import!(self.0, s => s.commit(source_name, source_sha256, counts, actor).await)
            .map(ImportId::from)
    }

    /// Drops everything this session inserted.
    pub async fn rollback(self) -> Result<(), StoreError> {
        dispatch_import!(self.0, s => s.rollback().await)
    }
}

/// A fresh idempotency key: 32 hexadecimal characters (a CWC DeliveryId, a Message-ID's
/// local part), random so it reveals nothing and never collides across stores.
pub(crate) fn new_idempotency_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// See [`Store::heartbeat`]: with beats every third of a lease, a lease is renewed from a
/// third of the way in, so even after a missed beat it is renewed with a third left.
pub const RENEW_WHEN_LEFT: f64 = 2.0 / 3.0;
