//! A batch's page: its progress, refreshed every second by `assets/batch.js` from
//! `/dashboard/batches/{id}/progress`, and the pause, resume and cancel buttons
//! (`App::control_batch`, as the API and `hillpost batch pause|resume|cancel`).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Json, Redirect, Response};
use hillpost_core::ids::{BatchId, DeliveryId};
use hillpost_core::{BatchState, DeliveryState};
use hillpost_store::BatchAction;
use serde::{Deserialize, Serialize};

use super::DashboardState;
use super::decisions::{Decisions, decisions};
use super::page::{PageError, page};
use super::progress::{ProgressView, progress};
use super::session::SignedIn;
use super::{templates, words};
use crate::server::auth::visible_batch;

/// A batch id from the path; anything else names no batch.
fn batch_id(raw: &str) -> Result<BatchId, PageError> {
    raw.parse()
        .map_err(|_| PageError::NotFound(format!("There is no batch `{raw}`.")))
}

async fn load_progress(state: &DashboardState, id: i64) -> Result<ProgressView, PageError> {
    let store = &state.app.store;
    let status = store.batch_status(id.into()).await?;
    let deliveries = store.deliveries(id.into()).await?;
    let attempts = store.batch_attempts(id.into()).await?;
    Ok(progress(&status, &deliveries, &attempts))
}

/// The batch's progress and the letters that need a decision, from one read of each.
async fn load_page_parts(
    state: &DashboardState,
    id: BatchId,
) -> Result<(ProgressView, Decisions), PageError> {
    let store = &state.app.store;
    let status = store.batch_status(id).await?;
    let deliveries = store.deliveries(id).await?;
    let attempts = store.batch_attempts(id).await?;
    let ended_short: Vec<DeliveryId> = deliveries
        .iter()
        .filter(|d| d.state.is_final() && d.state != DeliveryState::Delivered)
        .map(|d| d.id)
        .collect();
    let events = store.delivery_events(&ended_short).await?;
    Ok((
        progress(&status, &deliveries, &attempts),
        decisions(&deliveries, &attempts, &events),
    ))
}

#[derive(Serialize)]
struct BatchPage {
    id: BatchId,
    campaign_id: String,
    campaign_title: String,
    mode: &'static str,
    signature_count: u32,
    created: String,
    start: String,
    finished: Option<String>,
    can_pause: bool,
    can_resume: bool,
    can_cancel: bool,
    progress: ProgressView,
    decisions: Decisions,
    /// Deliveries whose form attempts kept pages or screenshots.
    evidence: Vec<super::delivery::EvidenceLine>,
}

pub async fn show(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(raw): Path<String>,
) -> Result<Html<String>, PageError> {
    let id = batch_id(&raw)?;
    let batch = visible_batch(&state.app, &visitor.caller, id).await?;
    let campaign = state.app.store.batch_campaign(id).await?;
    let (progress, decisions) = load_page_parts(&state, id).await?;
    let view = BatchPage {
        id,
        campaign_id: batch.campaign_id.clone(),
        campaign_title: campaign.title,
        mode: words::mode(batch.mode),
        signature_count: batch.signature_count,
        created: words::time(batch.created_at),
        start: words::time(batch.start_at),
        finished: batch.finished_at.map(words::time),
        can_pause: matches!(batch.state, BatchState::Running | BatchState::Scheduled),
        can_resume: batch.state == BatchState::Paused,
        can_cancel: !batch.state.is_final(),
        progress,
        decisions,
        evidence: state
            .app
            .store
            .batch_evidence(id)
            .await?
            .into_iter()
            .map(super::delivery::EvidenceLine::of)
            .collect(),
    };
    page("batch.html", &visitor, &view)
}

#[derive(Serialize)]
pub struct ProgressUpdate {
    state: &'static str,
    #[serde(rename = "final")]
    is_final: bool,
    /// The progress section, rendered by the page's own template.
    html: String,
}

/// What the batch page polls: the batch's state and its progress section.
async fn progress_update(
    state: &DashboardState,
    visitor: &SignedIn,
    id: BatchId,
) -> Result<ProgressUpdate, PageError> {
    visible_batch(&state.app, &visitor.caller, id).await?;
    let progress = load_progress(state, id.get()).await?;
    #[derive(Serialize)]
    struct Fragment<'a> {
        progress: &'a ProgressView,
    }
    let html = templates::render(
        "progress.html",
        None,
        &Fragment {
            progress: &progress,
        },
    )?;
    Ok(ProgressUpdate {
        state: progress.state_code,
        is_final: progress.is_final,
        html,
    })
}

pub async fn progress_json(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(raw): Path<String>,
) -> Result<Json<ProgressUpdate>, PageError> {
    let id = batch_id(&raw)?;
    Ok(Json(progress_update(&state, &visitor, id).await?))
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf: Option<String>,
}

async fn control(
    state: DashboardState,
    visitor: SignedIn,
    raw: String,
    form: ActionForm,
    action: BatchAction,
) -> Result<Response, PageError> {
    visitor.check_csrf(form.csrf.as_deref())?;
    visitor.must_be_organizer()?;
    let id = batch_id(&raw)?;
    visible_batch(&state.app, &visitor.caller, id).await?;
    state
        .app
        .app()
        .control_batch(id, action, &visitor.actor())
        .await?;
    Ok(Redirect::to(&format!("/dashboard/batches/{id}")).into_response())
}

pub async fn pause(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    control(state, visitor, raw, form, BatchAction::Pause).await
}

pub async fn resume(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    control(state, visitor, raw, form, BatchAction::Resume).await
}

pub async fn cancel(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    control(state, visitor, raw, form, BatchAction::Cancel).await
}
