//! Streams a signature CSV row by row, so a large export never has to fit in memory.
//! De-duplication within the file happens here (the first row with an address wins); the
//! store de-duplicates against signatures it already holds.

use std::collections::HashMap;
use std::io::Read;

use super::columns::{ColumnMap, HeaderError};
use super::row::{RowError, RowFields};
use crate::signer::NewSignature;

/// What became of one row, with the 1-based line on which the row starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvRow {
    Accepted {
        line: u64,
        signature: Box<NewSignature>,
    },
    /// Same email as the row on `first_line`: the first one is kept.
    Duplicate {
        line: u64,
        first_line: u64,
    },
    Rejected {
        line: u64,
        error: RowError,
    },
}

pub struct SignatureCsv<R> {
    reader: csv::Reader<R>,
    columns: ColumnMap,
    first_line_by_email: HashMap<String, u64>,
    record: csv::ByteRecord,
}

/// Any single field longer than this is refused rather than stored (a pasted letter in a
/// name column, a binary file read as CSV).
const MAX_FIELD_BYTES: usize = 4096;

impl<R: Read> SignatureCsv<R> {
    /// Reads the header row and maps its columns.
    pub fn new(input: R) -> Result<Self, HeaderError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let headers = reader
            .byte_headers()
            .map_err(|e| HeaderError::Malformed(e.to_string()))?
            .clone();
        if headers.is_empty() {
            return Err(HeaderError::Empty);
        }
        let text: Vec<String> = headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        let columns = ColumnMap::from_headers(text.iter().map(String::as_str))?;
        Ok(Self {
            reader,
            columns,
            first_line_by_email: HashMap::new(),
            record: csv::ByteRecord::new(),
        })
    }

    pub fn columns(&self) -> &ColumnMap {
        &self.columns
    }

    /// The underlying reader (positioned after the last row read).
    pub fn into_inner(self) -> R {
        self.reader.into_inner()
    }

    /// Bytes consumed so far, for a progress bar.
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// "field 2 (`last_name`)": the position, and the file's header when we read that column.
    fn describe_field(&self, index: usize) -> String {
        match self.columns.header_at(index) {
            Some(header) => format!("field {} (`{header}`)", index + 1),
            None => format!("field {}", index + 1),
        }
    }

    fn classify(&mut self, line: u64) -> CsvRow {
        if self.record.len() != self.columns.width() {
            let error = RowError::Malformed(format!(
                "expected {} fields, found {}",
                self.columns.width(),
                self.record.len()
            ));
            return CsvRow::Rejected { line, error };
        }
        let mut fields = Vec::with_capacity(self.record.len());
        for (index, raw) in self.record.iter().enumerate() {
            if raw.len() > MAX_FIELD_BYTES {
                let error = RowError::Malformed(format!(
                    "{} is longer than {MAX_FIELD_BYTES} bytes",
                    self.describe_field(index)
                ));
                return CsvRow::Rejected { line, error };
            }
            match std::str::from_utf8(raw) {
                Ok(text) => fields.push(text),
                Err(_) => {
                    let error = RowError::Malformed(format!(
                        "{} is not UTF-8 text (save the file as UTF-8 CSV)",
                        self.describe_field(index)
                    ));
                    return CsvRow::Rejected { line, error };
                }
            }
        }
        let row = RowFields {
            map: &self.columns,
            fields,
        };
        match row.to_signature() {
            Err(error) => CsvRow::Rejected { line, error },
            Ok(signature) => match self.first_line_by_email.get(&signature.email.dedup_key()) {
                Some(first_line) => CsvRow::Duplicate {
                    line,
                    first_line: *first_line,
                },
                None => {
                    self.first_line_by_email
                        .insert(signature.email.dedup_key(), line);
                    CsvRow::Accepted {
                        line,
                        signature: Box::new(signature),
                    }
                }
            },
        }
    }
}

impl<R: Read> Iterator for SignatureCsv<R> {
    type Item = CsvRow;

