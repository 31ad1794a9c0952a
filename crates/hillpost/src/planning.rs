//! Planning a batch for a stored campaign: load, resolve targets, render every letter.
//! Used by `batch create`, its dry run, `batch preview`, and the demo.

use hillpost_core::ids::DeliveryId;
use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use hillpost_core::batch::{
    BatchPlan, Endpoint, LeftOut, NoDistrictTable, Route, SentBefore, count_left_out,
    leave_out_sent, plan_batch_with_districts,
};
use hillpost_core::delivery::{Attachment, LetterCampaign, LetterEnvelope, OutgoingLetter};
use hillpost_core::eligibility::DistrictLookup;
use hillpost_core::render::LetterTemplates;
use hillpost_core::{Campaign, CampaignId};
use hillpost_directory::ResolveSettings;
use hillpost_store::{Store, StoreError};

use crate::{directory, petition, targets};

pub struct Planned {
    pub campaign: Campaign,
    pub plan: BatchPlan,
    /// The signers, for dry runs (the store has them for real batches).
    pub signatures: Vec<(hillpost_core::SignatureId, hillpost_core::NewSignature)>,
}

/// Why a batch could not be planned: the store failed (its error says how), the campaign
/// is missing, or the campaign cannot be planned as it stands (targets that do not resolve,
/// a template that does not render, nothing left to send) — the last a problem of the
/// input, with the whole chain of why.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("there is no campaign `{0}`")]
    NoCampaign(CampaignId),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0:#}")]
    Refused(anyhow::Error),
    /// Planning itself stopped (the process is shutting down, the planning task failed).
    #[error("{0}")]
    Stopped(String),
}

impl PlanError {
    /// An error from code that mixes store reads and checks (the stored directory): a
    /// store failure stays one, the rest is the input's.
    fn from_mixed(error: anyhow::Error) -> Self {
        match error.downcast::<StoreError>() {
            Ok(store) => PlanError::Store(store),
            Err(other) => PlanError::Refused(other),
        }
    }
}

/// How many batches are planned at once in this process. Planning renders every letter
/// (and a petition's document): CPU and memory in proportion to the signers. It runs on
/// the blocking pool, off the async runtime, so the API keeps answering meanwhile; beyond
/// this many, requests wait their turn instead of multiplying the memory.
const CONCURRENT_PLANS: usize = 2;
static PLANNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_PLANS);

/// Loads the campaign and its signers, resolves its targets through the stored directory
/// (when it has one) and plans every delivery; signers are placed in districts with the
/// stored ZIP table. Letters an earlier batch of the campaign delivered (or may have, or
/// still has on its way) are left out and listed in `plan.left_out`, unless
/// `include_delivered` says to send them again.
pub async fn plan(
    store: &Store,
    id: &CampaignId,
    settings: &ResolveSettings,
    sendable: &[hillpost_core::delivery::Channel],
    include_delivered: bool,
) -> Result<Planned, PlanError> {
    let _turn = PLANNING
        .acquire()
        .await
        .map_err(|_| PlanError::Stopped("planning has been shut down".into()))?;
    let stored = store
        .campaign(id)
        .await?
        .ok_or_else(|| PlanError::NoCampaign(id.clone()))?;
    let campaign = stored.campaign;
    let signatures = store.signatures(id).await?;
    let directory = directory::load(store)
        .await
        .map_err(PlanError::from_mixed)?;
    let sent = if include_delivered {
        None
    } else {
        Some(store.letters_sent_before(id).await?)
    };
    let loaded = Loaded {
        campaign,
        signatures,
        directory,
        sent,
    };
    let (settings, sendable) = (settings.clone(), sendable.to_vec());
    tokio::task::spawn_blocking(move || plan_loaded(loaded, &settings, &sendable))
        .await
        .map_err(|e| PlanError::Stopped(format!("planning the batch stopped: {e}")))?
        .map_err(PlanError::Refused)
}

/// What [`plan`] reads from the store before it plans.
struct Loaded {
    campaign: Campaign,
    signatures: Vec<(hillpost_core::SignatureId, hillpost_core::NewSignature)>,
    directory: Option<hillpost_directory::Directory>,
    /// Letters of earlier batches, unless they are to be sent again.
    sent: Option<Vec<SentBefore>>,
}

