//! `/api/v1/batches/{id}/deliveries`: the deliveries of a batch with their attempts and
//! events, a page at a time (`?after=<id>&limit=<n>`, in id order, with the cursor of the
//! next page); `/api/v1/deliveries/{id}`: one delivery's whole record; and a person's
//! decisions: confirm or resend an `unconfirmed` letter, retry a batch's failed ones.
//! Signers appear by id only; their names and addresses stay out of these (a receipt's
//! endpoint is `signer`, not the signer's address).

use hillpost_core::ids::{BatchId, DeliveryId, SignatureId};
use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use hillpost_core::delivery::OperatorAction;
use hillpost_store::{AttemptRow, DeliveryDetail, DeliveryEventRow, DeliveryRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::{Caller, visible_batch};
use super::body::{BatchPath, Body, DeliveryPath, Query};
use super::error::{ApiError, ErrorBody};
use super::evidence::EvidenceView;

#[derive(Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt_no: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// `ok`, `transient`, `permanent`, `possibly_accepted`, `unconfirmed` (or `unknown`,
    /// recorded by older versions).
    pub outcome: String,
    pub endpoint: String,
    pub remote_code: Option<i32>,
    pub remote_text: Option<String>,
    pub sent_sha256: Option<String>,
    pub duration_ms: u32,
    pub note: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    #[schema(value_type = i64)]
    pub id: DeliveryId,
    /// `letter` or `receipt`.
    pub kind: String,
    pub recipient_key: String,
    pub recipient_name: String,
    #[schema(value_type = Option<i64>)]
    pub signature_id: Option<SignatureId>,
    pub channel: String,
    pub endpoint: String,
    pub state: String,
    pub skip_reason: Option<String>,
    pub max_attempts: u32,
    pub due_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub finalized_at: Option<DateTime<Utc>>,
    /// An attempt may have reached the office: the letter is never sent elsewhere.
    pub possibly_accepted: bool,
    /// Tries that touched the network.
    pub attempts: Vec<AttemptView>,
    /// What happened besides attempts: route changes, waits, a person's decisions.
    pub events: Vec<EventView>,
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub at: DateTime<Utc>,
    /// `route`, `deferred`, `confirmed`, `resent`, `replanned`.
    pub kind: String,
    pub actor: String,
    pub attempt_no: Option<u32>,
    /// In one line: "web_form S001181 passed over for email …: the form has a recaptcha step".
    pub description: String,
    pub reason: String,
}

fn event(e: &DeliveryEventRow) -> EventView {
    EventView {
        at: e.at,
        kind: e.kind.as_str().to_string(),
        actor: e.actor.clone(),
        attempt_no: e.attempt_no.map(u32::from),
        description: e.describe(),
        reason: e.reason.clone(),
    }
}

fn delivery_view(
    d: DeliveryRow,
    attempts: Vec<AttemptView>,
    events: Vec<EventView>,
) -> DeliveryView {
    DeliveryView {
        attempts,
        events,
        id: d.id,
        kind: d.kind.as_str().to_string(),
        recipient_key: d.recipient_key,
        recipient_name: d.recipient_name,
        signature_id: d.signature_id,
        channel: d.channel.as_str().to_string(),
        endpoint: d.endpoint,
        state: d.state.as_str().to_string(),
        skip_reason: d.skip_reason,
        max_attempts: d.max_attempts,
        due_at: d.due_at,
        last_error: d.last_error,
        finalized_at: d.finalized_at,
        possibly_accepted: d.possibly_accepted,
    }
}

fn attempt(a: AttemptRow) -> AttemptView {
    AttemptView {
        attempt_no: a.attempt_no.get(),
        started_at: a.started_at,
        finished_at: a.finished_at,
        outcome: a.outcome.as_str().to_string(),
        endpoint: a.endpoint,
        remote_code: a.remote_code,
        remote_text: a.remote_text,
        sent_sha256: a.sent_sha256,
        duration_ms: a.duration_ms,
        note: a.note,
    }
}

/// Deliveries per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 500;
/// The most deliveries one page holds.
pub const MAX_LIMIT: u32 = 5_000;

#[derive(Deserialize, IntoParams)]
pub struct PageQuery {
    /// Deliveries with ids above this (the `next` of the previous page). Default: 0.
    pub after: Option<i64>,
    /// Deliveries per page: 1 to 5000, default 500.
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryView>,
    /// The `after` of the next page; `null` on the last page.
    pub next: Option<i64>,
}

