//! One SMTP mail transaction on an open connection, step by step, so that every failure
//! carries the phase it happened in.
//!
//! ```text
//!   MAIL FROM ─▶ RCPT TO ─▶ DATA ─▶ message bytes + "." ─▶ reply
//!   └──────── nothing of the letter has left yet ──────┘└ the letter is out; a break
//!                                                          here leaves its fate unknown
//! ```
//!
//! lettre's own `send` does the same steps but folds every failure into one error; calling
//! `command` and `message` ourselves is what lets a broken connection after DATA be told
//! apart from one before it.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;

use super::compose::ComposedMessage;

/// Where in the exchange with the server something happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Opening the session: TCP, TLS, greeting, EHLO, STARTTLS, AUTH.
    Connect,
    Mail,
    Rcpt,
    Data,
    /// Writing the message and waiting for the reply to its final dot.
    Message,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connect => "session set-up",
            Phase::Mail => "MAIL FROM",
            Phase::Rcpt => "RCPT TO",
            Phase::Data => "DATA",
            Phase::Message => "end of message",
        })
    }
}

/// A reply from the server: its code and its text, lines joined with spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    pub fn from_response(response: &Response) -> Self {
        Self {
            code: response.code().into(),
            text: response.message().collect::<Vec<_>>().join(" "),
        }
    }
}

/// How a transaction (or the attempt to open a session for one) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TransactionEnd {
    /// The server took responsibility for the message (its reply to the final dot).
    Accepted(Reply),
    /// The server answered with a negative reply.
    Refused { phase: Phase, reply: Reply },
    /// No usable reply: the connection broke, timed out, or the server spoke nonsense.
    Broken {
        phase: Phase,
        timed_out: bool,
        detail: String,
    },
    /// The message needs an SMTP extension the server lacks; nothing was sent.
    Unsupported(&'static str),
}

impl TransactionEnd {
    /// Turns a lettre error in `phase` into what it means for us: a negative reply carries
    /// a code; anything else is a broken exchange.
    pub fn from_error(phase: Phase, error: &lettre::transport::smtp::Error) -> Self {
        match error.status() {
            Some(code) => TransactionEnd::Refused {
                phase,
                reply: Reply {
                    code: code.into(),
                    text: std::error::Error::source(error)
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                },
            },
            None => TransactionEnd::Broken {
                phase,
                timed_out: error.is_timeout(),
                detail: error.to_string(),
            },
        }
    }

    pub fn timed_out(phase: Phase, after: Duration) -> Self {
        TransactionEnd::Broken {
            phase,
            timed_out: true,
            detail: format!("no reply within {after:?}"),
        }
    }
}

/// Opens a mail transaction for `message` on `conn` (MAIL FROM, RCPT TO, DATA), each step
/// bounded by `timeout`. On `Ok` the server waits for the message: send it with
/// [`send_message`], or drop the connection (the server then discards the transaction).
///
/// Called with a connection fresh from EHLO or left clean by a previous transaction.
pub(crate) async fn begin(
    conn: &mut AsyncSmtpConnection,
    message: &ComposedMessage,
    timeout: Duration,
) -> Result<(), TransactionEnd> {
    let envelope = &message.envelope;
    // The same checks lettre's `send` makes (RFC 6531, RFC 6152): ask for SMTPUTF8 and
    // 8BITMIME only when needed, and never send what the server cannot take.
    let mut mail_parameters = Vec::new();
    let non_ascii_address = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .any(|address| !(address.user().is_ascii() && address.domain().is_ascii()));
    if non_ascii_address {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(TransactionEnd::Unsupported(
                "an address is not ASCII and the server does not support SMTPUTF8",
            ));
        }
        mail_parameters.push(MailParameter::SmtpUtfEight);
    }
    if !message.bytes.is_ascii() {
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Err(TransactionEnd::Unsupported(
                "the message is not ASCII and the server does not support 8BITMIME",
            ));
        }
        mail_parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }

    let from = envelope.from().cloned();
    step(
        Phase::Mail,
        timeout,
        conn.command(Mail::new(from, mail_parameters)),
    )
    .await?;
    for recipient in envelope.to() {
        step(
            Phase::Rcpt,
            timeout,
            conn.command(Rcpt::new(recipient.clone(), vec![])),
        )
        .await?;
    }
    step(Phase::Data, timeout, conn.command(Data)).await?;
    Ok(())
}

/// Sends the message of a transaction [`begin`] opened, and reads the server's verdict.
pub(crate) async fn send_message(
    conn: &mut AsyncSmtpConnection,
    message: &ComposedMessage,
    timeout: Duration,
) -> TransactionEnd {
    match step(Phase::Message, timeout, conn.message(&message.bytes)).await {
        Ok(reply) => TransactionEnd::Accepted(reply),
        Err(end) => end,
    }
}

async fn step(
    phase: Phase,
    timeout: Duration,
    exchange: impl Future<Output = Result<Response, lettre::transport::smtp::Error>>,
) -> Result<Reply, TransactionEnd> {
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(response)) => Ok(Reply::from_response(&response)),
        Ok(Err(error)) => Err(TransactionEnd::from_error(phase, &error)),
        Err(_) => Err(TransactionEnd::timed_out(phase, timeout)),
    }
}

/// Clears a transaction the server refused part-way, so the connection can be reused.
/// `false` when the connection is no longer fit for use.
pub(crate) async fn reset(conn: &mut AsyncSmtpConnection, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, conn.command(Rset)).await,
        Ok(Ok(_))
    )
}
