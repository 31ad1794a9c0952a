//! Stage 1: a claimed delivery and its stored parts become the letter a channel sends.

use hillpost_core::ids::BatchId;
use std::collections::HashMap;
use std::sync::Arc;

use hillpost_core::audit::SigningKey;
use hillpost_core::delivery::{Attachment, LetterCampaign, LetterEnvelope, OutgoingLetter};
use hillpost_core::receipt::{
    receipt_url, sign_receipt, token_from_bytes, token_sha256, with_link,
};
use hillpost_core::{Campaign, Language};
use hillpost_store::{ClaimedDelivery, DeliveryKind, LetterParts, Store, StoreError};
use tokio::sync::Mutex;

/// What every letter of a batch shares, loaded once per batch.
#[derive(Clone)]
pub struct BatchContext {
    pub campaign: Arc<Campaign>,
    pub attachments: Arc<[Attachment]>,
    /// Where receipt links point (the batch's `receipt_base_url`).
    pub receipt_base_url: Option<String>,
    /// The campaign as letters carry it (CWC labels messages with it).
    pub label: Arc<LetterCampaign>,
}

/// Batch contexts by batch id. Batches are few and small next to their deliveries; the
/// cache is cleared when it grows past a bound rather than tracking recency.
#[derive(Default)]
pub struct BatchCache {
    entries: Mutex<HashMap<BatchId, BatchContext>>,
}

const MAX_CACHED_BATCHES: usize = 64;

impl BatchCache {
    pub async fn get(&self, store: &Store, batch_id: BatchId) -> Result<BatchContext, StoreError> {
        if let Some(found) = self.entries.lock().await.get(&batch_id) {
            return Ok(found.clone());
        }
        let batch = store
            .batch(batch_id)
            .await?
            .ok_or(StoreError::NoBatch(batch_id))?;
        let campaign = store.batch_campaign(batch_id).await?;
        let label = Arc::new(LetterCampaign {
            id: campaign.id.clone(),
            organization: campaign.organization.clone(),
        });
        let context = BatchContext {
            campaign: Arc::new(campaign),
            attachments: store.attachments(batch_id).await?.into(),
            receipt_base_url: batch.receipt_base_url,
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

/// Builds the letter for one claimed delivery. A receipt's body must already carry its
/// link ([`receipt_with_link`]).
pub fn outgoing_letter(
    delivery: &ClaimedDelivery,
    parts: LetterParts,
    batch: &BatchContext,
) -> Result<OutgoingLetter, StoreError> {
    let language =
        Language::parse(&parts.language).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let signer = parts.signer.map(Arc::new);
    if parts.kind == DeliveryKind::Receipt {
        // To the signer, under the organization's name; the stored endpoint is only
        // `signer`, so their address stays out of deliveries, attempts and the audit trail.
        let signer = signer
            .ok_or_else(|| StoreError::Corrupt(format!("receipt {} has no signer", delivery.id)))?;
        return Ok(OutgoingLetter {
            delivery_id: delivery.id,
            attempt_no: delivery.attempt_no,
            idempotency_key: parts.idempotency_key,
            channel: delivery.channel,
            endpoint: signer.email.to_string(),
            recipient_name: signer.full_name(),
            sender_name: batch.campaign.sender_name.clone(),
            reply_to: None,
            language,
            subject: parts.subject,
            body_markdown: parts.body_markdown,
            attachments: Arc::from(receipt_attachment(parts.receipt_statement)),
            signer: Some(signer),
            campaign: Some(batch.label.clone()),
        });
    }
    let envelope = LetterEnvelope::of(
        batch.campaign.mode,
        &batch.campaign.sender_name,
        signer.as_deref(),
        &batch.attachments,
    );
    Ok(OutgoingLetter {
        delivery_id: delivery.id,
        attempt_no: delivery.attempt_no,
        idempotency_key: parts.idempotency_key,
        channel: delivery.channel,
        endpoint: delivery.endpoint.clone(),
        recipient_name: parts.recipient_name,
        sender_name: envelope.sender_name,
        reply_to: envelope.reply_to,
        language,
        subject: parts.subject,
        body_markdown: parts.body_markdown,
        attachments: envelope.attachments,
        signer,
        campaign: Some(batch.label.clone()),
    })
}

/// Puts a fresh receipt page link into a receipt's body, storing only the token's SHA-256.
/// Called once per attempt, just before it is sent: the token never rests anywhere in
/// clear, and every link that may have reached the signer keeps working. Letters pass
/// through unchanged.
pub async fn receipt_with_link(
    store: &Store,
    mut parts: LetterParts,
    batch: &BatchContext,
) -> Result<LetterParts, StoreError> {
    if parts.kind != DeliveryKind::Receipt {
        return Ok(parts);
    }
    let base = batch.receipt_base_url.as_deref().ok_or_else(|| {
        StoreError::Corrupt(format!(
            "receipt {} belongs to a batch without a receipt link base",
            parts.delivery_id
        ))
    })?;
    let token = token_from_bytes(rand::random());
    store
        .add_receipt_link(parts.delivery_id, &token_sha256(&token))
        .await?;
    parts.body_markdown = with_link(&parts.body_markdown, &receipt_url(base, &token));
    Ok(parts)
}

/// A receipt with its signed statement put in, when the worker has a signing key: signed
/// now the first time, the kept one on later attempts (so the email and the page agree).
pub async fn signed_receipt(
    store: &Store,
    mut parts: LetterParts,
    key: Option<&SigningKey>,
) -> Result<LetterParts, StoreError> {
    let Some(key) = key.filter(|_| parts.kind == DeliveryKind::Receipt) else {
        return Ok(parts);
    };
    let Some(statement) = store.receipt_statement(parts.delivery_id).await? else {
        return Ok(parts);
    };
    let signed = sign_receipt(&statement, chrono::Utc::now(), key);
    parts.receipt_statement = store
        .keep_receipt_statement(parts.delivery_id, &signed)
        .await?;
    Ok(parts)
}

/// The name the signed statement has as an attachment and as a download.
pub const RECEIPT_FILENAME: &str = "receipt.json";

fn receipt_attachment(statement: Option<String>) -> Vec<Attachment> {
    statement
        .map(|text| Attachment {
            filename: RECEIPT_FILENAME.into(),
            content_type: "application/json".into(),
            content: text.into_bytes(),
        })
        .into_iter()
        .collect()
}
