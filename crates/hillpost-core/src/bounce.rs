//! What a mail system said about a letter after accepting it: a bounce (RFC 3464 delivery
//! status notification, or the plain-text kinds some servers still send), a delay notice, or
//! an auto-reply (RFC 3834). The email channel reads these from raw messages; this module
//! holds what was read, in words the store and the delivery rules use.
//!
//! ```text
//!   Status 5.x.x (Action: failed)   ─▶ Failed    the letter did not arrive: it bounced
//!   Status 4.x.x (Action: delayed)  ─▶ Delayed   still trying: recorded, nothing changes
//!   Action: delivered/relayed       ─▶ Relayed   a success notice: recorded
//!   Auto-Submitted: auto-replied    ─▶ AutoReply evidence the letter arrived
//! ```

use std::fmt;
use std::str::FromStr;

use std::time::Duration;

use crate::batch::next_endpoint;
use crate::delivery::{DeliveryRules, DeliveryState, Position, RouteChange, Transition};

/// The kind of notice a message about a letter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// A permanent failure (5.x.x): the letter did not reach the office.
    Failed,
    /// A delay notice (4.x.x): the receiving side is still trying.
    Delayed,
    /// A success notice (delivered, relayed or expanded).
    Relayed,
    /// An automatic reply from the office (RFC 3834): evidence the letter arrived.
    AutoReply,
}

impl NoticeKind {
    pub const ALL: &'static [NoticeKind] = &[
        NoticeKind::Failed,
        NoticeKind::Delayed,
        NoticeKind::Relayed,
        NoticeKind::AutoReply,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Failed => "failed",
            NoticeKind::Delayed => "delayed",
            NoticeKind::Relayed => "relayed",
            NoticeKind::AutoReply => "auto_reply",
        }
    }

    /// The kind a DSN status class means: 2 relayed, 4 delayed, 5 failed.
    pub fn of_status(status: DsnStatus) -> NoticeKind {
        match status.class {
            5 => NoticeKind::Failed,
            4 => NoticeKind::Delayed,
            _ => NoticeKind::Relayed,
        }
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NoticeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        NoticeKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a notice kind"))
    }
}

/// An enhanced mail system status code (RFC 3463): `class.subject.detail`, e.g. `5.1.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DsnStatus {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl DsnStatus {
    /// The generic status of a class: `5.0.0`, `4.0.0`, `2.0.0`.
    pub fn generic(class: u8) -> Self {
        Self {
            class,
            subject: 0,
            detail: 0,
        }
    }

    pub fn is_permanent(self) -> bool {
        self.class == 5
    }
}

impl FromStr for DsnStatus {
    type Err = String;

    /// `2`, `4` or `5`, then two numbers of up to three digits, separated by dots.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a status code like 5.1.1");
        let mut parts = s.trim().split('.');
        let (Some(class), Some(subject), Some(detail), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let number = |text: &str| {
            (1..=3)
                .contains(&text.len())
                .then(|| text.parse::<u16>().ok())
                .flatten()
        };
        let class = match class {
            "2" => 2,
            "4" => 4,
            "5" => 5,
            _ => return Err(bad()),
        };
        Ok(Self {
            class,
            subject: number(subject).ok_or_else(bad)?,
            detail: number(detail).ok_or_else(bad)?,
        })
    }
}

impl fmt::Display for DsnStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// How the notice was written, for the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeForm {
    /// `multipart/report; report-type=delivery-status` (RFC 3464, RFC 6533).
    Dsn,
    /// Microsoft Exchange's plain-text non-delivery report.
    Exchange,
    /// qmail's plain-text bounce ("Hi. This is the qmail-send program…").
    Qmail,
    /// An auto-reply (RFC 3834 `Auto-Submitted`).
    AutoReply,
}

impl NoticeForm {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeForm::Dsn => "dsn",
            NoticeForm::Exchange => "exchange",
            NoticeForm::Qmail => "qmail",
            NoticeForm::AutoReply => "auto_reply",
        }
    }
}

