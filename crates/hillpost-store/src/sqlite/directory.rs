//! SQLite's statements for the stored directory (the logic is `crate::logic::directory`):
//! `BEGIN IMMEDIATE` already makes imports take turns; files are imported at the
//! transaction's `now`; the default collation sorts by bytes.

use sqlx::{QueryBuilder, Sqlite};

use super::{SqliteStore, SqliteWrite};
use crate::StoreError;
use crate::directory::ZipDistrictRow;
use crate::logic::directory::{Reads, Writes, directory_files, zip_rows};

impl Reads for SqliteStore {
    const FILES: &'static str = directory_files!("");

    const ZIP_ROWS: &'static str = zip_rows!("");
}

impl Writes for SqliteWrite {
    async fn take_turn_at_directory(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn insert_zip_rows(&mut self, rows: &[ZipDistrictRow]) -> Result<(), StoreError> {
        let mut insert: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO zip_districts (zip, state, district) ");
        insert.push_values(rows, |mut row, z| {
            row.push_bind(&z.zip)
                .push_bind(&z.state)
                .push_bind(i64::from(z.district));
        });
        insert.build().execute(self.conn()).await?;
        Ok(())
    }
}