/// The deliveries of a batch in id order, a page at a time, each with its attempts.
#[utoipa::path(get, path = "/api/v1/batches/{id}/deliveries", tag = "batches",
    params(("id" = i64, Path, description = "batch id"), PageQuery),
    responses((status = 200, body = DeliveryPage), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BatchPath(id): BatchPath,
    Query(page): Query<PageQuery>,
) -> Result<Json<DeliveryPage>, ApiError> {
    let limit = page.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "invalid_query",
            format!("limit must be between 1 and {MAX_LIMIT}"),
        ));
    }
    visible_batch(&state, &caller, id).await?;
    // One more than asked tells whether another page follows.
    let mut deliveries = state
        .store
        .deliveries_page(id, page.after.unwrap_or(0), limit + 1)
        .await?;
    let more = deliveries.len() > limit as usize;
    deliveries.truncate(limit as usize);
    let next = more.then(|| deliveries.last().map(|d| d.id)).flatten();
    let ids: Vec<DeliveryId> = deliveries.iter().map(|d| d.id).collect();
    let mut attempts: HashMap<DeliveryId, Vec<AttemptView>> = HashMap::new();
    for a in state.store.attempts_of(&ids).await? {
        attempts.entry(a.delivery_id).or_default().push(attempt(a));
    }
    let mut events: HashMap<DeliveryId, Vec<EventView>> = HashMap::new();
    for e in state.store.delivery_events(&ids).await? {
        events.entry(e.delivery_id).or_default().push(event(&e));
    }
    let deliveries = deliveries
        .into_iter()
        .map(|d| {
            let (a, e) = (
                attempts
                    .remove(&DeliveryId::new(d.id.get()))
                    .unwrap_or_default(),
                events
                    .remove(&DeliveryId::new(d.id.get()))
                    .unwrap_or_default(),
            );
            delivery_view(d, a, e)
        })
        .collect();
    Ok(Json(DeliveryPage {
        deliveries,
        next: next.map(i64::from),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryRecord {
    pub delivery: DeliveryView,
    #[schema(value_type = i64)]
    pub batch_id: BatchId,
    pub campaign_id: String,
    /// Ways to reach the office that planning did not make endpoints, with why.
    pub passed_over: Vec<String>,
    /// What the form attempts saw (answer pages, screenshots), to decide an `unconfirmed`
    /// letter by; each with the URL of its content.
    pub evidence: Vec<EvidenceView>,
}

/// The delivery `id`, if the caller may see its campaign.
async fn visible_delivery(
    state: &AppState,
    caller: &Caller,
    id: DeliveryId,
) -> Result<DeliveryDetail, ApiError> {
    let not_found = || ApiError::NotFound(format!("there is no delivery {id}"));
    let detail = state
        .store
        .delivery_detail(id)
        .await?
        .ok_or_else(not_found)?;
    visible_batch(state, caller, detail.delivery.batch_id)
        .await
        // Unseen is missing; a database that failed stays a failure.
        .map_err(|e| match e {
            ApiError::NotFound(_) => not_found(),
            other => other,
        })?;
    Ok(detail)
}

async fn record(state: &AppState, detail: DeliveryDetail) -> Result<DeliveryRecord, ApiError> {
    let evidence = state
        .store
        .evidence_of(detail.delivery.id)
        .await?
        .into_iter()
        .map(EvidenceView::from)
        .collect();
    let attempts = detail.attempts.into_iter().map(attempt).collect();
    let events = detail.events.iter().map(event).collect();
    Ok(DeliveryRecord {
        batch_id: detail.delivery.batch_id,
        campaign_id: detail.campaign_id,
        passed_over: detail.passed_over,
        evidence,
        delivery: delivery_view(detail.delivery, attempts, events),
    })
}

/// One delivery: its state, every attempt with its evidence and every event.
#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "deliveries",
    params(("id" = i64, Path, description = "delivery id")),
    responses((status = 200, body = DeliveryRecord), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    DeliveryPath(id): DeliveryPath,
) -> Result<Json<DeliveryRecord>, ApiError> {
    let detail = visible_delivery(&state, &caller, id).await?;
    Ok(Json(record(&state, detail).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why, in your words: kept in the record and the audit trail.
    pub reason: String,
}

/// An `unconfirmed` letter arrived (the office confirmed it, or its answer shows it): it
/// becomes `delivered`, on the caller's word. Organizers only; 409 for any other state.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/confirm", tag = "deliveries",
    params(("id" = i64, Path, description = "delivery id")), request_body = Decision,
    responses((status = 200, body = DeliveryRecord), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    DeliveryPath(id): DeliveryPath,
    body: Body,
) -> Result<Json<DeliveryRecord>, ApiError> {
    decide(state, caller, id, body, OperatorAction::Confirm).await
}

/// Send an `unconfirmed` letter again on the same endpoint (the office may then have it
/// twice). Organizers only; 409 for any other state.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/resend", tag = "deliveries",
    params(("id" = i64, Path, description = "delivery id")), request_body = Decision,
    responses((status = 200, body = DeliveryRecord), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn resend(
    State(state): State<AppState>,
    caller: Caller,
    DeliveryPath(id): DeliveryPath,
    body: Body,
) -> Result<Json<DeliveryRecord>, ApiError> {
    decide(state, caller, id, body, OperatorAction::Resend).await
}

async fn decide(
    state: AppState,
    caller: Caller,
    id: DeliveryId,
    body: Body,
    action: OperatorAction,
) -> Result<Json<DeliveryRecord>, ApiError> {
    caller.must_be_organizer()?;
    visible_delivery(&state, &caller, id).await?;
    let decision: Decision = body.json()?;
    state
        .app()
        .decide_delivery(id, action, &decision.reason, &caller.actor())
        .await?;
    let detail = visible_delivery(&state, &caller, id).await?;
    Ok(Json(record(&state, detail).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// `failed` (failed or dead letters: nothing arrived) or `unconfirmed` (they may have
    /// arrived, and will be sent again).
    pub selection: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct RetryView {
    /// Letters planned again and queued.
    pub replanned: u64,
    /// Offices with no endpoint now: their letters stay as they were.
    pub without_endpoint: Vec<String>,
}

/// Plans a batch's failed (or unconfirmed) letters again on the current directory and
/// queues them: the same deliveries, new attempts; delivered letters are never sent again.
#[utoipa::path(post, path = "/api/v1/batches/{id}/retry", tag = "batches",
    params(("id" = i64, Path, description = "batch id")), request_body = Retry,
    responses((status = 200, body = RetryView), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    BatchPath(id): BatchPath,
    body: Body,
) -> Result<Json<RetryView>, ApiError> {
    caller.must_be_organizer()?;
    visible_batch(&state, &caller, id).await?;
    let request: Retry = body.json()?;
    let report = state
        .app()
        .retry_batch(id, &request.selection, &request.reason, &caller.actor())
        .await?;
    Ok(Json(RetryView {
        replanned: report.replanned,
        without_endpoint: report.without_endpoint,
    }))
}
