//! The stored directory on PostgreSQL.

use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder, Row};

use super::PgStore;
use crate::StoreError;
use crate::directory::{
    DirectoryFile, NewDirectory, StoredDirectory, ZIP_ROLE, ZIP_ROWS_PER_INSERT, ZipDistrictRow,
};

impl PgStore {
    pub async fn replace_directory(&self, new: &NewDirectory) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // Two imports at once would interleave their deletes and inserts: take turns.
        sqlx::query("LOCK TABLE directory_files IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        match &new.zip_table {
            Some(_) => {
                sqlx::query("DELETE FROM directory_files")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM zip_districts")
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query("DELETE FROM directory_files WHERE role <> $1")
                    .bind(ZIP_ROLE)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for file in &new.files {
            insert_file(&mut tx, file).await?;
        }
        if let Some(zip) = &new.zip_table {
            let file = DirectoryFile {
                role: ZIP_ROLE.into(),
                name: zip.name.clone(),
                sha256: zip.sha256.clone(),
                content: Vec::new(),
            };
            insert_file(&mut tx, &file).await?;
            for chunk in zip.rows.chunks(ZIP_ROWS_PER_INSERT) {
                let mut insert: QueryBuilder<Postgres> =
                    QueryBuilder::new("INSERT INTO zip_districts (zip, state, district) ");
                insert.push_values(chunk, |mut row, z| {
                    row.push_bind(&z.zip)
                        .push_bind(&z.state)
                        .push_bind(i16::from(z.district));
                });
                insert.build().execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn directory(&self) -> Result<Option<StoredDirectory>, StoreError> {
        // One snapshot for files and ZIP rows, so a concurrent import is seen whole or not.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query(
            "SELECT role, name, sha256, content, imported_at FROM directory_files \
             ORDER BY role COLLATE \"C\", name COLLATE \"C\"",
        )
        .fetch_all(&mut *tx)
        .await?;
        let Some(imported_at) = rows
            .iter()
            .filter(|r| r.get::<String, _>("role") != ZIP_ROLE)
            .map(|r| r.get::<DateTime<Utc>, _>("imported_at"))
            .max()
        else {
            return Ok(None);
        };
        let files = rows
            .into_iter()
            .map(|r| DirectoryFile {
                role: r.get("role"),
                name: r.get("name"),
                sha256: r.get("sha256"),
                content: r.get("content"),
            })
            .collect();
        let zip_rows = sqlx::query(
            "SELECT zip, state, district FROM zip_districts \
             ORDER BY zip COLLATE \"C\", state COLLATE \"C\", district",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| {
            let district: i16 = r.get("district");
            Ok(ZipDistrictRow {
                zip: r.get("zip"),
                state: r.get("state"),
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
}

async fn insert_file(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    file: &DirectoryFile,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO directory_files (role, name, sha256, content) VALUES ($1, $2, $3, $4)",
    )
    .bind(&file.role)
    .bind(&file.name)
    .bind(&file.sha256)
    .bind(&file.content)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
