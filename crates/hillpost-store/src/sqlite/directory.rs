//! SQLite's statements for the stored directory (the logic is `crate::logic::directory`):
//! `BEGIN IMMEDIATE` already makes imports take turns; the default collation sorts by
//! bytes.

use super::{SqliteStore, SqliteWrite};
use crate::StoreError;
use crate::directory::ZipDistrictRow;
use crate::logic::directory::{Reads, Writes, directory_files, insert_zip_rows, zip_rows};

impl Reads for SqliteStore {
    const FILES: &'static str = directory_files!("");

    const ZIP_ROWS: &'static str = zip_rows!("");
}

impl Writes for SqliteWrite {
    // BEGIN IMMEDIATE already makes imports take turns.
    const DIRECTORY_TURN: Option<&'static str> = None;

    async fn insert_zip_rows(&mut self, rows: &[ZipDistrictRow]) -> Result<(), StoreError> {
        insert_zip_rows(self, rows).await
    }
}
