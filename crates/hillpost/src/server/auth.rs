//! Bearer tokens: who is calling, and which campaigns they may see. An organizer sees the
//! campaigns of its organization and may change them; an auditor sees everything and
//! changes nothing. A campaign a caller may not see answers 404, exactly like one that does
//! not exist, so tokens cannot probe other organizations' campaign ids.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use hillpost_core::CampaignId;
use hillpost_core::ids::{BatchId, TokenId};
use hillpost_store::{BatchRow, StoredCampaign, TokenRole};

use super::AppState;
use super::error::ApiError;
use crate::tokens::secret_sha256;

/// The caller of an authenticated route.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: TokenId,
    pub role: TokenRole,
    pub organization: Option<String>,
    pub label: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::MissingToken)?;
        // The scheme is case-insensitive (RFC 7235 §2.1): `bearer` and `BEARER` are fine.
        let secret = header
            .trim_start()
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, secret)| secret.trim())
            .filter(|s| !s.is_empty())
            .ok_or(ApiError::MissingToken)?;
        let token = state
            .store
            .active_token(&secret_sha256(secret))
            .await?
            .ok_or(ApiError::InvalidToken)?;
        Ok(Caller {
            token_id: token.id,
            role: token.role,
            organization: token.organization,
            label: token.label,
        })
    }
}

impl Caller {
    /// Who the audit trail names for changes made with this token: `api:<label>#<id>` (the
    /// label says whose token it is, the id which one, as labels need not be unique).
    pub fn actor(&self) -> String {
        format!("api:{}#{}", self.label, self.token_id)
    }

    pub fn may_see(&self, organization: &str) -> bool {
        match self.role {
            TokenRole::Auditor => true,
            TokenRole::Organizer => self.organization.as_deref() == Some(organization),
        }
    }

    /// What spans every organization (the whole audit chain) is for auditors.
    pub fn must_be_auditor(&self) -> Result<(), ApiError> {
        match self.role {
            TokenRole::Auditor => Ok(()),
            TokenRole::Organizer => Err(ApiError::Forbidden(
                "this route is for auditor tokens".to_string(),
            )),
        }
    }

    /// Auditors read; only organizers change anything.
    pub fn must_be_organizer(&self) -> Result<(), ApiError> {
        match self.role {
            TokenRole::Organizer => Ok(()),
            TokenRole::Auditor => Err(ApiError::Forbidden(
                "auditor tokens are read-only".to_string(),
            )),
        }
    }
}

/// The campaign `raw`, if the caller may see it.
pub async fn visible_campaign(
    state: &AppState,
    caller: &Caller,
    raw: &str,
) -> Result<StoredCampaign, ApiError> {
    let not_found = || ApiError::NotFound(format!("there is no campaign `{raw}`"));
    let id = CampaignId::parse(raw).map_err(|_| not_found())?;
    match state.store.campaign(&id).await? {
        Some(stored) if caller.may_see(&stored.campaign.organization) => Ok(stored),
        _ => Err(not_found()),
    }
}

/// The batch `id`, if the caller may see its campaign.
pub async fn visible_batch(
    state: &AppState,
    caller: &Caller,
    id: BatchId,
) -> Result<BatchRow, ApiError> {
    let not_found = || ApiError::NotFound(format!("there is no batch {id}"));
    let batch = state.store.batch(id).await?.ok_or_else(not_found)?;
    visible_campaign(state, caller, &batch.campaign_id)
        .await
        // Unseen is missing; a database that failed stays a failure.
        .map_err(|e| match e {
            ApiError::NotFound(_) => not_found(),
            other => other,
        })?;
    Ok(batch)
}