impl fmt::Display for NoticeForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one message said about one letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryNotice {
    pub kind: NoticeKind,
    pub form: NoticeForm,
    /// The delivery's idempotency key, from the VERP address or the returned Message-ID;
    /// `None` when the message names no letter of ours.
    pub delivery_key: Option<String>,
    pub status: Option<DsnStatus>,
    /// The remote server's answer, e.g. `smtp; 550 5.1.1 user unknown`.
    pub diagnostic: Option<String>,
    /// The mail system that wrote the notice (`Reporting-MTA`, Exchange's generating
    /// server, qmail's host).
    pub reporting_mta: Option<String>,
    /// The address the notice is about (`Final-Recipient`).
    pub recipient: Option<String>,
}

impl DeliveryNotice {
    /// The notice in one line of plain words, for receipts, the audit and `batch status`.
    pub fn summary(&self) -> String {
        let what = match self.kind {
            NoticeKind::Failed => "bounced",
            NoticeKind::Delayed => "delayed by the receiving mail system",
            NoticeKind::Relayed => "relayed by the receiving mail system",
            NoticeKind::AutoReply => "answered by an automatic reply",
        };
        let mut line = what.to_string();
        if let Some(status) = self.status {
            line.push_str(&format!(" ({status}"));
            if let Some(diagnostic) = &self.diagnostic {
                line.push_str(&format!(": {diagnostic}"));
            }
            line.push(')');
        }
        if let Some(mta) = &self.reporting_mta {
            line.push_str(&format!(", reported by {mta}"));
        }
        line
    }
}

/// What a notice does to the delivery it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeEffect {
    /// A letter the office's server had accepted did not arrive after all: the delivery
    /// bounced (and moves on to the office's next endpoint where there is one).
    Bounce,
    /// Recorded as evidence, the delivery unchanged; why, in words.
    Record(String),
}

/// Decides a notice's effect on a delivery in `state`. Only a permanent failure of a
/// delivered letter changes anything: a delay is the receiving side still trying, a success
/// notice or an auto-reply is evidence the letter arrived, and a failure of a letter that
/// is not `delivered` (retried since, or already final) has nothing left to undo.
pub fn notice_effect(kind: NoticeKind, state: DeliveryState) -> NoticeEffect {
    match (kind, state) {
        (NoticeKind::Failed, DeliveryState::Delivered) => NoticeEffect::Bounce,
        (NoticeKind::Failed, state) => NoticeEffect::Record(format!(
            "a bounce for a letter that is {state}, not delivered: recorded only"
        )),
        (NoticeKind::Delayed, _) => NoticeEffect::Record(
            "a delay notice: the receiving mail system is still trying; nothing changes".into(),
        ),
        (NoticeKind::Relayed, _) => NoticeEffect::Record(
            "a success notice from the receiving mail system: recorded as evidence".into(),
        ),
        (NoticeKind::AutoReply, _) => NoticeEffect::Record(
            "an automatic reply from the office: evidence the letter arrived".into(),
        ),
    }
}

