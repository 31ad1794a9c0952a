use hillpost_core::{Campaign, CampaignId};
use sqlx::Row;

use super::PgStore;
use crate::{StoreError, StoredCampaign};

const SELECT: &str = "SELECT c.definition, c.created_at, c.updated_at,
        (SELECT count(*) FROM signatures s WHERE s.campaign_id = c.id AND s.erased_at IS NULL) AS signature_count,
        (SELECT count(*) FROM batches b WHERE b.campaign_id = c.id) AS batch_count
   FROM campaigns c";

impl PgStore {
    pub async fn add_campaign(&self, campaign: &Campaign, replace: bool) -> Result<(), StoreError> {
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
        if done.rows_affected() == 0 {
            return Err(StoreError::CampaignExists(campaign.id.to_string()));
        }
        Ok(())
    }

    pub async fn campaign(&self, id: &CampaignId) -> Result<Option<StoredCampaign>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE c.id = $1")))
            .bind(id.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| stored_campaign(&r)).transpose()
    }

    pub async fn campaigns(&self) -> Result<Vec<StoredCampaign>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SELECT} ORDER BY c.created_at, c.id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(stored_campaign).collect()
    }
}

fn stored_campaign(row: &sqlx::postgres::PgRow) -> Result<StoredCampaign, StoreError> {
    let definition: String = row.try_get("definition")?;
    Ok(StoredCampaign {
        campaign: Campaign::from_stored(&definition).map_err(StoreError::corrupt)?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        signature_count: u64::try_from(row.try_get::<i64, _>("signature_count")?).unwrap_or(0),
        batch_count: u64::try_from(row.try_get::<i64, _>("batch_count")?).unwrap_or(0),
    })
}
