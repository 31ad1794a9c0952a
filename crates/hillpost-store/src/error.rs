use hillpost_core::ids::{BatchId, DeliveryId, SignatureId, TokenId};
use thiserror::Error;

/// A result whose error is the store's.
pub(crate) type StoreResult<T> = Result<T, StoreError>;

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
    NoBatch(BatchId),
    #[error("batch {id} is {state}: it cannot be {action}")]
    BatchTransition {
        id: BatchId,
        state: String,
        action: &'static str,
    },
    #[error("there is no delivery {0}")]
    NoDelivery(DeliveryId),
    #[error("delivery {id} is {state}: it cannot be {action}")]
    DeliveryAction {
        id: DeliveryId,
        state: String,
        action: &'static str,
    },
    #[error("there is no API token {0}")]
    NoToken(TokenId),
    #[error("an {0} token needs an organization; an auditor token has none")]
    TokenScope(&'static str),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// No signature with that address (the address is not repeated: errors reach logs).
    #[error(
        "campaign `{campaign}` has no signer with that email address (or they were already erased)"
    )]
    NoSigner { campaign: String },
    #[error("delivery {delivery} is a letter of a signer who was erased: it is never sent again")]
    SignerErased { delivery: DeliveryId },
    #[error(
        "the petition batches carrying signature {signature_id} changed while it was being \
         erased (a batch was created); erase it again"
    )]
    PetitionsChanged { signature_id: SignatureId },
    #[error(
        "a signer was erased while this batch was being planned (signature {}): nothing was \
         stored; create the batch again",
        signature_id.map_or("id not known".to_string(), |id| id.to_string())
    )]
    ErasedWhilePlanned { signature_id: Option<SignatureId> },
    #[error("the signer's address is not an email address")]
    NotAnEmail,
    #[error(
        "signature {signature_id} has letters being sent right now (deliveries {deliveries:?}); \
         erase them once those attempts are recorded (a minute at most)"
    )]
    SignerBeingSent {
        signature_id: SignatureId,
        deliveries: Vec<i64>,
    },
}

impl StoreError {
    /// The database cannot be reached or used right now (its pool is closed or exhausted,
    /// the connection failed, the server is shutting down, the file cannot be opened):
    /// nothing is wrong with the request, and asking again later may work. Callers answer
    /// "unavailable" rather than blaming the input or showing the driver's words.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(error) = self else {
            return false;
        };
        match error {
            sqlx::Error::PoolClosed
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(database) => {
                database.code().is_some_and(|code| unavailable_code(&code))
            }
            _ => false,
        }
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}

/// Database error codes that mean "cannot use the database now", not "this statement is
/// wrong": PostgreSQL's connection exceptions (class 08), shutdowns and connection limits
/// (57P01–57P03, 53300), a database that does not exist (3D000); SQLite's "cannot open"
/// (14), "busy"/"locked" past the timeout (5, 6) and I/O errors (10), whose extended codes
/// carry the primary one in their low byte.
fn unavailable_code(code: &str) -> bool {
    // SQLSTATEs are five characters; SQLite's extended codes stay below 10 000.
    if code.len() == 5 {
        return code.starts_with("08")
            || matches!(code, "57P01" | "57P02" | "57P03" | "53300" | "3D000");
    }
    code.parse::<u32>()
        .is_ok_and(|sqlite| matches!(sqlite & 0xff, 5 | 6 | 10 | 14))
}

#[cfg(test)]
mod tests {
    use super::unavailable_code;

    #[test]
    fn connection_failures_are_unavailable_and_statement_errors_are_not() {
        for code in [
            "08006", "08001", "57P01", "53300", "3D000", "5", "14", "517", "266",
        ] {
            assert!(unavailable_code(code), "{code}");
        }
        // unique violation, undefined table, syntax error; SQLite constraint (19, 2067),
        // generic error (1)
        for code in ["23505", "42P01", "42601", "19", "2067", "1"] {
            assert!(!unavailable_code(code), "{code}");
        }
    }
}
