//! SQLite's statement on campaigns (the logic is `crate::logic::campaigns`): created and
//! updated at the process clock, in epoch milliseconds.

use hillpost_core::Campaign;

use super::{SqliteStore, now_ms};
use crate::StoreError;
use crate::logic::campaigns::Statements;

impl Statements for SqliteStore {
    async fn insert_campaign(&self, campaign: &Campaign, replace: bool) -> Result<u64, StoreError> {
        let query = if replace {
            "INSERT INTO campaigns (id, title, organization, mode, definition, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, organization = excluded.organization,
                 mode = excluded.mode, definition = excluded.definition, updated_at = excluded.updated_at"
        } else {
            "INSERT INTO campaigns (id, title, organization, mode, definition, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (id) DO NOTHING"
        };
        let done = sqlx::query(query)
            .bind(campaign.id.as_str())
            .bind(&campaign.title)
            .bind(&campaign.organization)
            .bind(campaign.mode.as_str())
            .bind(campaign.to_stored())
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
