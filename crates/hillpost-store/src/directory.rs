//! The stored recipient directory: the files of the last import and the ZIP → district
//! table. The store keeps bytes and rows only; hillpost-directory parses them, so the two
//! crates stay independent and every record keeps the file and revision it came from.

use chrono::{DateTime, Utc};

/// One imported file, kept whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryFile {
    /// What the file is (`legislators`, `member_form`, …; see the migration's CHECK).
    pub role: String,
    /// Relative to the folder given on import.
    pub name: String,
    /// SHA-256 (hex) of `content` as read: the revision its records carry.
    pub sha256: String,
    pub content: Vec<u8>,
}

/// One ZIP area in one district (a ZIP spanning districts has several rows).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ZipDistrictRow {
    pub zip: String,
    pub state: String,
    /// 0 = at large.
    pub district: u8,
}

/// The ZIP table of an import: the file it came from (name and SHA-256; the rows stand for
/// its content) and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipTable {
    pub name: String,
    pub sha256: String,
    pub rows: Vec<ZipDistrictRow>,
}

/// What an import writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDirectory {
    pub files: Vec<DirectoryFile>,
    /// `None` keeps the stored ZIP table (an import without `--zip-districts`).
    pub zip_table: Option<ZipTable>,
}

/// What the store holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDirectory {
    pub imported_at: DateTime<Utc>,
    /// Sorted by role, then name.
    pub files: Vec<DirectoryFile>,
    pub zip_table: Option<ZipTable>,
}

pub(crate) const ZIP_ROLE: &str = "zip_districts";

/// Rows per INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 bind parameters.
pub(crate) const ZIP_ROWS_PER_INSERT: usize = 5_000;

impl StoredDirectory {
    /// Assembles what the backends read: the ZIP file's row (if any) becomes [`ZipTable`].
    pub(crate) fn assemble(
        imported_at: DateTime<Utc>,
        files: Vec<DirectoryFile>,
        zip_rows: Vec<ZipDistrictRow>,
    ) -> Self {
        let (zip_files, files): (Vec<_>, Vec<_>) =
            files.into_iter().partition(|f| f.role == ZIP_ROLE);
        let zip_table = zip_files.into_iter().next().map(|f| ZipTable {
            name: f.name,
            sha256: f.sha256,
            rows: zip_rows,
        });
        Self {
            imported_at,
            files,
            zip_table,
        }
    }
}
