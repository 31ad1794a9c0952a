//! Composition, checked by parsing what was composed.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hillpost_core::delivery::{Attachment, Channel as ChannelKind, OutgoingLetter};
use hillpost_core::signer::{Email, Language};
use hillpost_testkit::smtp::{ParsedEmail, ParsedMailbox};

use super::*;

fn identity() -> EmailIdentity {
    EmailIdentity::new("letters@hillpost.example.org", "hillpost.example.org").unwrap()
}

fn letter() -> OutgoingLetter {
    OutgoingLetter {
        delivery_id: hillpost_core::DeliveryId::new(7),
        attempt_no: hillpost_core::AttemptNo::new(1),
        idempotency_key: "0123456789abcdef0123456789abcdef".into(),
        channel: ChannelKind::Email,
        endpoint: "chair@foreign.senate.gov".into(),
        recipient_name: "Senate Foreign Relations Committee".into(),
        sender_name: "Ana Pérez".into(),
        reply_to: Some(Email::parse("ana@example.org").unwrap()),
        language: Language::parse("es").unwrap(),
        subject: "Detengan la ayuda militar".into(),
        body_markdown: "Estimado presidente:\n\nLe pedimos **suspender** la ayuda.\n".into(),
        attachments: Arc::from(Vec::new()),
        signer: None,
        campaign: None,
    }
}

fn parsed(letter: &OutgoingLetter) -> (ComposedMessage, ParsedEmail) {
    let date = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let message = compose(&identity(), letter, date).unwrap();
    let email = ParsedEmail::parse(message.bytes.clone()).unwrap();
    (message, email)
}

#[test]
fn headers_carry_the_letter() {
    let (message, email) = parsed(&letter());
    assert_eq!(
        message.message_id,
        "<0123456789abcdef0123456789abcdef@hillpost.example.org>"
    );
    assert_eq!(
        email.header("Message-ID"),
        Some(message.message_id.as_str())
    );
    assert_eq!(email.header("Subject"), Some("Detengan la ayuda militar"));
    assert_eq!(email.header("Content-Language"), Some("es"));
    assert_eq!(
        email.header("Date"),
        Some("Fri, 15 Jan 2027 08:00:00 +0000")
    );
    assert_eq!(
        email.mailbox("From"),
        Some(ParsedMailbox {
            name: Some("Ana Pérez".into()),
            address: "letters@hillpost.example.org".into()
        })
    );
    assert_eq!(
        email.mailbox("Reply-To").map(|m| m.address),
        Some("ana@example.org".into())
    );
    assert_eq!(
        email.mailbox("To").map(|m| m.name),
        Some(Some("Senate Foreign Relations Committee".into()))
    );
    assert_eq!(
        message.envelope.from().map(ToString::to_string).as_deref(),
        Some("letters@hillpost.example.org")
    );
    let to: Vec<String> = message
        .envelope
        .to()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(to, ["chair@foreign.senate.gov"]);
}

#[test]
fn body_is_plain_text_and_html_alternatives() {
    let (message, email) = parsed(&letter());
    assert_eq!(
        email.mime_types,
        ["multipart/alternative", "text/plain", "text/html"]
    );
    assert_eq!(
        email.text.as_deref().map(str::trim_end),
        Some("Estimado presidente:\n\nLe pedimos suspender la ayuda.")
    );
    let html = email.html.unwrap();
    assert!(html.contains("<html lang=\"es\">"), "{html}");
    assert!(html.contains("<strong>suspender</strong>"), "{html}");
    // Headers and bodies are encoded: what goes on the wire is 7-bit.
    assert!(message.bytes.is_ascii());
    assert_eq!(message.sha256, hex::encode(Sha256::digest(&message.bytes)));
}

#[test]
fn attachments_make_the_message_mixed() {
    let mut letter = letter();
    let csv = b"name,state\nAna P\xc3\xa9rez,OR\n".to_vec();
    letter.attachments = Arc::from(vec![Attachment {
        filename: "firmas.csv".into(),
        content_type: "text/csv".into(),
        content: csv.clone(),
    }]);
    let (_, email) = parsed(&letter);
    assert_eq!(email.mime_types[0], "multipart/mixed");
    assert_eq!(email.attachments.len(), 1);
    assert_eq!(email.attachments[0].filename.as_deref(), Some("firmas.csv"));
    assert_eq!(email.attachments[0].content, csv);
    assert!(email.text.is_some() && email.html.is_some());
}

#[test]
fn names_and_subjects_cannot_add_headers() {
    let mut letter = letter();
    letter.sender_name = "Eve\r\nBcc: spy@evil.example".into();
    letter.recipient_name = "Chair\nX-Injected: yes".into();
    letter.subject = "Hello\r\nBcc: spy@evil.example\r\n\r\nfake body".into();
    let (message, email) = parsed(&letter);
    assert_eq!(email.header_count("Bcc"), 0);
    assert_eq!(email.header_count("X-Injected"), 0);
    let text = String::from_utf8(message.bytes).unwrap();
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("Bcc") || l.starts_with("X-Injected")),
        "{text}"
    );
    assert!(email.header("Subject").unwrap().starts_with("Hello"));
}

#[test]
fn letters_that_cannot_be_composed_say_why_without_personal_data() {
    let mut bad_endpoint = letter();
    bad_endpoint.endpoint = "not an address".into();
    let error = compose(&identity(), &bad_endpoint, SystemTime::now()).unwrap_err();
    assert!(matches!(error, ComposeError::Endpoint));
    assert!(!error.to_string().contains("not an address"));

    let mut bad_type = letter();
    bad_type.attachments = Arc::from(vec![Attachment {
        filename: "x".into(),
        content_type: "not a type".into(),
        content: vec![],
    }]);
    let error = compose(&identity(), &bad_type, SystemTime::now()).unwrap_err();
    assert!(matches!(error, ComposeError::AttachmentType { index: 0 }));

    let mut bad_key = letter();
    bad_key.idempotency_key = "x@y".into();
    assert!(matches!(
        compose(&identity(), &bad_key, SystemTime::now()),
        Err(ComposeError::IdempotencyKey)
    ));
}

#[test]
fn awkward_names_round_trip() {
    for name in [
        "José Núñez",
        "Dr. \"Bob\" O'Neil, Jr. \\ <bob@evil.example>",
        "Комитет по международным делам Сената Соединённых Штатов Америки и очень длинное имя",
        "王小明",
    ] {
        let mut letter = letter();
        letter.sender_name = name.into();
        letter.recipient_name = name.into();
        let (message, email) = parsed(&letter);
        assert!(message.bytes.is_ascii(), "{name}");
        let from = email.mailbox("From").unwrap();
        assert_eq!(from.name.as_deref(), Some(name));
        assert_eq!(from.address, "letters@hillpost.example.org");
        let to = email.mailbox("To").unwrap();
        assert_eq!(to.name.as_deref(), Some(name));
        assert_eq!(to.address, "chair@foreign.senate.gov");
    }
}
