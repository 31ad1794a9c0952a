//! PostgreSQL's statements for the stored directory (the logic is
//! `crate::logic::directory`): imports take turns by locking the table; sorting says
//! `COLLATE "C"` so it is by bytes, as on SQLite.

use super::{PgStore, PgWrite};
use crate::StoreError;
use crate::directory::ZipDistrictRow;
use crate::logic::directory::{Reads, Writes, directory_files, insert_zip_rows, zip_rows};

impl Reads for PgStore {
    const FILES: &'static str = directory_files!(" COLLATE \"C\"");

    const ZIP_ROWS: &'static str = zip_rows!(" COLLATE \"C\"");
}

impl Writes for PgWrite {
    // Two imports at once would interleave their deletes and inserts: take turns.
    const DIRECTORY_TURN: Option<&'static str> =
        Some("LOCK TABLE directory_files IN EXCLUSIVE MODE");

    async fn insert_zip_rows(&mut self, rows: &[ZipDistrictRow]) -> Result<(), StoreError> {
        insert_zip_rows(self, rows).await
    }
}
