//! PostgreSQL's statement on campaigns (the logic is `crate::logic::campaigns`): created
//! and updated at the database's `now()`.

use hillpost_core::Campaign;

use super::PgStore;
use crate::StoreError;
use crate::logic::campaigns::Statements;

impl Statements for PgStore {
    async fn insert_campaign(&self, campaign: &Campaign, replace: bool) -> Result<u64, StoreError> {
        let query = if replace {
            "INSERT INTO campaigns (id, title, organization, mode, definition) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, organization = excluded.organization,
                 mode = excluded.mode, definition = excluded.definition, updated_at = now()"
        } else {
            "INSERT INTO campaigns (id, title, organization, mode, definition) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO NOTHING"
        };
        let done = sqlx::query(query)
            .bind(campaign.id.as_str())
            .bind(&campaign.title)
            .bind(&campaign.organization)
            .bind(campaign.mode.as_str())
            .bind(campaign.to_stored())
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}
