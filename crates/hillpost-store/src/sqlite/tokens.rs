//! SQLite's statements on API tokens (the logic is `crate::logic::tokens`): stamped with
//! the process clock, in epoch milliseconds.

use super::{SqliteStore, now_ms};
use crate::logic::tokens::{Statements, token_columns, token_row};
use crate::{NewToken, StoreError, TokenRow};

impl Statements for SqliteStore {
    async fn insert_token(&self, token: &NewToken) -> Result<i64, StoreError> {
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

    async fn revoke_token(&self, id: i64) -> Result<Option<TokenRow>, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1 RETURNING ",
            token_columns!()
        ))
        .bind(id)
        .bind(now_ms())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(token_row).transpose()
    }
}
