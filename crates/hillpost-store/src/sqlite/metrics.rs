//! SQLite's count for `/metrics` that reads its clock (the logic is
//! `crate::logic::metrics`): the process clock, in epoch milliseconds.

use super::{SqliteStore, now_ms};
use crate::StoreError;
use crate::logic::metrics::Reads;

impl Reads for SqliteStore {
    async fn due_now(&self) -> Result<u64, StoreError> {
        let due_now: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries d JOIN batches b ON b.id = d.batch_id
              WHERE d.state = 'queued' AND b.state = 'running' AND d.due_at <= ?1",
        )
        .bind(now_ms())
        .fetch_one(self.pool())
        .await?;
        Ok(u64::try_from(due_now).unwrap_or(0))
    }
}
