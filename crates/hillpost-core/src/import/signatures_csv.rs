//! Streams a signature CSV row by row, so a large export never has to fit in memory.
//! De-duplication within the file happens here (the first row with an address wins); the
//! store de-duplicates against signatures it already holds. Comma, semicolon and tab
//! separated files are read alike, UTF-16 ones too (see [`super::reading`]).

use std::collections::HashMap;
use std::io::{Chain, Cursor, Read};

use super::columns::{ColumnMap, HeaderError};
use super::reading::{RecordBudget, Transcoded, delimiter};
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

/// The bytes the CSV parser reads: the first line (read ahead for its separator), then
/// the rest, UTF-8 however the file was encoded, a row at most [`MAX_ROW_BYTES`] long.
type Parsed<R> = RecordBudget<Chain<Cursor<Vec<u8>>, Transcoded<R>>>;

pub struct SignatureCsv<R> {
    reader: csv::Reader<Parsed<R>>,
    columns: ColumnMap,
    first_line_by_email: HashMap<String, u64>,
    record: csv::ByteRecord,
    /// The file could not be read further (its reader failed, or a row outgrew
    /// [`MAX_ROW_BYTES`]): the rows read so far are all there is.
    ended: bool,
}

/// Any single field longer than this is refused rather than stored (a pasted letter in a
/// name column, a binary file read as CSV).
const MAX_FIELD_BYTES: usize = 4096;

/// The most bytes one row (the header included) may take: a bound on what one row holds in
/// memory when a quote is never closed (the rest of the file is then one row). Far beyond
/// any real row, and beyond a pasted document too: a 100 MB row is still read whole, so its
/// rejection names the column, and the rows after it are read.
const MAX_ROW_BYTES: u64 = 128 << 20;

/// The most bytes read ahead for the header's separator.
const SNIFF_BYTES: usize = 64 * 1024;

impl<R: Read> SignatureCsv<R> {
    /// Reads the header row and maps its columns.
    pub fn new(input: R) -> Result<Self, HeaderError> {
        Self::with_row_limit(input, MAX_ROW_BYTES)
    }

    fn with_row_limit(input: R, row_limit: u64) -> Result<Self, HeaderError> {
        let mut input = Transcoded::new(input);
        let start = first_line(&mut input).map_err(|e| HeaderError::Malformed(e.to_string()))?;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter(&start))
            .flexible(true)
            .has_headers(true)
            .from_reader(RecordBudget::new(
                Cursor::new(start).chain(input),
                row_limit,
            ));
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
            ended: false,
        })
    }

    pub fn columns(&self) -> &ColumnMap {
        &self.columns
    }

    /// The underlying reader (positioned after the last row read).
    pub fn into_inner(self) -> R {
        let (_, rest) = self.reader.into_inner().into_inner().into_inner();
        rest.into_inner()
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
        if self.ended {
            return None;
        }
        self.reader.get_mut().renew();
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map(|p| p.line()).unwrap_or(0);
                Some(self.classify(line))
            }
            Err(error) => {
                let line = error
                    .position()
                    .unwrap_or_else(|| self.reader.position())
                    .line();
                let rejected = CsvRow::Rejected {
                    line,
                    error: RowError::Malformed(error.to_string()),
                };
                // An I/O error ends the file; a CSV error affects only its row.
                if matches!(error.kind(), csv::ErrorKind::Io(_)) {
                    self.record.clear();
                    self.ended = true;
                }
                Some(rejected)
            }
        }
    }
}

/// The file's first bytes, up to and including its first line break (or [`SNIFF_BYTES`],
/// or its end): what the separator is read from.
fn first_line(input: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut start = Vec::new();
    let mut chunk = [0u8; 8192];
    let mut ended = false;
    while !ended && start.len() < SNIFF_BYTES {
        match input.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                ended = chunk[..n].contains(&b'\n');
                start.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(start)
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

    /// The emails of the accepted rows.
    fn accepted(rows: &[CsvRow]) -> Vec<&str> {
        rows.iter()
            .filter_map(|r| match r {
                CsvRow::Accepted { signature, .. } => Some(signature.email.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn spreadsheet_exports_are_read_whatever_their_separator_and_encoding() {
        let semicolons = rows(
            "email;name;zip\r\nana@example.org;Ana López;20515\r\n\"b@example.org\";\"Smith; Bob\";\r\n",
        );
        assert_eq!(accepted(&semicolons), ["ana@example.org", "b@example.org"]);
        let CsvRow::Accepted { signature, .. } = &semicolons[1] else {
            panic!("{:?}", semicolons[1])
        };
        assert_eq!(signature.full_name(), "Smith; Bob");
        // Excel's "Unicode Text": UTF-16 little-endian with its mark, tab separated.
        let text = "email\tfirst_name\tlast_name\r\nana@example.org\tAna\tLópez\r\n";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let result: Vec<CsvRow> = SignatureCsv::new(utf16.as_slice()).unwrap().collect();
        assert_eq!(accepted(&result), ["ana@example.org"]);
        let CsvRow::Accepted { signature, .. } = &result[0] else {
            panic!()
        };
        assert_eq!(signature.full_name(), "Ana López");
    }

    /// Counts the bytes taken from `inner`.
    struct Counted<R> {
        inner: R,
        taken: std::rc::Rc<std::cell::Cell<u64>>,
    }

    impl<R: Read> Read for Counted<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.taken.set(self.taken.get() + n as u64);
            Ok(n)
        }
    }

    #[test]
    fn an_unclosed_quote_ends_the_file_at_a_bounded_cost_keeping_the_rows_before_it() {
        let start = "email,name\nana@example.org,Ana\nbob@example.org,\"Bob";
        let taken = std::rc::Rc::new(std::cell::Cell::new(0));
        let input = Counted {
            inner: start
                .as_bytes()
                .chain(std::io::repeat(b'x').take(256 << 20)),
            taken: taken.clone(),
        };
        let limit = 1 << 20;
        let result: Vec<CsvRow> = SignatureCsv::with_row_limit(input, limit)
            .unwrap()
            .collect();
        assert_eq!(accepted(&result), ["ana@example.org"]);
        assert_eq!(result.len(), 2, "{result:?}");
        let CsvRow::Rejected {
            line: 3,
            error: RowError::Malformed(reason),
        } = &result[1]
        else {
            panic!("{:?}", result[1])
        };
        assert!(reason.contains("row longer than"), "{reason}");
        assert!(
            taken.get() < 2 * MAX_ROW_BYTES,
            "read {} bytes",
            taken.get()
        );
        // A header that never ends is refused the same way.
        let endless = std::io::repeat(b'a').take(256 << 20);
        let Err(HeaderError::Malformed(reason)) = SignatureCsv::new(endless) else {
            panic!("an endless header was accepted")
        };
        assert!(reason.contains("row longer than"), "{reason}");
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
