//! API errors: one JSON shape, `{"error": {"code": "…", "message": "…"}}`, with codes that
//! clients can rely on. Internal failures are logged and answered without their details.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hillpost_store::StoreError;

use crate::app::{AppError, BadInput};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing bearer token: send `Authorization: Bearer <token>`")]
    MissingToken,
    #[error("this token is unknown or revoked")]
    InvalidToken,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("there is no route {method} {path}")]
    NoRoute { method: String, path: String },
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// The body could not be read as the format the route takes (JSON, CSV, TOML, UTF-8).
    #[error("{0}")]
    Malformed(String),
    /// Well-formed, but not acceptable: a campaign that does not check, rejected rows.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        details: Vec<RowProblem>,
    },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The database cannot be used right now: 503, without the driver's words.
    #[error("the database is unavailable; try again in a moment")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

/// A rejected CSV row (signature imports).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowProblem {
    pub line: u64,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable: `missing_token`, `invalid_token`, `forbidden`, `not_found`, `no_route`,
    /// `payload_too_large`, `malformed_body`, `invalid_campaign`, `invalid_signature`,
    /// `rejected_rows`, `invalid_time`, `plan_failed`, `invalid_body`, `invalid_query`,
    /// `campaign_exists`,
    /// `invalid_transition`, `database_unavailable`, `internal`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<RowProblem>,
}

impl ApiError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::MissingToken => (StatusCode::UNAUTHORIZED, "missing_token"),
            ApiError::InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::NoRoute { .. } => (StatusCode::NOT_FOUND, "no_route"),
            ApiError::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_body"),
            ApiError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NoCampaign(_) | StoreError::NoBatch(_) | StoreError::NoDelivery(_) => {
                ApiError::NotFound(error.to_string())
            }
            StoreError::CampaignExists(id) => ApiError::Conflict {
                code: "campaign_exists",
                message: format!("campaign `{id}` already exists (add ?replace=true to update it)"),
            },
            StoreError::BatchTransition { .. } | StoreError::DeliveryAction { .. } => {
                ApiError::Conflict {
                    code: "invalid_transition",
                    message: error.to_string(),
                }
            }
            other if other.is_unavailable() => ApiError::Unavailable(other.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// The use cases' failures as answers: input the caller can fix is a 4xx naming the
/// problem; a database that cannot be used is a 503 and anything else a 500, both without
/// their details (they stay in the log).
impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound(message) => ApiError::NotFound(message),
            AppError::Invalid {
                input: BadInput::CsvHeader,
                message,
            } => ApiError::Malformed(format!("CSV header: {message}")),
            AppError::Invalid { input, message } => {
                let code = match input {
                    BadInput::StartTime => "invalid_time",
                    BadInput::Email => "invalid_email",
                    BadInput::Plan => "plan_failed",
                    BadInput::Reason | BadInput::RetrySelection | BadInput::CsvHeader => {
                        "invalid_body"
                    }
                };
                ApiError::invalid(code, message)
            }
            AppError::Conflict(message) => ApiError::Conflict {
                code: "invalid_transition",
                message,
            },
            AppError::DatabaseUnavailable(source) => {
                ApiError::Unavailable(format!("{:#}", anyhow::Error::from(source)))
            }
            AppError::Store(store) => store.into(),
            AppError::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            // The detail stays in the log: it may name tables, hosts or paths.
            ApiError::Internal(detail) => tracing::error!(error = %detail, "API request failed"),
            ApiError::Unavailable(detail) => {
                tracing::error!(error = %detail, "API request failed: the database is unavailable")
            }
            _ => {}
        }
        let message = self.to_string();
        let details = match self {
            ApiError::Invalid { details, .. } => details,
            _ => Vec::new(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message,
                details,
            },
        };
        (status, Json(body)).into_response()
    }
}
