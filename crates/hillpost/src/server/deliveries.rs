//! `/api/v1/batches/{id}/deliveries`: the deliveries of a batch with their attempts, a page
//! at a time (`?after=<id>&limit=<n>`, in id order, with the cursor of the next page).
//! Signers appear by id only; their names and addresses stay out of this listing (a
//! receipt's endpoint is `signer`, not the signer's address).

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use hillpost_store::AttemptRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::{Caller, visible_batch};
use super::body::{BatchId, Query};
use super::error::{ApiError, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt_no: u32,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// `ok`, `transient`, `permanent` or `unknown`.
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
    pub id: i64,
    /// `letter` or `receipt`.
    pub kind: String,
    pub recipient_key: String,
    pub recipient_name: String,
    pub signature_id: Option<i64>,
    pub channel: String,
    pub endpoint: String,
    pub state: String,
    pub skip_reason: Option<String>,
    pub max_attempts: u32,
    pub due_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub finalized_at: Option<DateTime<Utc>>,
    pub attempts: Vec<AttemptView>,
}

fn attempt(a: AttemptRow) -> AttemptView {
    AttemptView {
        attempt_no: a.attempt_no,
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
    BatchId(id): BatchId,
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
    let ids: Vec<i64> = deliveries.iter().map(|d| d.id).collect();
    let mut attempts: HashMap<i64, Vec<AttemptView>> = HashMap::new();
    for a in state.store.attempts_of(&ids).await? {
        attempts.entry(a.delivery_id).or_default().push(attempt(a));
    }
    let deliveries = deliveries
        .into_iter()
        .map(|d| DeliveryView {
            attempts: attempts.remove(&d.id).unwrap_or_default(),
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
        })
        .collect();
    Ok(Json(DeliveryPage { deliveries, next }))
}
