use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::batches::parse;
use super::{SqliteStore, now_ms, time};
use crate::{NewToken, StoreError, TokenRow};

const COLUMNS: &str = "id, role, organization, label, created_at, revoked_at";

impl SqliteStore {
    pub async fn create_token(&self, token: &NewToken) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (secret_sha256, role, organization, label, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )
        .bind(&token.secret_sha256)
        .bind(token.role.as_str())
        .bind(&token.organization)
        .bind(&token.label)
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens ORDER BY id"
        )))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(token_row)
        .collect()
    }

    pub async fn active_token(&self, secret_sha256: &str) -> Result<Option<TokenRow>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE secret_sha256 = ?1 AND revoked_at IS NULL"
        )))
        .bind(secret_sha256)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(token_row)
        .transpose()
    }

    pub async fn revoke_token(&self, id: i64) -> Result<Option<TokenRow>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1
             RETURNING {COLUMNS}"
        )))
        .bind(id)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(token_row)
        .transpose()
    }
}

fn token_row(row: &SqliteRow) -> Result<TokenRow, StoreError> {
    Ok(TokenRow {
        id: row.try_get("id")?,
        role: parse(row.try_get("role")?)?,
        organization: row.try_get("organization")?,
        label: row.try_get("label")?,
        created_at: time(row.try_get("created_at")?),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(time),
    })
}
