//! Delivery notices (bounces), written once: `crate::notices` decides what a message means;
//! this module writes it — the notice row, its audit event and, for a bounce, the
//! delivery's move — in one transaction. A backend supplies the two statements that
//! differ: the locked read of the bounced delivery ([`Statements::DELIVERED_FOR_BOUNCE`]) and
//! the move, stamped with its clock ([`Writes::move_bounced`]).

use hillpost_core::audit::NewEvent;
use hillpost_core::batch::Endpoint;
use hillpost_core::bounce::bounce_transition;
use hillpost_core::delivery::{Channel, DeliveryRules, DeliveryState, Position, Transition};
use hillpost_core::ids::DeliveryId;

use super::operator::{self, NewDeliveryEvent, reopen_batch};
use super::sql::{Arg, Columns, Run};
use super::{Backend, Driver, Statements, Write, WriteTx};
use crate::audit::Privacy;
use crate::notices::{
    NamedDelivery, NewNotice, NoticeOutcome, NoticeRow, audit_event, decide, kept_message, outcome,
};
use crate::record::{self, DeliveryEventFacts, delivery_event};
use crate::{DeliveryEventKind, StoreError, sha256_hex};

/// The delivered delivery `$1`, with its office's key (`recipient`) and endpoints and its
/// signer's commitment salt; `$lock` is what the backend adds to lock it (the only part of
/// the statement whose SQL differs).
macro_rules! delivered_for_bounce {
    ($lock:literal) => {
        concat!(
            "SELECT d.batch_id, d.signature_id, d.channel, d.endpoint, d.attempts, d.max_attempts,
                    r.key AS recipient, r.endpoints,
                    (SELECT s.salt FROM signatures s WHERE s.id = d.signature_id) AS signer_salt
               FROM deliveries d JOIN recipients r ON r.id = d.recipient_id
              WHERE d.id = $1 AND d.state = 'delivered'",
            $lock
        )
    };
}
pub(crate) use delivered_for_bounce;

/// The statements of a bounce: a backend supplies its lock
/// ([`Statements::DELIVERED_FOR_BOUNCE`]); the move is written once.
pub(crate) trait Writes: operator::Writes {
    /// Moves a bounced delivery as core decided, to `to` when it leaves its endpoint; no
    /// longer possibly accepted.
    async fn move_bounced(
        &mut self,
        id: i64,
        next: &Transition,
        to: Option<&Endpoint>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE deliveries
                      SET state = $2,
                          finalized_at = CASE WHEN $2 = 'queued' THEN NULL ELSE now() END,
                          due_at = CASE WHEN $2 = 'queued' THEN now() ELSE due_at END,
                          last_error = $3,
                          channel = coalesce($4, channel),
                          endpoint = coalesce($5, endpoint),
                          rate_key = coalesce($6, rate_key),
                          max_attempts = coalesce($7, max_attempts),
                          possibly_accepted = false
                    WHERE id = $1";
        let args = [
            Arg::Int(id),
            Arg::Text(next.state.as_str()),
            Arg::OptText(next.last_error.as_deref()),
            Arg::OptText(to.map(|e| e.channel.as_str())),
            Arg::OptText(to.map(|e| e.address.as_str())),
            Arg::OptText(to.map(|e| e.rate_key.as_str())),
            Arg::OptInt(next.max_attempts.map(i64::from)),
        ];
        self.db().exec(sql, &args).await?;
        Ok(())
    }
}

impl<D: Driver> Writes for WriteTx<D> {}

const EARLIER: &str = "SELECT id FROM delivery_notices WHERE message_sha256 = $1";

const NAMED_DELIVERY: &str =
    "SELECT d.id, d.batch_id, b.campaign_id, c.organization, d.channel, d.state, d.signature_id,
            s.salt
       FROM deliveries d JOIN batches b ON b.id = d.batch_id
       JOIN campaigns c ON c.id = b.campaign_id
       LEFT JOIN signatures s ON s.id = d.signature_id
      WHERE d.idempotency_key = $1";

const INSERT_NOTICE: &str = "INSERT INTO delivery_notices (received_at, source, message_sha256, message, kind, form,
            status, diagnostic, reporting_mta, recipient, delivery_key, delivery_id, set_aside, effect)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id";

const NOTICES: &str =
    "SELECT id, received_at, source, kind, status, diagnostic, reporting_mta, delivery_id,
            set_aside, effect
       FROM delivery_notices
      WHERE NOT $1 OR set_aside IS NOT NULL ORDER BY id DESC LIMIT $2";

