//! Recording what came back to a letter's envelope sender (see `hillpost_core::bounce`),
//! the same way on both backends: this module decides what is written, and
//! `crate::logic::notices` writes the row, the audit event and the effect in one
//! transaction through the statements each backend supplies.
//!
//! ```text
//!   NewNotice ─ same message already recorded? ─yes─▶ AlreadyRecorded
//!       │ no
//!       ├─ not read as a notice, or names no key ───────────▶ set aside (reason)
//!       ├─ key unknown / not this organization's / not email ▶ set aside (reason)
//!       └─ the delivery ─▶ core::bounce::notice_effect(kind, state)
//!                            ├─ Bounce  ─▶ logic::notices::apply_bounce (the delivery's state)
//!                            └─ Record  ─▶ evidence only
//! ```

use chrono::{DateTime, Utc};
use hillpost_core::audit::{EventKind, NewEvent, Subjects};
use hillpost_core::bounce::{DeliveryNotice, NoticeEffect};
use hillpost_core::delivery::{Channel, DeliveryRules, DeliveryState};
use hillpost_core::ids::{BatchId, DeliveryId, NoticeId};
use serde_json::json;

use crate::audit::Privacy;

/// The largest message kept in a notice row; a longer one is kept cut at this length (its
/// SHA-256 is of the whole).
pub const MAX_KEPT_MESSAGE_BYTES: usize = 1024 * 1024;

/// A message to record: what it was read as, or why it could not be.
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub received_at: DateTime<Utc>,
    /// `stdin`, `maildir:<file name>`, `api:<token>`.
    pub source: String,
    pub message: Vec<u8>,
    pub reading: Reading,
    /// Record only against this organization's deliveries (an organizer's API token);
    /// `None`: any delivery (the command line, run by the operator).
    pub organization: Option<String>,
    /// The budget a bounced delivery gets on the recipient's next endpoint.
    pub rules: DeliveryRules,
}

/// What the message was read as.
#[derive(Debug, Clone)]
pub enum Reading {
    Notice(DeliveryNotice),
    /// Not a notice about a letter of ours: why, and what it was read as if anything.
    Unread {
        reason: String,
        notice: Option<DeliveryNotice>,
    },
}

impl Reading {
    pub(crate) fn notice(&self) -> Option<&DeliveryNotice> {
        match self {
            Reading::Notice(notice) => Some(notice),
            Reading::Unread { notice, .. } => notice.as_ref(),
        }
    }
}

/// What recording a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// Recorded against a delivery; `effect` says what it did to it, in words.
    Recorded {
        notice_id: NoticeId,
        delivery_id: DeliveryId,
        effect: String,
        bounced: bool,
    },
    /// Kept aside, with the reason.
    SetAside { notice_id: NoticeId, reason: String },
    /// The same message (by SHA-256) was recorded before: nothing was written.
    AlreadyRecorded { notice_id: NoticeId },
}

/// A recorded notice, as `hillpost bounces list` shows it (the message itself stays in the
/// database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: NoticeId,
    pub received_at: DateTime<Utc>,
    pub source: String,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    pub reporting_mta: Option<String>,
    pub delivery_id: Option<DeliveryId>,
    pub set_aside: Option<String>,
    pub effect: Option<String>,
}

/// The delivery a notice's key named, as the backend found it.
#[derive(Debug, Clone)]
pub(crate) struct NamedDelivery {
    pub id: DeliveryId,
    pub batch_id: BatchId,
    pub campaign_id: String,
    pub organization: String,
    pub channel: Channel,
    pub state: DeliveryState,
    /// Whose letter it is: a notice about a signer's own letter or receipt may quote them.
    pub privacy: Privacy,
}

/// What a backend writes for one notice.
#[derive(Debug, Clone)]
pub(crate) struct Decision {
    pub delivery_id: Option<DeliveryId>,
    pub set_aside: Option<String>,
    pub effect: Option<String>,
    /// Whether `crate::logic::notices::apply_bounce` must run.
    pub bounce: bool,
}

/// Decides what happens with `notice` given the delivery its key found (if any).
pub(crate) fn decide(notice: &NewNotice, named: Option<&NamedDelivery>) -> Decision {
    let set_aside = |reason: String| Decision {
        delivery_id: named.map(|d| d.id),
        set_aside: Some(reason),
        effect: None,
        bounce: false,
    };
    let read = match &notice.reading {
        Reading::Notice(read) => read,
        Reading::Unread { reason, .. } => {
            return Decision {
                delivery_id: None,
                ..set_aside(reason.clone())
            };
        }
    };
    let key = read.delivery_key.as_deref().unwrap_or_default();
    let visible = |d: &&NamedDelivery| {
        notice
            .organization
            .as_deref()
            .is_none_or(|org| org == d.organization)
    };
    let Some(delivery) = named.filter(visible) else {
        // The same words whether the key is unknown or another organization's.
        return Decision {
            delivery_id: None,
            ..set_aside(format!(
                "names delivery key {key}, which no delivery of ours has"
            ))
        };
    };
    if delivery.channel != Channel::Email {
        return set_aside(format!(
            "names delivery {}, which went by {}, not email",
            delivery.id, delivery.channel
        ));
    }
    match hillpost_core::bounce::notice_effect(read.kind, delivery.state) {
        NoticeEffect::Bounce => Decision {
            delivery_id: Some(delivery.id),
            set_aside: None,
            effect: Some(format!("the letter {}", read.summary())),
            bounce: true,
        },
        NoticeEffect::Record(why) => Decision {
            delivery_id: Some(delivery.id),
            set_aside: None,
            effect: Some(why),
            bounce: false,
        },
    }
}

