//! The lines of an audit export, written as JSON Lines or CSV. One writer for
//! `hillpost audit export` and `GET /api/v1/batches/{id}/audit`, so both give the same bytes.

use std::io::Write;

use hillpost_store::ExportLine;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One JSON object per line.
    #[default]
    Jsonl,
    /// A header row, then one row per line.
    Csv,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "application/jsonl",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing the export as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("writing the export as CSV: {0}")]
    Csv(#[from] csv::Error),
}

pub fn write_lines(
    mut out: impl Write,
    lines: &[ExportLine],
    format: ExportFormat,
) -> Result<(), ExportError> {
    match format {
        ExportFormat::Jsonl => {
            for line in lines {
                serde_json::to_writer(&mut out, line)?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
        }
        ExportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            for line in lines {
                csv.serialize(line)?;
            }
            if lines.is_empty() {
                // serde writes the header with the first row; an empty batch still gets one.
                csv.write_record(HEADER)?;
            }
            csv.flush()?;
        }
    }
    Ok(())
}

const HEADER: &[&str] = &[
    "record",
    "batch_id",
    "delivery_id",
    "recipient_key",
    "recipient_name",
    "channel",
    "endpoint",
    "signer_id",
    "signature_count",
    "delivery_state",
    "skip_reason",
    "attempt_no",
    "started_at",
    "finished_at",
    "outcome",
    "remote_code",
    "remote_text",
    "sent_sha256",
    "note",
    "event_kind",
    "event_at",
    "event_actor",
    "event",
];
