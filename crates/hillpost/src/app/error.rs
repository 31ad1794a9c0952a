//! What the use cases fail with, classified once for every surface: the API turns these
//! into status codes, the dashboard into pages, the CLI into messages.

use hillpost_store::StoreError;

use crate::planning::PlanError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The batch, delivery or campaign does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be acted on as given; the message says what to change.
    #[error("{message}")]
    Invalid { input: BadInput, message: String },
    /// The batch or delivery is in a state the action does not apply to.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be used right now; the source says why (for logs and the CLI,
    /// never for an API answer).
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[source] StoreError),
    /// Anything else the store reported: a fault of ours, not of the request.
    #[error(transparent)]
    Store(StoreError),
    #[error("{0}")]
    Internal(String),
}

/// Which part of a request was not acceptable, so each surface can name it its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadInput {
    /// A start time that does not parse, or is too far ahead.
    StartTime,
    /// The campaign cannot be planned as it stands (targets, templates, nothing to send).
    Plan,
    /// A decision's reason: missing or too long.
    Reason,
    /// A retry's selection is neither `failed` nor `unconfirmed`.
    RetrySelection,
    /// A signature file whose header cannot be read.
    CsvHeader,
    /// An erasure's address that is not an email address.
    Email,
}

impl AppError {
    pub(crate) fn invalid(input: BadInput, message: impl Into<String>) -> Self {
        AppError::Invalid {
            input,
            message: message.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NoCampaign(_)
            | StoreError::NoBatch(_)
            | StoreError::NoDelivery(_)
            | StoreError::NoSigner { .. } => AppError::NotFound(error.to_string()),
            StoreError::BatchTransition { .. }
            | StoreError::DeliveryAction { .. }
            | StoreError::CampaignExists(_)
            | StoreError::SignerBeingSent { .. }
            | StoreError::SignerErased { .. }
            | StoreError::PetitionsChanged { .. }
            | StoreError::ErasedWhilePlanned { .. } => AppError::Conflict(error.to_string()),
            StoreError::NotAnEmail => AppError::invalid(BadInput::Email, error.to_string()),
            error if error.is_unavailable() => AppError::DatabaseUnavailable(error),
            error => AppError::Store(error),
        }
    }
}

impl From<PlanError> for AppError {
    fn from(error: PlanError) -> Self {
        match error {
            PlanError::NoCampaign(_) => AppError::NotFound(error.to_string()),
            PlanError::Store(store) => store.into(),
            PlanError::Refused(_) => AppError::invalid(BadInput::Plan, error.to_string()),
            PlanError::Stopped(why) => AppError::Internal(why),
        }
    }
}
