//! `POST /api/v1/bounces`: a message that came back to the bounce address, raw (as
//! `hillpost bounces ingest` reads it on stdin), for mail systems that hand bounces on over
//! HTTP. Organizer tokens only, and a notice is recorded only against a delivery of the
//! token's organization: one naming another organization's letter is set aside with the
//! same words as one naming no letter at all, so a token learns nothing of others' keys.

use axum::Json;
use axum::extract::State;
use hillpost_core::ids::{DeliveryId, NoticeId};
use hillpost_store::NoticeOutcome;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::body::Body;
use super::error::{ApiError, ErrorBody};
use crate::bounces::{Incoming, ingest};

#[derive(Serialize, ToSchema)]
pub struct NoticeView {
    /// `recorded`, `set_aside` or `already_recorded`.
    pub outcome: &'static str,
    #[schema(value_type = i64)]
    pub notice_id: NoticeId,
    #[schema(value_type = Option<i64>)]
    pub delivery_id: Option<DeliveryId>,
    /// What it did to the delivery, in words (recorded).
    pub effect: Option<String>,
    /// Why it was kept aside (set_aside).
    pub reason: Option<String>,
}

impl From<NoticeOutcome> for NoticeView {
    fn from(outcome: NoticeOutcome) -> Self {
        let view = |outcome, notice_id| NoticeView {
            outcome,
            notice_id,
            delivery_id: None,
            effect: None,
            reason: None,
        };
        match outcome {
            NoticeOutcome::Recorded {
                notice_id,
                delivery_id,
                effect,
                ..
            } => NoticeView {
                delivery_id: Some(delivery_id),
                effect: Some(effect),
                ..view("recorded", notice_id)
            },
            NoticeOutcome::SetAside { notice_id, reason } => NoticeView {
                reason: Some(reason),
                ..view("set_aside", notice_id)
            },
            NoticeOutcome::AlreadyRecorded { notice_id } => view("already_recorded", notice_id),
        }
    }
}

/// Records a bounce, delay notice or auto-reply (the raw message as the body, e.g.
/// `Content-Type: message/rfc822`); anything else is kept aside with the reason.
#[utoipa::path(post, path = "/api/v1/bounces", tag = "bounces",
    request_body(content = String, content_type = "message/rfc822",
        description = "the message as received, headers and body"),
    responses((status = 200, body = NoticeView),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn ingest_one(
    State(state): State<AppState>,
    caller: Caller,
    Body(bytes): Body,
) -> Result<Json<NoticeView>, ApiError> {
    caller.must_be_organizer()?;
    let outcome = ingest(
        &state.store,
        &state.settings,
        &caller.actor(),
        Incoming {
            message: bytes.to_vec(),
            source: "api".into(),
            envelope_recipient: None,
            organization: caller.organization.clone(),
        },
    )
    .await?;
    Ok(Json(outcome.into()))
}
