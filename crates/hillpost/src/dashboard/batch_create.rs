//! "Start sending now" and "Schedule": creates a batch through the use case `POST
//! /api/v1/campaigns/{id}/batches` and `hillpost batch create` call
//! (`App::create_batch`), then shows its page.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::DashboardState;
use super::campaigns::{Refused, campaign_page};
use super::page::PageError;
use super::session::SignedIn;
use crate::app::{self, AppError, BadInput, BatchStart};
use crate::server::auth::visible_campaign;

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
    let start = match form.when.as_str() {
        "now" => BatchStart::Now,
        "schedule" if form.at.trim().is_empty() => {
            let refused = refuse("Pick the date and time the batch should start.".into());
            return campaign_page(&state, &visitor, &id, Some(refused)).await;
        }
        "schedule" => BatchStart::At {
            at: form.at.clone(),
            timezone: Some(form.timezone.clone()).filter(|z| !z.is_empty()),
        },
        other => {
            return Err(PageError::Invalid(format!(
                "`{other}` is not a way to start a batch (now or schedule)."
            )));
        }
    };
    let request = app::NewBatch {
        start,
        include_delivered: false,
    };
    let created = state
        .app
        .app()
        .create_batch(&stored.campaign.id, &request, &visitor.actor())
        .await;
    let refusal = match created {
        Ok(created) => {
            let batch = created.id;
            return Ok(Redirect::to(&format!("/dashboard/batches/{batch}")).into_response());
        }
        Err(AppError::Invalid {
            input: BadInput::StartTime,
            message,
        }) => format!("That start time does not work: {message}."),
        Err(AppError::Invalid { message, .. }) => format!("No batch was created: {message}."),
        Err(other) => return Err(other.into()),
    };
    campaign_page(&state, &visitor, &id, Some(refuse(refusal))).await
}
