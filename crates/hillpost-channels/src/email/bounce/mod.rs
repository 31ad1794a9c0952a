//! Reading what comes back to a letter's envelope sender: bounces, delay notices and
//! auto-replies, from the raw message (as an MTA pipes it, or as a Maildir holds it).
//!
//! ```text
//!   raw message ─ too large? ─▶ set aside
//!        │ parse (mailparse)
//!        ├─ multipart/report; report-type=delivery-status ─▶ dsn::read ─────────┐
//!        ├─ Exchange / qmail plain-text bounce ─────────────▶ plain::read ──────┤
//!        ├─ Auto-Submitted: (not "no") ─────────────────────▶ auto-reply ───────┤
//!        └─ anything else ─▶ set aside ("not a bounce …")                       │
//!                                      key::find_key (VERP address, Message-ID) ▼
//!                                                                      DeliveryNotice
//! ```
//!
//! Nothing here looks up deliveries: a notice naming no key, or a key the store does not
//! know, is set aside by the caller with the reason, never dropped.

mod dsn;
mod key;
mod plain;

use hillpost_core::bounce::{DeliveryNotice, NoticeForm, NoticeKind};
use mailparse::{MailHeaderMap, ParsedMail};

pub use key::{BounceAddresses, VERP_LOCAL_PART};

/// The largest message read as a notice. Bounces quote the letter, and a petition letter
/// carries its attachments, so this is generous; anything larger is set aside unread.
pub const MAX_NOTICE_BYTES: usize = 16 * 1024 * 1024;

/// A message that is not a notice about a letter of ours, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    pub reason: String,
    /// What it was read as, when it was a notice that names no letter.
    pub notice: Option<Box<DeliveryNotice>>,
}

impl SetAside {
    fn because(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            notice: None,
        }
    }
}

/// Reads `raw` as a notice about one of our letters. `envelope_recipient` is the address
/// the MTA delivered it to, when it says (a pipe transport's `${recipient}`).
pub fn read_notice(
    raw: &[u8],
    addresses: &BounceAddresses,
    envelope_recipient: Option<&str>,
) -> Result<DeliveryNotice, SetAside> {
    if raw.len() > MAX_NOTICE_BYTES {
        return Err(SetAside::because(format!(
            "larger than {} MiB: not read",
            MAX_NOTICE_BYTES / (1024 * 1024)
        )));
    }
    let mail = mailparse::parse_mail(raw)
        .map_err(|e| SetAside::because(format!("not a readable email message ({e})")))?;
    if mail.headers.is_empty() {
        return Err(SetAside::because("not an email message: it has no headers"));
    }
    let text = plain_text(&mail);
    let (form, report) = if dsn::is_dsn(&mail) {
        let report = dsn::read(&mail).map_err(SetAside::because)?;
        (NoticeForm::Dsn, report)
    } else if let Some(found) = plain::read(&text) {
        found
    } else if is_auto_reply(&mail) {
        let notice = DeliveryNotice {
            kind: NoticeKind::AutoReply,
            form: NoticeForm::AutoReply,
            delivery_key: None,
            status: None,
            diagnostic: mail.headers.get_first_value("Subject"),
            reporting_mta: None,
            recipient: mail.headers.get_first_value("From"),
        };
        return with_key(notice, &mail, addresses, envelope_recipient, &[], "");
    } else {
        return Err(SetAside::because(
            "not a bounce: no delivery-status report, no known bounce text, and no \
             Auto-Submitted header",
        ));
    };
    let notice = DeliveryNotice {
        kind: report.kind,
        form,
        delivery_key: None,
        status: Some(report.status),
        diagnostic: report.diagnostic,
        reporting_mta: report.reporting_mta,
        recipient: report.recipient,
    };
    let returned = dsn::returned_message_ids(&mail);
    with_key(
        notice,
        &mail,
        addresses,
        envelope_recipient,
        &returned,
        &text,
    )
}

fn with_key(
    mut notice: DeliveryNotice,
    mail: &ParsedMail<'_>,
    addresses: &BounceAddresses,
    envelope_recipient: Option<&str>,
    returned_ids: &[String],
    quoted_text: &str,
) -> Result<DeliveryNotice, SetAside> {
    notice.delivery_key = key::find_key(
        mail,
        addresses,
        envelope_recipient,
        returned_ids,
        quoted_text,
    );
    if notice.delivery_key.is_none() {
        return Err(SetAside {
            reason: format!(
                "a {} notice ({}) that names no letter of ours: no bounces+KEY address and no \
                 Message-ID of ours",
                notice.form, notice.kind
            ),
            notice: Some(Box::new(notice)),
        });
    }
    Ok(notice)
}

/// RFC 3834: any `Auto-Submitted` value but `no` marks a message no person wrote.
fn is_auto_reply(mail: &ParsedMail<'_>) -> bool {
    mail.headers
        .get_first_value("Auto-Submitted")
        .is_some_and(|value| {
            let token = value.split(';').next().unwrap_or("").trim();
            !token.is_empty() && !token.eq_ignore_ascii_case("no")
        })
}

/// The message's readable text: every text/plain part (the whole body of a one-part
/// message), and the headers of returned messages, joined. Plain-text bounces are read
/// from it, and a quoted `Message-ID:` line may name the letter.
fn plain_text(mail: &ParsedMail<'_>) -> String {
    let mut text = String::new();
    for part in mail.parts() {
        let mime = part.ctype.mimetype.as_str();
        let readable = mime == "text/plain"
            || mime == "text/rfc822-headers"
            || mime == "message/rfc822"
            || (part.subparts.is_empty() && mime.starts_with("text/") && text.is_empty());
        if readable && let Ok(body) = part.get_body() {
            text.push_str(&body.replace("\r\n", "\n"));
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests;
