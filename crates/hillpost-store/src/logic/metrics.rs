//! The counts `/metrics` shows, written once; "due now" reads the store's clock.

use super::Backend;
use super::sql::{Columns, Run};
use crate::metrics::{HISTOGRAM_SQL, histogram};
use crate::{DeliveryMetrics, StoreError};

/// See [`crate::Store::delivery_metrics`].
pub(crate) async fn delivery_metrics(store: &impl Backend) -> Result<DeliveryMetrics, StoreError> {
    let mut db = store.read().await?;
    let sql = "SELECT state, channel, count(*) AS n FROM deliveries GROUP BY state, channel
                ORDER BY state, channel";
    let deliveries = db
        .rows(sql, &[])
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.parsed("state")?,
                row.parsed("channel")?,
                row.count("n")?,
            ))
        })
        .collect::<Result<_, StoreError>>()?;
    let sql = "SELECT state, count(*) AS n FROM batches GROUP BY state ORDER BY state";
    let batches = db
        .rows(sql, &[])
        .await?
        .iter()
        .map(|row| Ok((row.parsed("state")?, row.count("n")?)))
        .collect::<Result<_, StoreError>>()?;
    let durations = db.row(&HISTOGRAM_SQL, &[]).await?;
    let durations = durations.ok_or_else(|| StoreError::corrupt("no histogram row"))?;
    let attempt_durations = histogram(&durations)?;
    drop(db);
    // Queued deliveries of running batches that are due now.
    let sql = "SELECT count(*) AS n FROM deliveries d JOIN batches b ON b.id = d.batch_id
                WHERE d.state = 'queued' AND b.state = 'running' AND d.due_at <= now()";
    let due = store.read_now().await?.db().row(sql, &[]).await?;
    let due_now = due
        .ok_or_else(|| StoreError::corrupt("no count row"))?
        .count("n")?;
    Ok(DeliveryMetrics {
        deliveries,
        batches,
        due_now,
        attempt_durations,
    })
}
