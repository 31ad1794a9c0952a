//! Signatures: a CSV import (the same importer as `hillpost signatures import`) and single
//! sign-ups as JSON. A sign-up is turned into a one-row CSV and goes through the same
//! importer, so both paths check, normalise and de-duplicate signers identically.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hillpost_core::ids::{ImportId, SignatureId};
use hillpost_core::import::SignatureCsv;
use hillpost_store::import::ImportReport;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::{Caller, visible_campaign};
use super::body::{Body, Query};
use super::error::{ApiError, ErrorBody, RowProblem};

#[derive(Serialize, ToSchema)]
pub struct ImportView {
    pub rows_read: u64,
    /// Newly stored.
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub rejections: Vec<RowProblem>,
    /// Columns that matched no field.
    pub ignored_columns: Vec<String>,
    #[schema(value_type = Option<i64>)]
    pub import_id: Option<ImportId>,
}

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Store the valid rows even when some are rejected.
    #[serde(default)]
    pub skip_invalid: bool,
}

/// Imports a CSV file (the body): all or nothing unless `skip_invalid=true`.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/signatures/import", tag = "signatures",
    params(("id" = String, Path, description = "campaign id"), ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<ImportQuery>,
    body: Body,
) -> Result<Json<ImportView>, ApiError> {
    caller.must_be_organizer()?;
    let stored = visible_campaign(&state, &caller, &id).await?;
    body.text("CSV file")?;
    let report = run_import(
        &state,
        &caller,
        &stored.campaign.id,
        &body.0,
        "api-upload.csv",
        query.skip_invalid,
    )
    .await?;
    if report.import_id.is_none() {
        let c = &report.counts;
        return Err(ApiError::Invalid {
            code: "rejected_rows",
            message: format!(
                "{} of {} rows rejected: nothing was imported (fix them, or send skip_invalid=true)",
                c.rejected, c.rows_read
            ),
            details: problems(&report),
        });
    }
    Ok(Json(view(&report)))
}

#[derive(Serialize, ToSchema)]
pub struct SignUpView {
    /// False when the campaign already had a signature with this email.
    pub stored: bool,
}

/// One signer, as a JSON object of fields named like the CSV columns (`email`,
/// `first_name`, `last_name`, `organization`, `address1`, `city`, `state`, `zip`,
/// `country`, `language`, `can_be_emailed`, …).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/signatures", tag = "signatures",
    params(("id" = String, Path, description = "campaign id")),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 201, body = SignUpView), (status = 200, body = SignUpView),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn sign_up(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<(StatusCode, Json<SignUpView>), ApiError> {
    caller.must_be_organizer()?;
    let stored = visible_campaign(&state, &caller, &id).await?;
    let fields: serde_json::Map<String, serde_json::Value> = body.json()?;
    let csv = one_row_csv(&fields)?;
    let header = SignatureCsv::new(csv.as_slice())
        .map_err(|e| ApiError::invalid("invalid_signature", e.to_string()))?;
    if let Some(unknown) = header.columns().ignored().first() {
        return Err(ApiError::invalid(
            "invalid_signature",
            format!("`{unknown}` is not a signer field"),
        ));
    }
    let report = run_import(
        &state,
        &caller,
        &stored.campaign.id,
        &csv,
        "api-sign-up",
        false,
    )
    .await?;
    if let Some(rejection) = report.rejections.first() {
        return Err(ApiError::invalid(
            "invalid_signature",
            rejection.reason.clone(),
        ));
    }
    let stored = report.counts.accepted == 1;
    let status = if stored {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(SignUpView { stored })))
}

/// A JSON object of strings, numbers and booleans → a CSV header and one row.
fn one_row_csv(fields: &serde_json::Map<String, serde_json::Value>) -> Result<Vec<u8>, ApiError> {
    let mut names = Vec::new();
    let mut values = Vec::new();
    for (name, value) in fields {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Null => String::new(),
            _ => {
                return Err(ApiError::invalid(
                    "invalid_body",
                    format!("`{name}` must be text, a number or true/false"),
                ));
            }
        };
        names.push(name.clone());
        values.push(text);
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let written = writer
        .write_record(&names)
        .and_then(|()| writer.write_record(&values))
        .map_err(|e| ApiError::Internal(e.to_string()));
    written?;
    writer
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Imports through the same importer as the CLI, with the audit event naming the token.
async fn run_import(
    state: &AppState,
    caller: &Caller,
    campaign: &hillpost_core::CampaignId,
    bytes: &[u8],
    source: &str,
    skip_invalid: bool,
) -> Result<ImportReport, ApiError> {
    Ok(state
        .app()
        .import_signatures(
            campaign,
            bytes,
            source,
            skip_invalid,
            &caller.actor(),
            |_| {},
        )
        .await?)
}

fn problems(report: &ImportReport) -> Vec<RowProblem> {
    report
        .rejections
        .iter()
        .map(|r| RowProblem {
            line: r.line,
            reason: r.reason.clone(),
        })
        .collect()
}

fn view(report: &ImportReport) -> ImportView {
    let c = &report.counts;
    ImportView {
        rows_read: c.rows_read,
        accepted: c.accepted,
        duplicates: c.duplicates,
        rejected: c.rejected,
        rejections: problems(report),
        ignored_columns: report.ignored_columns.clone(),
        import_id: report.import_id,
    }
}

#[derive(Deserialize, ToSchema)]
pub struct EraseRequest {
    /// The signer's email address, as they gave it (case does not matter). In the body, so
    /// it stays out of URLs and access logs.
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct ErasureView {
    #[schema(value_type = i64)]
    pub signature_id: SignatureId,
    /// Letters and receipts not sent yet, cancelled.
    pub cancelled: u64,
    /// Rows blanked, by kind.
    pub attempts: u64,
    pub event_reasons: u64,
    pub evidence: u64,
    pub notices: u64,
    pub letters: u64,
    pub receipts: u64,
    /// Petition documents (signature list, PDF) made again without the signer.
    pub documents: u64,
}

/// Erases a signer's personal data (docs/erasure.md): what was sent stays recorded without
/// the person, what was not is cancelled, the audit chain still verifies. Organizers only;
/// 404 when the campaign has no such signer, 409 while one of their letters is being sent.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/signers/erase", tag = "signatures",
    params(("id" = String, Path, description = "campaign id")),
    request_body = EraseRequest,
    responses((status = 200, body = ErasureView), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn erase(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<ErasureView>, ApiError> {
    caller.must_be_organizer()?;
    let stored = visible_campaign(&state, &caller, &id).await?;
    let request: EraseRequest = body.json()?;
    let report = state
        .app()
        .erase_signer(&stored.campaign.id, &request.email, &caller.actor())
        .await?;
    Ok(Json(ErasureView {
        signature_id: report.signature_id,
        cancelled: report.cancelled,
        attempts: report.attempts,
        event_reasons: report.event_reasons,
        evidence: report.evidence,
        notices: report.notices,
        letters: report.letters,
        receipts: report.receipts,
        documents: report.documents,
    }))
}
