//! A delivery's page: its attempts and what each form attempt saw — the page the office
//! answered with (or the page a step failed on) and, on the browser path, screenshots —
//! which is what lets an operator decide an attempt nothing else could judge. The batch
//! page links the deliveries that kept any. Evidence is served as a download that never
//! runs in the dashboard's origin (see `server/evidence.rs`).

use axum::extract::{Path, State};
use axum::response::{Html, Response};
use hillpost_core::ids::{BatchId, DeliveryId};
use serde::Serialize;

use super::DashboardState;
use super::page::{PageError, page};
use super::session::SignedIn;
use super::words;
use crate::server::auth::visible_batch;

#[derive(Serialize)]
struct AttemptLine {
    attempt_no: u32,
    started: String,
    outcome: &'static str,
    endpoint: String,
    remote_code: Option<i32>,
    note: Option<String>,
}

#[derive(Serialize)]
pub(super) struct EvidenceLine {
    pub id: i64,
    pub delivery_id: DeliveryId,
    pub attempt_no: u32,
    pub kind: &'static str,
    pub is_image: bool,
    pub size: u64,
    pub truncated: bool,
    pub sha256: String,
    pub url: String,
}

impl EvidenceLine {
    pub(super) fn of(row: hillpost_store::EvidenceRow) -> Self {
        Self {
            url: format!("/dashboard/batches/{}/evidence/{}", row.batch_id, row.id),
            id: row.id,
            delivery_id: row.delivery_id,
            attempt_no: row.attempt_no.get(),
            kind: words::evidence_kind(row.kind),
            is_image: row.content_type.starts_with("image/"),
            size: row.size,
            truncated: row.truncated,
            sha256: row.sha256,
        }
    }
}

#[derive(Serialize)]
struct DeliveryPage {
    batch_id: BatchId,
    id: DeliveryId,
    recipient_name: String,
    channel: &'static str,
    endpoint: String,
    state: &'static str,
    last_error: Option<String>,
    possibly_accepted: bool,
    attempts: Vec<AttemptLine>,
    evidence: Vec<EvidenceLine>,
}

fn number<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, PageError> {
    raw.parse()
        .map_err(|_| PageError::NotFound(format!("There is no {what} `{raw}`.")))
}

pub async fn show(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path((batch, delivery)): Path<(String, String)>,
) -> Result<Html<String>, PageError> {
    let batch: BatchId = number(&batch, "batch")?;
    let id: DeliveryId = number(&delivery, "delivery")?;
    visible_batch(&state.app, &visitor.caller, batch).await?;
    let store = &state.app.store;
    let row = store
        .deliveries(batch)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| PageError::NotFound(format!("There is no delivery `{id}`.")))?;
    let attempts = store
        .attempts(id)
        .await?
        .into_iter()
        .map(|a| AttemptLine {
            attempt_no: a.attempt_no.get(),
            started: words::time(a.started_at),
            outcome: words::attempt_outcome(a.outcome),
            endpoint: a.endpoint,
            remote_code: a.remote_code,
            note: a.note,
        })
        .collect();
    let evidence = store
        .evidence_of(id)
        .await?
        .into_iter()
        .map(EvidenceLine::of)
        .collect();
    let view = DeliveryPage {
        batch_id: batch,
        id,
        recipient_name: row.recipient_name,
        channel: row.channel.as_str(),
        endpoint: row.endpoint,
        state: words::delivery_state(row.state),
        last_error: row.last_error,
        possibly_accepted: row.possibly_accepted,
        attempts,
        evidence,
    };
    page("delivery.html", &visitor, &view)
}

/// One piece of evidence, for the organizers of its campaign and auditors.
pub async fn evidence(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Path((batch, evidence)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let batch: BatchId = number(&batch, "batch")?;
    let id: i64 = number(&evidence, "evidence")?;
    visible_batch(&state.app, &visitor.caller, batch).await?;
    let (row, bytes) = state
        .app
        .store
        .evidence_content(id)
        .await?
        .filter(|(row, _)| row.batch_id == batch)
        .ok_or_else(|| PageError::NotFound(format!("There is no evidence `{id}`.")))?;
    Ok(crate::server::evidence::served(&row, bytes))
}
