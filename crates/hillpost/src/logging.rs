//! Logs go to stderr (stdout is the command's output). Nothing that identifies a signer is
//! logged anywhere in hillpost: delivery ids, batch ids and outcomes only.

use tracing_subscriber::EnvFilter;

use crate::config::Settings;
use crate::config::sections::LogFormat;

pub fn init(settings: &Settings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
