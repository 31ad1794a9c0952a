//! "Start sending now" and "Schedule": creates a batch the way `POST
//! /api/v1/campaigns/{id}/batches` and `hillpost batch create` do (planning::plan,
//! time::start_time, Store::create_batch_with, receipts as configured), then shows its page.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use super::DashboardState;
use super::campaigns::{Refused, campaign_page};
use super::page::PageError;
use super::session::SignedIn;
use crate::server::auth::visible_campaign;
use crate::{planning, time};

#[derive(Deserialize)]
pub struct NewBatch {
    csrf: Option<String>,
    /// `now` or `schedule`.
    #[serde(default)]
    when: String,
    /// From `<input type="datetime-local">`: `2026-12-01T09:00`.
    #[serde(default)]
    at: String,
    #[serde(default)]
    timezone: String,
}

pub async fn create(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<NewBatch>,
) -> Result<Response, PageError> {
    visitor.check_csrf(form.csrf.as_deref())?;
    visitor.must_be_organizer()?;
    let stored = visible_campaign(&state.app, &visitor.caller, &id).await?;
    let refuse = |error: String| Refused {
        error,
        at: form.at.clone(),
        timezone: form.timezone.clone(),
    };
    let now = Utc::now();
    let start_at = match form.when.as_str() {
        "now" => now,
        "schedule" if form.at.trim().is_empty() => {
            let refused = refuse("Pick the date and time the batch should start.".into());
            return campaign_page(&state, &visitor, &id, Some(refused)).await;
        }
        "schedule" => {
            let zone = Some(form.timezone.as_str()).filter(|z| !z.is_empty());
            match time::start_time(&form.at, zone, now) {
                Ok(t) => t,
                Err(e) => {
                    let refused = refuse(format!("That start time does not work: {e}."));
                    return campaign_page(&state, &visitor, &id, Some(refused)).await;
                }
            }
        }
        other => {
            return Err(PageError::Invalid(format!(
                "`{other}` is not a way to start a batch (now or schedule)."
            )));
        }
    };
    let campaign_id = stored.campaign.id;
    let resolve = state.app.settings.directory.resolve_settings();
    let planned = match planning::plan(
        &state.app.store,
        &campaign_id,
        &resolve,
        &crate::targets::sendable_channels(&state.app.settings),
        false,
    )
    .await
    {
        Ok(planned) => planned,
        Err(e) => {
            let refused = refuse(format!("No batch was created: {e:#}."));
            return campaign_page(&state, &visitor, &id, Some(refused)).await;
        }
    };
    let max_attempts = state.app.settings.retry_schedule().max_attempts();
    let batch = state
        .app
        .store
        .create_batch_with(
            &campaign_id,
            &planned.plan,
            &hillpost_store::BatchOptions {
                start_at,
                max_attempts,
                actor: &visitor.actor(),
                receipt_base_url: state.app.settings.receipt_base_url(),
                include_delivered: false,
            },
        )
        .await?;
    tracing::info!(
        batch,
        token = visitor.caller.token_id,
        "batch created from the dashboard"
    );
    Ok(Redirect::to(&format!("/dashboard/batches/{batch}")).into_response())
}
