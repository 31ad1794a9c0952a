//! `/api/v1/campaigns`: list, show, and add (a campaign file as the TOML body).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hillpost_core::Campaign;
use hillpost_store::StoredCampaign;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::{Caller, visible_campaign};
use super::body::{Body, Query};
use super::error::{ApiError, ErrorBody};

#[derive(Serialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    pub title: String,
    pub organization: String,
    /// `petition` or `individual`.
    pub mode: String,
    pub sender_name: String,
    pub default_language: String,
    /// Subject per language.
    pub letters: std::collections::BTreeMap<String, String>,
    pub targets: Vec<String>,
    pub signature_count: u64,
    pub batch_count: u64,
}

impl From<&StoredCampaign> for CampaignView {
    fn from(stored: &StoredCampaign) -> Self {
        let c = &stored.campaign;
        CampaignView {
            id: c.id.to_string(),
            title: c.title.clone(),
            organization: c.organization.clone(),
            mode: c.mode.as_str().to_string(),
            sender_name: c.sender_name.clone(),
            default_language: c.default_language.to_string(),
            letters: c
                .letters
                .iter()
                .map(|(language, letter)| (language.to_string(), letter.subject.clone()))
                .collect(),
            targets: c.targets.iter().map(ToString::to_string).collect(),
            signature_count: stored.signature_count,
            batch_count: stored.batch_count,
        }
    }
}

/// Campaigns this token may see.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns",
    responses((status = 200, body = Vec<CampaignView>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<CampaignView>>, ApiError> {
    let campaigns = state.store.campaigns().await?;
    Ok(Json(
        campaigns
            .iter()
            .filter(|c| caller.may_see(&c.campaign.organization))
            .map(CampaignView::from)
            .collect(),
    ))
}

/// One campaign: letters, targets, counts.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path, description = "campaign id")),
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CampaignView>, ApiError> {
    let stored = visible_campaign(&state, &caller, &id).await?;
    Ok(Json(CampaignView::from(&stored)))
}

#[derive(Deserialize, IntoParams)]
pub struct AddQuery {
    /// Update a campaign with the same id (batches already created keep their letters).
    #[serde(default)]
    pub replace: bool,
}

/// The answer for an id that is taken by another organization's campaign.
fn taken(id: &hillpost_core::CampaignId) -> String {
    format!("the campaign id `{id}` is taken; choose another id")
}

/// Adds a campaign from its TOML file (the request body), checked as `hillpost campaign add`
/// checks it. An organizer may only add campaigns of its own organization.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", params(AddQuery),
    request_body(content = String, content_type = "application/toml"),
    responses((status = 201, body = CampaignView), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AddQuery>,
    body: Body,
) -> Result<(StatusCode, Json<CampaignView>), ApiError> {
    caller.must_be_organizer()?;
    let text = body.text("campaign file")?;
    let campaign = Campaign::from_toml(text).map_err(|e| {
        ApiError::invalid(
            "invalid_campaign",
            format!("the campaign was not added: {e}"),
        )
    })?;
    if !caller.may_see(&campaign.organization) {
        return Err(ApiError::Forbidden(format!(
            "this token acts for `{}`; the campaign's organization is `{}`",
            caller.organization.as_deref().unwrap_or_default(),
            campaign.organization
        )));
    }
    if let Some(existing) = state.store.campaign(&campaign.id).await?
        && !caller.may_see(&existing.campaign.organization)
    {
        // Ids are shared by every organization. Another's id answers exactly as a taken
        // id does, whether or not `replace` was asked (replacing would hand its campaign
        // over): nothing says whose it is or what it holds.
        return Err(ApiError::Conflict {
            code: "campaign_exists",
            message: taken(&campaign.id),
        });
    }
    state.store.add_campaign(&campaign, query.replace).await?;
    let stored = visible_campaign(&state, &caller, campaign.id.as_str()).await?;
    Ok((StatusCode::CREATED, Json(CampaignView::from(&stored))))
}
