//! API tokens: who may call the HTTP API, and what they may see. The store keeps only the
//! SHA-256 of each secret; making and hashing secrets is the binary's business.

use hillpost_core::ids::TokenId;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::{Store, StoreError, logic};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenRole {
    /// Everything on the campaigns of one organization.
    Organizer,
    /// Read-only, every campaign.
    Auditor,
}

impl TokenRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Organizer => "organizer",
            TokenRole::Auditor => "auditor",
        }
    }
}

impl fmt::Display for TokenRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TokenRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "organizer" => Ok(TokenRole::Organizer),
            "auditor" => Ok(TokenRole::Auditor),
            other => Err(format!("`{other}` is not a role (organizer or auditor)")),
        }
    }
}

/// A token to store. An organizer token names its organization; an auditor token does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub secret_sha256: String,
    pub role: TokenRole,
    pub organization: Option<String>,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: TokenId,
    pub role: TokenRole,
    pub organization: Option<String>,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Stores a token (its hash only). An organizer without an organization, or an auditor
    /// with one, is refused before anything is written.
    pub async fn create_token(&self, token: &NewToken) -> Result<TokenId, StoreError> {
        match (token.role, &token.organization) {
            (TokenRole::Organizer, Some(org)) if !org.trim().is_empty() => {}
            (TokenRole::Auditor, None) => {}
            (role, _) => return Err(StoreError::TokenScope(role.as_str())),
        }
        match self {
            Store::Sqlite(s) => logic::tokens::insert_token(s, token).await,
            Store::Postgres(s) => logic::tokens::insert_token(s, token).await,
        }
        .map(TokenId::from)
    }

    /// Every token, revoked ones included, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        match self {
            Store::Sqlite(s) => logic::tokens::tokens(s).await,
            Store::Postgres(s) => logic::tokens::tokens(s).await,
        }
    }

    /// The token whose secret hashes to `secret_sha256`, unless it was revoked. Called on
    /// every API request.
    pub async fn active_token(&self, secret_sha256: &str) -> Result<Option<TokenRow>, StoreError> {
        match self {
            Store::Sqlite(s) => logic::tokens::active_token(s, secret_sha256).await,
            Store::Postgres(s) => logic::tokens::active_token(s, secret_sha256).await,
        }
    }

    /// Revokes a token (at once, for every later request). Revoking twice keeps the first
    /// time.
    pub async fn revoke_token(&self, id: TokenId) -> Result<TokenRow, StoreError> {
        match self {
            Store::Sqlite(s) => logic::tokens::revoke_token(s, id.get()).await,
            Store::Postgres(s) => logic::tokens::revoke_token(s, id.get()).await,
        }?
        .ok_or(StoreError::NoToken(id))
    }
}
