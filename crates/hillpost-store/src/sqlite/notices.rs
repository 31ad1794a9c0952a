//! Delivery notices on SQLite: see `crate::notices` for what is decided.

use hillpost_core::audit::NewEvent;
use hillpost_core::bounce::bounce_transition;
use hillpost_core::delivery::{Channel, DeliveryRules, DeliveryState, Position};
use sqlx::Row;

use super::batches::{parse, unsigned};
use super::{SqliteStore, SqliteWrite, ms, now_ms, time};
use crate::DeliveryEventKind;
use crate::audit::Privacy;
use crate::logic::operator::{NewDeliveryEvent, reopen_batch};
use crate::logic::{Backend, Write};
use crate::notices::{
    NOTICE_COLUMNS, NamedDelivery, NewNotice, NoticeOutcome, NoticeRow, audit_event, decide,
    kept_message, outcome,
};
use crate::record::{self, DeliveryEventFacts, delivery_event};
use crate::{StoreError, sha256_hex};

impl SqliteStore {
    pub async fn record_notice(
        &self,
        actor: &str,
        notice: &NewNotice,
    ) -> Result<NoticeOutcome, StoreError> {
        let sha256 = sha256_hex(&notice.message);
        let mut tx = self.begin_write().await?;
        let earlier: Option<i64> =
            sqlx::query_scalar("SELECT id FROM delivery_notices WHERE message_sha256 = ?1")
                .bind(&sha256)
                .fetch_optional(tx.conn())
                .await?;
        if let Some(notice_id) = earlier {
            return Ok(NoticeOutcome::AlreadyRecorded { notice_id });
        }
        let read = notice.reading.notice();
        let named = match read.and_then(|n| n.delivery_key.as_deref()) {
            Some(key) => named_delivery(tx.conn(), key).await?,
            None => None,
        };
        let decision = decide(notice, named.as_ref());
        let notice_id: i64 = sqlx::query_scalar(
            "INSERT INTO delivery_notices (received_at, source, message_sha256, message, kind, form,
                    status, diagnostic, reporting_mta, recipient, delivery_key, delivery_id,
                    set_aside, effect)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id",
        )
        .bind(ms(notice.received_at))
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
        .fetch_one(tx.conn())
        .await?;
        let mut events = vec![audit_event(
            actor,
            notice_id,
            notice,
            &sha256,
            &decision,
            named.as_ref(),
        )];
        if let (true, Some(delivery_id), Some(effect)) =
            (decision.bounce, decision.delivery_id, &decision.effect)
        {
            events.extend(apply_bounce(&mut tx, actor, delivery_id, &notice.rules, effect).await?);
        }
        tx.append_audit(events).await?;
        tx.commit().await?;
        Ok(outcome(notice_id, decision))
    }
}

