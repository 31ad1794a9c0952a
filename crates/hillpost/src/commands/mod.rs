//! One module per command group; each prints what a person needs to read and returns the
//! process exit code.

pub mod audit;
pub mod batch;
pub mod bounces;
pub mod campaign;
pub mod delivery;
pub mod demo;
pub mod directory;
pub mod email;
pub mod forms;
pub mod keys;
pub mod preview;
pub mod receipts;
pub mod serve;
pub mod signatures;
pub mod signers;
pub mod targets;
pub mod tokens;
pub mod worker;

use std::process::ExitCode;

use anyhow::Context;
use hillpost_core::CampaignId;
use hillpost_store::Store;

use crate::config::Settings;

pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    Store::connect(&settings.database.url)
        .await
        .with_context(|| {
            format!(
                "opening the database ({})",
                redacted(&settings.database.url)
            )
        })
}

/// A database URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Who the audit trail names for changes made from the command line: `cli:<login>`.
pub fn cli_actor() -> String {
    match std::env::var("USER").or_else(|_| std::env::var("LOGNAME")) {
        Ok(user) if !user.is_empty() => format!("cli:{user}"),
        _ => "cli".to_string(),
    }
}

pub fn campaign_id(raw: &str) -> anyhow::Result<CampaignId> {
    Ok(CampaignId::parse(raw)?)
}

pub async fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await?;
    println!(
        "database schema is up to date ({}, {})",
        store.backend(),
        redacted(&settings.database.url)
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redacted("postgres://u:secret@db:5432/h"),
            "postgres://u:***@db:5432/h"
        );
        assert_eq!(super::redacted("sqlite:hillpost.db"), "sqlite:hillpost.db");
    }
}
