//! A letter becomes the exact bytes an email channel sends.
//!
//! ```text
//! multipart/mixed                      (only when the letter has attachments)
//! ├── multipart/alternative
//! │   ├── text/plain  ← markdown::to_plain_text(body)
//! │   └── text/html   ← markdown::to_html(body), in a document tagged with the language
//! └── attachment …    (petition signature lists: CSV, PDF)
//! ```
//!
//! Every header goes through lettre's typed builder, which encodes non-ASCII text
//! (RFC 2047) and anything that could end a header line, so a name or subject can never add
//! headers of its own. With DKIM configured the finished message is signed last. The SMTP
//! and outbox channels send the same composition, and the SHA-256 in the attempt row is
//! taken over exactly these bytes.

use std::time::SystemTime;

use hillpost_core::delivery::OutgoingLetter;
use hillpost_core::markdown::{to_html, to_plain_text};
use lettre::address::Envelope;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, MultiPart};
use lettre::{Address, Message};
use sha2::{Digest, Sha256};

use super::content_language::ContentLanguage;
use super::identity::EmailIdentity;

/// One letter, ready to go out.
#[derive(Debug, Clone)]
pub struct ComposedMessage {
    /// `<idempotency_key@domain>`, the same on every attempt of the delivery.
    pub message_id: String,
    /// MAIL FROM is the delivery's VERP address (or the From address without a bounce
    /// domain); RCPT TO is the endpoint.
    pub envelope: Envelope,
    /// The formatted message (headers and body, CRLF line ends), before SMTP dot-stuffing.
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, lower-case hex.
    pub sha256: String,
}

/// Why a letter could not be composed. None of these is cured by retrying, and none of the
/// messages repeats the offending (personal) value.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("the endpoint is not a valid email address")]
    Endpoint,
    #[error("the Reply-To address is not a valid email address")]
    ReplyTo,
    #[error(
        "the idempotency key cannot form a Message-ID (expected 1 to 64 letters, digits, `-` or `_`)"
    )]
    IdempotencyKey,
    #[error("attachment {index} has an invalid content type")]
    AttachmentType { index: usize },
    #[error("the message could not be built: {0}")]
    Build(#[from] lettre::error::Error),
}

/// Composes `letter` as sent by `identity`, dated `date` (the attempt's start).
pub fn compose(
    identity: &EmailIdentity,
    letter: &OutgoingLetter,
    date: SystemTime,
) -> Result<ComposedMessage, ComposeError> {
    let to: Address = letter
        .endpoint
        .parse()
        .map_err(|_| ComposeError::Endpoint)?;
    let message_id = identity.message_id(&letter.idempotency_key)?;
    let envelope = Envelope::new(
        Some(identity.envelope_sender(&letter.idempotency_key)?),
        vec![to.clone()],
    )?;
    let mut builder = Message::builder()
        .envelope(envelope)
        .from(Mailbox::new(
            display_name(&letter.sender_name),
            identity.from_address().clone(),
        ))
        .to(Mailbox::new(display_name(&letter.recipient_name), to))
        .subject(one_line(&letter.subject))
        .message_id(Some(message_id.clone()))
        .date(date)
        .header(ContentLanguage(letter.language.as_str().to_string()));
    if let Some(reply_to) = &letter.reply_to {
        let address: Address = reply_to
            .as_str()
            .parse()
            .map_err(|_| ComposeError::ReplyTo)?;
        // In individual mode the sender is the signer, whose address this is.
        builder = builder.reply_to(Mailbox::new(display_name(&letter.sender_name), address));
    }

    let body = MultiPart::alternative_plain_html(
        to_plain_text(&letter.body_markdown),
        html_document(letter.language.as_str(), &to_html(&letter.body_markdown)),
    );
    let mut message = if letter.attachments.is_empty() {
        builder.multipart(body)?
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for (index, attachment) in letter.attachments.iter().enumerate() {
            let content_type = ContentType::parse(&attachment.content_type)
                .map_err(|_| ComposeError::AttachmentType { index })?;
            // Base64 always: a signature list has LF line ends and may have long lines,
            // which lettre's automatic choice would send as one over-long SMTP line.
            let body = Body::new_with_encoding(
                attachment.content.clone(),
                ContentTransferEncoding::Base64,
            )
            .map_err(|_| ComposeError::AttachmentType { index })?;
            mixed = mixed
                .singlepart(Attachment::new(attachment.filename.clone()).body(body, content_type));
        }
        builder.multipart(mixed)?
    };
    if let Some(dkim) = identity.dkim() {
        dkim.sign(&mut message);
    }

    let bytes = message.formatted();
    Ok(ComposedMessage {
        message_id,
        envelope: message.envelope().clone(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes,
    })
}

/// `None` for a blank name, so the header is a bare address rather than `"" <a@b>`.
fn display_name(name: &str) -> Option<String> {
    let name = one_line(name);
    (!name.is_empty()).then_some(name)
}

/// Control characters (line breaks, tabs) as spaces. The typed headers would not let them
/// start a header anyway, but lettre panics on a display name containing a line break, and
/// a subject is one line in every mail client.
fn one_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced.trim().to_string()
}

/// A whole document rather than a fragment, so mail clients and screen readers know the
/// language. `language` is a validated two- or three-letter code.
fn html_document(language: &str, fragment: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{language}\">\n<head><meta charset=\"utf-8\"></head>\n<body>\n{fragment}</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests;
