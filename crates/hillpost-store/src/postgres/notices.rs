//! Delivery notices on PostgreSQL: see `crate::notices` for what is decided.

use hillpost_core::delivery::{Channel, DeliveryState};

use chrono::{DateTime, Utc};

use super::PgStore;
use crate::notices::{
    NOTICE_COLUMNS, NamedDelivery, NewNotice, NoticeOutcome, NoticeRow, audit_event, decide,
    kept_message, outcome,
};
use crate::{StoreError, sha256_hex};

impl PgStore {
    pub async fn record_notice(
        &self,
        actor: &str,
        notice: &NewNotice,
    ) -> Result<NoticeOutcome, StoreError> {
        let sha256 = sha256_hex(&notice.message);
        let mut tx = self.pool().begin().await?;
        let earlier: Option<i64> =
            sqlx::query_scalar("SELECT id FROM delivery_notices WHERE message_sha256 = $1")
                .bind(&sha256)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(notice_id) = earlier {
            return Ok(NoticeOutcome::AlreadyRecorded { notice_id });
        }
        let read = notice.reading.notice();
        let named = match read.and_then(|n| n.delivery_key.as_deref()) {
            Some(key) => named_delivery(&mut tx, key).await?,
            None => None,
        };
        let decision = decide(notice, named.as_ref());
        let notice_id: i64 = sqlx::query_scalar(
            "INSERT INTO delivery_notices (received_at, source, message_sha256, message, kind, form,
                    status, diagnostic, reporting_mta, recipient, delivery_key, delivery_id,
                    set_aside, effect)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(notice.received_at)
        .bind(&notice.source)
        .bind(&sha256)
        .bind(kept_message(&notice.message))
        .bind(read.map(|n| n.kind.as_str()))
        .bind(read.map(|n| n.form.as_str()))
        .bind(read.and_then(|n| n.status).map(|s| s.to_string()))
        .bind(read.and_then(|n| n.diagnostic.as_deref()))
        .bind(read.and_then(|n| n.reporting_mta.as_deref()))
        .bind(read.and_then(|n| n.recipient.as_deref()))
        .bind(read.and_then(|n| n.delivery_key.as_deref()))
        .bind(decision.delivery_id)
        .bind(&decision.set_aside)
        .bind(&decision.effect)
        .fetch_one(&mut *tx)
        .await?;
        let event = audit_event(actor, notice_id, notice, &sha256, &decision, named.as_ref());
        super::audit::append(&mut tx, vec![event]).await?;
        tx.commit().await?;
        Ok(outcome(notice_id, decision))
    }
}

impl PgStore {
    /// The newest `limit` notices, or only those set aside.
    pub async fn notices(
        &self,
        set_aside_only: bool,
        limit: i64,
    ) -> Result<Vec<NoticeRow>, StoreError> {
        type Row = (
            i64,
            DateTime<Utc>,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {NOTICE_COLUMNS} FROM delivery_notices
              WHERE NOT $1 OR set_aside IS NOT NULL ORDER BY id DESC LIMIT $2"
        )))
        .bind(set_aside_only)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    received_at,
                    source,
                    kind,
                    status,
                    diagnostic,
                    reporting_mta,
                    delivery_id,
                    set_aside,
                    effect,
                )| NoticeRow {
                    id,
                    received_at: received_at,
                    source,
                    kind,
                    status,
                    diagnostic,
                    reporting_mta,
                    delivery_id,
                    set_aside,
                    effect,
                },
            )
            .collect())
    }
}

async fn named_delivery(
    tx: &mut sqlx::PgConnection,
    key: &str,
) -> Result<Option<NamedDelivery>, StoreError> {
    let row: Option<(i64, i64, String, String, String, String)> = sqlx::query_as(
        "SELECT d.id, d.batch_id, b.campaign_id, c.organization, d.channel, d.state
           FROM deliveries d JOIN batches b ON b.id = d.batch_id
           JOIN campaigns c ON c.id = b.campaign_id
          WHERE d.idempotency_key = $1",
    )
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    row.map(
        |(id, batch_id, campaign_id, organization, channel, state)| {
            Ok(NamedDelivery {
                id,
                batch_id,
                campaign_id,
                organization,
                channel: channel.parse::<Channel>().map_err(StoreError::Corrupt)?,
                state: state
                    .parse::<DeliveryState>()
                    .map_err(StoreError::Corrupt)?,
            })
        },
    )
    .transpose()
}
