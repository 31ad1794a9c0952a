//! PostgreSQL's statements for the stored directory (the logic is
//! `crate::logic::directory`): imports take turns by locking the table; files are imported
//! at the database's `now()`; sorting says `COLLATE "C"` so it is by bytes, as on SQLite.

use sqlx::{Postgres, QueryBuilder};

use super::{PgStore, PgWrite};
use crate::StoreError;
use crate::directory::ZipDistrictRow;
use crate::logic::directory::{Reads, Writes, directory_files, zip_rows};

impl Reads for PgStore {
    const FILES: &'static str = directory_files!(" COLLATE \"C\"");

    const ZIP_ROWS: &'static str = zip_rows!(" COLLATE \"C\"");
}

impl Writes for PgWrite {
    async fn take_turn_at_directory(&mut self) -> Result<(), StoreError> {
        // Two imports at once would interleave their deletes and inserts: take turns.
        sqlx::query("LOCK TABLE directory_files IN EXCLUSIVE MODE")
            .execute(self.conn())
            .await?;
        Ok(())
    }

    async fn insert_zip_rows(&mut self, rows: &[ZipDistrictRow]) -> Result<(), StoreError> {
        let mut insert: QueryBuilder<Postgres> =
            QueryBuilder::new("INSERT INTO zip_districts (zip, state, district) ");
        insert.push_values(rows, |mut row, z| {
            row.push_bind(&z.zip)
                .push_bind(&z.state)
                .push_bind(i16::from(z.district));
        });
        insert.build().execute(self.conn()).await?;
        Ok(())
    }
}
