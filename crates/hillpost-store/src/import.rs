//! Importing a signature file into a campaign, all or nothing.
//!
//! The file is streamed: rows are parsed, checked and inserted in chunks inside one
//! transaction, so memory stays flat for any file size and a file with a bad row leaves the
//! store exactly as it was (unless the caller asked to skip invalid rows). Every rejected row
//! is reported with its line number and reason.

use hillpost_core::ids::ImportId;
use std::io::Read;

use hillpost_core::CampaignId;
use hillpost_core::import::{CsvRow, HeaderError, SignatureCsv};
use sha2::{Digest, Sha256};

use crate::{ImportCounts, Store, StoreError};

/// Rows inserted per statement batch.
const CHUNK: usize = 1_000;

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Store the valid rows even when others are rejected.
    pub skip_invalid: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub counts: ImportCounts,
    /// Same email as an earlier row of this file.
    pub duplicates_in_file: u64,
    /// Same email as a signature the campaign already had.
    pub duplicates_stored: u64,
    pub rejections: Vec<Rejection>,
    /// Columns that matched no field and were read past.
    pub ignored_columns: Vec<String>,
    /// `None` when nothing was stored (rejected rows without `skip_invalid`).
    pub import_id: Option<ImportId>,
    pub source_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Header(#[from] HeaderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn import_signatures<R: Read>(
    store: &Store,
    campaign: &CampaignId,
    input: R,
    source_name: &str,
    options: ImportOptions,
    progress: impl FnMut(u64),
) -> Result<ImportReport, ImportError> {
    import_signatures_by(
        store,
        campaign,
        input,
        source_name,
        options,
        crate::UNATTRIBUTED,
        progress,
    )
    .await
}

/// [`import_signatures`], with the audit event of the commit naming `actor`.
pub async fn import_signatures_by<R: Read>(
    store: &Store,
    campaign: &CampaignId,
    input: R,
    source_name: &str,
    options: ImportOptions,
    actor: &str,
    mut progress: impl FnMut(u64),
) -> Result<ImportReport, ImportError> {
    let mut csv = SignatureCsv::new(HashingReader::new(input))?;
    let ignored_columns = csv.columns().ignored().to_vec();
    let mut session = store.begin_import(campaign).await?;
    let mut report = ImportReport {
        counts: ImportCounts::default(),
        duplicates_in_file: 0,
        duplicates_stored: 0,
        rejections: Vec::new(),
        ignored_columns,
        import_id: None,
        source_sha256: String::new(),
    };
    let mut chunk = Vec::with_capacity(CHUNK);
    while let Some(row) = csv.next() {
        report.counts.rows_read += 1;
        match row {
            CsvRow::Accepted { signature, .. } => chunk.push(*signature),
            CsvRow::Duplicate { .. } => report.duplicates_in_file += 1,
            CsvRow::Rejected { line, error } => report.rejections.push(Rejection {
                line,
                reason: error.to_string(),
            }),
        }
        if chunk.len() == CHUNK {
            insert(&mut session, &mut chunk, &mut report).await?;
            progress(csv.bytes_read());
        }
    }
    insert(&mut session, &mut chunk, &mut report).await?;
    progress(csv.bytes_read());
    report.counts.rejected = report.rejections.len() as u64;
    report.counts.duplicates = report.duplicates_in_file + report.duplicates_stored;
    report.source_sha256 = csv.into_inner_hash();
    if !report.rejections.is_empty() && !options.skip_invalid {
        session.rollback().await?;
        report.counts.accepted = 0;
        return Ok(report);
    }
    report.import_id = Some(
        session
            .commit_by(source_name, &report.source_sha256, &report.counts, actor)
            .await?,
    );
    Ok(report)
}

async fn insert(
    session: &mut crate::ImportSession,
    chunk: &mut Vec<hillpost_core::NewSignature>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let new = session.insert(chunk).await?;
    report.counts.accepted += new;
    report.duplicates_stored += chunk.len() as u64 - new;
    chunk.clear();
    Ok(())
}

/// Hashes what passes through, so the import record names the exact file it came from.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

trait IntoHash {
    fn into_inner_hash(self) -> String;
}

impl<R: Read> IntoHash for SignatureCsv<HashingReader<R>> {
    fn into_inner_hash(self) -> String {
        let mut reader = self.into_inner();
        // The CSV reader may stop before EOF (after the last record); hash the rest too.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
        hex::encode(reader.hasher.finalize())
    }
}