impl SqliteStore {
    /// The newest `limit` notices, or only those set aside.
    pub async fn notices(
        &self,
        set_aside_only: bool,
        limit: i64,
    ) -> Result<Vec<NoticeRow>, StoreError> {
        type Row = (
            i64,
            i64,
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
              WHERE NOT ?1 OR set_aside IS NOT NULL ORDER BY id DESC LIMIT ?2"
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
                    received_at: time(received_at),
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

/// The effect of a bounce on its delivered delivery, as `core::bounce::bounce_transition`
/// decides: on to the recipient's next endpoint (its batch reopened), or `bounced`; with a
/// `bounced` delivery event saying so. The one place a bounce changes a delivery.
async fn apply_bounce(
    tx: &mut SqliteWrite,
    actor: &str,
    delivery_id: i64,
    rules: &DeliveryRules,
    reason: &str,
) -> Result<Vec<NewEvent>, StoreError> {
    let row = sqlx::query(
        "SELECT d.batch_id, d.signature_id, d.channel, d.endpoint, d.attempts, d.max_attempts,
                r.key AS recipient, r.endpoints,
                (SELECT s.salt FROM signatures s WHERE s.id = d.signature_id) AS signer_salt
           FROM deliveries d JOIN recipients r ON r.id = d.recipient_id
          WHERE d.id = ?1 AND d.state = 'delivered'",
    )
    .bind(delivery_id)
    .fetch_optional(tx.conn())
    .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let channel: Channel = parse(row.try_get("channel")?)?;
    let endpoint: String = row.try_get("endpoint")?;
    let endpoints = record::parse_endpoints(row.try_get("endpoints")?)?;
    let attempts = unsigned(row.try_get("attempts")?);
    let batch_id: i64 = row.try_get("batch_id")?;
    let next = bounce_transition(
        &Position {
            channel,
            endpoint: &endpoint,
            endpoints: &endpoints,
            attempt_no: attempts,
            max_attempts: unsigned(row.try_get("max_attempts")?),
            possibly_accepted: true,
        },
        rules,
        reason.to_string(),
    );
    let to = next.route.as_ref().and_then(|r| r.to.clone());
    let now = now_ms();
    let mut events = Vec::new();
    if next.state == DeliveryState::Queued {
        events.extend(reopen_batch(tx, batch_id, actor, reason).await?);
    }
    sqlx::query(
        "UPDATE deliveries
            SET state = ?2,
                finalized_at = CASE WHEN ?2 = 'queued' THEN NULL ELSE ?3 END,
                due_at = CASE WHEN ?2 = 'queued' THEN ?3 ELSE due_at END,
                last_error = ?4,
                channel = coalesce(?5, channel),
                endpoint = coalesce(?6, endpoint),
                rate_key = coalesce(?7, rate_key),
                max_attempts = coalesce(?8, max_attempts),
                possibly_accepted = 0
          WHERE id = ?1",
    )
    .bind(delivery_id)
    .bind(next.state.as_str())
    .bind(now)
    .bind(&next.last_error)
    .bind(to.as_ref().map(|e| e.channel.as_str()))
    .bind(to.as_ref().map(|e| e.address.as_str()))
    .bind(to.as_ref().map(|e| e.rate_key.as_str()))
    .bind(next.max_attempts.map(i64::from))
    .execute(tx.conn())
    .await?;
    let from = (channel, endpoint.as_str());
    let to = to.as_ref().map(|e| (e.channel, e.address.as_str()));
    let event = NewDeliveryEvent {
        delivery_id,
        kind: DeliveryEventKind::Bounced,
        actor,
        from: Some(from),
        to,
        reason,
    };
    let event_id = super::operator::insert_event(tx.conn(), now, &event).await?;
    let recipient: String = row.try_get("recipient")?;
    events.push(delivery_event(
        actor,
        DeliveryEventFacts {
            event_id,
            kind: DeliveryEventKind::Bounced,
            delivery_id,
            batch_id,
            signature_id: row.try_get("signature_id")?,
            recipient: &recipient,
            attempt_no: None,
            from: Some(from),
            to,
            reason,
            state_after: Some(next.state.as_str()),
            privacy: &Privacy::of(row.try_get("signature_id")?, row.try_get("signer_salt")?),
        },
    ));
    Ok(events)
}

async fn named_delivery(
    tx: &mut sqlx::SqliteConnection,
    key: &str,
) -> Result<Option<NamedDelivery>, StoreError> {
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        String,
        Option<i64>,
        Option<Vec<u8>>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT d.id, d.batch_id, b.campaign_id, c.organization, d.channel, d.state, d.signature_id, s.salt
           FROM deliveries d JOIN batches b ON b.id = d.batch_id
           JOIN campaigns c ON c.id = b.campaign_id
           LEFT JOIN signatures s ON s.id = d.signature_id
          WHERE d.idempotency_key = ?1",
    )
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    row.map(
        |(id, batch_id, campaign_id, organization, channel, state, signature_id, salt)| {
            Ok(NamedDelivery {
                id,
                batch_id,
                campaign_id,
                organization,
                channel: channel.parse::<Channel>().map_err(StoreError::Corrupt)?,
                state: state
                    .parse::<DeliveryState>()
                    .map_err(StoreError::Corrupt)?,
                privacy: Privacy::of(signature_id, salt),
            })
        },
    )
    .transpose()
}