/// What a backend reports for the row it wrote.
pub(crate) fn outcome(notice_id: NoticeId, decision: Decision) -> NoticeOutcome {
    match (decision.delivery_id, decision.set_aside) {
        (Some(delivery_id), None) => NoticeOutcome::Recorded {
            notice_id,
            delivery_id,
            effect: decision.effect.unwrap_or_default(),
            bounced: decision.bounce,
        },
        (_, reason) => NoticeOutcome::SetAside {
            notice_id,
            reason: reason.unwrap_or_else(|| "names no delivery".into()),
        },
    }
}

/// The message as kept: whole, or cut at [`MAX_KEPT_MESSAGE_BYTES`].
pub(crate) fn kept_message(message: &[u8]) -> &[u8] {
    &message[..message.len().min(MAX_KEPT_MESSAGE_BYTES)]
}

/// The `notice.received` audit event: what came back, about which delivery, and what it
/// did. No message text: a bounce quotes the letter, and the letter names the signer.
pub(crate) fn audit_event(
    actor: &str,
    notice_id: NoticeId,
    notice: &NewNotice,
    message_sha256: &str,
    decision: &Decision,
    named: Option<&NamedDelivery>,
) -> NewEvent {
    let read = notice.reading.notice();
    let named = named.filter(|d| decision.delivery_id == Some(d.id));
    // A notice set aside belongs to no letter we can name, so to no signer an erasure could
    // find: its answer stays in its row only.
    let privacy = named.map_or(Privacy::Signer(None), |d| d.privacy.clone());
    let mut payload = json!({
        "notice_id": notice_id,
        "source": notice.source,
        "message_sha256": message_sha256,
        "kind": read.map(|n| n.kind.as_str()),
        "form": read.map(|n| n.form.as_str()),
        "status": read.and_then(|n| n.status).map(|s| s.to_string()),
        "reporting_mta": read.and_then(|n| n.reporting_mta.clone()),
        "set_aside": decision.set_aside,
    });
    privacy.put(
        &mut payload,
        "diagnostic",
        read.and_then(|n| n.diagnostic.as_deref()),
    );
    privacy.put(&mut payload, "effect", decision.effect.as_deref());
    NewEvent {
        kind: EventKind::NoticeReceived,
        actor: actor.to_string(),
        subjects: Subjects {
            campaign_id: named.map(|d| d.campaign_id.clone()),
            batch_id: named.map(|d| d.batch_id),
            delivery_id: decision.delivery_id,
            attempt_id: None,
        },
        payload,
    }
}

#[cfg(test)]
mod tests {
    use hillpost_core::bounce::{NoticeForm, NoticeKind};

    use super::*;

    fn notice(kind: NoticeKind, organization: Option<&str>) -> NewNotice {
        NewNotice {
            received_at: Utc::now(),
            source: "stdin".into(),
            message: b"x".to_vec(),
            reading: Reading::Notice(DeliveryNotice {
                kind,
                form: NoticeForm::Dsn,
                delivery_key: Some("k1".into()),
                status: Some("5.1.1".parse().unwrap()),
                diagnostic: None,
                reporting_mta: None,
                recipient: None,
            }),
            organization: organization.map(str::to_string),
            rules: DeliveryRules {
                retry: hillpost_core::retry::RetrySchedule::new(vec![], 0.0, Default::default()),
                resend: Default::default(),
            },
        }
    }

    fn delivery(state: DeliveryState, channel: Channel) -> NamedDelivery {
        NamedDelivery {
            id: DeliveryId::new(7),
            batch_id: BatchId::new(1),
            campaign_id: "c".into(),
            organization: "Org A".into(),
            channel,
            state,
            privacy: Privacy::Public,
        }
    }

    #[test]
    fn a_failure_of_a_delivered_email_letter_bounces_it() {
        let named = delivery(DeliveryState::Delivered, Channel::Email);
        let decision = decide(&notice(NoticeKind::Failed, None), Some(&named));
        assert!(decision.bounce);
        assert_eq!(decision.delivery_id, Some(DeliveryId::new(7)));
        assert_eq!(decision.set_aside, None);
        assert!(
            decision
                .effect
                .unwrap()
                .starts_with("the letter bounced (5.1.1")
        );
    }

    #[test]
    fn delays_and_auto_replies_are_recorded_only() {
        let named = delivery(DeliveryState::Delivered, Channel::Email);
        for kind in [
            NoticeKind::Delayed,
            NoticeKind::AutoReply,
            NoticeKind::Relayed,
        ] {
            let decision = decide(&notice(kind, None), Some(&named));
            assert!(!decision.bounce, "{kind}");
            assert_eq!(decision.delivery_id, Some(DeliveryId::new(7)));
            assert!(decision.effect.is_some());
        }
    }

    #[test]
    fn unknown_foreign_and_non_email_deliveries_are_set_aside() {
        let decision = decide(&notice(NoticeKind::Failed, None), None);
        assert_eq!(decision.delivery_id, None);
        assert!(decision.set_aside.unwrap().contains("no delivery of ours"));
        // Another organization's delivery reads exactly like an unknown one.
        let named = delivery(DeliveryState::Delivered, Channel::Email);
        let foreign = decide(&notice(NoticeKind::Failed, Some("Org B")), Some(&named));
        assert_eq!(foreign.delivery_id, None);
        assert_eq!(
            foreign.set_aside,
            decide(&notice(NoticeKind::Failed, None), None).set_aside
        );
        let web = delivery(DeliveryState::Delivered, Channel::WebForm);
        let decision = decide(&notice(NoticeKind::Failed, None), Some(&web));
        assert!(decision.set_aside.unwrap().contains("web_form"));
        assert!(!decision.bounce);
    }
}
