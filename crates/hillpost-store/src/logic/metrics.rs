//! The counts `/metrics` shows, written once. A backend supplies the one count that reads
//! its clock ([`Reads::due_now`]).

use super::Backend;
use super::sql::{Columns, Run};
use crate::metrics::{HISTOGRAM_SQL, histogram};
use crate::{DeliveryMetrics, StoreError};

/// The count on metrics that reads the backend's clock.
pub(crate) trait Reads {
    /// Queued deliveries of running batches that are due now.
    async fn due_now(&self) -> Result<u64, StoreError>;
}

/// See [`crate::Store::delivery_metrics`].
pub(crate) async fn delivery_metrics<B: Backend + Reads>(
    store: &B,
) -> Result<DeliveryMetrics, StoreError> {
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
    Ok(DeliveryMetrics {
        deliveries,
        batches,
        due_now: store.due_now().await?,
        attempt_durations,
    })
}
