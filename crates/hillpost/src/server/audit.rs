//! The audit trail for auditors: a batch's export (the same lines and bytes as `hillpost
//! audit export`, written by [`crate::audit_export`]) and the chain's verification (as
//! `hillpost audit verify`).
//!
//! Who may call what: the export of a batch is open to auditors (every batch) and to the
//! organizers of the batch's campaign, who may account for their own sending; the chain
//! verification covers every organization's events, so it is for auditors only.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::{Caller, visible_batch};
use super::body::{BatchPath, Query};
use super::error::{ApiError, ErrorBody};
use crate::audit_export::{ExportFormat, write_lines};

#[derive(Deserialize, IntoParams)]
pub struct ExportQuery {
    /// `jsonl` (default) or `csv`.
    #[param(value_type = Option<String>)]
    #[serde(default)]
    pub format: ExportFormat,
}

/// What a batch sent to whom: one line per attempt, and one per delivery never attempted,
/// as `hillpost audit export --batch ID --format jsonl|csv` writes them.
#[utoipa::path(get, path = "/api/v1/batches/{id}/audit", tag = "audit",
    params(("id" = i64, Path, description = "batch id"), ExportQuery),
    responses((status = 200, content_type = "application/jsonl", body = String,
            description = "JSON Lines, or CSV with format=csv"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    BatchPath(id): BatchPath,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    visible_batch(&state, &caller, id).await?;
    let lines = state.store.audit_export(id).await?;
    let mut bytes = Vec::new();
    write_lines(&mut bytes, &lines, query.format).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [(
            CONTENT_TYPE,
            HeaderValue::from_static(query.format.content_type()),
        )],
        bytes,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct ChainHeadView {
    pub seq: i64,
    pub hash: String,
}

#[derive(Serialize, ToSchema)]
pub struct BrokenLinkView {
    /// The first event that does not check out.
    pub seq: i64,
    pub problem: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChainReportView {
    /// True when every event checks out up to the stored head.
    pub intact: bool,
    /// Events that checked out, from seq 1.
    pub verified: u64,
    pub head: ChainHeadView,
    pub broken: Option<BrokenLinkView>,
    /// How many stored checkpoints the chain was held to.
    pub checkpoints: usize,
    /// Batches, attempts and delivery events whose audit event is missing, in words.
    pub unrecorded: Vec<String>,
    /// Attempt rows changed after they were recorded (the first few), in words, and how
    /// many there are.
    pub altered: Vec<String>,
    pub altered_count: usize,
}

/// Recomputes the audit chain from its first event and names the first broken link;
/// holds it to the stored checkpoints and lists rows whose audit event is missing.
/// Auditors only.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = ChainReportView), (status = 403, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ChainReportView>, ApiError> {
    caller.must_be_auditor()?;
    let report = state.store.verify_audit().await?;
    Ok(Json(ChainReportView {
        intact: report.intact(),
        checkpoints: report.checkpoints,
        unrecorded: report.unrecorded.iter().map(ToString::to_string).collect(),
        altered: report.altered.iter().map(ToString::to_string).collect(),
        altered_count: report.altered_count,
        verified: report.verified,
        head: ChainHeadView {
            seq: report.head.seq,
            hash: report.head.hash,
        },
        broken: report.broken.map(|b| BrokenLinkView {
            seq: b.seq,
            problem: b.problem,
        }),
    }))
}

/// The newest signed checkpoint of the chain (seq, head hash, time, count, signature), to
/// be kept outside the database and given to `hillpost audit verify --checkpoint`.
/// Auditors only.
#[utoipa::path(get, path = "/api/v1/audit/checkpoint", tag = "audit",
    responses((status = 200, body = Object, description = "the checkpoint file's JSON"),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no checkpoint signed yet")))]
pub async fn checkpoint(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.must_be_auditor()?;
    let checkpoint = state.store.latest_checkpoint().await?.ok_or_else(|| {
        ApiError::NotFound(
            "no checkpoint has been signed yet (workers sign one once signing.key_file is set)"
                .into(),
        )
    })?;
    Ok((
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        checkpoint.to_json(),
    )
        .into_response())
}
