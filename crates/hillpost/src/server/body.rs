//! Request bodies, read whole up to the configured limit (413 beyond it), then parsed with
//! errors that name the problem. axum's own extractors answer in plain text; these answer
//! in the API's JSON error shape.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hillpost_core::ids::{BatchId, DeliveryId};
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;

pub struct Body(pub Bytes);

impl FromRequest<AppState> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        Bytes::from_request(request, state)
            .await
            .map(Body)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge {
                        limit: state.settings.server.max_body_bytes,
                    }
                } else {
                    ApiError::Malformed(format!("the body could not be read: {rejection}"))
                }
            })
    }
}

impl Body {
    pub fn text(&self, what: &str) -> Result<&str, ApiError> {
        std::str::from_utf8(&self.0)
            .map_err(|e| ApiError::Malformed(format!("the {what} is not UTF-8 text ({e})")))
    }

    /// JSON: syntax errors are 400 (`malformed_body`), well-formed JSON of the wrong shape
    /// is 422 (`invalid_body`); both say where.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.0).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => {
                ApiError::invalid("invalid_body", format!("the JSON body does not fit: {e}"))
            }
            _ => ApiError::Malformed(format!("the body is not JSON: {e}")),
        })
    }
}

/// Query parameters, refused in the API's JSON shape (`invalid_query`).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| ApiError::invalid("invalid_query", e.body_text()))
    }
}

/// A delivery id from the path; one that is not a number names no delivery (404, in JSON).
pub struct DeliveryPath(pub DeliveryId);

impl<S: Send + Sync> FromRequestParts<S> for DeliveryPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::Malformed(e.body_text()))?;
        raw.parse()
            .map(DeliveryPath)
            .map_err(|_| ApiError::NotFound(format!("there is no delivery `{raw}`")))
    }
}

/// A batch id from the path; one that is not a number names no batch (404, in JSON).
pub struct BatchPath(pub BatchId);

impl<S: Send + Sync> FromRequestParts<S> for BatchPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::Malformed(e.body_text()))?;
        raw.parse()
            .map(BatchPath)
            .map_err(|_| ApiError::NotFound(format!("there is no batch `{raw}`")))
    }
}
