//! Email deliveries: composed once per attempt, then sent over SMTP or written to an outbox.
//!
//! ```text
//!  OutgoingLetter ─compose─▶ ComposedMessage (bytes, SHA-256, Message-ID <key@domain>)
//!                                 │
//!              ┌──────────────────┴───────────────────┐
//!   SmtpChannel: pool ─▶ session (MAIL, RCPT, DATA,    OutboxChannel: <uuid>.eml in a
//!   message) ─▶ classify: the phase a failure          directory, nothing leaves
//!   happened in decides ok/transient/permanent/unknown
//! ```

pub mod bounce;
mod classify;
mod compose;
mod content_language;
mod dkim;
mod identity;
mod outbox;
mod pipeline;
mod pool;
mod session;
mod settings;
mod smtp;
mod stream;

use hillpost_core::delivery::{OutgoingLetter, SendReport};

pub use compose::{ComposeError, ComposedMessage, compose};
pub use dkim::{DkimAlgorithm, DkimError, DkimRecord, DkimSettings, DkimSigner};
pub use identity::EmailIdentity;
pub use outbox::OutboxChannel;
pub use settings::{SmtpSettings, SmtpTls};
pub use smtp::SmtpChannel;

use std::future::Future;

use crate::{Channel, Go, NoopChannel};

/// Why an email channel could not be set up. Raised at start-up, never per delivery.
#[derive(Debug, thiserror::Error)]
pub enum EmailSetupError {
    #[error("the from address is not a valid email address ({0})")]
    FromAddress(String),
    #[error("`{0}` is not a domain name usable in Message-IDs")]
    MessageIdDomain(String),
    #[error("`{0}` is not a domain name for bounce addresses (bounces+KEY@domain)")]
    BounceDomain(String),
    #[error(transparent)]
    Dkim(#[from] DkimError),
    #[error("the SMTP host is empty")]
    EmptyHost,
    #[error("the SMTP hello name is empty")]
    EmptyHelloName,
    #[error("max_connections must be at least 1")]
    NoConnections,
    #[error("an SMTP username needs a password, and a password needs a username")]
    HalfCredentials,
    #[error(
        "refusing to send the SMTP password unencrypted to {0}: use tls = \"starttls\" or \"tls\""
    )]
    PasswordInClear(String),
    #[error("TLS for {host}: {reason}")]
    Tls { host: String, reason: String },
    #[error("the outbox directory {path}: {source}")]
    OutboxDir {
        path: String,
        source: std::io::Error,
    },
}

/// The one email sender a hillpost uses, chosen by configuration.
#[expect(
    clippy::large_enum_variant,
    reason = "one value per process, built at start-up; boxing would only add a pointer chase"
)]
pub enum EmailSender {
    Smtp(SmtpChannel),
    Outbox(OutboxChannel),
    /// Accepts everything and sends nothing: benchmarks of the queue.
    Noop(NoopChannel),
}

impl EmailSender {
    /// Closes pooled SMTP connections politely; nothing to do for the others.
    pub async fn close(&self) {
        if let EmailSender::Smtp(smtp) = self {
            smtp.close().await;
        }
    }
}

impl Channel for EmailSender {
    async fn send(&self, letter: &OutgoingLetter) -> SendReport {
        match self {
            EmailSender::Smtp(smtp) => smtp.send(letter).await,
            EmailSender::Outbox(outbox) => outbox.send(letter).await,
            EmailSender::Noop(noop) => noop.send(letter).await,
        }
    }

    async fn send_on_turn<T>(&self, letter: &OutgoingLetter, turn: T) -> Option<SendReport>
    where
        T: Future<Output = Go> + Send,
    {
        match self {
            EmailSender::Smtp(smtp) => smtp.send_on_turn(letter, turn).await,
            EmailSender::Outbox(outbox) => outbox.send_on_turn(letter, turn).await,
            EmailSender::Noop(noop) => noop.send_on_turn(letter, turn).await,
        }
    }
}
