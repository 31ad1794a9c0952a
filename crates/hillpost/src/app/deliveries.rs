//! A person's decision about one letter: confirm that an `unconfirmed` letter arrived, or
//! send it again.

use hillpost_core::delivery::OperatorAction;
use hillpost_core::ids::DeliveryId;
use hillpost_store::{DeliveryAction, DeliveryRow};

use super::{App, AppError, BadInput};

/// The most a reason may hold: it goes into the record and the audit chain.
const MAX_REASON_BYTES: usize = 1000;

/// A reason, trimmed, present and bounded: every decision says why.
pub(super) fn reason(raw: &str) -> Result<&str, AppError> {
    let reason = raw.trim();
    if reason.is_empty() || reason.len() > MAX_REASON_BYTES {
        return Err(AppError::invalid(
            BadInput::Reason,
            format!("`reason` must say why, in 1 to {MAX_REASON_BYTES} bytes"),
        ));
    }
    Ok(reason)
}

impl App<'_> {
    /// Confirms or resends delivery `id` on `actor`'s word; a conflict unless it is
    /// `unconfirmed`.
    #[tracing::instrument(name = "delivery.decide", skip_all, fields(delivery = id.get(), action = action.verb(), actor = %actor))]
    pub async fn decide_delivery(
        &self,
        id: DeliveryId,
        action: OperatorAction,
        why: &str,
        actor: &str,
    ) -> Result<DeliveryRow, AppError> {
        let row = self
            .store
            .act_on_delivery(
                id,
                &DeliveryAction {
                    action,
                    actor,
                    reason: reason(why)?,
                    budget: self.settings.retry_schedule().max_attempts(),
                },
            )
            .await?;
        tracing::info!(delivery = id.get(), actor, "letter {}", action.verb());
        Ok(row)
    }
}
