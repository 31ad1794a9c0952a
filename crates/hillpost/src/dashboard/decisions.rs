//! The batch page's "letters that need a decision": every `unconfirmed`, `failed` and `dead`
//! letter, by office, with the evidence a person decides on (the last attempt's answer and
//! note, and every route event), and — for organizers — confirm, resend and retry. The
//! actions are the API's and the CLI's (`App::decide_delivery`, `App::retry_batch`);
//! auditors see the same list without the buttons.

use hillpost_core::ids::{BatchId, DeliveryId, SignatureId};
use std::collections::{BTreeMap, HashMap};

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use hillpost_core::delivery::{DeliveryState, OperatorAction};
use hillpost_store::{AttemptRow, DeliveryEventRow, DeliveryRow};
use serde::{Deserialize, Serialize};

use super::DashboardState;
use super::page::PageError;
use super::session::SignedIn;
use super::words;
use crate::app::{AppError, BadInput};
use crate::server::auth::visible_batch;

/// The most letters listed on the page; the rest are counted (the API lists them all).
const MAX_LISTED: usize = 200;

#[derive(Serialize)]
pub struct Decisions {
    pub unconfirmed: usize,
    pub failed: usize,
    /// Letters not listed because the list is long.
    pub not_listed: usize,
    pub offices: Vec<OfficeLetters>,
}

#[derive(Serialize)]
pub struct OfficeLetters {
    pub name: String,
    pub letters: Vec<LetterView>,
}

#[derive(Serialize)]
pub struct LetterView {
    pub id: DeliveryId,
    pub state: &'static str,
    pub state_code: &'static str,
    pub signer_id: Option<SignatureId>,
    pub endpoint: String,
    /// The last attempt in words: when, through what, what came back.
    pub last_attempt: Option<String>,
    /// The first part of the office's answer, to judge by.
    pub answer: Option<String>,
    pub events: Vec<String>,
    pub can_confirm: bool,
}

/// What a person has to decide about in a batch.
pub fn decisions(
    deliveries: &[DeliveryRow],
    attempts: &[AttemptRow],
    events: &[DeliveryEventRow],
) -> Decisions {
    let wanted = |d: &&DeliveryRow| {
        matches!(
            d.state,
            DeliveryState::Unconfirmed | DeliveryState::Failed | DeliveryState::Dead
        )
    };
    let mut last: HashMap<DeliveryId, &AttemptRow> = HashMap::new();
    for a in attempts {
        last.insert(a.delivery_id, a);
    }
    let mut events_of: HashMap<DeliveryId, Vec<String>> = HashMap::new();
    for e in events {
        events_of
            .entry(e.delivery_id)
            .or_default()
            .push(e.describe());
    }
    let chosen: Vec<&DeliveryRow> = deliveries.iter().filter(wanted).collect();
    let unconfirmed = chosen
        .iter()
        .filter(|d| d.state == DeliveryState::Unconfirmed)
        .count();
    let mut offices: BTreeMap<&str, OfficeLetters> = BTreeMap::new();
    for d in chosen.iter().take(MAX_LISTED) {
        let attempt = last.get(&d.id);
        offices
            .entry(d.recipient_key.as_str())
            .or_insert_with(|| OfficeLetters {
                name: d.recipient_name.clone(),
                letters: Vec::new(),
            })
            .letters
            .push(LetterView {
                id: d.id,
                state: words::delivery_state(d.state),
                state_code: d.state.as_str(),
                signer_id: d.signature_id,
                endpoint: format!("{} {}", words::channel(d.channel), d.endpoint),
                last_attempt: attempt.map(|a| {
                    let mut line = format!(
                        "{}: {}",
                        words::time(a.finished_at),
                        words::attempt_outcome(a.outcome)
                    );
                    if let Some(code) = a.remote_code {
                        line.push_str(&format!(" ({code})"));
                    }
                    if let Some(note) = &a.note {
                        line.push_str(&format!(". {note}"));
                    }
                    line
                }),
                answer: attempt
                    .and_then(|a| a.remote_text.as_deref())
                    .map(|t| t.chars().take(300).collect()),
                events: events_of.remove(&d.id).unwrap_or_default(),
                can_confirm: d.state == DeliveryState::Unconfirmed,
            });
    }
    Decisions {
        unconfirmed,
        failed: chosen.len() - unconfirmed,
        not_listed: chosen.len().saturating_sub(MAX_LISTED),
        offices: offices.into_values().collect(),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: Option<String>,
    reason: Option<String>,
    /// `failed` or `unconfirmed`, for a retry.
    selection: Option<String>,
}

/// The layer's refusals in this page's words; the rest as every page shows them.
fn refused(error: AppError) -> PageError {
    match error {
        AppError::Invalid {
            input: BadInput::Reason,
            ..
        } => PageError::Invalid(
            "Say why in a few words (up to 1,000 characters): it is kept in the record.".into(),
        ),
        AppError::Invalid {
            input: BadInput::RetrySelection,
            ..
        } => PageError::Invalid("Choose which letters to send again.".into()),
        AppError::Invalid {
            input: BadInput::Plan,
            message,
        } => PageError::Invalid(format!(
            "The letters could not be planned again: {message}."
        )),
        other => other.into(),
    }
}

fn id<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, PageError> {
    raw.parse()
        .map_err(|_| PageError::NotFound(format!("There is no {what} `{raw}`.")))
}

async fn decide(
    state: DashboardState,
    visitor: SignedIn,
    raw: String,
    form: DecisionForm,
    action: OperatorAction,
) -> Result<Response, PageError> {
    visitor.check_csrf(form.csrf.as_deref())?;
    visitor.must_be_organizer()?;
    let id: DeliveryId = id(&raw, "letter")?;
    let not_found = || PageError::NotFound(format!("There is no letter {id}."));
    let detail = state
        .app
        .store
        .delivery_detail(id)
        .await?
        .ok_or_else(not_found)?;
    let batch = detail.delivery.batch_id;
    visible_batch(&state.app, &visitor.caller, batch)
        .await
        .map_err(|_| not_found())?;
    state
        .app
        .app()
        .decide_delivery(
            id,
            action,
            form.reason.as_deref().unwrap_or_default(),
            &visitor.actor(),
        )
        .await
        .map_err(refused)?;
    Ok(Redirect::to(&format!("/dashboard/batches/{batch}#decisions")).into_response())
}

pub async fn confirm(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    decide(state, visitor, raw, form, OperatorAction::Confirm).await
}

pub async fn resend(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    decide(state, visitor, raw, form, OperatorAction::Resend).await
}

/// Plans the batch's failed (or unconfirmed) letters again on the current directory.
pub async fn retry(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(raw): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(form.csrf.as_deref())?;
    visitor.must_be_organizer()?;
    let id: BatchId = id(&raw, "batch")?;
    visible_batch(&state.app, &visitor.caller, id).await?;
    let report = state
        .app
        .app()
        .retry_batch(
            id,
            form.selection.as_deref().unwrap_or_default(),
            form.reason.as_deref().unwrap_or_default(),
            &visitor.actor(),
        )
        .await
        .map_err(refused)?;
    tracing::info!(
        batch = id.get(),
        letters = report.replanned,
        token = visitor.caller.token_id.get(),
        "letters planned again from the dashboard"
    );
    Ok(Redirect::to(&format!("/dashboard/batches/{id}")).into_response())
}
