//! Planning a batch for a stored campaign: load, resolve targets, render every letter.
//! Used by `batch create`, its dry run, `batch preview`, and the demo.

use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use hillpost_core::batch::{BatchPlan, NoDistrictTable, Route, plan_batch_with_districts};
use hillpost_core::delivery::{Attachment, LetterCampaign, OutgoingLetter};
use hillpost_core::eligibility::DistrictLookup;
use hillpost_core::render::LetterTemplates;
use hillpost_core::{Campaign, CampaignId, Mode};
use hillpost_directory::ResolveSettings;
use hillpost_store::Store;

use crate::{directory, petition, targets};

pub struct Planned {
    pub campaign: Campaign,
    pub plan: BatchPlan,
    /// The signers, for dry runs (the store has them for real batches).
    pub signatures: Vec<(i64, hillpost_core::NewSignature)>,
}

/// How many batches are planned at once in this process. Planning renders every letter
/// (and a petition's document): CPU and memory in proportion to the signers. It runs on
/// the blocking pool, off the async runtime, so the API keeps answering meanwhile; beyond
/// this many, requests wait their turn instead of multiplying the memory.
const CONCURRENT_PLANS: usize = 2;
static PLANNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_PLANS);

/// Loads the campaign and its signers, resolves its targets through the stored directory
/// (when it has one) and plans every delivery; signers are placed in districts with the
/// stored ZIP table.
pub async fn plan(
    store: &Store,
    id: &CampaignId,
    settings: &ResolveSettings,
    sendable: &[hillpost_core::delivery::Channel],
) -> anyhow::Result<Planned> {
    let _turn = PLANNING
        .acquire()
        .await
        .context("planning has been shut down")?;
    let stored = store
        .campaign(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("there is no campaign `{id}`"))?;
    let campaign = stored.campaign;
    let signatures = store.signatures(id).await?;
    let directory = directory::load(store).await?;
    let (settings, sendable) = (settings.clone(), sendable.to_vec());
    tokio::task::spawn_blocking(move || {
        plan_loaded(campaign, signatures, directory, &settings, &sendable)
    })
    .await
    .context("planning the batch stopped")?
}

/// The CPU part of [`plan`]: everything after the store was read.
fn plan_loaded(
    campaign: Campaign,
    signatures: Vec<(i64, hillpost_core::NewSignature)>,
    directory: Option<hillpost_directory::Directory>,
    settings: &ResolveSettings,
    sendable: &[hillpost_core::delivery::Channel],
) -> anyhow::Result<Planned> {
    let id = &campaign.id;
    let resolved = targets::resolve_all(&campaign, directory.as_ref(), settings)?;
    let recipients = targets::sendable(resolved, sendable)?;
    let templates = LetterTemplates::compile(&campaign)?;
    let districts: &dyn DistrictLookup = match &directory {
        Some(directory) => &directory.zip_districts,
        None => &NoDistrictTable,
    };
    let date = Utc::now().date_naive();
    let mut plan = plan_batch_with_districts(
        &campaign,
        &templates,
        &signatures,
        &recipients,
        date,
        districts,
    )
    .with_context(|| format!("no batch for `{id}`"))?;
    petition::attach_pdf(&campaign, &signatures, &mut plan, date)
        .with_context(|| format!("the petition document for `{id}`"))?;
    Ok(Planned {
        campaign,
        plan,
        signatures,
    })
}

/// The letters a batch would send, made one at a time as they are taken (dry runs write
/// each to the outbox before the next is made), so a batch of 193,000 letters never holds
/// a second copy of every letter.
pub fn outgoing_letters(planned: &Planned) -> impl Iterator<Item = OutgoingLetter> + '_ {
    let Planned {
        campaign,
        plan,
        signatures,
    } = planned;
    let attachments: Arc<[Attachment]> = match campaign.mode {
        Mode::Petition => plan
            .attachments
            .iter()
            .map(|a| Attachment {
                filename: a.filename.clone(),
                content_type: a.content_type.clone(),
                content: a.content.clone(),
            })
            .collect(),
        Mode::Individual => Arc::from(Vec::new()),
    };
    let label = Arc::new(LetterCampaign {
        id: campaign.id.clone(),
        organization: campaign.organization.clone(),
    });
    // Looked up per letter: a map, not a scan of every signer per letter.
    let signers: std::collections::HashMap<i64, &hillpost_core::NewSignature> =
        signatures.iter().map(|(id, s)| (*id, s)).collect();
    plan.deliveries
        .iter()
        .enumerate()
        .filter_map(move |(index, delivery)| {
            let Route::Send { message, endpoint } = &delivery.route else {
                return None;
            };
            let message = &plan.messages[*message];
            let signer = delivery
                .signature_id
                .and_then(|id| signers.get(&id))
                .map(|s| Arc::new((*s).clone()));
            let (sender_name, reply_to) = match &signer {
                Some(s) => (s.full_name(), Some(s.email.clone())),
                None => (campaign.sender_name.clone(), None),
            };
            Some(OutgoingLetter {
                delivery_id: i64::try_from(index).unwrap_or(i64::MAX) + 1,
                attempt_no: 1,
                idempotency_key: format!("dryrun{:026}", index + 1),
                channel: endpoint.channel,
                endpoint: endpoint.address.clone(),
                recipient_name: plan.recipients[delivery.recipient].name.clone(),
                sender_name,
                reply_to,
                language: message.letter.language.clone(),
                subject: message.letter.subject.clone(),
                body_markdown: message.letter.body_markdown.clone(),
                attachments: attachments.clone(),
                signer,
                campaign: Some(label.clone()),
            })
        })
}
