//! ESMTP PIPELINING (RFC 2920): a transaction's MAIL, RCPT and DATA written as one group,
//! their replies read afterwards in order, so opening a transaction costs one round trip
//! instead of three.
//!
//! lettre has no pipelining of its own: its `command` writes one command and reads one
//! reply. Written with a command that is the whole group, it sends the group in one write
//! and returns MAIL's reply; `read_response` then reads the others. Every reply is read
//! even after a refusal, so the session stays in step with the server and can be reset and
//! reused like an unpipelined one.
//!
//! lettre does not report whether the server offers PIPELINING either; [`offers`] reads it
//! from an EHLO reply of our own (see `pool`).

use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Mail, Rcpt};
use lettre::transport::smtp::response::Response;

use super::session::{Phase, Reply, TransactionEnd, step};

/// Why a pipelined transaction did not open.
pub(crate) struct Refusal {
    /// The first reply that refused (or the break that ended the exchange).
    pub end: TransactionEnd,
    /// DATA was accepted although an earlier command was refused: the server waits for a
    /// message we will not send, so the session cannot be reset and reused.
    pub data_accepted: bool,
}

/// The group MAIL, RCPT…, DATA as one command text.
pub(crate) struct Group<'a> {
    pub mail: &'a Mail,
    pub rcpts: &'a [Rcpt],
}

impl fmt::Display for Group<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Each command's text ends with its own CRLF.
        write!(f, "{}", self.mail)?;
        for rcpt in self.rcpts {
            write!(f, "{rcpt}")?;
        }
        f.write_str("DATA\r\n")
    }
}

/// Writes MAIL, RCPT… and DATA at once and reads their replies. `Ok` when all were
/// positive: the server waits for the message.
pub(crate) async fn open_transaction(
    conn: &mut AsyncSmtpConnection,
    mail: &Mail,
    rcpts: &[Rcpt],
    timeout: Duration,
) -> Result<(), Refusal> {
    let mail_reply = step(Phase::Mail, timeout, conn.command(Group { mail, rcpts })).await;
    replies(conn, mail_reply, rcpts.len(), timeout).await
}

/// Reads the replies to a group for `recipients` recipients that was already written (behind
/// the previous transaction's message, see `Session::write_ahead`).
pub(crate) async fn read_replies(
    conn: &mut AsyncSmtpConnection,
    recipients: usize,
    timeout: Duration,
) -> Result<(), Refusal> {
    let mail_reply = step(Phase::Mail, timeout, conn.read_response()).await;
    replies(conn, mail_reply, recipients, timeout).await
}

/// Given MAIL's reply, reads the replies to RCPT… and DATA.
async fn replies(
    conn: &mut AsyncSmtpConnection,
    mail_reply: Result<Reply, TransactionEnd>,
    recipients: usize,
    timeout: Duration,
) -> Result<(), Refusal> {
    let mut first_refusal = None;
    let mut note = |result: Result<_, TransactionEnd>| -> Result<(), Refusal> {
        match result {
            Ok(_) => Ok(()),
            // A break ends the exchange: nothing more will come. After a refusal it is the
            // refusal that says why (a server closing with 421 drops the connection next).
            Err(end @ TransactionEnd::Broken { .. }) => Err(Refusal {
                end: first_refusal.take().unwrap_or(end),
                data_accepted: false,
            }),
            Err(end) => {
                first_refusal.get_or_insert(end);
                Ok(())
            }
        }
    };
    note(mail_reply)?;
    for _ in 0..recipients {
        note(step(Phase::Rcpt, timeout, conn.read_response()).await)?;
    }
    let data = step(Phase::Data, timeout, conn.read_response()).await;
    let data_accepted = data.is_ok();
    note(data)?;
    match first_refusal {
        None => Ok(()),
        Some(end) => Err(Refusal { end, data_accepted }),
    }
}

/// Whether an EHLO reply lists `keyword` (its lines after the first are the extensions).
pub(crate) fn offers(ehlo: &Response, keyword: &str) -> bool {
    ehlo.message().skip(1).any(|line| {
        line.split_whitespace()
            .next()
            .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
    })
}

#[cfg(test)]
mod tests {
    use lettre::Address;
    use lettre::transport::smtp::extension::{MailBodyParameter, MailParameter};

    use super::*;

    #[test]
    fn the_group_is_every_command_in_order() {
        let from: Address = "bounces+abc@example.org".parse().unwrap();
        let to: Address = "office@house.example".parse().unwrap();
        let mail = Mail::new(
            Some(from),
            vec![MailParameter::Body(MailBodyParameter::EightBitMime)],
        );
        let rcpts = [Rcpt::new(to, vec![])];
        assert_eq!(
            Group {
                mail: &mail,
                rcpts: &rcpts
            }
            .to_string(),
            "MAIL FROM:<bounces+abc@example.org> BODY=8BITMIME\r\nRCPT TO:<office@house.example>\r\nDATA\r\n"
        );
    }

    #[test]
    fn pipelining_is_read_from_the_extension_lines_only() {
        let reply = |text: &str| text.parse::<Response>().unwrap();
        let offered =
            reply("250-mx.example Hello\r\n250-SIZE 1000\r\n250-pipelining\r\n250 8BITMIME\r\n");
        assert!(offers(&offered, "PIPELINING"));
        let greeting_only = reply("250-PIPELINING.example greets you\r\n250 8BITMIME\r\n");
        assert!(!offers(&greeting_only, "PIPELINING"));
    }
}
