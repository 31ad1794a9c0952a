//! What `--key` names, for checking signatures: a public key (64 hex digits), or a file
//! holding one or the key list `/.well-known/hillpost-signing-key` serves.

use std::path::Path;

use anyhow::Context;
use hillpost_core::audit::{KeyList, PublicKey};

/// The longest key file read (a key list of many rotations is a few kB).
const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

pub fn key_list(arg: &str) -> anyhow::Result<KeyList> {
    if let Ok(key) = PublicKey::parse(arg) {
        return Ok(KeyList::single(key));
    }
    let path = Path::new(arg);
    if !path.exists() {
        anyhow::bail!("--key {arg:?} is neither a public key (64 hex digits) nor a file");
    }
    let text = read_bounded(path)?;
    if let Ok(key) = PublicKey::parse(&text) {
        return Ok(KeyList::single(key));
    }
    serde_json::from_str::<KeyList>(&text).with_context(|| {
        format!(
            "{} holds neither a public key (64 hex digits) nor a key list ({{\"keys\": [...]}})",
            path.display()
        )
    })
}

/// A file of at most [`MAX_KEY_FILE_BYTES`], as text.
pub fn read_bounded(path: &Path) -> anyhow::Result<String> {
    crate::text_file::read_at_most(
        path,
        MAX_KEY_FILE_BYTES,
        "not a key, key list or checkpoint",
    )
}
