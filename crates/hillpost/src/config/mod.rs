//! Configuration: compiled-in commented defaults (`defaults.toml`) → `hillpost.toml` (or
//! `--config FILE`) → `HILLPOST__SECTION__KEY` environment variables, then checked as a whole
//! so a mistake is reported at start with the key that holds it.

mod cwc;
mod directory;
mod secrets;
pub mod sections;

use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use thiserror::Error;

pub use cwc::Cwc;
pub use sections::{EmailTransport, Settings};

/// The documented defaults, compiled in.
pub const DEFAULTS: &str = include_str!("defaults.toml");

#[derive(Debug, Error)]
pub enum ConfigError {
    // Not a `#[source]`: the config crate's message already names the key and the value,
    // and a source would print it twice in `{:#}` chains.
    #[error("configuration: {0}")]
    Load(config::ConfigError),
    #[error("configuration file {path}: {problem}")]
    File { path: String, problem: String },
    #[error("configuration: {key}: {problem}")]
    Invalid { key: &'static str, problem: String },
    #[error(
        "configuration file {path} holds `{key}`: secrets are not read from configuration files. \
         Set {instead} instead."
    )]
    SecretInFile {
        path: String,
        key: &'static str,
        instead: &'static str,
    },
}

impl From<config::ConfigError> for ConfigError {
    fn from(error: config::ConfigError) -> Self {
        ConfigError::Load(error)
    }
}

/// Where the settings come from.
pub struct Sources<'a> {
    /// `--config FILE`; without it `hillpost.toml` is read when it exists.
    pub file: Option<&'a Path>,
    /// Environment variables to read; `None` reads the process environment.
    pub environment: Option<Vec<(String, String)>>,
}

pub fn load(sources: Sources<'_>) -> Result<Settings, ConfigError> {
    let file: Option<PathBuf> = match sources.file {
        Some(path) if !path.exists() => {
            return Err(ConfigError::File {
                path: path.display().to_string(),
                problem: "does not exist".into(),
            });
        }
        Some(path) => Some(path.to_path_buf()),
        None => Some(PathBuf::from("hillpost.toml")).filter(|p| p.exists()),
    };
    let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
    if let Some(path) = &file {
        reject_secrets_in(path)?;
        builder = builder.add_source(
            File::from(path.as_path())
                .format(FileFormat::Toml)
                .required(true),
        );
    }
    let mut environment = Environment::with_prefix("HILLPOST")
        .prefix_separator("__")
        .separator("__");
    if let Some(vars) = sources.environment {
        environment = environment.source(Some(vars.into_iter().collect()));
    }
    let settings: Settings = builder.add_source(environment).build()?.try_deserialize()?;
    settings.validate()?;
    Ok(settings)
}

/// A password in a config file ends up in backups, diffs and support tickets: refuse it.
fn reject_secrets_in(path: &Path) -> Result<(), ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
        path: path.display().to_string(),
        problem: e.to_string(),
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::File {
            path: path.display().to_string(),
            problem: e.to_string(),
        })?;
    let has = |section: &str, key: &str| table.get(section).and_then(|s| s.get(key)).is_some();
    for (section, key, full, instead) in [
        (
            "smtp",
            "password",
            "smtp.password",
            "HILLPOST__SMTP__PASSWORD or smtp.password_file",
        ),
        (
            "cwc",
            "api_key",
            "cwc.api_key",
            "HILLPOST__CWC__API_KEY or cwc.api_key_file",
        ),
        (
            "dkim",
            "private_key",
            "dkim.private_key",
            "HILLPOST__DKIM__PRIVATE_KEY or dkim.private_key_file",
        ),
        (
            "signing",
            "key",
            "signing.key",
            "HILLPOST__SIGNING__KEY or signing.key_file",
        ),
    ] {
        if has(section, key) {
            return Err(ConfigError::SecretInFile {
                path: path.display().to_string(),
                key: full,
                instead,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
