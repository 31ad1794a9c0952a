//! Turning a [`BatchPlan`] into delivery rows, the same way for both backends.

use hillpost_core::ids::{MessageId, RecipientId, SignatureId};
use std::collections::HashMap;

use hillpost_core::batch::{BatchPlan, PlannedDelivery, Route};
use hillpost_core::delivery::Channel;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// One delivery row as inserted (without batch id and timestamps).
pub(crate) struct DeliveryInsert {
    /// Fresh for each row: what the office's side deduplicates on.
    pub idempotency_key: String,
    pub recipient_id: RecipientId,
    pub signature_id: Option<SignatureId>,
    pub message_id: Option<MessageId>,
    pub channel: Channel,
    pub endpoint: String,
    pub rate_key: String,
    pub skip_reason: Option<String>,
}

impl DeliveryInsert {
    /// A delivery the plan skips is final from the start.
    pub(crate) fn is_skipped(&self) -> bool {
        self.skip_reason.is_some()
    }

    /// Its state as inserted: `skipped`, or `queued` to be sent.
    pub(crate) fn state(&self) -> &'static str {
        if self.is_skipped() {
            "skipped"
        } else {
            "queued"
        }
    }
}

pub(crate) fn delivery_rows(
    plan: &BatchPlan,
    chunk: &[PlannedDelivery],
    recipient_ids: &HashMap<String, i64>,
    message_ids: &HashMap<String, i64>,
) -> Result<Vec<DeliveryInsert>, StoreError> {
    chunk
        .iter()
        .map(|d| {
            let recipient = plan
                .recipients
                .get(d.recipient)
                .ok_or_else(|| StoreError::corrupt("plan names a missing recipient"))?;
            let recipient_id = *recipient_ids.get(&recipient.key).ok_or_else(|| {
                StoreError::corrupt(format!("recipient {} was not stored", recipient.key))
            })?;
            Ok(match &d.route {
                Route::Send { message, endpoint } => {
                    let sha = &plan
                        .messages
                        .get(*message)
                        .ok_or_else(|| StoreError::corrupt("plan names a missing message"))?
                        .sha256;
                    DeliveryInsert {
                        idempotency_key: crate::new_idempotency_key(),
                        recipient_id: recipient_id.into(),
                        signature_id: d.signature_id,
                        message_id: Some(
                            (*message_ids
                                .get(sha)
                                .ok_or_else(|| StoreError::corrupt("message was not stored"))?)
                            .into(),
                        ),
                        channel: endpoint.channel,
                        endpoint: endpoint.address.clone(),
                        rate_key: endpoint.rate_key.clone(),
                        skip_reason: None,
                    }
                }
                Route::Skip(reason) => DeliveryInsert {
                    idempotency_key: crate::new_idempotency_key(),
                    recipient_id: recipient_id.into(),
                    signature_id: d.signature_id,
                    message_id: None,
                    channel: Channel::None,
                    endpoint: String::new(),
                    rate_key: String::new(),
                    skip_reason: Some(reason.0.clone()),
                },
            })
        })
        .collect()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
