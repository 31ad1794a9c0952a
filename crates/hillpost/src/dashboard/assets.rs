//! The dashboard's stylesheet and its one script, compiled into the binary and served from
//! `/dashboard/assets/` (the pages' Content-Security-Policy allows nothing inline).

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use super::page::PageError;

const ASSETS: &[(&str, &str, &str)] = &[
    (
        "dashboard.css",
        "text/css; charset=utf-8",
        include_str!("assets/dashboard.css"),
    ),
    (
        "batch.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/batch.js"),
    ),
];

pub async fn serve(Path(file): Path<String>) -> Result<Response, PageError> {
    let (_, content_type, body) = ASSETS
        .iter()
        .find(|(name, _, _)| *name == file)
        .ok_or_else(|| PageError::NotFound(format!("There is no file `{file}` here.")))?;
    Ok((
        [
            (CONTENT_TYPE, *content_type),
            (CACHE_CONTROL, "max-age=300"),
        ],
        *body,
    )
        .into_response())
}
