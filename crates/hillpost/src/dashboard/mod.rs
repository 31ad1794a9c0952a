//! The organizer dashboard: server-rendered pages under `/dashboard`, served by `hillpost
//! serve` next to the API, for campaigners who will never read the API's documentation.
//!
//! ```text
//!  browser ──▶ /dashboard/login  (paste an API token) ──▶ session cookie (random id)
//!     │                                                      │ Sessions: id → token hash, CSRF
//!     ▼                                                      ▼
//!  page handler ─▶ SignedIn (cookie → session → token still active → Caller, 303 to login)
//!     │            visible_campaign / visible_batch (the API's own checks, 404)
//!     ▼
//!  the use cases (crate::app: create_batch, control_batch, retry_batch, decide_delivery,
//!  preview_batch) and store reads (Store::batch_status) ─▶ minijinja templates (HTML-escaped)
//! ```
//!
//! The batch page polls `/dashboard/batches/{id}/progress` every second; the answer carries
//! the progress section rendered by the same template as the page, so the page and its
//! updates cannot disagree. These routes are not part of the OpenAPI document: they are
//! pages, not an API.

mod assets;
mod batch;
mod batch_create;
mod campaigns;
mod chart;
mod decisions;
mod delivery;
mod login;
mod page;
mod preview;
mod progress;
mod session;
mod templates;
mod words;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::server::AppState;
use session::Sessions;

/// Forms are a few fields; nothing a page posts comes near this.
const FORM_LIMIT: usize = 16 * 1024;

/// What every dashboard handler can reach: the API's state and the signed-in sessions.
#[derive(Clone)]
pub struct DashboardState {
    pub app: AppState,
    pub sessions: Arc<Sessions>,
}

impl DashboardState {
    /// Cookies are `Secure` when the server's public address is https.
    pub fn secure_cookies(&self) -> bool {
        session::secure_cookies(&self.app.settings.server.public_url)
    }
}

/// The dashboard's routes, to merge into the server's router. Sessions live as long as
/// the router (signing in again after a restart is the price of keeping them in memory).
pub fn router(app: AppState) -> Router {
    let state = DashboardState {
        app,
        sessions: Arc::new(Sessions::default()),
    };
    Router::new()
        .route("/dashboard", get(to_campaigns))
        .route("/dashboard/", get(to_campaigns))
        .route("/dashboard/login", get(login::form).post(login::submit))
        .route("/dashboard/logout", post(login::logout))
        .route("/dashboard/assets/{file}", get(assets::serve))
        .route("/dashboard/campaigns", get(campaigns::list))
        .route("/dashboard/campaigns/{id}", get(campaigns::show))
        .route("/dashboard/campaigns/{id}/preview", get(preview::show))
        .route("/dashboard/campaigns/{id}/petition.pdf", get(preview::pdf))
        .route(
            "/dashboard/campaigns/{id}/batches",
            post(batch_create::create),
        )
        .route("/dashboard/batches/{id}", get(batch::show))
        .route(
            "/dashboard/batches/{id}/progress",
            get(batch::progress_json),
        )
        .route(
            "/dashboard/batches/{id}/deliveries/{delivery}",
            get(delivery::show),
        )
        .route(
            "/dashboard/batches/{id}/evidence/{evidence}",
            get(delivery::evidence),
        )
        .route("/dashboard/batches/{id}/pause", post(batch::pause))
        .route("/dashboard/batches/{id}/resume", post(batch::resume))
        .route("/dashboard/batches/{id}/cancel", post(batch::cancel))
        .route("/dashboard/batches/{id}/retry", post(decisions::retry))
        .route(
            "/dashboard/deliveries/{id}/confirm",
            post(decisions::confirm),
        )
        .route("/dashboard/deliveries/{id}/resend", post(decisions::resend))
        .layer(axum::middleware::map_response(page::security_headers))
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
        .with_state(state)
}

async fn to_campaigns() -> Redirect {
    Redirect::to("/dashboard/campaigns")
}
