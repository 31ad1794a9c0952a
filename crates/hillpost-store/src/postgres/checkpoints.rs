//! PostgreSQL's part of checkpoints and signing keys (the logic is
//! `crate::logic::checkpoints`): the read snapshot is `REPEATABLE READ, READ ONLY`;
//! writers of checkpoints take turns by an advisory lock (appenders are not held up),
//! registrations of signing keys by locking the table.

use hillpost_core::audit::{BrokenLink, ChainHead, Checkpoint, Verifier};
use sqlx::PgConnection;

use super::audit::{check_events, read_head};
use super::{PgStore, PgWrite};
use crate::StoreError;
use crate::checkpoints::Unrecorded;
use crate::logic::checkpoints::{self, Chain, Writes, insert_checkpoint};

impl Chain for PgStore {
    async fn head(conn: &mut PgConnection) -> Result<ChainHead, StoreError> {
        read_head(conn).await
    }

    async fn check(
        conn: &mut PgConnection,
        verifier: Verifier,
        after: i64,
        up_to: i64,
    ) -> Result<(Option<BrokenLink>, Verifier), StoreError> {
        let (_, broken, verifier) = check_events(conn, verifier, after, up_to).await?;
        Ok((broken, verifier))
    }
}

impl Writes for PgWrite {
    const INSERT_CHECKPOINT: &'static str = insert_checkpoint!("$6 * interval '1 millisecond'");

    async fn take_turn_at_checkpoints(&mut self) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('hillpost_audit_checkpoints'))")
            .execute(self.conn())
            .await?;
        Ok(())
    }

    async fn take_turn_at_signing_keys(&mut self) -> Result<(), StoreError> {
        sqlx::query("LOCK TABLE signing_keys IN EXCLUSIVE MODE")
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

pub(super) async fn cross_check(conn: &mut PgConnection) -> Result<Vec<Unrecorded>, StoreError> {
    checkpoints::cross_check(conn).await
}

pub(super) async fn stored(conn: &mut PgConnection) -> Result<Vec<Checkpoint>, StoreError> {
    checkpoints::stored(conn).await
}
