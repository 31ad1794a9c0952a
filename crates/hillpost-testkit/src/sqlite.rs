//! A fresh SQLite database file per test, deleted with its directory when dropped.

pub struct TestDatabase {
    pub url: String,
    pub path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

pub fn database() -> TestDatabase {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let path = dir.path().join("hillpost.db");
    let url = format!("sqlite://{}", path.display());
    TestDatabase {
        url,
        path,
        _dir: dir,
    }
}

/// Moves everything in the write-ahead log of the database at `url` into the database file
/// and empties the log, so that the next commit has to grow it (on a full disk: fails).
pub async fn checkpoint_and_truncate_wal(url: &str) {
    use sqlx::Connection;
    let mut connection = sqlx::SqliteConnection::connect(url)
        .await
        .expect("open the test database");
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut connection)
        .await
        .expect("checkpoint");
    connection.close().await.expect("close");
}

/// Tries to commit 64 KiB to the database at `url` (into a table of the test's own): the
/// answer to "would a write succeed now?" on a disk the test filled.
pub async fn try_write(url: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut connection = sqlx::SqliteConnection::connect(url).await?;
    sqlx::query("CREATE TABLE IF NOT EXISTS test_disk_probe (bytes BLOB)")
        .execute(&mut connection)
        .await?;
    sqlx::query("INSERT INTO test_disk_probe VALUES (zeroblob(65536))")
        .execute(&mut connection)
        .await?;
    connection.close().await
}

/// Runs `sql` on the database at `url`, behind the store's back: for tests that need a
/// stored row the store itself would never write (a corrupt one).
pub async fn execute(url: &str, sql: &'static str) {
    use sqlx::Connection;
    let mut connection = sqlx::SqliteConnection::connect(url)
        .await
        .expect("open the test database");
    sqlx::query(sql)
        .execute(&mut connection)
        .await
        .expect("run the test's statement");
    connection.close().await.expect("close");
}
