//! `/metrics` (Prometheus text format) and `/health`. The numbers come from the store on
//! each scrape, so they are true for all workers sharing the database, not only this
//! process. Written by hand: a few gauges and one histogram do not need a registry.

use std::fmt::Write;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use hillpost_core::delivery::{BatchState, Channel, DeliveryState};
use hillpost_store::{ATTEMPT_DURATION_BUCKETS_MS, DeliveryMetrics};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};

/// Prometheus metrics; on the API listener only for auditor tokens: the counts span every
/// organization, which an organizer may not see. A separate listener
/// (`server.metrics_listen`) serves the same without a token, for the scraper.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn metrics(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    caller.must_be_auditor()?;
    public_metrics(State(state)).await
}

/// `/metrics` on the metrics listener.
pub async fn public_metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let metrics = state.store.delivery_metrics().await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&metrics),
    ))
}

pub fn render(m: &DeliveryMetrics) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP hillpost_deliveries Deliveries by state and channel."
    );
    let _ = writeln!(out, "# TYPE hillpost_deliveries gauge");
    for state in DeliveryState::ALL {
        for channel in Channel::ALL {
            let n = m
                .deliveries
                .iter()
                .find(|(s, c, _)| s == state && c == channel)
                .map_or(0, |(_, _, n)| *n);
            let _ = writeln!(
                out,
                "hillpost_deliveries{{state=\"{state}\",channel=\"{channel}\"}} {n}"
            );
        }
    }
    let _ = writeln!(out, "# HELP hillpost_batches Batches by state.");
    let _ = writeln!(out, "# TYPE hillpost_batches gauge");
    for state in BatchState::ALL {
        let n = m
            .batches
            .iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| *n);
        let _ = writeln!(out, "hillpost_batches{{state=\"{state}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP hillpost_queue_depth Queued deliveries of running batches that are due now."
    );
    let _ = writeln!(out, "# TYPE hillpost_queue_depth gauge");
    let _ = writeln!(out, "hillpost_queue_depth {}", m.due_now);
    let h = &m.attempt_durations;
    let _ = writeln!(
        out,
        "# HELP hillpost_attempt_duration_seconds How long delivery attempts took."
    );
    let _ = writeln!(out, "# TYPE hillpost_attempt_duration_seconds histogram");
    for (le, n) in ATTEMPT_DURATION_BUCKETS_MS.iter().zip(&h.buckets) {
        let seconds = *le as f64 / 1000.0;
        let _ = writeln!(
            out,
            "hillpost_attempt_duration_seconds_bucket{{le=\"{seconds}\"}} {n}"
        );
    }
    let _ = writeln!(
        out,
        "hillpost_attempt_duration_seconds_bucket{{le=\"+Inf\"}} {}",
        h.count
    );
    let _ = writeln!(
        out,
        "hillpost_attempt_duration_seconds_sum {}",
        h.sum_ms as f64 / 1000.0
    );
    let _ = writeln!(out, "hillpost_attempt_duration_seconds_count {}", h.count);
    out
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database does not answer.
    pub status: String,
}

/// Whether the server and its database answer. No token needed.
#[utoipa::path(get, path = "/health", tag = "operations", security(()),
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.store.batch(hillpost_core::BatchId::new(0)).await {
        Ok(_) => (
            StatusCode::OK,
            Json(Health {
                status: "ok".into(),
            }),
        ),
        Err(error) => {
            tracing::warn!(%error, "health check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable".into(),
                }),
            )
        }
    }
}
