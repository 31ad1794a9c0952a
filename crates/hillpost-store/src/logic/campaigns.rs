//! Campaigns, written once: reading them with their counts, and refusing to overwrite one
//! unless asked.

use hillpost_core::{Campaign, CampaignId};

use super::Backend;
use super::sql::{Arg, Columns, Run};
use crate::{StoreError, StoredCampaign};

/// A [`StoredCampaign`]'s columns; each use appends its own `WHERE` / `ORDER BY`.
macro_rules! campaign_select {
    () => {
        "SELECT c.definition, c.created_at, c.updated_at,
                (SELECT count(*) FROM signatures s WHERE s.campaign_id = c.id AND s.erased_at IS NULL)
                    AS signature_count,
                (SELECT count(*) FROM batches b WHERE b.campaign_id = c.id) AS batch_count
           FROM campaigns c"
    };
}

/// See [`crate::Store::add_campaign`]: inserted, created and updated now; with `replace`,
/// an existing one with its id is updated instead (its `updated_at` now).
pub(crate) async fn add_campaign(
    store: &impl Backend,
    campaign: &Campaign,
    replace: bool,
) -> Result<(), StoreError> {
    let sql = if replace {
        "INSERT INTO campaigns (id, title, organization, mode, definition, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, now(), now())
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, organization = excluded.organization,
             mode = excluded.mode, definition = excluded.definition, updated_at = excluded.updated_at"
    } else {
        "INSERT INTO campaigns (id, title, organization, mode, definition, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, now(), now())
         ON CONFLICT (id) DO NOTHING"
    };
    let stored = campaign.to_stored();
    let args = [
        Arg::Text(campaign.id.as_str()),
        Arg::Text(&campaign.title),
        Arg::Text(&campaign.organization),
        Arg::Text(campaign.mode.as_str()),
        Arg::Text(&stored),
    ];
    if store.read_now().await?.db().exec(sql, &args).await? == 0 {
        return Err(StoreError::CampaignExists(campaign.id.to_string()));
    }
    Ok(())
}

pub(crate) async fn campaign(
    store: &impl Backend,
    id: &CampaignId,
) -> Result<Option<StoredCampaign>, StoreError> {
    let sql = concat!(campaign_select!(), " WHERE c.id = $1");
    let row = store
        .read()
        .await?
        .row(sql, &[Arg::Text(id.as_str())])
        .await?;
    row.as_ref().map(stored_campaign).transpose()
}

/// Every campaign, oldest first.
pub(crate) async fn campaigns(store: &impl Backend) -> Result<Vec<StoredCampaign>, StoreError> {
    let sql = concat!(campaign_select!(), " ORDER BY c.created_at, c.id");
    let rows = store.read().await?.rows(sql, &[]).await?;
    rows.iter().map(stored_campaign).collect()
}

fn stored_campaign(row: &impl Columns) -> Result<StoredCampaign, StoreError> {
    let definition = row.text("definition")?;
    Ok(StoredCampaign {
        campaign: Campaign::from_stored(&definition).map_err(StoreError::corrupt)?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        signature_count: row.count("signature_count")?,
        batch_count: row.count("batch_count")?,
    })
}
