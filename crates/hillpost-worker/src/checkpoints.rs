//! Housekeeping's signed checkpoints of the audit chain: at most one per interval, while
//! events are appended, by whichever worker gets there first.

use std::time::Duration;

use hillpost_core::audit::{SigningKey, time_text};
use hillpost_store::{CheckpointWrite, Store};

/// The most often a checkpoint is signed.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(60);

/// Makes `key` the service's current signing key (the one before it keeps its validity).
pub(crate) async fn register(store: &Store, key: &SigningKey) {
    match store.register_signing_key(key.public()).await {
        Ok(_) => tracing::info!(key_id = %key.public().key_id(), "signing audit checkpoints"),
        Err(error) => tracing::warn!(%error, "could not register the signing key"),
    }
}

/// Signs a checkpoint when one is due; says loudly when the chain no longer links to the
/// last one (nothing is signed then).
pub(crate) async fn sign_when_due(store: &Store, key: &SigningKey) {
    match store.write_checkpoint(key, CHECKPOINT_INTERVAL).await {
        Ok(CheckpointWrite::NotDue) => {}
        Ok(CheckpointWrite::Written(checkpoint)) => tracing::info!(
            seq = checkpoint.seq,
            hash = %checkpoint.hash,
            at = %time_text(checkpoint.at),
            "audit checkpoint signed"
        ),
        Ok(CheckpointWrite::Broken(link)) => tracing::error!(
            seq = link.seq,
            problem = %link.problem,
            "the audit chain does not extend the last checkpoint: nothing signed; run `hillpost audit verify`"
        ),
        Err(error) => tracing::warn!(%error, "could not write an audit checkpoint"),
    }
}
