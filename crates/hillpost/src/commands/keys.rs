//! `hillpost keys generate | show`: the Ed25519 key audit checkpoints and receipts are
//! signed with.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use hillpost_core::audit::{SigningKey, time_text};

use super::open_store;
use crate::cli::KeysCommand;
use crate::config::Settings;

pub async fn run(settings: &Settings, command: KeysCommand) -> anyhow::Result<ExitCode> {
    match command {
        KeysCommand::Generate { out } => {
            let key = SigningKey::from_seed(rand::random());
            write_private(&out, &key.to_pem())?;
            let public = key.public();
            println!("signing key written to {}", out.display());
            println!("key id:     {}", public.key_id());
            println!("public key: {}", public.to_hex());
            println!(
                "Set signing.key_file = \"{}\" (or HILLPOST__SIGNING__KEY); workers start signing with it.",
                out.display()
            );
        }
        KeysCommand::Show => {
            match settings.signing_key()? {
                Some(key) => {
                    let public = key.public();
                    println!("configured key id: {}", public.key_id());
                    println!("public key:        {}", public.to_hex());
                }
                None => println!("no signing key configured (signing.key_file)"),
            }
            let store = open_store(settings).await?;
            let keys = store.signing_keys().await?;
            store.close().await;
            if keys.keys.is_empty() {
                println!("no key has signed yet");
            }
            for key in &keys.keys {
                let until = key.valid_until.map_or_else(|| "now".into(), time_text);
                println!(
                    "{}  {}  valid {} – {}",
                    key.key_id,
                    key.public_key,
                    time_text(key.valid_from),
                    until
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates `path` (never replacing a file), readable and writable by its owner only.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| {
        format!(
            "cannot create {} (an existing key is never replaced)",
            path.display()
        )
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}