/// The CPU part of [`plan`]: everything after the store was read.
fn plan_loaded(
    loaded: Loaded,
    settings: &ResolveSettings,
    sendable: &[hillpost_core::delivery::Channel],
) -> anyhow::Result<Planned> {
    let Loaded {
        campaign,
        signatures,
        directory,
        sent,
    } = loaded;
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
    if let Some(sent) = sent {
        let planned = plan.deliveries.len();
        leave_out_sent(&mut plan, &sent);
        let sendable = plan
            .deliveries
            .iter()
            .filter(|d| matches!(d.route, Route::Send { .. }))
            .count();
        if sendable == 0 && !plan.left_out.is_empty() {
            anyhow::bail!(
                "nothing left to send for `{id}`: earlier batches delivered, or are still \
                 sending, every one of its {planned} letter(s) ({}); --include-delivered \
                 sends them again",
                left_out_summary(&plan.left_out)
            );
        }
    }
    petition::attach_pdf(&campaign, &signatures, &mut plan, date)
        .with_context(|| format!("the petition document for `{id}`"))?;
    Ok(Planned {
        campaign,
        plan,
        signatures,
    })
}

/// Every office a campaign addresses, with its endpoints on the channels this hillpost sends
/// as the stored directory has them now, and what was passed over: what `batch retry`
/// plans failed letters on. An office with no endpoint has an empty list.
pub async fn current_endpoints(
    store: &Store,
    campaign: &Campaign,
    settings: &ResolveSettings,
    sendable: &[hillpost_core::delivery::Channel],
) -> Result<BTreeMap<String, (Vec<Endpoint>, Vec<String>)>, PlanError> {
    let directory = directory::load(store)
        .await
        .map_err(PlanError::from_mixed)?;
    let resolved = targets::resolve_all(campaign, directory.as_ref(), settings)
        .map_err(|e| PlanError::Refused(e.into()))?;
    Ok(resolved
        .into_iter()
        .map(|r| {
            let recipient = targets::usable(r, sendable);
            (recipient.key, (recipient.endpoints, recipient.passed_over))
        })
        .collect())
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
    let attachments: Arc<[Attachment]> = plan
        .attachments
        .iter()
        .map(|a| Attachment {
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            content: a.content.clone(),
        })
        .collect();
    let label = Arc::new(LetterCampaign {
        id: campaign.id.clone(),
        organization: campaign.organization.clone(),
    });
    // Looked up per letter: a map, not a scan of every signer per letter.
    let signers: std::collections::HashMap<
        hillpost_core::SignatureId,
        &hillpost_core::NewSignature,
    > = signatures.iter().map(|(id, s)| (*id, s)).collect();
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
            let envelope = LetterEnvelope::of(
                campaign.mode,
                &campaign.sender_name,
                signer.as_deref(),
                &attachments,
            );
            Some(OutgoingLetter {
                delivery_id: DeliveryId::new(i64::try_from(index).unwrap_or(i64::MAX) + 1),
                attempt_no: hillpost_core::AttemptNo::new(1),
                idempotency_key: format!("dryrun{:026}", index + 1),
                channel: endpoint.channel,
                endpoint: endpoint.address.clone(),
                recipient_name: plan.recipients[delivery.recipient].name.clone(),
                sender_name: envelope.sender_name,
                reply_to: envelope.reply_to,
                language: message.letter.language.clone(),
                subject: message.letter.subject.clone(),
                body_markdown: message.letter.body_markdown.clone(),
                attachments: envelope.attachments,
                signer,
                campaign: Some(label.clone()),
            })
        })
}

/// What a plan left out, in one line: "3 already delivered by batch 1, 1 sent by batch 2,
/// unconfirmed: it may have arrived".
pub fn left_out_summary(left_out: &[LeftOut]) -> String {
    let mut by_reason: std::collections::BTreeMap<&str, u64> = Default::default();
    for letter in left_out {
        *by_reason.entry(letter.reason.as_str()).or_default() += 1;
    }
    by_reason
        .iter()
        .map(|(reason, n)| format!("{n} {reason}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a plan left out, per office and reason, as lines for the CLI.
pub fn left_out_lines(left_out: &[LeftOut]) -> Vec<String> {
    count_left_out(left_out)
        .into_iter()
        .map(|(office, reason, n)| format!("{n:>8}  {office}: {reason}"))
        .collect()
}
