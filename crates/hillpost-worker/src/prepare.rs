//! Stage 1: a claimed delivery and its stored parts become the letter a channel sends.

use std::collections::HashMap;
use std::sync::Arc;

use hillpost_core::delivery::{Attachment, LetterCampaign, OutgoingLetter};
use hillpost_core::{Campaign, Language, Mode};
use hillpost_store::{ClaimedDelivery, LetterParts, Store, StoreError};
use tokio::sync::Mutex;

/// What every letter of a batch shares, loaded once per batch.
#[derive(Clone)]
pub struct BatchContext {
    pub campaign: Arc<Campaign>,
    pub attachments: Arc<[Attachment]>,
    /// The campaign as letters carry it (CWC labels messages with it).
    pub label: Arc<LetterCampaign>,
}

/// Batch contexts by batch id. Batches are few and small next to their deliveries; the
/// cache is cleared when it grows past a bound rather than tracking recency.
#[derive(Default)]
pub struct BatchCache {
    entries: Mutex<HashMap<i64, BatchContext>>,
}

const MAX_CACHED_BATCHES: usize = 64;

impl BatchCache {
    pub async fn get(&self, store: &Store, batch_id: i64) -> Result<BatchContext, StoreError> {
        if let Some(found) = self.entries.lock().await.get(&batch_id) {
            return Ok(found.clone());
        }
        let campaign = store.batch_campaign(batch_id).await?;
        let label = Arc::new(LetterCampaign {
            id: campaign.id.clone(),
            organization: campaign.organization.clone(),
        });
        let context = BatchContext {
            campaign: Arc::new(campaign),
            attachments: store.attachments(batch_id).await?.into(),
            label,
        };
        let mut entries = self.entries.lock().await;
        if entries.len() >= MAX_CACHED_BATCHES {
            entries.clear();
        }
        entries.insert(batch_id, context.clone());
        Ok(context)
    }
}

/// Builds the letter for one claimed delivery.
pub fn outgoing_letter(
    delivery: &ClaimedDelivery,
    parts: LetterParts,
    batch: &BatchContext,
) -> Result<OutgoingLetter, StoreError> {
    let language =
        Language::parse(&parts.language).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let signer = parts.signer.map(Arc::new);
    // A petition goes out under the organization's name; an individual letter under the
    // signer's, with replies going to the signer.
    let (sender_name, reply_to) = match (batch.campaign.mode, &signer) {
        (Mode::Individual, Some(s)) => (s.full_name(), Some(s.email.clone())),
        _ => (batch.campaign.sender_name.clone(), None),
    };
    let attachments = match batch.campaign.mode {
        Mode::Petition => batch.attachments.clone(),
        Mode::Individual => Arc::from(Vec::new()),
    };
    Ok(OutgoingLetter {
        delivery_id: delivery.id,
        attempt_no: delivery.attempt_no,
        idempotency_key: parts.idempotency_key,
        channel: delivery.channel,
        endpoint: delivery.endpoint.clone(),
        recipient_name: parts.recipient_name,
        sender_name,
        reply_to,
        language,
        subject: parts.subject,
        body_markdown: parts.body_markdown,
        attachments,
        signer,
        campaign: Some(batch.label.clone()),
    })
}