/// `bounces record`: see [`crate::Store::record_notice`].
pub(crate) async fn record_notice(
    store: &impl Backend,
    actor: &str,
    notice: &NewNotice,
) -> Result<NoticeOutcome, StoreError> {
    let sha256 = sha256_hex(&notice.message);
    let mut tx = store.begin_write().await?;
    if let Some(row) = tx.db().row(EARLIER, &[Arg::Text(&sha256)]).await? {
        let notice_id = row.int("id")?;
        return Ok(NoticeOutcome::AlreadyRecorded {
            notice_id: notice_id.into(),
        });
    }
    let read = notice.reading.notice();
    let named = match read.and_then(|n| n.delivery_key.as_deref()) {
        Some(key) => named_delivery(&mut tx.db(), key).await?,
        None => None,
    };
    let decision = decide(notice, named.as_ref());
    let status = read.and_then(|n| n.status).map(|s| s.to_string());
    let args = [
        Arg::Time(notice.received_at),
        Arg::Text(&notice.source),
        Arg::Text(&sha256),
        Arg::Bytes(kept_message(&notice.message)),
        Arg::OptText(read.map(|n| n.kind.as_str())),
        Arg::OptText(read.map(|n| n.form.as_str())),
        Arg::OptText(status.as_deref()),
        Arg::OptText(read.and_then(|n| n.diagnostic.as_deref())),
        Arg::OptText(read.and_then(|n| n.reporting_mta.as_deref())),
        Arg::OptText(read.and_then(|n| n.recipient.as_deref())),
        Arg::OptText(read.and_then(|n| n.delivery_key.as_deref())),
        Arg::OptInt(decision.delivery_id.map(i64::from)),
        Arg::OptText(decision.set_aside.as_deref()),
        Arg::OptText(decision.effect.as_deref()),
    ];
    let inserted = tx.db().row(INSERT_NOTICE, &args).await?;
    let notice_id = inserted
        .ok_or_else(|| StoreError::corrupt("a notice row was not returned"))?
        .int("id")?;
    let mut events = vec![audit_event(
        actor,
        notice_id.into(),
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
    Ok(outcome(notice_id.into(), decision))
}

/// The newest `limit` notices, or only those set aside.
pub(crate) async fn notices(
    store: &impl Backend,
    set_aside_only: bool,
    limit: i64,
) -> Result<Vec<NoticeRow>, StoreError> {
    let args = [Arg::Flag(set_aside_only), Arg::Int(limit)];
    let rows = store.read().await?.rows(NOTICES, &args).await?;
    rows.iter()
        .map(|row| {
            Ok(NoticeRow {
                id: row.int("id")?.into(),
                received_at: row.time("received_at")?,
                source: row.text("source")?,
                kind: row.opt_text("kind")?,
                status: row.opt_text("status")?,
                diagnostic: row.opt_text("diagnostic")?,
                reporting_mta: row.opt_text("reporting_mta")?,
                delivery_id: row.opt_int("delivery_id")?.map(Into::into),
                set_aside: row.opt_text("set_aside")?,
                effect: row.opt_text("effect")?,
            })
        })
        .collect()
}

/// The effect of a bounce on its delivered delivery, as `core::bounce::bounce_transition`
/// decides: on to the recipient's next endpoint (its batch reopened), or `bounced`; with a
/// `bounced` delivery event saying so. The one place a bounce changes a delivery.
async fn apply_bounce<W: Writes>(
    tx: &mut W,
    actor: &str,
    delivery_id: DeliveryId,
    rules: &DeliveryRules,
    reason: &str,
) -> Result<Vec<NewEvent>, StoreError> {
    let row = tx
        .db()
        .row(
            W::Driver::DELIVERED_FOR_BOUNCE,
            &[Arg::Int(delivery_id.get())],
        )
        .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let channel: Channel = row.parsed("channel")?;
    let endpoint = row.text("endpoint")?;
    let endpoints = record::parse_endpoints(&row.text("endpoints")?)?;
    let batch_id = row.int("batch_id")?;
    let next = bounce_transition(
        &Position {
            channel,
            endpoint: &endpoint,
            endpoints: &endpoints,
            attempt_no: row.unsigned("attempts")?.into(),
            max_attempts: row.unsigned("max_attempts")?,
            possibly_accepted: true,
        },
        rules,
        reason.to_string(),
    );
    let to = next.route.as_ref().and_then(|r| r.to.clone());
    let mut events = Vec::new();
    if next.state == DeliveryState::Queued {
        events.extend(reopen_batch(tx, batch_id.into(), actor, reason).await?);
    }
    tx.move_bounced(delivery_id.get(), &next, to.as_ref())
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
    let event_id = tx.insert_delivery_event(&event).await?;
    let recipient = row.text("recipient")?;
    events.push(delivery_event(
        actor,
        DeliveryEventFacts {
            event_id,
            kind: DeliveryEventKind::Bounced,
            delivery_id,
            batch_id: batch_id.into(),
            signature_id: row.opt_int("signature_id")?.map(Into::into),
            recipient: &recipient,
            attempt_no: None,
            from: Some(from),
            to,
            reason,
            state_after: Some(next.state.as_str()),
            privacy: &Privacy::of(
                row.opt_int("signature_id")?.map(Into::into),
                row.opt_bytes("signer_salt")?,
            ),
        },
    ));
    Ok(events)
}

/// The delivery a notice's key names, whoever's it is (`decide` checks that).
async fn named_delivery(db: &mut impl Run, key: &str) -> Result<Option<NamedDelivery>, StoreError> {
    let row = db.row(NAMED_DELIVERY, &[Arg::Text(key)]).await?;
    row.map(|row| {
        Ok(NamedDelivery {
            id: row.int("id")?.into(),
            batch_id: row.int("batch_id")?.into(),
            campaign_id: row.text("campaign_id")?,
            organization: row.text("organization")?,
            channel: row.parsed("channel")?,
            state: row.parsed("state")?,
            privacy: Privacy::of(
                row.opt_int("signature_id")?.map(Into::into),
                row.opt_bytes("salt")?,
            ),
        })
    })
    .transpose()
}
