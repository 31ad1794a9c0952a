//! Letters, settings and checks shared by the tests.

use std::sync::Arc;
use std::time::Duration;

use hillpost_channels::{SmtpChannel, SmtpSettings, SmtpTls};
use hillpost_core::DeliveryId;
use hillpost_core::delivery::{Attachment, Channel as ChannelKind, OutgoingLetter};
use hillpost_core::signer::{Email, Language};
use sha2::{Digest, Sha256};

pub const FROM: &str = "letters@hillpost.example.org";
pub const MESSAGE_ID_DOMAIN: &str = "hillpost.example.org";

/// An individual-mode letter from a signer to a committee office.
pub fn letter(delivery_id: DeliveryId) -> OutgoingLetter {
    OutgoingLetter {
        delivery_id,
        attempt_no: hillpost_core::AttemptNo::new(1),
        idempotency_key: format!("{:032x}", delivery_id.get()),
        channel: ChannelKind::Email,
        endpoint: "chair@foreign.senate.gov".into(),
        recipient_name: "Senate Foreign Relations Committee".into(),
        sender_name: "Ana Pérez".into(),
        reply_to: Some(Email::parse("ana.perez@example.org").unwrap()),
        language: Language::parse("es").unwrap(),
        subject: "Detengan la ayuda militar".into(),
        body_markdown: "Estimado presidente:\n\nLe pedimos **suspender** la ayuda.\n".into(),
        attachments: Arc::from(Vec::new()),
        signer: None,
        campaign: None,
    }
}

/// A petition letter carrying a signature list.
pub fn letter_with_attachment(delivery_id: DeliveryId, content: Vec<u8>) -> OutgoingLetter {
    OutgoingLetter {
        attachments: Arc::from(vec![Attachment {
            filename: "firmas.csv".into(),
            content_type: "text/csv; charset=utf-8".into(),
            content,
        }]),
        ..letter(delivery_id)
    }
}

/// Plain SMTP to the test server on 127.0.0.1, with timeouts short enough for tests.
pub fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        tls: SmtpTls::None,
        connect_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(10),
        ..SmtpSettings::new("127.0.0.1", port, FROM, MESSAGE_ID_DOMAIN)
    }
}

pub fn channel(port: u16) -> SmtpChannel {
    SmtpChannel::new(settings(port)).expect("valid settings")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What the server stored, minus the line end SMTP's final `CRLF.CRLF` adds: the bytes
/// hillpost composed and hashed.
pub fn as_sent(stored: &[u8]) -> &[u8] {
    stored
        .strip_suffix(b"\r\n")
        .expect("a stored message ends with CRLF")
}

/// A port on 127.0.0.1 that nothing listens on: bound by us, then released.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