/// What a bounce ([`NoticeEffect::Bounce`]) does to its delivered delivery. The office's
/// mail system says it did not keep the letter, so, like any failure that left nothing with
/// the office, the delivery goes on to the recipient's next endpoint with a whole budget
/// there; with none left it ends `bounced`. Called by the stores, which only apply it.
pub fn bounce_transition(at: &Position<'_>, rules: &DeliveryRules, reason: String) -> Transition {
    let to = next_endpoint(at.endpoints, at.channel, at.endpoint).cloned();
    Transition {
        state: if to.is_some() {
            DeliveryState::Queued
        } else {
            DeliveryState::Bounced
        },
        due_in: Duration::ZERO,
        max_attempts: to.as_ref().map(|_| {
            at.attempt_no
                .get()
                .saturating_add(rules.retry.max_attempts())
        }),
        route: Some(RouteChange {
            to,
            reason: reason.clone(),
        }),
        deferred: None,
        // The bounce is the office's word that it does not have the letter.
        possibly_accepted: false,
        is_attempt: false,
        spends_budget: false,
        last_error: Some(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounce_moves_on_to_the_next_endpoint_or_ends_bounced() {
        use crate::batch::Endpoint;
        use crate::delivery::Channel;
        use crate::retry::RetrySchedule;
        let endpoint = |channel, address: &str| Endpoint {
            channel,
            address: address.into(),
            rate_key: "k".into(),
        };
        let endpoints = [
            endpoint(Channel::Email, "old@office.example"),
            endpoint(Channel::WebForm, "form-1"),
        ];
        let rules = DeliveryRules {
            retry: RetrySchedule::new(vec![Duration::from_secs(1); 2], 0.0, Duration::ZERO),
            resend: Default::default(),
        };
        let at = |address: &'static str, channel| Position {
            channel,
            endpoint: address,
            endpoints: &endpoints,
            attempt_no: crate::AttemptNo::new(2),
            max_attempts: 3,
            possibly_accepted: true,
        };
        let moved = bounce_transition(
            &at("old@office.example", Channel::Email),
            &rules,
            "5.1.1".into(),
        );
        assert_eq!(moved.state, DeliveryState::Queued);
        assert_eq!(moved.route.as_ref().unwrap().to, Some(endpoints[1].clone()));
        assert_eq!(moved.max_attempts, Some(2 + 3));
        assert!(!moved.possibly_accepted && !moved.is_attempt);
        let last = bounce_transition(&at("form-1", Channel::WebForm), &rules, "5.1.1".into());
        assert_eq!(last.state, DeliveryState::Bounced);
        assert_eq!(last.route.unwrap().to, None);
        assert_eq!(last.max_attempts, None);
    }

    #[test]
    fn only_a_failure_of_a_delivered_letter_bounces_it() {
        assert_eq!(
            notice_effect(NoticeKind::Failed, DeliveryState::Delivered),
            NoticeEffect::Bounce
        );
        for state in DeliveryState::ALL
            .iter()
            .filter(|s| **s != DeliveryState::Delivered)
        {
            assert!(matches!(
                notice_effect(NoticeKind::Failed, *state),
                NoticeEffect::Record(_)
            ));
        }
        for kind in [
            NoticeKind::Delayed,
            NoticeKind::Relayed,
            NoticeKind::AutoReply,
        ] {
            assert!(matches!(
                notice_effect(kind, DeliveryState::Delivered),
                NoticeEffect::Record(_)
            ));
        }
    }

    #[test]
    fn status_codes_parse_strictly() {
        let status: DsnStatus = "5.1.1".parse().unwrap();
        assert_eq!(
            status,
            DsnStatus {
                class: 5,
                subject: 1,
                detail: 1
            }
        );
        assert_eq!(status.to_string(), "5.1.1");
        assert!(status.is_permanent());
        assert_eq!(" 4.4.7 ".parse::<DsnStatus>().unwrap().class, 4);
        assert_eq!("5.1.10".parse::<DsnStatus>().unwrap().detail, 10);
        for bad in [
            "", "5", "5.1", "3.1.1", "5.1.1.1", "5.a.1", "5.1.1000", "5..1",
        ] {
            assert!(bad.parse::<DsnStatus>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kinds_follow_the_status_class_and_round_trip() {
        assert_eq!(
            NoticeKind::of_status(DsnStatus::generic(5)),
            NoticeKind::Failed
        );
        assert_eq!(
            NoticeKind::of_status(DsnStatus::generic(4)),
            NoticeKind::Delayed
        );
        assert_eq!(
            NoticeKind::of_status(DsnStatus::generic(2)),
            NoticeKind::Relayed
        );
        for kind in NoticeKind::ALL {
            assert_eq!(kind.as_str().parse::<NoticeKind>().unwrap(), *kind);
        }
        assert!("bounced".parse::<NoticeKind>().is_err());
    }

    #[test]
    fn the_summary_says_what_happened_in_words() {
        let notice = DeliveryNotice {
            kind: NoticeKind::Failed,
            form: NoticeForm::Dsn,
            delivery_key: Some("abc".into()),
            status: Some("5.1.1".parse().unwrap()),
            diagnostic: Some("smtp; 550 5.1.1 no such user".into()),
            reporting_mta: Some("mx.house.example".into()),
            recipient: Some("office@house.example".into()),
        };
        assert_eq!(
            notice.summary(),
            "bounced (5.1.1: smtp; 550 5.1.1 no such user), reported by mx.house.example"
        );
    }
}
