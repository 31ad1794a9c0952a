//! The store's clock: what "now" is for the rows it writes and the deadlines it checks.
//!
//! ```text
//!   production, PostgreSQL   the database's clock: statements say now() and PostgreSQL
//!                            reads it (many workers on many machines, one clock)
//!   production, SQLite       SystemClock, read once per transaction and bound
//!                            (embedded: the database and the process share a machine)
//!   tests, either backend    TestClock, bound like SystemClock; it stands still until the
//!                            test sets or advances it, so nothing waits on a real clock
//! ```
//!
//! Statements written once say `now()`; [`crate::logic::sql`] runs them as written against
//! the database's clock, or with `now()` turned into one more bound parameter when the
//! store reads a [`Clock`] (the rewritten text is made once per statement and kept).
//! Claims, leases, records and housekeeping read it like every other statement, so a test
//! expires a lease or brings a retry due by advancing a [`TestClock`].

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A clock this process reads: the system's in production on SQLite, a [`TestClock`] in
/// tests. (PostgreSQL's production clock is the database's own, which is no `Clock`.)
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until a test moves it; clones share one time. It starts at
/// the system time it is made at (to the millisecond, what SQLite keeps), so rows it stamps
/// sit among those stamped by a real clock.
#[derive(Debug, Clone)]
pub struct TestClock {
    at: Arc<Mutex<DateTime<Utc>>>,
}

impl Default for TestClock {
    fn default() -> Self {
        Self::new()
    }
}

impl TestClock {
    pub fn new() -> Self {
        let now = Utc::now();
        let ms = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        Self::at(ms)
    }

    pub fn at(at: DateTime<Utc>) -> Self {
        Self {
            at: Arc::new(Mutex::new(at)),
        }
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        let mut at = self.at.lock().unwrap_or_else(PoisonError::into_inner);
        *at += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.at.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where a store reads the time.
#[derive(Clone)]
pub(crate) enum StoreClock {
    /// The database's own (`now()` in the statements): PostgreSQL in production.
    Database,
    /// A clock of this process, read and bound.
    Process(Arc<dyn Clock>),
}

impl StoreClock {
    /// One reading, for a transaction or a statement: every `now()` in it is this instant.
    pub(crate) fn read(&self) -> Now {
        match self {
            StoreClock::Database => Now::Database,
            StoreClock::Process(clock) => Now::At(clock.now()),
        }
    }
}

/// One reading of a store's clock: what `now()` in a statement means.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Now {
    /// The database reads its own clock when it runs the statement.
    Database,
    At(DateTime<Utc>),
}

impl Now {
    /// The reading as a value in this process, for what is computed here rather than in
    /// SQL (an audit event's `at`): the database's clock is stood in for by the system's,
    /// as the audit chain has always been stamped.
    pub(crate) fn instant(self) -> DateTime<Utc> {
        match self {
            Now::Database => Utc::now(),
            Now::At(at) => at,
        }
    }
}
