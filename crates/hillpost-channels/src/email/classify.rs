//! What the end of an SMTP exchange means for the delivery: the attempt's outcome, the
//! reply kept for the record, and a note where the outcome needs explaining.
//!
//! | how it ended                                     | outcome     |
//! |--------------------------------------------------|-------------|
//! | 2xx to the final dot                             | `ok`        |
//! | 4xx to MAIL, RCPT, DATA or the final dot         | `transient` |
//! | 5xx to MAIL, RCPT, DATA or the final dot         | `permanent` |
//! | session could not be opened (refused, timeout, TLS, greeting/EHLO/AUTH refused) | `transient` |
//! | connection broke or timed out before the message | `transient` |
//! | connection broke or timed out after DATA, while or after the message was written, before its reply | `possibly_accepted` |
//! | the message needs SMTPUTF8/8BITMIME the server lacks | `permanent` |
//!
//! A refused session set-up is transient even with a 5xx code: a wrong password or a server
//! turning us away says nothing about this letter, and failing every queued letter for good
//! over it would be wrong. Retries with backoff give an operator time to fix it.

use hillpost_core::AttemptOutcome;

use super::session::{Phase, Reply, TransactionEnd};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub outcome: AttemptOutcome,
    /// The reply that decided the outcome, when there was one.
    pub reply: Option<Reply>,
    pub note: Option<String>,
    /// The message bytes were (being) written: the attempt records their SHA-256.
    pub message_written: bool,
}

pub(crate) fn classify(end: &TransactionEnd) -> Verdict {
    match end {
        TransactionEnd::Accepted(reply) => Verdict {
            outcome: AttemptOutcome::Ok,
            reply: Some(reply.clone()),
            note: None,
            message_written: true,
        },
        TransactionEnd::Refused {
            phase: Phase::Connect,
            reply,
        } => Verdict {
            outcome: AttemptOutcome::Transient,
            reply: Some(reply.clone()),
            note: Some("the SMTP server refused to open a session; nothing was sent".into()),
            message_written: false,
        },
        TransactionEnd::Refused { phase, reply } => Verdict {
            outcome: match reply.code {
                500..=599 => AttemptOutcome::Permanent,
                _ => AttemptOutcome::Transient,
            },
            reply: Some(reply.clone()),
            note: Some(match phase {
                Phase::Message => "refused after the message was received".to_string(),
                phase => format!("refused in reply to {phase}; the message was not sent"),
            }),
            message_written: *phase == Phase::Message,
        },
        TransactionEnd::Broken {
            phase: Phase::Message,
            timed_out,
            detail,
        } => Verdict {
            outcome: AttemptOutcome::PossiblyAccepted,
            reply: None,
            note: Some(format!(
                "the connection {} after DATA was accepted and the message was sent, before the \
                 server's final reply ({detail}): the message may have arrived",
                if *timed_out { "timed out" } else { "broke" }
            )),
            message_written: true,
        },
        TransactionEnd::Broken {
            phase,
            timed_out,
            detail,
        } => Verdict {
            outcome: AttemptOutcome::Transient,
            reply: None,
            note: Some(match phase {
                Phase::Connect => format!("could not open an SMTP session ({detail})"),
                phase => format!(
                    "the connection {} at {phase} ({detail}); the message was not sent",
                    if *timed_out { "timed out" } else { "broke" }
                ),
            }),
            message_written: false,
        },
        TransactionEnd::Unsupported(why) => Verdict {
            outcome: AttemptOutcome::Permanent,
            reply: None,
            note: Some(format!("{why}; nothing was sent")),
            message_written: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(phase: Phase, code: u16) -> TransactionEnd {
        TransactionEnd::Refused {
            phase,
            reply: Reply {
                code,
                text: "4.3.0 try again".into(),
            },
        }
    }

    fn broken(phase: Phase) -> TransactionEnd {
        TransactionEnd::Broken {
            phase,
            timed_out: false,
            detail: "network error: connection reset".into(),
        }
    }

    #[test]
    fn replies_decide_by_their_first_digit() {
        for phase in [Phase::Mail, Phase::Rcpt, Phase::Data, Phase::Message] {
            let transient = classify(&refused(phase, 451));
            assert_eq!(transient.outcome, AttemptOutcome::Transient, "{phase}");
            assert_eq!(transient.reply.unwrap().code, 451);
            let permanent = classify(&refused(phase, 550));
            assert_eq!(permanent.outcome, AttemptOutcome::Permanent, "{phase}");
            assert_eq!(permanent.message_written, phase == Phase::Message);
        }
    }

    #[test]
    fn a_refused_session_is_never_permanent() {
        let verdict = classify(&refused(Phase::Connect, 535));
        assert_eq!(verdict.outcome, AttemptOutcome::Transient);
        assert_eq!(verdict.reply.unwrap().code, 535);
        assert!(!verdict.message_written);
    }

    #[test]
    fn a_break_before_the_message_is_transient_and_after_it_unknown() {
        for phase in [Phase::Connect, Phase::Mail, Phase::Rcpt, Phase::Data] {
            let verdict = classify(&broken(phase));
            assert_eq!(verdict.outcome, AttemptOutcome::Transient, "{phase}");
            assert!(!verdict.message_written);
        }
        let verdict = classify(&broken(Phase::Message));
        assert_eq!(verdict.outcome, AttemptOutcome::PossiblyAccepted);
        assert!(verdict.message_written);
        assert!(verdict.note.unwrap().contains("may have arrived"));
        assert_eq!(verdict.reply, None);

        let timed_out = classify(&TransactionEnd::timed_out(
            Phase::Message,
            std::time::Duration::from_secs(1),
        ));
        assert_eq!(timed_out.outcome, AttemptOutcome::PossiblyAccepted);
        assert!(timed_out.note.unwrap().contains("timed out"));
    }

    #[test]
    fn accepted_keeps_the_reply_and_unsupported_is_permanent() {
        let ok = classify(&TransactionEnd::Accepted(Reply {
            code: 250,
            text: "2.0.0 queued as 4F2A".into(),
        }));
        assert_eq!(ok.outcome, AttemptOutcome::Ok);
        assert_eq!(ok.reply.unwrap().text, "2.0.0 queued as 4F2A");
        let unsupported = classify(&TransactionEnd::Unsupported("no SMTPUTF8"));
        assert_eq!(unsupported.outcome, AttemptOutcome::Permanent);
        assert!(!unsupported.message_written);
    }
}
