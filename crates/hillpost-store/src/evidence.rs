//! An attempt's evidence: the pages and screenshots a channel kept (see
//! [`hillpost_core::delivery::Evidence`]), stored beside the attempt rows, keyed by
//! (delivery, attempt number). Pages are stored gzip-compressed; what is read back, hashed
//! and served is the content as captured.
//!
//! ```text
//!  worker's recorder ─▶ Store::store_evidence (same group, just before record_attempts)
//!  API / dashboard   ─▶ Store::evidence_of (the list) ─▶ Store::evidence_content (the bytes)
//!  audit export      ─▶ Store::batch_evidence (every SHA-256 of a batch)
//! ```

use hillpost_core::AttemptNo;
use hillpost_core::ids::{BatchId, DeliveryId};
use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use hillpost_core::delivery::{Evidence, EvidenceKind};

use crate::{Store, StoreError, logic};

/// One piece of evidence to store for an attempt.
#[derive(Debug, Clone, Copy)]
pub struct NewEvidence<'a> {
    pub delivery_id: DeliveryId,
    pub attempt_no: AttemptNo,
    pub evidence: &'a Evidence,
}

/// A stored piece of evidence, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRow {
    pub id: i64,
    pub delivery_id: DeliveryId,
    /// The delivery's batch: whose organization may see it.
    pub batch_id: BatchId,
    pub attempt_no: AttemptNo,
    pub kind: EvidenceKind,
    pub content_type: String,
    /// Bytes as served (uncompressed).
    pub size: u64,
    /// The page was longer than the cap and was cut.
    pub truncated: bool,
    /// SHA-256 (hex) of the content as served.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// The content was erased with its signer's personal data (`signers erase`); size and
    /// SHA-256 say what it was.
    pub erased: bool,
}

/// How a piece of evidence is kept: pages compressed, PNGs (already compressed) as they are.
pub(crate) struct Encoded {
    pub encoding: &'static str,
    pub bytes: Vec<u8>,
}

pub(crate) fn encode(evidence: &Evidence) -> Result<Encoded, StoreError> {
    if evidence.content_type.starts_with("image/") {
        return Ok(Encoded {
            encoding: "identity",
            bytes: evidence.content.clone(),
        });
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&evidence.content)
        .and_then(|()| gz.finish())
        .map(|bytes| Encoded {
            encoding: "gzip",
            bytes,
        })
        .map_err(|e| StoreError::Corrupt(format!("compressing evidence: {e}")))
}

/// The content as served, from what is stored; at most `limit` bytes come out of a gzip
/// stream (a corrupted row cannot exhaust memory).
pub(crate) fn decode(encoding: &str, bytes: Vec<u8>, limit: u64) -> Result<Vec<u8>, StoreError> {
    match encoding {
        "identity" => Ok(bytes),
        "gzip" => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(bytes.as_slice())
                .take(limit)
                .read_to_end(&mut out)
                .map_err(|e| StoreError::Corrupt(format!("reading compressed evidence: {e}")))?;
            Ok(out)
        }
        other => Err(StoreError::Corrupt(format!(
            "evidence stored with an unknown encoding `{other}`"
        ))),
    }
}

pub(crate) fn kind(text: &str) -> Result<EvidenceKind, StoreError> {
    EvidenceKind::parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown evidence kind `{text}`")))
}

/// Lists each attempt's evidence on its line of the audit export, by kind and SHA-256.
pub(crate) fn list_in_export(lines: &mut [crate::ExportLine], evidence: Vec<EvidenceRow>) {
    let mut by_attempt: std::collections::HashMap<(i64, u32), Vec<String>> =
        std::collections::HashMap::new();
    for row in evidence {
        by_attempt
            .entry((row.delivery_id.get(), row.attempt_no.get()))
            .or_default()
            .push(format!("{}:{}", row.kind.as_str(), row.sha256));
    }
    for line in lines {
        if let Some(attempt_no) = line.attempt_no
            && let Some(listed) = by_attempt.remove(&(line.delivery_id.get(), attempt_no.get()))
        {
            line.evidence_sha256 = Some(listed.join(" "));
        }
    }
}

impl Store {
    /// Stores the evidence of attempts about to be recorded. Called by the worker's
    /// recorder just before [`Store::record_attempts`] for the same group; storing the same
    /// (delivery, attempt, kind) again (a retried write) keeps the first.
    pub async fn store_evidence(&self, items: &[NewEvidence<'_>]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        match self {
            Store::Sqlite(s) => logic::evidence::store_evidence(s, items).await,
            Store::Postgres(s) => logic::evidence::store_evidence(s, items).await,
        }
    }

    /// The evidence of one delivery's attempts, without the content, in attempt order.
    pub async fn evidence_of(
        &self,
        delivery_id: DeliveryId,
    ) -> Result<Vec<EvidenceRow>, StoreError> {
        match self {
            Store::Sqlite(s) => logic::evidence::of_delivery(s, delivery_id).await,
            Store::Postgres(s) => logic::evidence::of_delivery(s, delivery_id).await,
        }
    }

    /// Every piece of evidence of a batch's deliveries (for the audit export).
    pub async fn batch_evidence(&self, batch_id: BatchId) -> Result<Vec<EvidenceRow>, StoreError> {
        match self {
            Store::Sqlite(s) => logic::evidence::of_batch(s, batch_id).await,
            Store::Postgres(s) => logic::evidence::of_batch(s, batch_id).await,
        }
    }

    /// One piece of evidence with its content as served.
    pub async fn evidence_content(
        &self,
        id: i64,
    ) -> Result<Option<(EvidenceRow, Vec<u8>)>, StoreError> {
        match self {
            Store::Sqlite(s) => logic::evidence::content(s, id).await,
            Store::Postgres(s) => logic::evidence::content(s, id).await,
        }
    }
}
