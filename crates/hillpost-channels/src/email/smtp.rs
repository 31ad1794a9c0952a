//! [`SmtpChannel`]: email deliveries over SMTP, one mail transaction per attempt on a
//! pooled session, classified by the phase in which it ended.
//!
//! ```text
//!  send(letter) ─ compose ─ pool turn ─ idle session? ─yes─ MAIL/RCPT/DATA ─ stale? ─no─┐
//!                   │                        │ no                            │ yes        │
//!                   │                        ▼                               ▼            │
//!                   │                   open session ◀───────────────────────┘            │
//!                   │                        ▼                                            │
//!                   │                  MAIL/RCPT/DATA ────────────────────────────────────┤
//!                   └─ handed a session, MAIL/RCPT/DATA written ahead: their replies ─────┤
//!                                                                                         ▼
//!      rate-limit turn (withdraw: abort) ─▶ message bytes (+ the next letter's commands) ─▶ classify
//!      clean? to the next letter in line, or back to the pool : dropped                 ─▶ SendReport
//! ```

use chrono::Utc;
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::{OutgoingLetter, SendReport};

use super::EmailSetupError;
use super::classify::{Verdict, classify};
use super::compose::{ComposedMessage, compose};
use super::identity::EmailIdentity;
use super::pool::Pool;
use super::session::{Phase, Session, TransactionEnd};
use super::settings::SmtpSettings;
use std::future::Future;
use std::sync::Arc;

use crate::report::{finished, refused_locally};
use crate::{Channel, Go};

pub struct SmtpChannel {
    identity: EmailIdentity,
    pool: Pool,
}

impl SmtpChannel {
    /// Checks `settings` and prepares TLS; connects only when the first letter is sent.
    /// Letters go out from `settings.from_address`, unsigned, without VERP.
    pub fn new(settings: SmtpSettings) -> Result<Self, EmailSetupError> {
        let identity = EmailIdentity::new(&settings.from_address, &settings.message_id_domain)?;
        Self::with_identity(settings, identity)
    }

    /// As [`SmtpChannel::new`], with letters sent as `identity` says (its From address,
    /// VERP envelope senders, DKIM signatures) rather than from `settings.from_address`.
    pub fn with_identity(
        settings: SmtpSettings,
        identity: EmailIdentity,
    ) -> Result<Self, EmailSetupError> {
        Ok(Self {
            identity,
            pool: Pool::new(settings)?,
        })
    }

    pub fn identity(&self) -> &EmailIdentity {
        &self.identity
    }

    /// Closes idle sessions with QUIT; at shutdown, after the last send.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// One transaction for `message`, on an idle session if there is one (or one handed
    /// over with the transaction already opening, see `pool`), sent once `go` says so
    /// (`None`: withdrawn, nothing of the letter sent). The wait for `go` comes at the last
    /// moment, after DATA was accepted and just before the message bytes, so session set-up
    /// and command round trips do not delay a send the rate limiter has already allowed:
    /// quotas hold at the receiving server. A reused session that turns out to have died
    /// costs nothing but a second try on a fresh one.
    async fn transfer<G: Future<Output = Go>>(
        &self,
        message: &Arc<ComposedMessage>,
        go: G,
    ) -> Option<TransactionEnd> {
        let timeout = self.pool.settings().command_timeout;
        let (turn, handed) = self.pool.turn(message).await;
        // `ahead`: handed over with this transaction's commands already written.
        let (mut session, ahead, reused) = match handed {
            Some(session) => (session, true, true),
            None => match self.pool.take_idle(&turn) {
                Some(session) => (session, false, true),
                None => match Box::pin(self.pool.open(&turn)).await {
                    Ok(session) => (session, false, false),
                    Err(end) => return Some(end),
                },
            },
        };
        let mut opened = match ahead {
            true => session.resume(message, timeout).await,
            false => session.begin(message, timeout).await,
        };
        if reused && opened.as_ref().is_err_and(went_stale) {
            tracing::debug!("a reused SMTP session had gone stale; opening a new one");
            // Closed first: a server counting our connections may still count the old one.
            drop(session);
            session = match Box::pin(self.pool.open(&turn)).await {
                Ok(session) => session,
                Err(end) => return Some(end),
            };
            opened = session.begin(message, timeout).await;
        }
        if let Err(end) = opened {
            if let Some(session) = self.kept(session, &end).await {
                self.pool.put_back(session);
            }
            return Some(end);
        }
        if go.await == Go::Withdraw {
            // Mid-DATA: closing the socket makes the server discard the transaction. (Not
            // `abort`: its QUIT would be taken as message text, and its reply never comes.)
            drop(session);
            return None;
        }
        // The first letter waiting for a session goes along: its commands behind our dot.
        let next = self.pool.take_next(&session);
        let end = session.send_message(message, timeout).await;
        let kept = self.kept(session, &end).await;
        match (next, kept) {
            (Some(next), kept) => self.pool.hand_over(next, turn, kept),
            (None, Some(session)) => self.pool.put_back(session),
            (None, None) => {}
        }
        Some(end)
    }

