//! The campaigns a visitor may see, and one campaign's page: its letters, signers, batches,
//! and the form that previews, starts or schedules a new batch.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use hillpost_core::ids::BatchId;
use serde::Serialize;

use super::DashboardState;
use super::page::{PageError, page};
use super::session::SignedIn;
use super::words;
use crate::server::auth::visible_campaign;

#[derive(Serialize)]
struct CampaignLine {
    id: String,
    title: String,
    organization: String,
    mode: &'static str,
    signature_count: u64,
    batch_count: u64,
}

#[derive(Serialize)]
struct CampaignsPage {
    campaigns: Vec<CampaignLine>,
}

pub async fn list(
    State(state): State<DashboardState>,
    visitor: SignedIn,
) -> Result<Html<String>, PageError> {
    let campaigns = state
        .app
        .store
        .campaigns()
        .await?
        .into_iter()
        .filter(|c| visitor.caller.may_see(&c.campaign.organization))
        .map(|c| CampaignLine {
            id: c.campaign.id.to_string(),
            title: c.campaign.title.clone(),
            organization: c.campaign.organization.clone(),
            mode: words::mode(c.campaign.mode),
            signature_count: c.signature_count,
            batch_count: c.batch_count,
        })
        .collect();
    page("campaigns.html", &visitor, &CampaignsPage { campaigns })
}

/// The time zones offered when scheduling, US first (where the offices are).
pub const TIME_ZONES: &[&str] = &[
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "UTC",
];

#[derive(Serialize)]
struct Letter {
    language: String,
    subject: String,
}

#[derive(Serialize)]
struct BatchLine {
    id: BatchId,
    state: &'static str,
    created: String,
    start: String,
}

#[derive(Serialize)]
struct CampaignPage {
    id: String,
    title: String,
    organization: String,
    mode: &'static str,
    sender_name: String,
    letters: Vec<Letter>,
    targets: Vec<String>,
    signature_count: u64,
    batches: Vec<BatchLine>,
    time_zones: &'static [&'static str],
    /// Why the last batch form was refused, with what was typed into it.
    error: Option<String>,
    at: String,
    timezone: String,
}

/// What the new-batch form held, when it is shown again with an error.
#[derive(Default)]
pub struct Refused {
    pub error: String,
    pub at: String,
    pub timezone: String,
}

pub async fn show(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    campaign_page(&state, &visitor, &id, None).await
}

/// The campaign page; with `refused`, the new-batch form shows why it did not go through.
pub async fn campaign_page(
    state: &DashboardState,
    visitor: &SignedIn,
    id: &str,
    refused: Option<Refused>,
) -> Result<Response, PageError> {
    let stored = visible_campaign(&state.app, &visitor.caller, id).await?;
    let batches = state.app.store.batches(Some(&stored.campaign.id)).await?;
    let c = &stored.campaign;
    let status = match refused {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let refused = refused.unwrap_or_default();
    let view = CampaignPage {
        id: c.id.to_string(),
        title: c.title.clone(),
        organization: c.organization.clone(),
        mode: words::mode(c.mode),
        sender_name: c.sender_name.clone(),
        letters: c
            .letters
            .iter()
            .map(|(language, letter)| Letter {
                language: language.to_string(),
                subject: letter.subject.clone(),
            })
            .collect(),
        targets: c.targets.iter().map(ToString::to_string).collect(),
        signature_count: stored.signature_count,
        batches: batches
            .iter()
            .rev()
            .map(|b| BatchLine {
                id: b.id,
                state: words::batch_state(b.state),
                created: words::time(b.created_at),
                start: words::time(b.start_at),
            })
            .collect(),
        time_zones: TIME_ZONES,
        error: (!refused.error.is_empty()).then_some(refused.error),
        at: refused.at,
        timezone: refused.timezone,
    };
    Ok((status, page("campaign.html", visitor, &view)?).into_response())
}
