//! Campaigns, written once: reading them with their counts, and refusing to overwrite one
//! unless asked. A backend supplies the insert stamped with its clock ([`Statements`]).

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

/// The statement on campaigns that carries the backend's clock.
pub(crate) trait Statements {
    /// Inserts a campaign, created and updated now; with `replace`, an existing one with
    /// its id is updated instead (its `updated_at` now). How many rows it wrote.
    async fn insert_campaign(&self, campaign: &Campaign, replace: bool) -> Result<u64, StoreError>;
}

/// See [`crate::Store::add_campaign`].
pub(crate) async fn add_campaign(
    store: &impl Statements,
    campaign: &Campaign,
    replace: bool,
) -> Result<(), StoreError> {
    if store.insert_campaign(campaign, replace).await? == 0 {
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
