//! Batches: create (or preview with `dry_run`), list, status, pause, resume, cancel, through
//! the use cases the CLI's `hillpost batch …` and the dashboard call (`crate::app`).

use hillpost_core::ids::BatchId;
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hillpost_core::batch::Route;
use hillpost_store::{BatchAction, BatchRow, BatchStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::{Caller, visible_batch, visible_campaign};
use super::body::{BatchPath, Body};
use super::error::{ApiError, ErrorBody};
use crate::app::{BatchStart, NewBatch};
use crate::planning;

#[derive(Serialize, ToSchema)]
pub struct BatchView {
    #[schema(value_type = i64)]
    pub id: BatchId,
    pub campaign_id: String,
    /// `scheduled`, `running`, `paused`, `completed` or `cancelled`.
    pub state: String,
    pub mode: String,
    pub start_at: DateTime<Utc>,
    pub signature_count: u32,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<&BatchRow> for BatchView {
    fn from(b: &BatchRow) -> Self {
        BatchView {
            id: b.id,
            campaign_id: b.campaign_id.clone(),
            state: b.state.as_str().to_string(),
            mode: b.mode.as_str().to_string(),
            start_at: b.start_at,
            signature_count: b.signature_count,
            created_at: b.created_at,
            finished_at: b.finished_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RecipientCounts {
    pub key: String,
    pub name: String,
    pub by_state: BTreeMap<String, u64>,
}

#[derive(Serialize, ToSchema)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

#[derive(Serialize, ToSchema)]
pub struct StatusView {
    pub batch: BatchView,
    pub total: u64,
    /// Deliveries per state.
    pub by_state: BTreeMap<String, u64>,
    pub by_recipient: Vec<RecipientCounts>,
    pub skip_reasons: Vec<ReasonCount>,
    /// Why deliveries moved from an endpoint to the recipient's next one (a form behind a
    /// recaptcha, a CWC office that is not active).
    pub route_notes: Vec<ReasonCount>,
    pub attempts: u64,
    /// Attempts that may have reached the office without a confirmation.
    pub unconfirmed_attempts: u64,
}

fn counts<K: ToString>(map: &BTreeMap<K, u64>) -> BTreeMap<String, u64> {
    map.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

impl From<&BatchStatus> for StatusView {
    fn from(s: &BatchStatus) -> Self {
        StatusView {
            batch: BatchView::from(&s.batch),
            total: s.total(),
            by_state: counts(&s.by_state),
            by_recipient: s
                .by_recipient
                .iter()
                .map(|r| RecipientCounts {
                    key: r.key.clone(),
                    name: r.name.clone(),
                    by_state: counts(&r.by_state),
                })
                .collect(),
            skip_reasons: s
                .skip_reasons
                .iter()
                .map(|(reason, count)| ReasonCount {
                    reason: reason.clone(),
                    count: *count,
                })
                .collect(),
            route_notes: s
                .route_notes
                .iter()
                .map(|(reason, count)| ReasonCount {
                    reason: reason.clone(),
                    count: *count,
                })
                .collect(),
            attempts: s.attempts,
            unconfirmed_attempts: s.unconfirmed_attempts,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateBatch {
    /// Plan and render everything, store and send nothing; answers with the preview.
    #[serde(default)]
    pub dry_run: bool,
    /// When to start: RFC 3339, a local time with `timezone` (`2026-12-01 09:00`), or a
    /// delay (`+10m`). Default: now.
    pub at: Option<String>,
    /// Time zone for `at` without an offset (`America/New_York`). Default: UTC.
    pub timezone: Option<String>,
    /// Send again letters earlier batches of the campaign delivered (or may have) to the
    /// same office; without it they are left out and listed in `left_out`. Audited.
    #[serde(default)]
    pub include_delivered: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewRecipient {
    pub key: String,
    pub name: String,
    pub letters: u64,
    pub skipped: u64,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewView {
    pub mode: String,
    pub signature_count: u32,
    /// Letters that would be sent.
    pub letters: u64,
    pub recipients: Vec<PreviewRecipient>,
    pub skip_reasons: Vec<ReasonCount>,
    /// Letters left out because earlier batches delivered them (see `include_delivered`).
    pub left_out: Vec<LeftOutCount>,
}

/// Letters left out of a batch for one office, for one reason.
#[derive(Serialize, ToSchema)]
pub struct LeftOutCount {
    pub recipient: String,
    pub reason: String,
    pub count: u64,
}

fn left_out(left_out: &[hillpost_core::batch::LeftOut]) -> Vec<LeftOutCount> {
    hillpost_core::batch::count_left_out(left_out)
        .into_iter()
        .map(|(recipient, reason, count)| LeftOutCount {
            recipient,
            reason,
            count,
        })
        .collect()
}

/// Creates a batch of a campaign: every letter rendered and every delivery enqueued in one
/// transaction, `scheduled` when `at` is ahead. With `dry_run`, only the preview.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/batches", tag = "batches",
    params(("id" = String, Path, description = "campaign id")),
    request_body = CreateBatch,
    responses((status = 201, body = StatusView), (status = 200, body = PreviewView, description = "dry run"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    caller.must_be_organizer()?;
    let stored = visible_campaign(&state, &caller, &id).await?;
    let request: CreateBatch = if body.0.is_empty() {
        CreateBatch::default()
    } else {
        body.json()?
    };
    let campaign_id = stored.campaign.id;
    let app = state.app();
    let new_batch = NewBatch {
        start: BatchStart::from_parts(request.at, request.timezone)?,
        include_delivered: request.include_delivered,
    };
    if request.dry_run {
        // A dry run refuses the start time a real batch would refuse.
        new_batch.start.resolve(Utc::now())?;
        let planned = app
            .preview_batch(&campaign_id, request.include_delivered)
            .await?;
        return Ok((StatusCode::OK, Json(to_json(&preview(&planned))?)));
    }
    let created = app
        .create_batch(&campaign_id, &new_batch, &caller.actor())
        .await?;
    let mut view = to_json(&StatusView::from(&created.status))?;
    view["left_out"] = to_json(&left_out(&created.left_out))?;
    Ok((StatusCode::CREATED, Json(view)))
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))
}

fn preview(planned: &planning::Planned) -> PreviewView {
    let plan = &planned.plan;
    let mut recipients: Vec<PreviewRecipient> = plan
        .recipients
        .iter()
        .map(|r| PreviewRecipient {
            key: r.key.clone(),
            name: r.name.clone(),
            letters: 0,
            skipped: 0,
        })
        .collect();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    for delivery in &plan.deliveries {
        let Some(recipient) = recipients.get_mut(delivery.recipient) else {
            continue;
        };
        match &delivery.route {
            Route::Send { .. } => recipient.letters += 1,
            Route::Skip(reason) => {
                recipient.skipped += 1;
                *reasons.entry(reason.0.clone()).or_default() += 1;
            }
        }
    }
    PreviewView {
        mode: plan.mode.as_str().to_string(),
        signature_count: plan.signature_count,
        letters: recipients.iter().map(|r| r.letters).sum(),
        recipients,
        skip_reasons: reasons
            .into_iter()
            .map(|(reason, count)| ReasonCount { reason, count })
            .collect(),
        left_out: left_out(&plan.left_out),
    }
}

/// The batches of a campaign.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/batches", tag = "batches",
    params(("id" = String, Path, description = "campaign id")),
    responses((status = 200, body = Vec<BatchView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<BatchView>>, ApiError> {
    let stored = visible_campaign(&state, &caller, &id).await?;
    let batches = state.store.batches(Some(&stored.campaign.id)).await?;
    Ok(Json(batches.iter().map(BatchView::from).collect()))
}

/// Deliveries per state and per recipient, skip reasons, attempts.
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "batches",
    params(("id" = i64, Path, description = "batch id")),
    responses((status = 200, body = StatusView), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    BatchPath(id): BatchPath,
) -> Result<Json<StatusView>, ApiError> {
    visible_batch(&state, &caller, id).await?;
    let status = state.store.batch_status(id).await?;
    Ok(Json(StatusView::from(&status)))
}

async fn control(
    state: AppState,
    caller: Caller,
    id: BatchId,
    action: BatchAction,
) -> Result<Json<BatchView>, ApiError> {
    caller.must_be_organizer()?;
    visible_batch(&state, &caller, id).await?;
    let batch = state
        .app()
        .control_batch(id, action, &caller.actor())
        .await?;
    Ok(Json(BatchView::from(&batch)))
}

/// Stops sending (attempts in progress finish).
#[utoipa::path(post, path = "/api/v1/batches/{id}/pause", tag = "batches",
    params(("id" = i64, Path, description = "batch id")),
    responses((status = 200, body = BatchView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    BatchPath(id): BatchPath,
) -> Result<Json<BatchView>, ApiError> {
    control(state, caller, id, BatchAction::Pause).await
}

/// Continues a paused batch (or waits for its start time if that is still ahead).
#[utoipa::path(post, path = "/api/v1/batches/{id}/resume", tag = "batches",
    params(("id" = i64, Path, description = "batch id")),
    responses((status = 200, body = BatchView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    BatchPath(id): BatchPath,
) -> Result<Json<BatchView>, ApiError> {
    control(state, caller, id, BatchAction::Resume).await
}

/// Cancels what has not been sent yet.
#[utoipa::path(post, path = "/api/v1/batches/{id}/cancel", tag = "batches",
    params(("id" = i64, Path, description = "batch id")),
    responses((status = 200, body = BatchView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    BatchPath(id): BatchPath,
) -> Result<Json<BatchView>, ApiError> {
    control(state, caller, id, BatchAction::Cancel).await
}
