//! The plain-text bounces some mail systems still send instead of RFC 3464 reports:
//! Microsoft Exchange's non-delivery reports and qmail's "qmail-send program" letters.
//! Each is recognised by the sentence its software always writes, then read line by line.

use std::sync::LazyLock;

use hillpost_core::bounce::{DsnStatus, NoticeForm, NoticeKind};
use regex::Regex;

use super::dsn::StatusReport;

/// An enhanced status code anywhere in a line: `5.1.1`, `#5.1.1`, `(#5.1.1)`.
static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d.])([245]\.\d{1,3}\.\d{1,3})(?:[^\d.]|$)").expect("valid")
});

/// Reads `text` as one of the known plain-text bounces.
pub(super) fn read(text: &str) -> Option<(NoticeForm, StatusReport)> {
    exchange(text)
        .map(|report| (NoticeForm::Exchange, report))
        .or_else(|| qmail(text).map(|report| (NoticeForm::Qmail, report)))
}

/// ```text
/// Delivery has failed to these recipients or groups:     (or: "Delivery is delayed to …")
///
/// office@house.example
/// The email address you entered couldn't be found. …
///
/// Diagnostic information for administrators:
///
/// Generating server: mail.house.example
///
/// office@house.example
/// Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found'  (or: #550 5.1.1 …##)
/// ```
fn exchange(text: &str) -> Option<StatusReport> {
    let lower = text.to_ascii_lowercase();
    let (kind, marker) = [
        (
            NoticeKind::Failed,
            "delivery has failed to these recipients or groups",
        ),
        (
            NoticeKind::Delayed,
            "delivery is delayed to these recipients or groups",
        ),
    ]
    .into_iter()
    .find_map(|(kind, marker)| lower.find(marker).map(|at| (kind, at)))?;
    let after = &text[marker..];
    let recipient = after
        .lines()
        .skip(1)
        .map(str::trim)
        .find(|l| looks_like_address(l));
    let diagnostic = text.lines().map(str::trim).find_map(|line| {
        if let Some(rest) = line.strip_prefix("Remote Server returned '") {
            return Some(rest.trim_end_matches('\'').to_string());
        }
        (line.starts_with('#') && STATUS.is_match(line))
            .then(|| line.trim_matches('#').trim().to_string())
    });
    let reporting_mta = text.lines().find_map(|line| {
        line.trim()
            .strip_prefix("Generating server:")
            .map(|host| host.trim().to_string())
            .filter(|host| !host.is_empty())
    });
    Some(report(
        kind,
        diagnostic,
        reporting_mta,
        recipient.map(str::to_string),
    ))
}

/// ```text
/// Hi. This is the qmail-send program at mx.example.org.
/// I'm afraid I wasn't able to deliver your message to the following addresses.
/// This is a permanent error; I've given up. Sorry it didn't work out.
///
/// <office@example.org>:
/// Sorry, no mailbox here by that name. (#5.1.1)
///
/// --- Below this line is a copy of the message.
/// ```
fn qmail(text: &str) -> Option<StatusReport> {
    const MARKER: &str = "This is the qmail-send program at ";
    let start = text.find(MARKER)?;
    let after = &text[start + MARKER.len()..];
    let host = after
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches('.');
    // The report ends where the copy of the letter begins.
    let report = after.split("--- ").next().unwrap_or(after);
    let mut lines = report.lines().map(str::trim);
    let recipient = lines
        .by_ref()
        .find_map(|l| l.strip_prefix('<').and_then(|l| l.strip_suffix(">:")))
        .map(str::to_string);
    let diagnostic: Vec<&str> = lines.take_while(|l| !l.is_empty()).collect();
    let diagnostic = (!diagnostic.is_empty()).then(|| diagnostic.join(" "));
    let status = diagnostic.as_deref().and_then(status_in);
    // qmail writes bounces only when it has given up; a 4.x.x code in one is the remote
    // server's word for a failure qmail then made final.
    let kind = match status {
        Some(status) if status.class == 2 => NoticeKind::Relayed,
        _ => NoticeKind::Failed,
    };
    let mut result = report_with(kind, diagnostic, Some(host.to_string()), recipient);
    if let Some(status) = status.filter(|s| s.is_permanent()) {
        result.status = status;
    }
    Some(result)
}

fn report(
    kind: NoticeKind,
    diagnostic: Option<String>,
    reporting_mta: Option<String>,
    recipient: Option<String>,
) -> StatusReport {
    let mut result = report_with(kind, diagnostic, reporting_mta, recipient);
    // The code agrees with the report's own words, or the words decide.
    if let Some(status) = result.diagnostic.as_deref().and_then(status_in)
        && NoticeKind::of_status(status) == kind
    {
        result.status = status;
    }
    result
}

fn report_with(
    kind: NoticeKind,
    diagnostic: Option<String>,
    reporting_mta: Option<String>,
    recipient: Option<String>,
) -> StatusReport {
    StatusReport {
        kind,
        status: DsnStatus::generic(match kind {
            NoticeKind::Failed => 5,
            NoticeKind::Delayed => 4,
            NoticeKind::Relayed | NoticeKind::AutoReply => 2,
        }),
        diagnostic,
        reporting_mta: reporting_mta.filter(|m| !m.is_empty()),
        recipient,
    }
}

fn status_in(text: &str) -> Option<DsnStatus> {
    STATUS
        .captures(text)
        .and_then(|c| c.get(1))
        .and_then(|m| m.as_str().parse().ok())
}

fn looks_like_address(line: &str) -> bool {
    !line.contains(char::is_whitespace)
        && line
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_found_inside_words_and_marks() {
        for (text, expected) in [
            (
                "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##",
                "5.1.1",
            ),
            ("Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1"),
            ("550 5.1.10 RESOLVER.ADR.RecipientNotFound", "5.1.10"),
            ("452 4.2.2 mailbox full", "4.2.2"),
        ] {
            assert_eq!(status_in(text).unwrap().to_string(), expected, "{text}");
        }
        for text in ["version 10.5.1.1 of the server", "no code here", "15.1.1"] {
            assert_eq!(status_in(text), None, "{text}");
        }
    }
}
