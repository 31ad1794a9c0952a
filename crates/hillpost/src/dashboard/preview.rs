//! The preview of a batch created now (a dry run: nothing stored, nothing sent): who gets a
//! letter, through which endpoint and why, which signers are skipped and why, one letter as
//! it will read, and the petition PDF exactly as `hillpost batch preview` writes it.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use hillpost_core::Mode;
use hillpost_core::batch::Route;
use hillpost_document::PDF_FILENAME;
use serde::Serialize;

use super::DashboardState;
use super::campaigns::{Refused, campaign_page};
use super::page::{PageError, page};
use super::session::SignedIn;
use super::words;
use crate::app::AppError;
use crate::server::auth::visible_campaign;
use crate::{directory, planning, targets};

/// Signer names listed under each skip reason; the rest are counted.
const NAMES_PER_REASON: usize = 20;

#[derive(Serialize)]
struct RecipientLine {
    name: String,
    key: String,
    because: Vec<String>,
    channel: &'static str,
    address: String,
    why_endpoint: String,
    /// How the letters fit the office's form (see `crate::form_fit`).
    form_fit: Vec<String>,
    letters: u64,
    skipped: u64,
}

#[derive(Serialize, Default)]
struct SkipGroup {
    reason: String,
    count: u64,
    signers: Vec<String>,
    more: u64,
}

#[derive(Serialize)]
struct ExampleLetter {
    language: String,
    subject: String,
    body: String,
}

#[derive(Serialize)]
struct PreviewPage {
    id: String,
    title: String,
    mode: &'static str,
    signature_count: u32,
    letters: u64,
    skipped: u64,
    recipients: Vec<RecipientLine>,
    skip_groups: Vec<SkipGroup>,
    example: Option<ExampleLetter>,
    has_pdf: bool,
}

pub async fn show(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let stored = visible_campaign(&state.app, &visitor.caller, &id).await?;
    let campaign_id = stored.campaign.id.clone();
    let resolve = state.app.settings.directory.resolve_settings();
    let planned = match state.app.app().preview_batch(&campaign_id, false).await {
        Ok(planned) => planned,
        Err(AppError::Invalid { message, .. }) => {
            let refused = Refused {
                error: format!("There is nothing to preview yet: {message}."),
                ..Refused::default()
            };
            return campaign_page(&state, &visitor, &id, Some(refused)).await;
        }
        Err(other) => return Err(other.into()),
    };
    // The same resolution `hillpost targets preview` prints: why each office is addressed
    // and why its endpoint was chosen.
    let loaded = directory::load(&state.app.store)
        .await
        .map_err(|e| PageError::Internal(format!("{e:#}")))?;
    let resolved = targets::resolve_all(&planned.campaign, loaded.as_ref(), &resolve)
        .map_err(|e| PageError::Invalid(e.to_string()))?;

    let plan = &planned.plan;
    let sendable = targets::sendable_channels(&state.app.settings);
    let letters: Vec<_> = planning::outgoing_letters(&planned).collect();
    let mut recipients: Vec<RecipientLine> = plan
        .recipients
        .iter()
        .map(|r| {
            let office = resolved.iter().find(|o| o.recipient.key == r.key);
            let chosen = office.and_then(|o| targets::chosen(o, &sendable));
            RecipientLine {
                name: r.name.clone(),
                key: r.key.clone(),
                because: office.map(|o| o.because.clone()).unwrap_or_default(),
                channel: chosen.map_or("none", |e| words::channel(e.channel)),
                address: chosen.map(|e| e.address.clone()).unwrap_or_default(),
                why_endpoint: office.map(|o| o.why_endpoint.clone()).unwrap_or_default(),
                form_fit: office
                    .map(|o| {
                        crate::form_fit::office_fit(
                            &state.app.settings,
                            loaded.as_ref(),
                            o,
                            &sendable,
                            Some(&letters),
                        )
                    })
                    .unwrap_or_default(),
                letters: 0,
                skipped: 0,
            }
        })
        .collect();
    let mut groups: BTreeMap<String, SkipGroup> = BTreeMap::new();
    for delivery in &plan.deliveries {
        let Some(line) = recipients.get_mut(delivery.recipient) else {
            continue;
        };
        match &delivery.route {
            Route::Send { .. } => line.letters += 1,
            Route::Skip(reason) => {
                line.skipped += 1;
                let group = groups.entry(reason.0.clone()).or_default();
                group.count += 1;
                let signer = delivery
                    .signature_id
                    .and_then(|id| planned.signatures.iter().find(|(sid, _)| *sid == id))
                    .map(|(_, s)| format!("{} (to {})", s.full_name(), line.name));
                match signer {
                    Some(name) if group.signers.len() < NAMES_PER_REASON => {
                        group.signers.push(name);
                    }
                    _ => group.more += 1,
                }
            }
        }
    }
    let view = PreviewPage {
        id: campaign_id.to_string(),
        title: planned.campaign.title.clone(),
        mode: words::mode(planned.campaign.mode),
        signature_count: plan.signature_count,
        letters: recipients.iter().map(|r| r.letters).sum(),
        skipped: recipients.iter().map(|r| r.skipped).sum(),
        recipients,
        skip_groups: groups
            .into_iter()
            .map(|(reason, group)| SkipGroup { reason, ..group })
            .collect(),
        example: plan.messages.first().map(|m| ExampleLetter {
            language: m.letter.language.to_string(),
            subject: m.letter.subject.clone(),
            body: m.letter.body_markdown.clone(),
        }),
        has_pdf: planned.campaign.mode == Mode::Petition,
    };
    Ok(page("preview.html", &visitor, &view)?.into_response())
}

/// The petition PDF a batch created now would attach (petition campaigns only).
pub async fn pdf(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let stored = visible_campaign(&state.app, &visitor.caller, &id).await?;
    if stored.campaign.mode != Mode::Petition {
        return Err(PageError::NotFound(
            "This campaign sends individual letters; they carry no petition document.".into(),
        ));
    }
    let planned = state
        .app
        .app()
        .preview_batch(&stored.campaign.id, false)
        .await
        .map_err(|e| match e {
            AppError::Invalid { message, .. } => {
                PageError::Invalid(format!("There is no petition document yet: {message}."))
            }
            other => other.into(),
        })?;
    let pdf = planned
        .plan
        .attachments
        .into_iter()
        .find(|a| a.filename == PDF_FILENAME)
        .ok_or_else(|| PageError::Internal("the petition plan has no PDF".into()))?;
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("inline; filename=\"{}-{PDF_FILENAME}\"", stored.campaign.id),
            ),
        ],
        pdf.content,
    )
        .into_response())
}
