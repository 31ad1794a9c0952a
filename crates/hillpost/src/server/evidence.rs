//! `/api/v1/batches/{id}/evidence`: what each form attempt saw — the page the office
//! answered with (or the page a step failed on) and, on the browser path, screenshots — for
//! the organizers of the batch's campaign and for auditors; another organization gets 404,
//! as for the batch itself. The content is served as captured; its SHA-256 is the one the
//! audit export lists.
//!
//! An office's page is never rendered from our origin: it is served as an attachment with a
//! sandboxing Content-Security-Policy, so its scripts cannot run with a caller's session.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hillpost_core::ids::{BatchId, DeliveryId};
use hillpost_store::EvidenceRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::{Caller, visible_batch};
use super::body::{BatchPath, Query};
use super::error::{ApiError, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: i64,
    #[schema(value_type = i64)]
    pub delivery_id: DeliveryId,
    pub attempt_no: u32,
    /// `answer_page`, `failure_page`, `screenshot_after_submit` or `screenshot_at_failure`.
    pub kind: String,
    pub content_type: String,
    /// Bytes as served.
    pub size: u64,
    /// The page was longer than the cap (256 KiB) and was cut.
    pub truncated: bool,
    /// SHA-256 (hex) of the bytes served: what the audit export lists.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// Where the content is.
    pub url: String,
}

impl From<EvidenceRow> for EvidenceView {
    fn from(row: EvidenceRow) -> Self {
        Self {
            url: format!("/api/v1/batches/{}/evidence/{}", row.batch_id, row.id),
            id: row.id,
            delivery_id: row.delivery_id,
            attempt_no: row.attempt_no.get(),
            kind: row.kind.as_str().to_string(),
            content_type: row.content_type,
            size: row.size,
            truncated: row.truncated,
            sha256: row.sha256,
            created_at: row.created_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct EvidenceQuery {
    /// Only this delivery's evidence.
    #[param(value_type = Option<i64>)]
    pub delivery: Option<DeliveryId>,
}

/// The evidence the batch's attempts kept, in delivery and attempt order.
#[utoipa::path(get, path = "/api/v1/batches/{id}/evidence", tag = "batches",
    params(("id" = i64, Path, description = "batch id"), EvidenceQuery),
    responses((status = 200, body = Vec<EvidenceView>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BatchPath(id): BatchPath,
    Query(query): Query<EvidenceQuery>,
) -> Result<Json<Vec<EvidenceView>>, ApiError> {
    visible_batch(&state, &caller, id).await?;
    let rows = match query.delivery {
        Some(delivery) => state.store.evidence_of(delivery).await?,
        None => state.store.batch_evidence(id).await?,
    };
    Ok(Json(
        rows.into_iter()
            .filter(|row| row.batch_id == id)
            .map(EvidenceView::from)
            .collect(),
    ))
}

/// One piece of evidence, as captured (an HTML page or a PNG screenshot), as an attachment.
#[utoipa::path(get, path = "/api/v1/batches/{id}/evidence/{evidence}", tag = "batches",
    params(("id" = i64, Path, description = "batch id"),
        ("evidence" = i64, Path, description = "evidence id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>,
            description = "text/html or image/png"),
        (status = 404, body = ErrorBody)))]
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path((batch, evidence)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("there is no evidence `{evidence}`"));
    let batch: BatchId = batch
        .parse()
        .map_err(|_| ApiError::NotFound(format!("there is no batch `{batch}`")))?;
    let id: i64 = evidence.parse().map_err(|_| not_found())?;
    visible_batch(&state, &caller, batch).await?;
    let (row, bytes) = state
        .store
        .evidence_content(id)
        .await?
        .filter(|(row, _)| row.batch_id == batch)
        .ok_or_else(not_found)?;
    Ok(served(&row, bytes))
}

/// The bytes with their type, as a download that never runs in our origin.
pub(crate) fn served(row: &EvidenceRow, bytes: Vec<u8>) -> Response {
    if row.erased {
        return (
            StatusCode::GONE,
            "this evidence was erased with the signer's personal data; its size and SHA-256 \
             remain in the record",
        )
            .into_response();
    }
    let extension = if row.content_type.starts_with("image/png") {
        "png"
    } else {
        "html"
    };
    let filename = format!(
        "delivery-{}-attempt-{}-{}.{extension}",
        row.delivery_id,
        row.attempt_no,
        row.kind.as_str()
    );
    let content_type = HeaderValue::from_str(&row.content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (CONTENT_TYPE, content_type),
            (CONTENT_DISPOSITION, disposition),
            (
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'; img-src data:"),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response()
}
