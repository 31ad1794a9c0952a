//! Turning an office's answer into an attempt outcome with its evidence.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;
use hillpost_directory::forms::SuccessCheck;
use scraper::Html;

use crate::egress::EgressResponse;
use crate::report::finished;

/// The page a submission ended on, as an executor saw it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub url: String,
    /// `None` when the executor cannot know it (a browser page reached by a script, or
    /// whose Navigation Timing entry has no status).
    pub status: Option<u16>,
    pub text: String,
    pub retry_after: Option<Duration>,
}

impl From<&EgressResponse> for Answer {
    fn from(answer: &EgressResponse) -> Self {
        Self {
            url: answer.url.to_string(),
            status: Some(answer.status),
            text: answer.text(),
            retry_after: answer.retry_after,
        }
    }
}

/// The report for the answer to a submission whose body hashed to `sent_sha256`.
pub fn judge(
    started_at: DateTime<Utc>,
    success: Option<&SuccessCheck>,
    answer: &Answer,
    sent_sha256: String,
    later_step_failure: Option<String>,
) -> SendReport {
    let text = &answer.text;
    let first_2k = SendReport::cap_remote_text(text);
    // Without its query: a form sent by GET puts the signer's details there, and notes go
    // to the attempt row and its audit event.
    let mut note = format!("final URL {}", page_address(&answer.url));
    if let Some(failure) = &later_step_failure {
        note.push_str(&format!("; after submitting: {failure}"));
    }
    // The form was posted: whatever the office says now, it may have the letter unless it
    // refused it outright (4xx) or asked us to come back (429).
    let (outcome, remote_text) = match answer.status {
        Some(429) => (AttemptOutcome::Transient, first_2k),
        Some(500..=599) => {
            note.push_str("; a server error after the form was posted: it may have been recorded");
            (AttemptOutcome::PossiblyAccepted, first_2k)
        }
        Some(400..=499) => (AttemptOutcome::Permanent, first_2k),
        status => match success {
            Some(SuccessCheck {
                status: Some(expected),
                ..
            }) if status.is_some_and(|s| s != *expected) => {
                note.push_str(&format!(
                    "; expected status {expected}: the office answered, but not as the \
                     definition says a success looks"
                ));
                (AttemptOutcome::Unconfirmed, first_2k)
            }
            Some(SuccessCheck {
                body_contains: Some(wanted),
                ..
            }) => {
                if contains_text(text, wanted) {
                    (AttemptOutcome::Ok, wanted.clone())
                } else {
                    note.push_str(&format!(
                        "; the confirmation text \"{wanted}\" was not in the answer"
                    ));
                    (AttemptOutcome::Unconfirmed, first_2k)
                }
            }
            _ => {
                note.push_str(
                    "; the definition has no confirmation text, so the answer cannot be judged",
                );
                (AttemptOutcome::Unconfirmed, first_2k)
            }
        },
    };
    SendReport {
        remote_code: answer.status.map(i32::from),
        remote_text: Some(remote_text),
        sent_sha256: Some(sent_sha256),
        retry_after: answer.retry_after,
        note: Some(note),
        receiver_id: Some(page_address(&answer.url)),
        ..finished(started_at, outcome)
    }
}

/// The final page's address without its query and fragment: what identifies the office's
/// answer page, without what a form sending by GET would have put there (the signer's
/// details), since this goes into the audit event.
/// A page's address without query or fragment: what identifies the page, not what a form
/// sent to it.
pub(crate) fn page_address(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        Err(_) => url.split(['?', '#']).next().unwrap_or_default().to_string(),
    }
}

/// In the raw HTML or in its text (entities decoded, tags gone), whitespace-insensitive.
fn contains_text(html: &str, wanted: &str) -> bool {
    if html.contains(wanted) {
        return true;
    }
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let text: String = Html::parse_document(html).root_element().text().collect();
    squash(&text).contains(&squash(wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_receiver_id_is_the_final_page_without_what_a_get_form_put_in_its_query() {
        let answer = Answer {
            url: "https://www.house.gov/thanks?first_name=Ana&email=ana%40example.org#top".into(),
            status: Some(200),
            text: "Thank you".into(),
            retry_after: None,
        };
        let report = judge(Utc::now(), None, &answer, "ab".into(), None);
        assert_eq!(
            report.receiver_id.as_deref(),
            Some("https://www.house.gov/thanks")
        );
        let note = report.note.expect("a note");
        assert!(
            note.starts_with("final URL https://www.house.gov/thanks"),
            "{note}"
        );
        assert!(
            !note.contains("Ana") && !note.contains("example.org"),
            "{note}"
        );
    }

    #[test]
    fn text_is_found_across_markup_and_entities() {
        assert!(contains_text(
            "<h2>Thank&nbsp;you for <b>contacting</b>\n my office</h2>",
            "Thank you for contacting my office"
        ));
        assert!(!contains_text("<p>Error</p>", "Thank you"));
    }
}
