//! The stored directory (offices' endpoints and the ZIP table), written once: replacing it
//! in one transaction, so readers see the old import or the new one, never a mix, and
//! reading it back in one snapshot. A backend supplies its turn-taking, the two inserts
//! that differ (its clock; the ZIP rows' integer type) and its byte-order sorting.

use super::sql::{Arg, Columns, Run};
use super::{Backend, Connection, Driver, Statements, Write, WriteTx};
use crate::StoreError;
use crate::directory::{
    DirectoryFile, NewDirectory, StoredDirectory, ZIP_ROLE, ZIP_ROWS_PER_INSERT, ZipDistrictRow,
};

/// Every directory file (`role, name, sha256, content, imported_at`), by role and name;
/// `$bytes` is what the backend adds to a text column to sort it by bytes (nothing on
/// SQLite, whose default does; `COLLATE "C"` on PostgreSQL), so both hand rows over in one
/// order.
macro_rules! directory_files {
    ($bytes:literal) => {
        concat!(
            "SELECT role, name, sha256, content, imported_at FROM directory_files ORDER BY role",
            $bytes,
            ", name",
            $bytes
        )
    };
}
pub(crate) use directory_files;

/// Every ZIP row (`zip, state, district`), in order; `$bytes` as in `directory_files!`.
macro_rules! zip_rows {
    ($bytes:literal) => {
        concat!(
            "SELECT zip, state, district FROM zip_districts ORDER BY zip",
            $bytes,
            ", state",
            $bytes,
            ", district"
        )
    };
}
pub(crate) use zip_rows;

/// The statements replacing the directory (the turn imports take is the backend's:
/// [`Statements::DIRECTORY_TURN`]).
pub(crate) trait Writes: Write {
    async fn take_turn_at_directory(&mut self) -> Result<(), StoreError> {
        if let Some(sql) = Self::Driver::DIRECTORY_TURN {
            self.db().exec(sql, &[]).await?;
        }
        Ok(())
    }

    /// A directory file, imported now.
    async fn insert_file(&mut self, file: &DirectoryFile) -> Result<(), StoreError> {
        let sql = "INSERT INTO directory_files (role, name, sha256, content, imported_at)
                   VALUES ($1, $2, $3, $4, now())";
        let args = [
            Arg::Text(&file.role),
            Arg::Text(&file.name),
            Arg::Text(&file.sha256),
            Arg::Bytes(&file.content),
        ];
        self.db().exec(sql, &args).await?;
        Ok(())
    }

    /// Up to [`ZIP_ROWS_PER_INSERT`] rows of the ZIP table in one statement.
    async fn insert_zip_rows(&mut self, rows: &[ZipDistrictRow]) -> Result<(), StoreError> {
        Self::Driver::insert_zip_rows(self.tx(), rows).await
    }
}

impl<D: Driver> Writes for WriteTx<D> {}

/// See [`crate::Store::replace_directory`].
pub(crate) async fn replace_directory(
    store: &impl Backend,
    new: &NewDirectory,
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    tx.take_turn_at_directory().await?;
    match &new.zip_table {
        Some(_) => {
            tx.db().exec("DELETE FROM directory_files", &[]).await?;
            tx.db().exec("DELETE FROM zip_districts", &[]).await?;
        }
        None => {
            let sql = "DELETE FROM directory_files WHERE role <> $1";
            tx.db().exec(sql, &[Arg::Text(ZIP_ROLE)]).await?;
        }
    }
    for file in &new.files {
        tx.insert_file(file).await?;
    }
    if let Some(zip) = &new.zip_table {
        let file = DirectoryFile {
            role: ZIP_ROLE.into(),
            name: zip.name.clone(),
            sha256: zip.sha256.clone(),
            content: Vec::new(),
        };
        tx.insert_file(&file).await?;
        for chunk in zip.rows.chunks(ZIP_ROWS_PER_INSERT) {
            tx.insert_zip_rows(chunk).await?;
        }
    }
    tx.commit().await
}

/// See [`crate::Store::directory`]: files and ZIP rows from the same import, even while
/// another process replaces the directory.
pub(crate) async fn directory<B: Backend>(
    store: &B,
) -> Result<Option<StoredDirectory>, StoreError> {
    let mut snapshot = store.snapshot().await?;
    let db: &mut Connection<B::Driver> = &mut snapshot;
    let rows = db.rows(B::Driver::DIRECTORY_FILES, &[]).await?;
    let mut imported_at = None;
    for row in &rows {
        if row.text("role")? != ZIP_ROLE {
            imported_at = imported_at.max(Some(row.time("imported_at")?));
        }
    }
    let Some(imported_at) = imported_at else {
        return Ok(None);
    };
    let files = rows
        .iter()
        .map(|row| {
            Ok(DirectoryFile {
                role: row.text("role")?,
                name: row.text("name")?,
                sha256: row.text("sha256")?,
                content: row.bytes("content")?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    let zip_rows = db
        .rows(B::Driver::ZIP_ROWS, &[])
        .await?
        .iter()
        .map(|row| {
            let district = row.small_int("district")?;
            Ok(ZipDistrictRow {
                zip: row.text("zip")?,
                state: row.text("state")?,
                district: u8::try_from(district)
                    .map_err(|_| StoreError::corrupt(format!("district {district}")))?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Some(StoredDirectory::assemble(
        imported_at,
        files,
        zip_rows,
    )))
}
