use thiserror::Error;

/// What can go wrong in the store. Database errors keep their source; the rest name the
/// record that is missing or the rule that was broken, for the CLI and API to show as is.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not bring the database schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (scheme `{0}`): expected sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("campaign `{0}` already exists (add --replace to update it)")]
    CampaignExists(String),
    #[error("there is no campaign `{0}`")]
    NoCampaign(String),
    #[error("there is no batch {0}")]
    NoBatch(i64),
    #[error("batch {id} is {state}: it cannot be {action}")]
    BatchTransition {
        id: i64,
        state: String,
        action: &'static str,
    },
    #[error("there is no delivery {0}")]
    NoDelivery(i64),
    #[error("delivery {id} is {state}: it cannot be {action}")]
    DeliveryAction {
        id: i64,
        state: String,
        action: &'static str,
    },
    #[error("there is no API token {0}")]
    NoToken(i64),
    #[error("an {0} token needs an organization; an auditor token has none")]
    TokenScope(&'static str),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}
