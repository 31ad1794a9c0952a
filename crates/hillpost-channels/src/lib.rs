//! How deliveries leave hillpost.
//!
//! The worker hands every claimed delivery, as an [`OutgoingLetter`], to one [`Channel`] and
//! records the [`SendReport`] it gets back as an attempt row. A channel never returns an
//! error: whatever happens is classified into an [`AttemptOutcome`] the retry rules act on.
//!
//! ```text
//!   worker ──OutgoingLetter──▶ Channels (router, on letter.channel)
//!                                 │ email ──▶ EmailSender ─┬─ SmtpChannel   (pooled SMTP sessions)
//!                                 │                        ├─ OutboxChannel (.eml files, dry runs)
//!                                 │                        └─ NoopChannel   (queue benchmarks)
//!                                 │ web_form ──▶ WebFormChannel (contact forms over HTTP)
//!                                 │ cwc ──▶ CwcChannel (XML to the House/Senate gateway)
//!                                 │ none ──▶ NoopChannel
//!   worker ◀──SendReport──────────┘  outcome, remote code/text, SHA-256 of the bytes sent
//! ```
//!
//! Logs carry delivery ids and outcomes only: names, addresses and letter text are signer
//! PII and stay out of them.
//!
//! [`AttemptOutcome`]: hillpost_core::AttemptOutcome

pub mod cwc;
pub mod egress;
pub mod email;
mod noop;
mod report;
mod router;
pub mod web_form;

use std::future::Future;
use std::sync::Arc;

pub use hillpost_core::delivery::{OutgoingLetter, SendReport};

pub use cwc::{CwcChannel, CwcSettings, CwcSetupError};
pub use email::{
    DkimSettings, DkimSigner, EmailIdentity, EmailSender, EmailSetupError, OutboxChannel,
    SmtpChannel, SmtpSettings, SmtpTls,
};
pub use noop::NoopChannel;
pub use router::Channels;
pub use web_form::{WebFormChannel, WebFormSettings};

/// Something that can attempt one delivery.
///
/// Called by the worker once per attempt. The future may be dropped while it waits for its
/// turn (the worker is stopping: connecting to a slow server must not hold the shutdown),
/// so nothing of the letter may leave before the turn says [`Go::Ahead`]; after that it is
/// never cancelled (the worker lets it finish, within the shutdown grace), so an
/// implementation bounds its own waiting with timeouts.
pub trait Channel {
    fn send(&self, letter: &OutgoingLetter) -> impl Future<Output = SendReport> + Send;

    /// Sends `letter` once `turn` says go, waiting for it as late as this channel can: after
    /// connecting, just before the first byte of the letter leaves. The worker passes its
    /// rate limiter as the turn, so a quota holds where it is measured, at the receiving
    /// server, instead of being blurred by connection set-up times. `None` when the turn
    /// said [`Go::Withdraw`]: nothing was sent.
    fn send_on_turn<T>(
        &self,
        letter: &OutgoingLetter,
        turn: T,
    ) -> impl Future<Output = Option<SendReport>> + Send
    where
        T: Future<Output = Go> + Send,
        Self: Sync,
    {
        async move {
            match turn.await {
                Go::Ahead => Some(self.send(letter).await),
                Go::Withdraw => None,
            }
        }
    }
}

/// What the worker answers when a delivery's turn comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Go {
    Ahead,
    /// The batch was paused or the worker is stopping: give the delivery back unsent.
    Withdraw,
}

/// Lets a test (or the binary) keep a handle on a channel the worker owns.
impl<C: Channel + Send + Sync> Channel for Arc<C> {
    fn send(&self, letter: &OutgoingLetter) -> impl Future<Output = SendReport> + Send {
        (**self).send(letter)
    }

    fn send_on_turn<T>(
        &self,
        letter: &OutgoingLetter,
        turn: T,
    ) -> impl Future<Output = Option<SendReport>> + Send
    where
        T: Future<Output = Go> + Send,
    {
        (**self).send_on_turn(letter, turn)
    }
}
