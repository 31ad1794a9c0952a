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
