//! Attempt evidence (answer pages, screenshots), written once: storing a group of it in one
//! transaction, listing it by delivery or batch, and reading one piece back decoded.

use super::sql::{Arg, Columns, Run};
use super::{Backend, Write};
use crate::StoreError;
use crate::evidence::{Encoded, EvidenceRow, NewEvidence, decode, encode, kind};
use hillpost_core::ids::{BatchId, DeliveryId};

/// The columns of an [`EvidenceRow`]; the statements join `deliveries d` for the batch.
macro_rules! evidence_columns {
    () => {
        "e.id, e.delivery_id, d.batch_id, e.attempt_no, e.kind, e.content_type, e.size, e.truncated,
         e.sha256, e.created_at, e.erased_at IS NOT NULL AS erased"
    };
}

/// One piece of evidence, its content as encoded, created now; nothing when that
/// attempt's evidence of its kind is stored already.
async fn insert_evidence(
    tx: &mut impl Write,
    item: &NewEvidence<'_>,
    encoded: Encoded,
) -> Result<(), StoreError> {
    let sql = "INSERT INTO attempt_evidence (delivery_id, attempt_no, kind, content_type, encoding, content,
                       size, truncated, sha256, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
               ON CONFLICT (delivery_id, attempt_no, kind) DO NOTHING";
    let sha256 = item.evidence.sha256();
    let args = [
        Arg::Int(item.delivery_id.get()),
        Arg::Int(i64::from(item.attempt_no)),
        Arg::Text(item.evidence.kind.as_str()),
        Arg::Text(&item.evidence.content_type),
        Arg::Text(encoded.encoding),
        Arg::Bytes(&encoded.bytes),
        Arg::Int(i64::try_from(item.evidence.content.len()).unwrap_or(i64::MAX)),
        Arg::Flag(item.evidence.truncated),
        Arg::Text(&sha256),
    ];
    tx.db().exec(sql, &args).await?;
    Ok(())
}

/// See [`crate::Store::store_evidence`].
pub(crate) async fn store_evidence(
    store: &impl Backend,
    items: &[NewEvidence<'_>],
) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    for item in items {
        insert_evidence(&mut tx, item, encode(item.evidence)?).await?;
    }
    tx.commit().await
}

/// A delivery's evidence, by attempt.
pub(crate) async fn of_delivery(
    store: &impl Backend,
    delivery_id: DeliveryId,
) -> Result<Vec<EvidenceRow>, StoreError> {
    let sql = concat!(
        "SELECT ",
        evidence_columns!(),
        " FROM attempt_evidence e JOIN deliveries d ON d.id = e.delivery_id
         WHERE e.delivery_id = $1 ORDER BY e.delivery_id, e.attempt_no, e.id"
    );
    rows(store, sql, delivery_id.get()).await
}

/// A batch's evidence, by delivery and attempt.
pub(crate) async fn of_batch(
    store: &impl Backend,
    batch_id: BatchId,
) -> Result<Vec<EvidenceRow>, StoreError> {
    let sql = concat!(
        "SELECT ",
        evidence_columns!(),
        " FROM attempt_evidence e JOIN deliveries d ON d.id = e.delivery_id
         WHERE d.batch_id = $1 ORDER BY e.delivery_id, e.attempt_no, e.id"
    );
    rows(store, sql, batch_id.get()).await
}

async fn rows(
    store: &impl Backend,
    sql: &'static str,
    id: i64,
) -> Result<Vec<EvidenceRow>, StoreError> {
    let rows = store.read().await?.rows(sql, &[Arg::Int(id)]).await?;
    rows.iter().map(evidence_row).collect()
}

/// One piece of evidence with its content, decoded.
pub(crate) async fn content(
    store: &impl Backend,
    id: i64,
) -> Result<Option<(EvidenceRow, Vec<u8>)>, StoreError> {
    let sql = concat!(
        "SELECT ",
        evidence_columns!(),
        ", e.encoding, e.content FROM attempt_evidence e
         JOIN deliveries d ON d.id = e.delivery_id WHERE e.id = $1"
    );
    let Some(row) = store.read().await?.row(sql, &[Arg::Int(id)]).await? else {
        return Ok(None);
    };
    let meta = evidence_row(&row)?;
    // An erased page or screenshot is kept as its size and hash only.
    let content = if meta.erased {
        Vec::new()
    } else {
        decode(&row.text("encoding")?, row.bytes("content")?, meta.size)?
    };
    Ok(Some((meta, content)))
}

fn evidence_row(row: &impl Columns) -> Result<EvidenceRow, StoreError> {
    Ok(EvidenceRow {
        id: row.int("id")?,
        delivery_id: row.int("delivery_id")?.into(),
        batch_id: row.int("batch_id")?.into(),
        attempt_no: row.unsigned("attempt_no")?.into(),
        kind: kind(&row.text("kind")?)?,
        content_type: row.text("content_type")?,
        size: u64::from(row.unsigned("size")?),
        truncated: row.flag("truncated")?,
        sha256: row.text("sha256")?,
        erased: row.flag("erased")?,
        created_at: row.time("created_at")?,
    })
}
