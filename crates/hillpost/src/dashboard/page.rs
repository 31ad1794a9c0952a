//! What a dashboard handler answers: a page, a redirect, or an error page in plain words.
//! Internal failures are logged and shown without their details, as in the API.

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderValue};
use axum::http::{HeaderName, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hillpost_store::StoreError;
use serde::Serialize;

use super::session::SignedIn;
use super::templates;
use crate::app::AppError;
use crate::server::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No live session: off to the sign-in page.
    #[error("sign in first")]
    SignIn,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// A form that cannot be acted on (a time that does not parse, a campaign without
    /// signers); the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// The database cannot be used right now: a 503 page; the detail stays in the log.
    #[error("the database is unavailable")]
    Unavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::NotFound(_) | ApiError::NoRoute { .. } => {
                PageError::NotFound(capitalized(&error.to_string()))
            }
            ApiError::Forbidden(message) => PageError::Forbidden(capitalized(&message)),
            ApiError::MissingToken | ApiError::InvalidToken => PageError::SignIn,
            ApiError::Internal(detail) => PageError::Internal(detail),
            ApiError::Unavailable(detail) => PageError::Unavailable(detail),
            other => PageError::Invalid(capitalized(&other.to_string())),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        PageError::from(ApiError::from(error))
    }
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError::from(ApiError::from(error))
    }
}

impl From<minijinja::Error> for PageError {
    fn from(error: minijinja::Error) -> Self {
        PageError::Internal(format!("template: {error:#}"))
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[derive(Serialize)]
struct ErrorPage<'a> {
    heading: &'a str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, heading) = match &self {
            PageError::SignIn => return Redirect::to("/dashboard/login").into_response(),
            PageError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
            PageError::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed"),
            PageError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "That did not work"),
            PageError::Internal(detail) => {
                // The detail stays in the log: it may name tables, hosts or paths.
                tracing::error!(error = %detail, "dashboard request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong")
            }
            PageError::Unavailable(detail) => {
                tracing::error!(error = %detail, "dashboard request failed: the database is unavailable");
                (StatusCode::SERVICE_UNAVAILABLE, "Not available right now")
            }
        };
        let message = match &self {
            PageError::Internal(_) => {
                "The server could not show this page. Try again in a moment; if it keeps \
                 happening, tell whoever runs hillpost."
                    .to_string()
            }
            PageError::Unavailable(_) => {
                "The database is not answering. Try again in a moment.".to_string()
            }
            other => other.to_string(),
        };
        let page = ErrorPage { heading, message };
        match templates::render("error.html", None, &page) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, page.message).into_response(),
        }
    }
}

/// Renders `template` for a signed-in visitor.
pub fn page<T: Serialize>(
    template: &str,
    visitor: &SignedIn,
    view: &T,
) -> Result<Html<String>, PageError> {
    Ok(Html(templates::render(template, Some(visitor), view)?))
}

/// Added to every dashboard answer: scripts and styles only from the dashboard itself (so
/// even text that slipped through escaping could not run), no framing, no caching of pages
/// that show signer data.
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    // A stricter policy a handler set is kept: an office's page kept as evidence is served
    // sandboxed (see `dashboard/delivery.rs`).
    headers
        .entry(CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ));
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
