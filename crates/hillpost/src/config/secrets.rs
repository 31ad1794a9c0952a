//! Reading secrets: from the environment (through the config crate) or a file only the
//! service can read. The value is kept in a `SecretString`, whose Debug output is redacted,
//! so it cannot reach a log line by accident.

use std::path::Path;

use secrecy::SecretString;

use super::ConfigError;

/// The whole of `path` (a PEM key has many lines), which must not be empty.
pub fn read_secret_text(key: &'static str, path: &Path) -> Result<SecretString, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Invalid {
        key,
        problem: format!("cannot read {}: {e}", path.display()),
    })?;
    if text.trim().is_empty() {
        return Err(ConfigError::Invalid {
            key,
            problem: format!("{} is empty", path.display()),
        });
    }
    Ok(SecretString::from(text))
}

/// The first line of `path`, without its line ending.
pub fn read_secret_file(key: &'static str, path: &Path) -> Result<SecretString, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Invalid {
        key,
        problem: format!("cannot read {}: {e}", path.display()),
    })?;
    let first = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    if first.is_empty() {
        return Err(ConfigError::Invalid {
            key,
            problem: format!("{} is empty", path.display()),
        });
    }
    Ok(SecretString::from(first.to_string()))
}
