//! Reading one message that came back to the bounce address and recording it: shared by
//! `hillpost bounces ingest` (stdin, Maildir) and `POST /api/v1/bounces`.

use std::io::Read;

use chrono::Utc;
use hillpost_channels::email::bounce::{BounceAddresses, MAX_NOTICE_BYTES, read_notice};
use hillpost_store::{NewNotice, NoticeOutcome, Reading, Store, StoreError};

use crate::config::Settings;

/// Where bounces come back and how Message-IDs end, as configured.
pub fn addresses(settings: &Settings) -> BounceAddresses {
    BounceAddresses {
        bounce_domain: Some(settings.email.bounce_domain.trim().to_ascii_lowercase())
            .filter(|d| !d.is_empty()),
        message_id_domain: settings.email.message_id_domain.to_ascii_lowercase(),
    }
}

/// One message to record, and where it came from.
pub struct Incoming<'a> {
    pub message: Vec<u8>,
    /// `stdin`, `maildir:<file name>`, `api`.
    pub source: String,
    /// The address the MTA delivered it to, when it says.
    pub envelope_recipient: Option<&'a str>,
    /// Only this organization's deliveries (an organizer's API token).
    pub organization: Option<String>,
}

/// Reads `incoming` and records it: against its delivery, or set aside with the reason.
pub async fn ingest(
    store: &Store,
    settings: &Settings,
    actor: &str,
    incoming: Incoming<'_>,
) -> Result<NoticeOutcome, StoreError> {
    let addresses = addresses(settings);
    let reading = match read_notice(&incoming.message, &addresses, incoming.envelope_recipient) {
        Ok(notice) => Reading::Notice(notice),
        Err(set_aside) => Reading::Unread {
            reason: set_aside.reason,
            notice: set_aside.notice.map(|notice| *notice),
        },
    };
    let notice = NewNotice {
        received_at: Utc::now(),
        source: incoming.source,
        message: incoming.message,
        reading,
        organization: incoming.organization,
        rules: settings.delivery_rules(),
    };
    store.record_notice(actor, &notice).await
}

/// Reads at most one byte more than a notice may have, so a huge input costs no more
/// memory than that (and is then set aside as too large).
pub fn read_bounded(mut input: impl Read) -> std::io::Result<Vec<u8>> {
    let mut message = Vec::new();
    input
        .by_ref()
        .take(MAX_NOTICE_BYTES as u64 + 1)
        .read_to_end(&mut message)?;
    Ok(message)
}

/// One line for a person: what recording did.
pub fn describe(outcome: &NoticeOutcome) -> String {
    match outcome {
        NoticeOutcome::Recorded {
            notice_id,
            delivery_id,
            effect,
            ..
        } => format!("notice {notice_id}: delivery {delivery_id}: {effect}"),
        NoticeOutcome::SetAside { notice_id, reason } => {
            format!("notice {notice_id}: set aside: {reason}")
        }
        NoticeOutcome::AlreadyRecorded { notice_id } => {
            format!("notice {notice_id}: already recorded (the same message came before)")
        }
    }
}