    async fn attempt<G: Future<Output = Go>>(
        &self,
        letter: &OutgoingLetter,
        go: G,
    ) -> Option<SendReport> {
        let started_at = Utc::now();
        let message = match compose(&self.identity, letter, started_at.into()) {
            Ok(message) => Arc::new(message),
            Err(e) => {
                tracing::warn!(delivery_id = letter.delivery_id.get(), error = %e, "cannot compose the letter");
                return Some(refused_locally(
                    started_at,
                    AttemptOutcome::Permanent,
                    format!("the letter could not be composed: {e}"),
                ));
            }
        };
        let end = self.transfer(&message, go).await?;
        let verdict = classify(&end);
        log_attempt(letter, &verdict);
        Some(report(started_at, verdict, &message))
    }

    /// The session, if it is in a known, clean state, for the next letter.
    async fn kept(&self, mut session: Session, end: &TransactionEnd) -> Option<Session> {
        let timeout = self.pool.settings().command_timeout;
        let clean = session.usable()
            && match end {
                TransactionEnd::Accepted(_) | TransactionEnd::Unsupported(_) => true,
                // 421: the server is closing the session.
                TransactionEnd::Refused { reply, .. } if reply.code == 421 => false,
                TransactionEnd::Refused {
                    phase: Phase::Message,
                    ..
                } => true,
                TransactionEnd::Refused { .. } => session.reset(timeout).await,
                // Who knows what the server makes of what it got: never reuse.
                TransactionEnd::Broken { .. } => false,
            };
        clean.then_some(session)
    }
}

/// The signs of a session the server closed while it sat in the pool: the first command
/// finds the connection gone, or the server says it is closing.
fn went_stale(end: &TransactionEnd) -> bool {
    match end {
        TransactionEnd::Broken { phase, .. } => *phase == Phase::Mail,
        TransactionEnd::Refused { phase, reply } => *phase == Phase::Mail && reply.code == 421,
        _ => false,
    }
}

impl Channel for SmtpChannel {
    async fn send(&self, letter: &OutgoingLetter) -> SendReport {
        // A turn that is always `Ahead` is never withdrawn, so `attempt` always reports.
        let report = self.attempt(letter, std::future::ready(Go::Ahead)).await;
        report.unwrap_or_else(|| {
            refused_locally(Utc::now(), AttemptOutcome::Transient, "withdrawn".into())
        })
    }

    async fn send_on_turn<T>(&self, letter: &OutgoingLetter, turn: T) -> Option<SendReport>
    where
        T: Future<Output = Go> + Send,
    {
        self.attempt(letter, turn).await
    }
}

fn report(
    started_at: chrono::DateTime<Utc>,
    verdict: Verdict,
    message: &ComposedMessage,
) -> SendReport {
    let mut report = finished(started_at, verdict.outcome);
    if let Some(reply) = verdict.reply {
        report.remote_code = Some(i32::from(reply.code));
        report.remote_text = Some(SendReport::cap_remote_text(&reply.text));
    }
    report.sent_sha256 = verdict.message_written.then(|| message.sha256.clone());
    report.receiver_id = verdict.message_written.then(|| message.message_id.clone());
    report.note = verdict.note;
    report
}

/// Delivery id, attempt, outcome and code only: reply texts often quote the recipient's
/// address, and that stays in the attempt row, out of the logs.
fn log_attempt(letter: &OutgoingLetter, verdict: &Verdict) {
    let code = verdict.reply.as_ref().map(|r| r.code);
    let (delivery_id, attempt_no) = (letter.delivery_id.get(), letter.attempt_no.get());
    match verdict.outcome {
        AttemptOutcome::Ok => {
            tracing::debug!(
                delivery_id,
                attempt_no,
                ?code,
                "email accepted by the SMTP server"
            );
        }
        AttemptOutcome::PossiblyAccepted => tracing::warn!(
            delivery_id,
            attempt_no,
            "email possibly accepted: the connection was lost after the message was sent"
        ),
        outcome => tracing::info!(
            delivery_id,
            attempt_no,
            %outcome,
            ?code,
            "email not accepted by the SMTP server"
        ),
    }
}
