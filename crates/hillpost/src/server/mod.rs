//! The HTTP API, served by `hillpost serve`.
//!
//! ```text
//!  request ─▶ body limit (413) ─▶ route ─▶ Caller (bearer token → store, 401)
//!                                            │ visible_campaign / visible_batch (404)
//!                                            ▼
//!            handler ─▶ the CLI's functions: planning::plan, time::start_time,
//!                       import_signatures, Store::control_batch …
//!                                            ▼
//!                       JSON, or {"error": {"code", "message"}}
//! ```
//!
//! Every route is registered through utoipa-axum's `OpenApiRouter`, which adds it to the
//! router and to the OpenAPI document in one step, so the two cannot drift apart.

mod audit;
pub(crate) mod auth;
mod batches;
mod body;
mod bounces;
mod campaigns;
mod deliveries;
pub mod error;
mod error_shape;
pub(crate) mod evidence;
mod headers;
mod keys;
mod metrics;
mod openapi;
mod receipts;
mod signatures;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use hillpost_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use openapi::openapi;

use crate::config::Settings;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub settings: Arc<Settings>,
}

/// The API router: `/api/v1/…`, `/metrics` (with a token), `/health`, the receipt pages
/// `/receipts/{token}` (no bearer token: the path's token is the key), and the organizer
/// dashboard's pages under `/dashboard` (not in the OpenAPI document).
pub fn router(state: AppState) -> Router {
    let dashboard = crate::dashboard::router(state.clone());
    let limit = state.settings.server.max_body_bytes;
    let (routes, api) = openapi::routes().split_for_parts();
    let api = Arc::new(api);
    routes
        .route(
            "/api/v1/openapi.json",
            get(move |caller: auth::Caller| openapi::document(caller, api.clone())),
        )
        .fallback(openapi::no_route)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(error_shape::json_errors))
        .layer(axum::middleware::map_response(headers::security_headers))
        .with_state(state)
        .merge(dashboard)
}

/// The metrics listener's router: `/metrics` without a token, and `/health`. Bind it where
/// only the scraper can reach it.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics::public_metrics))
        .route("/health", get(metrics::health))
        .with_state(state)
}

/// Serves until `shutdown` is cancelled; requests in progress finish first.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let metrics = metrics_listener.map(|listener| {
        let app = metrics_router(state.clone());
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown.cancelled_owned())
                .await
        })
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .await?;
    if let Some(task) = metrics {
        task.await.map_err(std::io::Error::other)??;
    }
    Ok(())
}
