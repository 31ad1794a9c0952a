//! Reading the audit chain, written once: verifying it whole in one snapshot, a checkpoint's
//! stretch of it, an event's stored hash, the payloads the export reads. Appending differs
//! between the backends and stays with each ([`Driver::append_events`]: SQLite reads and
//! moves the head under `BEGIN IMMEDIATE`; PostgreSQL calls `hillpost_audit_append`).

use hillpost_core::audit::{
    Anchor, BrokenLink, ChainHead, ChainedEvent, NewEvent, Subjects, Verifier,
};
use hillpost_core::ids::BatchId;

use super::Backend;
use super::driver::{Driver, WriteTx};
use super::sql::{Arg, Columns, Run};
use crate::{ChainReport, StoreError};

/// Events read per statement while checking: a bounded page, so a long chain is checked
/// in constant memory within the caller's snapshot.
const EVENTS_PER_PAGE: i64 = 5_000;

/// Appends events to the chain inside `tx`, stamped with its reading of the clock; nothing
/// for none. How is the backend's ([`Driver::append_events`]).
pub(crate) async fn append<D: Driver>(
    tx: &mut WriteTx<D>,
    events: Vec<NewEvent>,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    D::append_events(tx, events).await
}

/// Recomputes the whole chain inside one read snapshot, holding it to the stored
/// checkpoints and `anchors`; then the cross-check and the altered attempts, in the same
/// snapshot (appends going on meanwhile neither break nor extend what is checked).
pub(crate) async fn verify_audit(
    store: &impl Backend,
    anchors: Vec<Anchor>,
) -> Result<ChainReport, StoreError> {
    let mut tx = store.snapshot().await?;
    let head = read_head(&mut *tx).await?;
    let stored = super::checkpoints::stored(&mut *tx).await?;
    let checkpoints = anchors.len() + stored.len();
    let anchors = anchors
        .into_iter()
        .chain(stored.iter().map(crate::checkpoints::stored_anchor));
    let (verified, broken, verifier) =
        check_events(&mut *tx, Verifier::with_anchors(anchors), 0, i64::MAX).await?;
    let unrecorded = super::checkpoints::cross_check(&mut *tx).await?;
    let (altered, altered_count) = crate::altered::altered_attempts(&mut *tx).await?;
    tx.rollback().await?;
    let broken = match broken {
        Some(link) => Some(link),
        None => verifier.finish(&head).err(),
    };
    Ok(ChainReport {
        verified,
        head,
        broken,
        checkpoints,
        unrecorded,
        altered,
        altered_count,
    })
}

/// The stored hash of event `seq`, if there is one.
pub(crate) async fn audit_event_hash(
    store: &impl Backend,
    seq: i64,
) -> Result<Option<String>, StoreError> {
    let sql = "SELECT hash FROM audit_events WHERE seq = $1";
    let row = store.read().await?.row(sql, &[Arg::Int(seq)]).await?;
    row.map(|row| row.text("hash")).transpose()
}

/// `(attempt_id, payload)` of a batch's `attempt.recorded` events, for the export.
pub(crate) async fn attempt_event_payloads(
    store: &impl Backend,
    batch_id: BatchId,
) -> Result<Vec<(i64, String)>, StoreError> {
    let sql = "SELECT attempt_id, payload FROM audit_events
                WHERE batch_id = $1 AND kind = 'attempt.recorded' AND attempt_id IS NOT NULL";
    let rows = store
        .read()
        .await?
        .rows(sql, &[Arg::Int(batch_id.get())])
        .await?;
    rows.iter()
        .map(|row| Ok((row.int("attempt_id")?, row.text("payload")?)))
        .collect()
}

/// The chain's head as `conn` sees it.
pub(crate) async fn read_head(conn: &mut impl Run) -> Result<ChainHead, StoreError> {
    let row = conn
        .row("SELECT seq, hash FROM audit_head WHERE id = 1", &[])
        .await?
        .ok_or_else(|| StoreError::corrupt("the audit chain has no head row"))?;
    Ok(ChainHead {
        seq: row.int("seq")?,
        hash: row.text("hash")?,
    })
}

/// Feeds the events with `after < seq <= up_to` to `verifier`, a page at a time; stops at
/// the first broken link. How many checked out, the broken link, and the verifier.
pub(crate) async fn check_events(
    conn: &mut impl Run,
    mut verifier: Verifier,
    after: i64,
    up_to: i64,
) -> Result<(u64, Option<BrokenLink>, Verifier), StoreError> {
    let sql = "SELECT seq, at, kind, actor, campaign_id, batch_id, delivery_id, attempt_id, payload, prev_hash, hash
                 FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3";
    let mut verified = 0;
    let mut from = after;
    loop {
        let args = [Arg::Int(from), Arg::Int(up_to), Arg::Int(EVENTS_PER_PAGE)];
        let rows = conn.rows(sql, &args).await?;
        for row in &rows {
            let event = event(row)?;
            from = event.seq;
            if let Err(link) = verifier.check(&event) {
                return Ok((verified, Some(link), verifier));
            }
            verified += 1;
        }
        if rows.len() < usize::try_from(EVENTS_PER_PAGE).unwrap_or(usize::MAX) {
            return Ok((verified, None, verifier));
        }
    }
}

fn event(row: &impl Columns) -> Result<ChainedEvent, StoreError> {
    Ok(ChainedEvent {
        seq: row.int("seq")?,
        at: row.time("at")?,
        kind: row.text("kind")?,
        actor: row.text("actor")?,
        subjects: Subjects {
            campaign_id: row.opt_text("campaign_id")?,
            batch_id: row.opt_int("batch_id")?.map(Into::into),
            delivery_id: row.opt_int("delivery_id")?.map(Into::into),
            attempt_id: row.opt_int("attempt_id")?.map(Into::into),
        },
        payload: row.text("payload")?,
        prev_hash: row.text("prev_hash")?,
        hash: row.text("hash")?,
    })
}
