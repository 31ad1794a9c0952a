use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory with its own SQLite database, and a way to run `hillpost` in it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub database: String,
    env: Vec<(String, String)>,
}

impl Workspace {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database = format!("sqlite:{}", dir.path().join("hillpost.db").display());
        Self {
            dir,
            database,
            env: Vec::new(),
        }
    }

    /// The same, on another database (a PostgreSQL test schema).
    pub fn with_database(database: String) -> Self {
        Self {
            database,
            ..Self::new()
        }
    }

    /// Environment for sending through the test SMTP server at `port`, fast retries.
    pub fn smtp(self, port: u16) -> Self {
        self.env("HILLPOST__EMAIL__TRANSPORT", "smtp")
            .env("HILLPOST__SMTP__HOST", "127.0.0.1")
            .env("HILLPOST__SMTP__PORT", &port.to_string())
            .env("HILLPOST__SMTP__TLS", "none")
            .env("HILLPOST__WORKER__POLL_INTERVAL", "50ms")
            .env("HILLPOST__RETRY__SCHEDULE", "200ms,200ms,200ms,200ms,200ms")
    }

    /// Adds the standard test campaign (`e2e`, `mode`) to one custom recipient and imports
    /// `signers` signers.
    pub fn seed(&self, mode: &str, signers: usize, recipient: (&str, &str)) {
        let campaign = self.write(
            "campaign.toml",
            &hillpost_testkit::fixtures::campaign_toml("e2e", mode, &[recipient]),
        );
        self.run(&["campaign", "add", campaign.to_str().unwrap()])
            .ok();
        let csv = self.write(
            "signers.csv",
            &hillpost_testkit::fixtures::signers_csv(signers),
        );
        self.run(&["signatures", "import", "e2e", csv.to_str().unwrap()])
            .ok();
    }

    pub async fn store(&self) -> hillpost_store::Store {
        hillpost_store::Store::connect(&self.database)
            .await
            .expect("open the test database")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, content).expect("write file");
        path
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hillpost"));
        command
            .current_dir(self.path())
            .args(["--database", &self.database])
            .args(args);
        command
            .env("RUST_LOG", "warn")
            .env("HILLPOST__EMAIL__OUTBOX_DIR", self.path().join("outbox"));
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let output = self.command(args).output().expect("run hillpost");
        Run::from(output)
    }
}

pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Panics with both streams unless the command succeeded.
    pub fn ok(self) -> Self {
        assert!(
            self.success,
            "hillpost failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn failed(self) -> Self {
        assert!(
            !self.success,
            "hillpost should have failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect()
}

/// Whether `output` has a line reading `<state> <count>` (as `batch status` prints them).
pub fn has_count(output: &str, state: &str, count: u64) -> bool {
    output
        .lines()
        .any(|line| line.split_whitespace().collect::<Vec<_>>() == [state, &count.to_string()])
}
