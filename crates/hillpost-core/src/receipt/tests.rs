use chrono::TimeZone;

use super::*;

fn letter(office: &str, channel: Channel, state: DeliveryState) -> LetterFacts {
    let at = Utc.with_ymd_and_hms(2026, 5, 1, 10, 2, 30).unwrap();
    LetterFacts {
        office: office.into(),
        channel,
        state,
        skip_reason: None,
        finalized_at: Some(at),
        attempts: 1,
        last_outcome: Some(AttemptOutcome::Ok),
        last_finished_at: Some(at),
        last_remote_text: None,
        last_error: None,
        passed_over: Vec::new(),
    }
}

#[test]
fn each_outcome_is_said_in_plain_words() {
    let mut failed = letter("Rep. Doe", Channel::Email, DeliveryState::Failed);
    failed.last_outcome = Some(AttemptOutcome::Permanent);
    failed.last_remote_text = Some("mailbox unavailable".into());
    let mut skipped = letter("Sen. Roe", Channel::None, DeliveryState::Skipped);
    skipped.skip_reason = Some("not a constituent".into());
    skipped.last_outcome = None;
    skipped.last_finished_at = None;
    let mut dead = letter("Committee", Channel::Email, DeliveryState::Dead);
    dead.attempts = 3;
    dead.last_error = Some("421 try later".into());
    let mut unconfirmed = letter("Sen. Murphy", Channel::WebForm, DeliveryState::Unconfirmed);
    unconfirmed.last_outcome = Some(AttemptOutcome::Unconfirmed);
    unconfirmed.last_remote_text = Some("<html>… a whole answer page …</html>".into());
    let mut moved = letter("Sen. Shaheen", Channel::Email, DeliveryState::Delivered);
    moved.passed_over = vec!["web_form: the form has a recaptcha step".into()];
    let letters = [
        letter(
            "the Senate office",
            Channel::WebForm,
            DeliveryState::Delivered,
        ),
        failed,
        skipped,
        dead,
        letter("Rep. Poe", Channel::Email, DeliveryState::Cancelled),
        unconfirmed,
        moved,
    ];
    let lines = receipt_lines(&letters, ReceiptLanguage::En);
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "accepted by the Senate office's web form at 10:02 UTC on 2026-05-01",
            "could not be delivered: mailbox unavailable (at 10:02 UTC on 2026-05-01)",
            "could not be delivered: the office accepts only constituents",
            "could not be delivered after 3 attempts: 421 try later (at 10:02 UTC on 2026-05-01)",
            "not sent: the organizers cancelled the sending",
            "sent to Sen. Murphy's web form at 10:02 UTC on 2026-05-01; it did not confirm \
             receipt, so a person will check whether it arrived",
            "accepted by Sen. Shaheen's email server at 10:02 UTC on 2026-05-01 (first tried, \
             and passed over: web_form: the form has a recaptcha step)",
        ]
    );
    assert_eq!(lines[0].outcome, "delivered");
    assert_eq!(lines[0].channel, "web_form");
    assert!(lines[2].at.is_none(), "nothing was attempted");
    assert!(lines[4].at.is_none());
}

#[test]
fn spanish_signers_get_spanish_and_others_english() {
    assert_eq!(ReceiptLanguage::for_signer(Some("es")), ReceiptLanguage::Es);
    assert_eq!(ReceiptLanguage::for_signer(Some("fr")), ReceiptLanguage::En);
    assert_eq!(ReceiptLanguage::for_signer(None), ReceiptLanguage::En);
    let lines = receipt_lines(
        &[letter("Rep. Doe", Channel::Email, DeliveryState::Delivered)],
        ReceiptLanguage::Es,
    );
    assert_eq!(
        lines[0].text,
        "aceptada por el servidor de correo de Rep. Doe el 01/05/2026 a las 10:02 UTC"
    );
    let receipt = render_receipt("Paz", &lines, ReceiptLanguage::Es);
    assert_eq!(receipt.subject, "Su carta: Paz");
    assert!(receipt.body_markdown.contains("Gracias por firmar"));
}

#[test]
fn the_body_escapes_names_and_takes_the_link_when_sent() {
    let lines = receipt_lines(
        &[letter(
            "[Rep](http://evil.example)",
            Channel::Email,
            DeliveryState::Delivered,
        )],
        ReceiptLanguage::En,
    );
    let receipt = render_receipt("Bring *them* home", &lines, ReceiptLanguage::En);
    assert!(receipt.body_markdown.contains(LINK_PLACEHOLDER));
    let url = receipt_url("https://hillpost.example.org/", "abc123");
    assert_eq!(url, "https://hillpost.example.org/receipts/abc123");
    let body = with_link(&receipt.body_markdown, &url);
    let html = crate::markdown::to_html(&body);
    assert!(!html.contains("evil.example\""), "{html}");
    assert!(
        html.contains("<a href=\"https://hillpost.example.org/receipts/abc123\">"),
        "{html}"
    );
    let text = crate::markdown::to_plain_text(&body);
    assert!(
        text.contains("- [Rep](http://evil.example): accepted by"),
        "{text}"
    );
    assert!(text.contains("Bring *them* home"), "{text}");
    assert_eq!(
        text.matches("https://hillpost.example.org/receipts/abc123")
            .count(),
        1,
        "{text}"
    );
}
