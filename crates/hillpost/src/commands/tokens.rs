//! `hillpost tokens create | list | revoke`.

use std::process::ExitCode;

use hillpost_store::{NewToken, TokenRole};

use super::open_store;
use crate::cli::TokensCommand;
use crate::config::Settings;
use crate::tokens::{new_secret, secret_sha256};

pub async fn run(settings: &Settings, command: TokensCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokensCommand::Create {
            role,
            organization,
            label,
        } => {
            let role: TokenRole = role.parse().map_err(anyhow::Error::msg)?;
            let store = open_store(settings).await?;
            let secret = new_secret();
            let id = store
                .create_token(&NewToken {
                    secret_sha256: secret_sha256(&secret),
                    role,
                    organization,
                    label,
                })
                .await?;
            eprintln!("token {id} created ({role}); its secret is shown this once:");
            println!("{secret}");
            store.close().await;
        }
        TokensCommand::List => {
            let store = open_store(settings).await?;
            for t in store.tokens().await? {
                println!(
                    "{:>5}  {:<9} {:<32} {:<24} created {}{}",
                    t.id,
                    t.role.as_str(),
                    t.organization.as_deref().unwrap_or("(all, read-only)"),
                    t.label,
                    t.created_at.to_rfc3339(),
                    t.revoked_at
                        .map(|r| format!(", revoked {}", r.to_rfc3339()))
                        .unwrap_or_default()
                );
            }
            store.close().await;
        }
        TokensCommand::Revoke { id } => {
            let store = open_store(settings).await?;
            let token = store.revoke_token(id.into()).await?;
            println!(
                "token {id} revoked{}",
                token
                    .revoked_at
                    .map(|r| format!(" at {}", r.to_rfc3339()))
                    .unwrap_or_default()
            );
            store.close().await;
        }
    }
    Ok(ExitCode::SUCCESS)
}
