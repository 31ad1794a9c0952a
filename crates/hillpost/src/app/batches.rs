//! A batch's life: preview (plan, store nothing), create (plan and enqueue in one
//! transaction), pause, resume, cancel, and retry its failed or unconfirmed letters.

use chrono::{DateTime, Utc};
use hillpost_core::CampaignId;
use hillpost_core::batch::LeftOut;
use hillpost_core::delivery::{BatchAction, RetrySelection};
use hillpost_core::ids::BatchId;
use hillpost_store::{BatchOptions, BatchRow, BatchStatus, RetryReport, RetryRequest};

use super::deliveries::reason;
use super::{App, AppError, BadInput};
use crate::planning::{self, Planned};
use crate::{targets, time};

/// When a new batch starts.
#[derive(Debug, Clone, Default)]
pub enum BatchStart {
    #[default]
    Now,
    /// As `hillpost batch create --at` reads it: RFC 3339, a local time in `timezone`
    /// (UTC without one), or a delay (`+10m`).
    At {
        at: String,
        timezone: Option<String>,
    },
}

impl BatchStart {
    /// From the optional `at` and `timezone` of a request: a zone without a time is
    /// refused rather than ignored.
    pub fn from_parts(at: Option<String>, timezone: Option<String>) -> Result<Self, AppError> {
        match (at, timezone) {
            (Some(at), timezone) => Ok(BatchStart::At { at, timezone }),
            (None, Some(_)) => Err(AppError::invalid(
                BadInput::StartTime,
                "`timezone` needs `at`",
            )),
            (None, None) => Ok(BatchStart::Now),
        }
    }

    /// The moment this names, seen at `now`; refused when it does not parse or is too far
    /// ahead.
    pub fn resolve(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
        match self {
            BatchStart::Now => Ok(now),
            BatchStart::At { at, timezone } => time::start_time(at, timezone.as_deref(), now)
                .map_err(|e| AppError::invalid(BadInput::StartTime, e)),
        }
    }
}

/// What a new batch is asked to be.
#[derive(Debug, Clone, Default)]
pub struct NewBatch {
    pub start: BatchStart,
    /// Send again letters earlier batches delivered (or may have) to the same office.
    pub include_delivered: bool,
}

/// A batch just created.
pub struct CreatedBatch {
    pub id: BatchId,
    pub status: BatchStatus,
    /// Deliveries planned, skipped ones included.
    pub deliveries: usize,
    /// Letters left out because earlier batches delivered them.
    pub left_out: Vec<LeftOut>,
}

impl App<'_> {
    /// Plans a batch of `campaign` as [`App::create_batch`] would, and stores nothing: the
    /// dry runs of the CLI and the API, the dashboard's preview, `batch preview`'s PDF.
    #[tracing::instrument(name = "batch.preview", skip_all, fields(campaign = %campaign))]
    pub async fn preview_batch(
        &self,
        campaign: &CampaignId,
        include_delivered: bool,
    ) -> Result<Planned, AppError> {
        Ok(planning::plan(
            self.store,
            campaign,
            &self.settings.directory.resolve_settings(),
            &targets::sendable_channels(self.settings),
            include_delivered,
        )
        .await?)
    }

    /// Plans every letter of `campaign` and enqueues every delivery in one transaction,
    /// with the configured retry budget and receipt links; `scheduled` when the start is
    /// ahead. The start time is checked before anything is planned.
    #[tracing::instrument(name = "batch.create", skip_all, fields(campaign = %campaign, actor = %actor))]
    pub async fn create_batch(
        &self,
        campaign: &CampaignId,
        request: &NewBatch,
        actor: &str,
    ) -> Result<CreatedBatch, AppError> {
        let start_at = request.start.resolve(Utc::now())?;
        let planned = self
            .preview_batch(campaign, request.include_delivered)
            .await?;
        let id = self
            .store
            .create_batch_with(
                campaign,
                &planned.plan,
                &BatchOptions {
                    start_at,
                    max_attempts: self.settings.retry_schedule().max_attempts(),
                    actor,
                    receipt_base_url: self.settings.receipt_base_url(),
                    include_delivered: request.include_delivered,
                },
            )
            .await?;
        tracing::info!(batch = id.get(), campaign = %campaign, actor, "batch created");
        let status = self.store.batch_status(id).await?;
        let Planned { plan, .. } = planned;
        Ok(CreatedBatch {
            id,
            status,
            deliveries: plan.deliveries.len(),
            left_out: plan.left_out,
        })
    }

    /// Pauses, resumes or cancels batch `id`; a conflict when its state does not allow it.
    #[tracing::instrument(name = "batch.control", skip_all, fields(batch = id.get(), action = action.verb(), actor = %actor))]
    pub async fn control_batch(
        &self,
        id: BatchId,
        action: BatchAction,
        actor: &str,
    ) -> Result<BatchRow, AppError> {
        let batch = self.store.control_batch_by(id, action, actor).await?;
        tracing::info!(batch = id.get(), actor, "batch {}", action.verb());
        Ok(batch)
    }

    /// Plans batch `id`'s failed (or unconfirmed) letters again on the directory as it is
    /// now and queues them: the same deliveries, new attempts, within the retry budget.
    #[tracing::instrument(name = "batch.retry", skip_all, fields(batch = id.get(), selection = %selection, actor = %actor))]
    pub async fn retry_batch(
        &self,
        id: BatchId,
        selection: &str,
        why: &str,
        actor: &str,
    ) -> Result<RetryReport, AppError> {
        let selection = match selection {
            "failed" => RetrySelection::Failed,
            "unconfirmed" => RetrySelection::Unconfirmed,
            other => {
                return Err(AppError::invalid(
                    BadInput::RetrySelection,
                    format!("`selection` is `failed` or `unconfirmed`, not `{other}`"),
                ));
            }
        };
        let why = reason(why)?;
        let campaign = self.store.batch_campaign(id).await?;
        let endpoints = planning::current_endpoints(
            self.store,
            &campaign,
            &self.settings.directory.resolve_settings(),
            &targets::sendable_channels(self.settings),
        )
        .await?;
        Ok(self
            .store
            .retry_batch(
                id,
                &RetryRequest {
                    selection,
                    endpoints,
                    actor,
                    reason: why,
                    budget: self.settings.retry_schedule().max_attempts(),
                },
            )
            .await?)
    }
}
