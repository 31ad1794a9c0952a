//! What the gateway's answer means for the attempt.
//!
//! | status | outcome |
//! |---|---|
//! | 200, 201 | ok (`permanent` with a note in validate-only mode: nothing was delivered) |
//! | 409 | ok: the DeliveryId was already received (a retry of a delivered message) |
//! | 400 | permanent, the `<Error>` texts kept as the remote text |
//! | 415, other 4xx | permanent |
//! | 401, 403, 404, 408 | transient: a key, allow-list or address an operator can fix |
//! | 429 | transient, honouring Retry-After (seconds or an HTTP date) |
//! | 5xx, 3xx | possibly accepted: the message was posted and no verdict came back; resent with the same DeliveryId (CWC answers 409 if it has it), honouring Retry-After |

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;
use quick_xml::Reader;
use quick_xml::events::Event;

use crate::report::finished;

/// One answer from the gateway, as read.
pub(super) struct Answer<'a> {
    pub status: u16,
    pub retry_after: Option<&'a str>,
    pub body: &'a str,
}

pub(super) fn classify(
    started_at: DateTime<Utc>,
    answer: &Answer<'_>,
    validate_only: bool,
    sent_sha256: String,
) -> SendReport {
    let status = answer.status;
    let (outcome, note) = match status {
        200 | 201 if validate_only => (
            AttemptOutcome::Permanent,
            Some(format!(
                "validate-only: CWC found the message valid (HTTP {status}); it was not delivered"
            )),
        ),
        200 | 201 => (AttemptOutcome::Ok, None),
        409 => (
            AttemptOutcome::Ok,
            Some("duplicate of an earlier success: CWC already has this DeliveryId".into()),
        ),
        400 => (
            AttemptOutcome::Permanent,
            Some(if validate_only {
                "validate-only: CWC refused the message".into()
            } else {
                "CWC refused the message".into()
            }),
        ),
        415 => (
            AttemptOutcome::Permanent,
            Some("CWC refused the content type (415); this is a hillpost bug".into()),
        ),
        401 | 403 => (
            AttemptOutcome::Transient,
            Some(format!(
                "CWC refused the API key or this sender's address (HTTP {status}): check the \
                 key and the allow-listed egress address"
            )),
        ),
        404 | 408 | 429 => (AttemptOutcome::Transient, None),
        402 | 405..=407 | 410..=414 | 416..=428 | 430..=499 => (AttemptOutcome::Permanent, None),
        300..=399 => (
            AttemptOutcome::PossiblyAccepted,
            Some(format!(
                "CWC answered the posted message with a redirect (HTTP {status}), not followed: \
                 it may have been received"
            )),
        ),
        500..=599 => (
            AttemptOutcome::PossiblyAccepted,
            Some(format!(
                "CWC answered the posted message with a server error (HTTP {status}): it may \
                 have been received"
            )),
        ),
        _ => (AttemptOutcome::Transient, None),
    };
    let remote_text = match error_texts(answer.body) {
        errors if status == 400 && !errors.is_empty() => errors.join("\n"),
        _ => answer.body.trim().to_string(),
    };
    let retry_after = match status {
        429 | 503 => answer
            .retry_after
            .and_then(|value| parse_retry_after(value, SystemTime::now())),
        _ => None,
    };
    SendReport {
        remote_code: Some(i32::from(status)),
        remote_text: Some(SendReport::cap_remote_text(&remote_text)).filter(|t| !t.is_empty()),
        sent_sha256: Some(sent_sha256),
        retry_after,
        note,
        ..finished(started_at, outcome)
    }
}

/// The texts of every `<Error>` element of a CWC answer, in order; empty when the answer is
/// not XML or has none.
pub(super) fn error_texts(body: &str) -> Vec<String> {
    let mut reader = Reader::from_str(body);
    let mut errors = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) if e.name().as_ref() == "Error" => {
                let Ok(text) = reader.read_text(e.name()) else {
                    break;
                };
                let raw = text.xml10_content();
                let text = quick_xml::escape::unescape(&raw)
                    .map(|t| t.into_owned())
                    .unwrap_or_else(|_| raw.into_owned());
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                if !text.is_empty() {
                    errors.push(text);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    errors
}

/// Retry-After as delay-seconds or an HTTP date (RFC 9110); a date in the past is no wait.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(status: u16, body: &str, retry_after: Option<&str>, validate: bool) -> SendReport {
        classify(
            Utc::now(),
            &Answer {
                status,
                retry_after,
                body,
            },
            validate,
            "ab".into(),
        )
    }

    #[test]
    fn statuses_map_to_outcomes() {
        use AttemptOutcome::*;
        for (status, outcome) in [
            (200, Ok),
            (201, Ok),
            (409, Ok),
            (400, Permanent),
            (415, Permanent),
            (422, Permanent),
            (401, Transient),
            (403, Transient),
            (429, Transient),
            // Posted, and no verdict: resent with the same DeliveryId (409 if it arrived).
            (500, PossiblyAccepted),
            (502, PossiblyAccepted),
            (503, PossiblyAccepted),
            (302, PossiblyAccepted),
        ] {
            assert_eq!(report(status, "", None, false).outcome, outcome, "{status}");
        }
        let duplicate = report(409, "", None, false);
        assert!(
            duplicate
                .note
                .unwrap()
                .contains("duplicate of an earlier success")
        );
        let validated = report(200, "", None, true);
        assert_eq!(validated.outcome, Permanent);
        assert!(validated.note.unwrap().contains("not delivered"));
    }

    #[test]
    fn errors_are_kept_from_a_400() {
        let body = "<?xml version=\"1.0\"?><Response><Errors><Error>Zip is invalid &amp; unknown</Error>\n<Error> Prefix is not allowed </Error></Errors></Response>";
        let r = report(400, body, None, false);
        assert_eq!(
            r.remote_text.as_deref(),
            Some("Zip is invalid & unknown\nPrefix is not allowed")
        );
        assert_eq!(r.remote_code, Some(400));
        let plain = report(400, "bad request", None, false);
        assert_eq!(plain.remote_text.as_deref(), Some("bad request"));
        let long = report(500, &"x".repeat(5000), None, false);
        assert_eq!(long.remote_text.unwrap().len(), SendReport::MAX_REMOTE_TEXT);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        let r = report(503, "", Some("7"), false);
        assert_eq!(r.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(report(500, "", Some("7"), false).retry_after, None);
    }
}
