//! Every error the API listener answers has the documented JSON shape
//! (`{"error": {"code", "message"}}`), including the ones axum and its extractors make
//! before a handler runs: 405 for a method a route does not take, 400 for a path that is
//! not UTF-8 or not the type a route expects, 415, and 414 for an address longer than
//! [`MAX_URI_BYTES`].

use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ErrorBody, ErrorDetail};

/// Longer request targets are refused before routing (browsers and proxies cap theirs
/// near here; no API address comes close).
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Reads at most this much of a plain-text rejection to quote it.
const MAX_QUOTED_BYTES: usize = 4 * 1024;

/// Refuses overlong addresses, then gives non-JSON error answers the JSON shape.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if length > MAX_URI_BYTES {
        return shaped(
            StatusCode::URI_TOO_LONG,
            format!(
                "the request address is {length} bytes long; at most {MAX_URI_BYTES} are allowed"
            ),
        );
    }
    // A receipt page is for a signer's browser: its answers stay pages (a bare 404).
    let receipt = request.uri().path().starts_with("/receipts/");
    let response = next.run(request).await;
    if receipt {
        return response;
    }
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let is_text = response
        .headers()
        .get(CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !is_text {
        return response; // an HTML page (a receipt that was not found) stays a page
    }
    let body = axum::body::to_bytes(response.into_body(), MAX_QUOTED_BYTES)
        .await
        .unwrap_or_default();
    let quoted = String::from_utf8_lossy(&body).trim().to_string();
    let message = if quoted.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_string()
    } else {
        quoted
    };
    shaped(status, message)
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}

fn shaped(status: StatusCode, message: String) -> Response {
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.to_string(),
            message,
            details: Vec::new(),
        },
    };
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
