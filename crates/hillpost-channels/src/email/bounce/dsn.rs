//! RFC 3464 delivery status notifications: `multipart/report; report-type=delivery-status`
//! with a `message/delivery-status` part (or RFC 6533's `message/global-delivery-status`).
//!
//! ```text
//!   multipart/report; report-type=delivery-status
//!   ├── text/plain                    words for people
//!   ├── message/delivery-status       Reporting-MTA: dns; mx.example.org
//!   │                                 (blank line)
//!   │                                 Final-Recipient: rfc822; office@example.org
//!   │                                 Action: failed
//!   │                                 Status: 5.1.1
//!   │                                 Diagnostic-Code: smtp; 550 5.1.1 unknown user
//!   └── message/rfc822 | text/rfc822-headers    the letter, or its headers
//! ```

use hillpost_core::bounce::{DsnStatus, NoticeKind};
use mailparse::{MailHeaderMap, ParsedMail};

/// What the delivery-status part says about the (first relevant) recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StatusReport {
    pub kind: NoticeKind,
    pub status: DsnStatus,
    pub diagnostic: Option<String>,
    pub reporting_mta: Option<String>,
    pub recipient: Option<String>,
}

/// Whether `mail` is a delivery status notification.
pub(super) fn is_dsn(mail: &ParsedMail<'_>) -> bool {
    mail.ctype.mimetype == "multipart/report"
        && mail
            .ctype
            .params
            .get("report-type")
            .is_some_and(|t| t.eq_ignore_ascii_case("delivery-status"))
}

/// The status part's reading; `Err` says why it could not be read.
pub(super) fn read(mail: &ParsedMail<'_>) -> Result<StatusReport, String> {
    let part = mail
        .parts()
        .find(|p| {
            matches!(
                p.ctype.mimetype.as_str(),
                "message/delivery-status" | "message/global-delivery-status"
            )
        })
        .ok_or("a delivery-status report without its message/delivery-status part")?;
    let body = part
        .get_body_raw()
        .map_err(|e| format!("the delivery-status part cannot be decoded: {e}"))?;
    let text = String::from_utf8_lossy(&body).replace("\r\n", "\n");
    let mut blocks = text
        .split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(fields);
    let per_message = blocks.next().ok_or("an empty delivery-status part")?;
    let recipients: Vec<Fields> = blocks.collect();
    // One recipient per letter: take the first that failed, else the first delayed, else
    // the first at all.
    let chosen = [Some(NoticeKind::Failed), Some(NoticeKind::Delayed), None]
        .into_iter()
        .find_map(|wanted| {
            recipients
                .iter()
                .find(|r| wanted.is_none() || recipient_kind(r) == wanted)
        })
        .ok_or("a delivery-status report naming no recipient")?;
    let kind = recipient_kind(chosen).ok_or("a recipient block with neither Action nor Status")?;
    let status = chosen
        .get("Status")
        .and_then(|s| first_word(&s).parse::<DsnStatus>().ok())
        .unwrap_or(match kind {
            NoticeKind::Failed => DsnStatus::generic(5),
            NoticeKind::Delayed => DsnStatus::generic(4),
            _ => DsnStatus::generic(2),
        });
    Ok(StatusReport {
        kind,
        status,
        diagnostic: chosen.get("Diagnostic-Code"),
        reporting_mta: per_message.get("Reporting-MTA").map(|v| without_type(&v)),
        recipient: chosen
            .get("Final-Recipient")
            .or_else(|| chosen.get("Original-Recipient"))
            .map(|v| without_type(&v)),
    })
}

/// The Message-IDs of the letter returned with the report, if any part carries it.
pub(super) fn returned_message_ids(mail: &ParsedMail<'_>) -> Vec<String> {
    mail.parts()
        .filter(|p| {
            matches!(
                p.ctype.mimetype.as_str(),
                "message/rfc822"
                    | "text/rfc822-headers"
                    | "message/global"
                    | "message/global-headers"
            )
        })
        .filter_map(|p| p.get_body_raw().ok())
        .filter_map(|raw| {
            let (headers, _) = mailparse::parse_headers(&raw).ok()?;
            headers.get_first_value("Message-ID")
        })
        .collect()
}

/// A block of `Name: value` fields (continuation lines joined).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
            .filter(|value| !value.is_empty())
    }
}

fn fields(block: &str) -> Fields {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in block.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    Fields(fields)
}

/// Action decides; without one, the status class does.
fn recipient_kind(fields: &Fields) -> Option<NoticeKind> {
    match fields
        .get("Action")
        .map(|a| a.to_ascii_lowercase())
        .as_deref()
    {
        Some("failed") => Some(NoticeKind::Failed),
        Some("delayed") => Some(NoticeKind::Delayed),
        Some("delivered" | "relayed" | "expanded") => Some(NoticeKind::Relayed),
        _ => fields
            .get("Status")
            .and_then(|s| first_word(&s).parse::<DsnStatus>().ok())
            .map(NoticeKind::of_status),
    }
}

fn first_word(text: &str) -> &str {
    text.split_whitespace().next().unwrap_or("")
}

/// `dns; mx.example.org` → `mx.example.org`; `rfc822; a@b` → `a@b`.
fn without_type(value: &str) -> String {
    match value.split_once(';') {
        Some((_, rest)) => rest.trim().to_string(),
        None => value.trim().to_string(),
    }
}
