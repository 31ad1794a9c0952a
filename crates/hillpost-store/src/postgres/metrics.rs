//! PostgreSQL's count for `/metrics` that reads its clock (the logic is
//! `crate::logic::metrics`): the database's `now()`.

use super::PgStore;
use crate::StoreError;
use crate::logic::metrics::Reads;

impl Reads for PgStore {
    async fn due_now(&self) -> Result<u64, StoreError> {
        let due_now: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries d JOIN batches b ON b.id = d.batch_id
              WHERE d.state = 'queued' AND b.state = 'running' AND d.due_at <= now()",
        )
        .fetch_one(self.pool())
        .await?;
        Ok(u64::try_from(due_now).unwrap_or(0))
    }
}
