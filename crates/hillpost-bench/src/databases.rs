//! Fresh databases for each section: a PostgreSQL database created (and dropped first) on the
//! given server, or an SQLite file in a temporary directory.

use anyhow::Context;
use hillpost_core::BatchId;
use hillpost_store::Store;
use sqlx::Connection;

pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A database for one measurement; the SQLite file lives as long as this value.
pub struct BenchDatabase {
    pub url: String,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

impl BenchDatabase {
    pub async fn create(backend: &Backend, admin_url: &str, name: &str) -> anyhow::Result<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite:{}", dir.path().join(format!("{name}.db")).display());
                let store = Store::connect(&url).await?;
                Ok(Self {
                    url,
                    store,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let database = format!("hillpost_bench_{name}");
                let mut admin = sqlx::PgConnection::connect(admin_url)
                    .await
                    .with_context(|| format!("connecting to PostgreSQL at {admin_url}"))?;
                // `database` is built from a fixed prefix and a section name of our own.
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                let mut url = url::Url::parse(admin_url)?;
                url.set_path(&database);
                let url = url.to_string();
                let store = Store::connect(&url).await?;
                Ok(Self {
                    url,
                    store,
                    _dir: None,
                })
            }
        }
    }

    /// Seconds from the first attempt's start to the last delivery's recording: claim → send
    /// → record for the whole batch, without process start-up.
    pub async fn busy_seconds(&self, batch_id: BatchId) -> anyhow::Result<f64> {
        if self.url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(&self.url).await?;
            let (first, last): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT min(a.started_at) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
                         WHERE d.batch_id = ?1),
                        (SELECT max(finalized_at) FROM deliveries WHERE batch_id = ?1)",
            )
            .bind(batch_id.get())
            .fetch_one(&mut db)
            .await?;
            Ok((last - first) as f64 / 1000.0)
        } else {
            let mut db = sqlx::PgConnection::connect(&self.url).await?;
            let seconds: f64 = sqlx::query_scalar(
                "SELECT extract(epoch FROM (SELECT max(finalized_at) FROM deliveries WHERE batch_id = $1)
                      - (SELECT min(a.started_at) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
                         WHERE d.batch_id = $1))::float8",
            )
            .bind(batch_id.get())
            .fetch_one(&mut db)
            .await?;
            Ok(seconds)
        }
    }

    /// When each attempt of a batch finished (the moment its letter left), in seconds.
    pub async fn send_times(&self, batch_id: BatchId) -> anyhow::Result<Vec<f64>> {
        if self.url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(&self.url).await?;
            let times: Vec<i64> = sqlx::query_scalar(
                "SELECT a.finished_at FROM attempts a JOIN deliveries d ON d.id = a.delivery_id
                 WHERE d.batch_id = ?1 ORDER BY a.finished_at",
            )
            .bind(batch_id.get())
            .fetch_all(&mut db)
            .await?;
            Ok(times.into_iter().map(|ms| ms as f64 / 1000.0).collect())
        } else {
            let mut db = sqlx::PgConnection::connect(&self.url).await?;
            Ok(sqlx::query_scalar(
                "SELECT extract(epoch FROM a.finished_at)::float8 FROM attempts a
                 JOIN deliveries d ON d.id = a.delivery_id WHERE d.batch_id = $1 ORDER BY a.finished_at",
            )
            .bind(batch_id.get())
            .fetch_all(&mut db)
            .await?)
        }
    }
}
