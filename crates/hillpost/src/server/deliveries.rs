//! `/api/v1/batches/{id}/deliveries`: every delivery of a batch with its attempts. Signers
//! appear by id only; their names and addresses stay out of this listing.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use hillpost_store::AttemptRow;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::auth::{Caller, visible_batch};
use super::body::BatchId;
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

/// Every delivery of a batch, with its attempts in order.
#[utoipa::path(get, path = "/api/v1/batches/{id}/deliveries", tag = "batches",
    params(("id" = i64, Path, description = "batch id")),
    responses((status = 200, body = Vec<DeliveryView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BatchId(id): BatchId,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    visible_batch(&state, &caller, id).await?;
    let deliveries = state.store.deliveries(id).await?;
    let mut attempts: HashMap<i64, Vec<AttemptView>> = HashMap::new();
    for a in state.store.batch_attempts(id).await? {
        attempts.entry(a.delivery_id).or_default().push(attempt(a));
    }
    Ok(Json(
        deliveries
            .into_iter()
            .map(|d| DeliveryView {
                attempts: attempts.remove(&d.id).unwrap_or_default(),
                id: d.id,
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
            .collect(),
    ))
}
