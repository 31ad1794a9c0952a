use sqlx::Row;

use super::batches::parse;
use super::{SqliteStore, now_ms};
use crate::metrics::{histogram, histogram_sql};
use crate::{DeliveryMetrics, StoreError};

impl SqliteStore {
    pub async fn delivery_metrics(&self) -> Result<DeliveryMetrics, StoreError> {
        let deliveries = sqlx::query(
            "SELECT state, channel, count(*) AS n FROM deliveries GROUP BY state, channel
              ORDER BY state, channel",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| {
            Ok((
                parse(row.try_get("state")?)?,
                parse(row.try_get("channel")?)?,
                count(row.try_get("n")?),
            ))
        })
        .collect::<Result<_, StoreError>>()?;
        let batches =
            sqlx::query("SELECT state, count(*) AS n FROM batches GROUP BY state ORDER BY state")
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|row| Ok((parse(row.try_get("state")?)?, count(row.try_get("n")?))))
                .collect::<Result<_, StoreError>>()?;
        let due_now: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries d JOIN batches b ON b.id = d.batch_id
              WHERE d.state = 'queued' AND b.state = 'running' AND d.due_at <= ?1",
        )
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(histogram_sql()))
            .fetch_one(self.pool())
            .await?;
        Ok(DeliveryMetrics {
            deliveries,
            batches,
            due_now: count(due_now),
            attempt_durations: histogram(&row)?,
        })
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
