//! One SMTP mail transaction on an open connection, step by step, so that every failure
//! carries the phase it happened in.
//!
//! ```text
//!   MAIL FROM ─▶ RCPT TO ─▶ DATA ─▶ message bytes + "." ─▶ reply
//!   └──────── nothing of the letter has left yet ──────┘└ the letter is out; a break
//!                                                          here leaves its fate unknown
//!   (with PIPELINING: one write, then the three replies in order; see `pipeline`; and
//!   while other letters wait for the session, the next one's three behind this one's dot)
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
use lettre::transport::smtp::extension::ServerInfo;
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;

use super::compose::ComposedMessage;
use super::pipeline;
use super::stream::WriteAhead;

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

/// An open SMTP session and what we learnt about it.
pub(crate) struct Session {
    /// Boxed: a connection (its buffers, its TLS state) is kilobytes, and a session moves
    /// in and out of the pool and lives in every send's future.
    pub connection: Box<AsyncSmtpConnection>,
    /// The server offers PIPELINING (RFC 2920): MAIL, RCPT and DATA go in one write.
    pub pipelining: bool,
    /// The server and we may disagree about where the exchange is (it took DATA after
    /// refusing the recipient): never reuse.
    out_of_step: bool,
    /// Bytes to send behind the next write: see [`Session::write_ahead`].
    ahead: WriteAhead,
}

impl Session {
    pub fn new(connection: AsyncSmtpConnection, pipelining: bool, ahead: WriteAhead) -> Self {
        Self {
            connection: Box::new(connection),
            pipelining,
            out_of_step: false,
            ahead,
        }
    }

    /// Whether the session may carry another transaction, as far as we know without
    /// asking the server.
    pub fn usable(&self) -> bool {
        !self.out_of_step && !self.connection.has_broken()
    }

    /// Opens a mail transaction for `message` (MAIL FROM, RCPT TO, DATA), each reply
    /// bounded by `timeout`. On `Ok` the server waits for the message: send it with
    /// [`Session::send_message`], or drop the session (the server then discards the
    /// transaction).
    ///
    /// Called on a session fresh from EHLO or left clean by a previous transaction.
    pub async fn begin(
        &mut self,
        message: &ComposedMessage,
        timeout: Duration,
    ) -> Result<(), TransactionEnd> {
        let (mail, rcpts) = transaction_commands(self.connection.server_info(), message)?;
        if self.pipelining {
            let opened =
                pipeline::open_transaction(&mut self.connection, &mail, &rcpts, timeout).await;
            return self.opened(opened);
        }
        let conn = &mut self.connection;
        step(Phase::Mail, timeout, conn.command(mail)).await?;
        for rcpt in rcpts {
            step(Phase::Rcpt, timeout, conn.command(rcpt)).await?;
        }
        step(Phase::Data, timeout, conn.command(Data)).await?;
        Ok(())
    }

    /// As [`Session::begin`], on a session handed over with `message`'s MAIL, RCPT and
    /// DATA already written behind the previous letter (see [`Session::write_ahead`]):
    /// only their replies are read.
    pub async fn resume(
        &mut self,
        message: &ComposedMessage,
        timeout: Duration,
    ) -> Result<(), TransactionEnd> {
        let recipients = message.envelope.to().len();
        let opened = pipeline::read_replies(&mut self.connection, recipients, timeout).await;
        self.opened(opened)
    }

    fn opened(&mut self, opened: Result<(), pipeline::Refusal>) -> Result<(), TransactionEnd> {
        if let Err(refusal) = &opened {
            self.out_of_step = refusal.data_accepted;
        }
        opened.map_err(|refusal| refusal.end)
    }

    /// Writes `next`'s MAIL, RCPT and DATA behind the message this session sends next, so
    /// the next transaction opens without a round trip of its own: the session then goes to
    /// `next`'s sender, which continues with [`Session::resume`]. `false` (nothing queued)
    /// when the server does not pipeline or cannot take `next` (see `transaction_commands`).
    pub fn write_ahead(&self, next: &ComposedMessage) -> bool {
        if !self.pipelining {
            return false;
        }
        let Ok((mail, rcpts)) = transaction_commands(self.connection.server_info(), next) else {
            return false;
        };
        let group = pipeline::Group {
            mail: &mail,
            rcpts: &rcpts,
        };
        self.ahead.push(group.to_string().as_bytes());
        true
    }

    /// Sends the message of a transaction [`Session::begin`] opened, and reads the
    /// server's verdict. The message and its final dot leave in one write (see `stream`).
    pub async fn send_message(
        &mut self,
        message: &ComposedMessage,
        timeout: Duration,
    ) -> TransactionEnd {
        match step(
            Phase::Message,
            timeout,
            self.connection.message(&message.bytes),
        )
        .await
        {
            Ok(reply) => TransactionEnd::Accepted(reply),
            Err(end) => end,
        }
    }

    /// Clears a transaction the server refused part-way, so the session can be reused.
    /// `false` when it is no longer fit for use.
    pub async fn reset(&mut self, timeout: Duration) -> bool {
        self.usable()
            && matches!(
                tokio::time::timeout(timeout, self.connection.command(Rset)).await,
                Ok(Ok(_))
            )
    }
}

/// MAIL FROM and RCPT TO for `message` on a server that offers `server`'s extensions. The
/// same checks lettre's `send` makes (RFC 6531, RFC 6152): SMTPUTF8 and 8BITMIME are asked
/// for only when needed, and what the server cannot take is never sent.
fn transaction_commands(
    server: &ServerInfo,
    message: &ComposedMessage,
) -> Result<(Mail, Vec<Rcpt>), TransactionEnd> {
    let envelope = &message.envelope;
    let mut mail_parameters = Vec::new();
    let non_ascii_address = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .any(|address| !(address.user().is_ascii() && address.domain().is_ascii()));
    if non_ascii_address {
        if !server.supports_feature(Extension::SmtpUtfEight) {
            return Err(TransactionEnd::Unsupported(
                "an address is not ASCII and the server does not support SMTPUTF8",
            ));
        }
        mail_parameters.push(MailParameter::SmtpUtfEight);
    }
    if !message.bytes.is_ascii() {
        if !server.supports_feature(Extension::EightBitMime) {
            return Err(TransactionEnd::Unsupported(
                "the message is not ASCII and the server does not support 8BITMIME",
            ));
        }
        mail_parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let mail = Mail::new(envelope.from().cloned(), mail_parameters);
    let rcpts = envelope
        .to()
        .iter()
        .map(|recipient| Rcpt::new(recipient.clone(), vec![]))
        .collect();
    Ok((mail, rcpts))
}

/// One reply, bounded by `timeout`, as a [`Reply`] or the [`TransactionEnd`] it means.
pub(crate) async fn step(
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
