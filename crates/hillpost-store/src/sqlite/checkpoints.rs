//! SQLite's part of checkpoints and signing keys (the logic is `crate::logic::checkpoints`):
//! a deferred transaction is the read snapshot; `BEGIN IMMEDIATE` already makes writers
//! take turns; times are epoch milliseconds, so the interval is subtracted as a number.

use hillpost_core::audit::{BrokenLink, ChainHead, Checkpoint, Verifier};
use sqlx::SqliteConnection;

use super::audit::{check_events, read_head};
use super::{SqliteStore, SqliteWrite};
use crate::StoreError;
use crate::checkpoints::Unrecorded;
use crate::logic::checkpoints::{self, Chain, Writes, insert_checkpoint};

impl Chain for SqliteStore {
    async fn head(conn: &mut SqliteConnection) -> Result<ChainHead, StoreError> {
        read_head(conn).await
    }

    async fn check(
        conn: &mut SqliteConnection,
        verifier: Verifier,
        after: i64,
        up_to: i64,
    ) -> Result<(Option<BrokenLink>, Verifier), StoreError> {
        let (_, broken, verifier) = check_events(conn, verifier, after, up_to).await?;
        Ok((broken, verifier))
    }
}

impl Writes for SqliteWrite {
    // Times are epoch milliseconds.
    const INSERT_CHECKPOINT: &'static str = insert_checkpoint!("$6");

    async fn take_turn_at_checkpoints(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn take_turn_at_signing_keys(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

pub(super) async fn cross_check(
    conn: &mut SqliteConnection,
) -> Result<Vec<Unrecorded>, StoreError> {
    checkpoints::cross_check(conn).await
}

pub(super) async fn stored(conn: &mut SqliteConnection) -> Result<Vec<Checkpoint>, StoreError> {
    checkpoints::stored(conn).await
}