    fn next(&mut self) -> Option<CsvRow> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                Some(self.classify(line))
            }
            Err(error) => {
                let line = error.position().map(|p| p.line()).unwrap_or(0);
                let rejected = CsvRow::Rejected {
                    line,
                    error: RowError::Malformed(error.to_string()),
                };
                // An I/O error ends the file; a CSV error affects only its row.
                if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    self.record.clear();
                }
                Some(rejected)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Column, RowError};

    fn rows(csv: &str) -> Vec<CsvRow> {
        SignatureCsv::new(csv.as_bytes()).unwrap().collect()
    }

    #[test]
    fn accepts_normalises_and_deduplicates() {
        let result = rows(
            "first_name,last_name,email,zip_code,country,language,can_be_emailed\n\
             Ana,López,Ana@Example.org,15001,PE,es,yes\n\
             Bob,Smith,bob@example.com,2134,US,,no\n\
             Ana,Again,ana@example.ORG,,PE,,\n",
        );
        assert_eq!(result.len(), 3);
        let CsvRow::Accepted { line: 2, signature } = &result[0] else {
            panic!("{:?}", result[0])
        };
        assert_eq!(signature.email.as_str(), "Ana@example.org");
        assert_eq!(signature.language.as_ref().unwrap().as_str(), "es");
        assert!(signature.receipt_consent);
        let CsvRow::Accepted { line: 3, signature } = &result[1] else {
            panic!("{:?}", result[1])
        };
        assert_eq!(
            signature.address.postal_code.as_ref().unwrap().as_str(),
            "02134"
        );
        assert_eq!(
            result[2],
            CsvRow::Duplicate {
                line: 4,
                first_line: 2
            }
        );
    }

    #[test]
    fn rejects_rows_with_their_line_and_reason() {
        let result = rows(
            "name,email,country,zip\n\
             \"Eve\r\nBcc: x@example.org\",eve@example.org,US,20515\n\
             Mallory,not-an-address,US,20515\n\
             Trent,trent@example.org,US,ABCDE\n\
             Short row\n\
             Peggy,peggy@example.org,Atlantis,\n",
        );
        let reasons: Vec<(u64, String)> = result
            .iter()
            .map(|r| match r {
                CsvRow::Rejected { line, error } => (*line, error.to_string()),
                other => panic!("accepted {other:?}"),
            })
            .collect();
        assert_eq!(reasons[0].0, 2);
        assert_eq!(reasons[0].1, "name: contains a line break");
        assert_eq!(reasons[1].0, 4);
        assert!(
            reasons[1]
                .1
                .starts_with("email: is not a valid email address"),
            "{}",
            reasons[1].1
        );
        assert_eq!(
            reasons[2],
            (
                5,
                "zip: `ABCDE` is not a US ZIP code (expected 12345 or 12345-6789)".into()
            )
        );
        assert_eq!(
            reasons[3],
            (6, "malformed row: expected 4 fields, found 1".into())
        );
        assert!(
            reasons[4]
                .1
                .starts_with("country: `Atlantis` is not a country")
        );
    }

    #[test]
    fn organizations_sign_without_a_person_name() {
        let result = rows(
            "first_name,last_name,organization,email\n,,World BEYOND War,info@example.org\n,,,x@example.org\n",
        );
        let CsvRow::Accepted { signature, .. } = &result[0] else {
            panic!()
        };
        assert_eq!(signature.full_name(), "World BEYOND War");
        assert_eq!(
            result[1],
            CsvRow::Rejected {
                line: 3,
                error: RowError::NoName
            }
        );
    }

    #[test]
    fn non_utf8_and_oversized_fields_are_rejected() {
        let mut bytes = b"name,email\nJos\xe9,jose@example.org\n".to_vec();
        bytes.extend_from_slice(format!("{},big@example.org\n", "a".repeat(5000)).as_bytes());
        let result: Vec<CsvRow> = SignatureCsv::new(bytes.as_slice()).unwrap().collect();
        assert!(
            matches!(&result[0], CsvRow::Rejected { line: 2, error: RowError::Malformed(m) } if m.contains("UTF-8"))
        );
        assert!(
            matches!(&result[1], CsvRow::Rejected { line: 3, error: RowError::Malformed(m) } if m.contains("longer than"))
        );
    }

    #[test]
    fn a_foreign_state_is_not_checked_but_a_us_one_is() {
        let result =
            rows("name,email,country,state\nA,a@example.org,PE,Lima\nB,b@example.org,US,Lima\n");
        assert!(matches!(&result[0], CsvRow::Accepted { .. }));
        assert!(matches!(
            &result[1],
            CsvRow::Rejected {
                error: RowError::Field {
                    column: Column::State,
                    ..
                },
                ..
            }
        ));
    }
}
