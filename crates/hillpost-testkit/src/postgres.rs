//! A fresh PostgreSQL schema per test.
//!
//! The server comes from `HILLPOST_TEST_DATABASE_URL` (or `DATABASE_URL`), defaulting to the
//! trust-auth server at 127.0.0.1:5432. Each test gets its own schema in the database
//! `hillpost_test` (created on first use) and a URL whose `options` set the `search_path`
//! to it, so the code under test needs no knowledge of schemas.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor};

pub struct TestSchema {
    /// A URL that connects into this test's schema.
    pub url: String,
    pub schema: String,
}

fn server_url() -> String {
    std::env::var("HILLPOST_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// Creates a schema for `test`, or reports the skip and returns `None` when no PostgreSQL
/// server answers.
pub async fn schema(test: &str) -> Option<TestSchema> {
    let server = server_url();
    let admin: PgConnectOptions = match server.parse() {
        Ok(options) => options,
        Err(e) => panic!("HILLPOST_TEST_DATABASE_URL is not a PostgreSQL URL: {e}"),
    };
    let connect = tokio::time::timeout(Duration::from_secs(5), admin.connect()).await;
    let mut conn = match connect {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            crate::skip(
                test,
                "PostgreSQL",
                &format!("({e}) Start one at 127.0.0.1:5432 or set HILLPOST_TEST_DATABASE_URL."),
            );
            return None;
        }
        Err(_) => {
            crate::skip(
                test,
                "PostgreSQL",
                "(connection timed out) Start one at 127.0.0.1:5432 or set HILLPOST_TEST_DATABASE_URL.",
            );
            return None;
        }
    };
    let exists: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = 'hillpost_test'")
            .fetch_optional(&mut conn)
            .await
            .expect("query pg_database");
    if exists.is_none() {
        // Two test binaries may race to create it; losing that race is fine.
        let _ = conn.execute("CREATE DATABASE hillpost_test").await;
    }
    conn.close().await.ok();

    let database = admin.clone().database("hillpost_test");
    let mut conn = database.connect().await.expect("connect to hillpost_test");
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .await
        .expect("create schema");
    conn.close().await.ok();

    let mut url = url::Url::parse(&server).expect("the server URL parsed above");
    url.set_path("/hillpost_test");
    url.query_pairs_mut()
        .append_pair("options", &format!("-csearch_path={schema}"));
    Some(TestSchema {
        url: url.to_string(),
        schema,
    })
}

/// A small pool into the test's schema, for assertions that look at rows directly.
pub async fn pool(schema: &TestSchema) -> sqlx::PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .connect(&schema.url)
        .await
        .expect("connect to test schema")
}
