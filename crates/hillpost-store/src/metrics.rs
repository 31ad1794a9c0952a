//! Counts for `/metrics`, read from the store on every scrape, so they hold for every
//! worker process sharing the database (not only the one serving the request).

use hillpost_core::delivery::{BatchState, Channel, DeliveryState};

use std::sync::LazyLock;

use crate::logic::sql::Columns;
use crate::{Store, StoreError, logic};

/// Upper bounds (milliseconds) of the attempt duration histogram's buckets.
pub const ATTEMPT_DURATION_BUCKETS_MS: &[i64] = &[
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryMetrics {
    /// Deliveries per state and channel.
    pub deliveries: Vec<(DeliveryState, Channel, u64)>,
    /// Batches per state.
    pub batches: Vec<(BatchState, u64)>,
    /// Queued deliveries of running batches that are due now: the work waiting for a worker.
    pub due_now: u64,
    pub attempt_durations: DurationHistogram,
}

/// A cumulative histogram, as Prometheus wants it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DurationHistogram {
    /// Attempts that took at most each of [`ATTEMPT_DURATION_BUCKETS_MS`].
    pub buckets: Vec<u64>,
    pub count: u64,
    pub sum_ms: u64,
}

/// The histogram query, the same on both backends: `count(*) FILTER` works on each.
pub(crate) static HISTOGRAM_SQL: LazyLock<String> = LazyLock::new(|| {
    let buckets: Vec<String> = ATTEMPT_DURATION_BUCKETS_MS
        .iter()
        .enumerate()
        .map(|(i, le)| format!("count(*) FILTER (WHERE duration_ms <= {le}) AS b{i}"))
        .collect();
    format!(
        "SELECT count(*) AS n, coalesce(sum(duration_ms), 0) AS total, {} FROM attempts",
        buckets.join(", ")
    )
});

pub(crate) fn histogram(row: &impl Columns) -> Result<DurationHistogram, StoreError> {
    Ok(DurationHistogram {
        buckets: (0..ATTEMPT_DURATION_BUCKETS_MS.len())
            .map(|i| row.count(&format!("b{i}")))
            .collect::<Result<_, _>>()?,
        count: row.count("n")?,
        sum_ms: row.count("total")?,
    })
}

impl Store {
    /// Everything `/metrics` shows that lives in the database.
    pub async fn delivery_metrics(&self) -> Result<DeliveryMetrics, StoreError> {
        match self {
            Store::Sqlite(s) => logic::metrics::delivery_metrics(s).await,
            Store::Postgres(s) => logic::metrics::delivery_metrics(s).await,
        }
    }
}
