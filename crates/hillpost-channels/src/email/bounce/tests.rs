//! Notices as the software that writes them lays them out: Postfix's RFC 3464 report,
//! Exchange's and qmail's plain-text bounces, a vacation reply, and things that are none.

use hillpost_core::bounce::{DsnStatus, NoticeForm, NoticeKind};

use super::*;

const KEY: &str = "4f2a9c0e1b7d4e3f8a6b5c4d3e2f1a0b";

fn addresses() -> BounceAddresses {
    BounceAddresses {
        bounce_domain: Some("bounce.example.org".into()),
        message_id_domain: "mail.example.org".into(),
    }
}

fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

fn postfix_dsn(action: &str, status: &str, to: &str) -> Vec<u8> {
    crlf(&format!(
        r#"From: MAILER-DAEMON@mx.house.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="8F1C2/mx.house.example"
Message-Id: <20261124100000.8F1C2@mx.house.example>

This is a MIME-encapsulated message.

--8F1C2/mx.house.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.house.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<office@house.example>: host 127.0.0.1[127.0.0.1] said: 550 5.1.1
    <office@house.example>: Recipient address rejected: User unknown

--8F1C2/mx.house.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.house.example
X-Postfix-Queue-ID: 8F1C2
Arrival-Date: Tue, 24 Nov 2026 10:00:00 +0000 (UTC)

Final-Recipient: rfc822; office@house.example
Original-Recipient: rfc822;office@house.example
Action: {action}
Status: {status}
Remote-MTA: dns; 127.0.0.1
Diagnostic-Code: smtp; 550 5.1.1 <office@house.example>: Recipient address
    rejected: User unknown

--8F1C2/mx.house.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <bounces+{KEY}@bounce.example.org>
From: Ana Signer <letters@example.org>
To: Office <office@house.example>
Subject: Bring the troops home
Message-ID: <{KEY}@mail.example.org>

--8F1C2/mx.house.example--
"#
    ))
}

#[test]
fn an_rfc3464_failure_names_its_delivery_status_and_mta() {
    let verp = format!("bounces+{KEY}@bounce.example.org");
    let notice = read_notice(&postfix_dsn("failed", "5.1.1", &verp), &addresses(), None).unwrap();
    assert_eq!(notice.kind, NoticeKind::Failed);
    assert_eq!(notice.form, NoticeForm::Dsn);
    assert_eq!(notice.delivery_key.as_deref(), Some(KEY));
    assert_eq!(notice.status, Some("5.1.1".parse().unwrap()));
    assert_eq!(
        notice.diagnostic.as_deref(),
        Some("smtp; 550 5.1.1 <office@house.example>: Recipient address rejected: User unknown")
    );
    assert_eq!(notice.reporting_mta.as_deref(), Some("mx.house.example"));
    assert_eq!(notice.recipient.as_deref(), Some("office@house.example"));
}

#[test]
fn a_delay_notice_is_delayed_and_the_returned_message_id_names_the_letter() {
    // Sent to a plain address (no VERP): the quoted Message-ID still names the letter.
    let raw = postfix_dsn("delayed", "4.4.1", "letters@example.org");
    let notice = read_notice(&raw, &addresses(), None).unwrap();
    assert_eq!(notice.kind, NoticeKind::Delayed);
    assert_eq!(notice.status, Some("4.4.1".parse().unwrap()));
    assert_eq!(notice.delivery_key.as_deref(), Some(KEY));
}

#[test]
fn the_envelope_recipient_given_by_the_mta_comes_first() {
    let other = "00000000000000000000000000000000";
    let raw = postfix_dsn("failed", "5.2.2", "letters@example.org");
    let verp = format!("bounces+{other}@bounce.example.org");
    let notice = read_notice(&raw, &addresses(), Some(&verp)).unwrap();
    assert_eq!(notice.delivery_key.as_deref(), Some(other));
}

#[test]
fn a_status_without_action_and_an_action_without_status_still_read() {
    let raw = String::from_utf8(postfix_dsn("failed", "5.7.1", "x@y.org"))
        .unwrap()
        .replace("Action: failed\r\n", "");
    let notice = read_notice(raw.as_bytes(), &addresses(), None).unwrap();
    assert_eq!(notice.kind, NoticeKind::Failed);
    let raw = String::from_utf8(postfix_dsn("failed", "", "x@y.org")).unwrap();
    let notice = read_notice(raw.as_bytes(), &addresses(), None).unwrap();
    assert_eq!(notice.status, Some(DsnStatus::generic(5)));
}

#[test]
fn an_exchange_report_is_read_from_its_text() {
    let raw = crlf(&format!(
        r#"From: postmaster@house.example
To: bounces+{KEY}@bounce.example.org
Subject: Undeliverable: Bring the troops home
Content-Type: text/plain; charset="us-ascii"

Delivery has failed to these recipients or groups:

office@house.example
The email address you entered couldn't be found. Please check the recipient's email
address and try to resend the message.

Diagnostic information for administrators:

Generating server: EXCH01.house.example

office@house.example
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'

Original message headers:

Message-ID: <{KEY}@mail.example.org>
"#
    ));
    let notice = read_notice(&raw, &addresses(), None).unwrap();
    assert_eq!(notice.form, NoticeForm::Exchange);
    assert_eq!(notice.kind, NoticeKind::Failed);
    assert_eq!(notice.status, Some("5.1.10".parse().unwrap()));
    assert_eq!(
        notice.reporting_mta.as_deref(),
        Some("EXCH01.house.example")
    );
    assert_eq!(notice.recipient.as_deref(), Some("office@house.example"));
    assert!(
        notice
            .diagnostic
            .unwrap()
            .starts_with("550 5.1.10 RESOLVER")
    );
    assert_eq!(notice.delivery_key.as_deref(), Some(KEY));
}

#[test]
fn a_qmail_bounce_is_read_from_its_text() {
    let raw = crlf(&format!(
        r#"Return-Path: <>
Delivered-To: bounces+{KEY}@bounce.example.org
From: MAILER-DAEMON@mx.senate.example
To: bounces+{KEY}@bounce.example.org
Subject: failure notice

Hi. This is the qmail-send program at mx.senate.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<office@senate.example>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <bounces+{KEY}@bounce.example.org>
Message-ID: <{KEY}@mail.example.org>
Subject: Bring the troops home

Dear Senator,
"#
    ));
    let notice = read_notice(&raw, &addresses(), None).unwrap();
    assert_eq!(notice.form, NoticeForm::Qmail);
    assert_eq!(notice.kind, NoticeKind::Failed);
    assert_eq!(notice.status, Some("5.1.1".parse().unwrap()));
    assert_eq!(notice.reporting_mta.as_deref(), Some("mx.senate.example"));
    assert_eq!(notice.recipient.as_deref(), Some("office@senate.example"));
    assert_eq!(
        notice.diagnostic.as_deref(),
        Some("Sorry, no mailbox here by that name. (#5.1.1)")
    );
    assert_eq!(notice.delivery_key.as_deref(), Some(KEY));
}

#[test]
fn an_auto_reply_is_evidence_and_finds_its_letter_by_in_reply_to() {
    let raw = crlf(&format!(
        r#"From: Office <office@house.example>
To: Ana Signer <letters@example.org>
Subject: Thank you for contacting our office
Auto-Submitted: auto-replied
In-Reply-To: <{KEY}@mail.example.org>

We have received your message.
"#
    ));
    let notice = read_notice(&raw, &addresses(), None).unwrap();
    assert_eq!(notice.kind, NoticeKind::AutoReply);
    assert_eq!(notice.status, None);
    assert_eq!(notice.delivery_key.as_deref(), Some(KEY));
}

#[test]
fn what_is_not_a_notice_is_set_aside_with_the_reason() {
    let person = crlf("From: a@b.org\nTo: bounces+abc@bounce.example.org\nSubject: hi\n\nHello!\n");
    let set_aside = read_notice(&person, &addresses(), None).unwrap_err();
    assert!(
        set_aside.reason.starts_with("not a bounce"),
        "{}",
        set_aside.reason
    );
    assert_eq!(set_aside.notice, None);

    let garbage = b"\x00\x01 this is not mail at all";
    let set_aside = read_notice(garbage, &addresses(), None).unwrap_err();
    assert!(set_aside.reason.starts_with("not "), "{}", set_aside.reason);

    let not_ours = String::from_utf8(postfix_dsn("failed", "5.1.1", "someone@else.org"))
        .unwrap()
        .replace(&format!("{KEY}@mail.example.org"), "other@elsewhere.org")
        .replace(&format!("bounces+{KEY}"), "someone");
    let set_aside = read_notice(not_ours.as_bytes(), &addresses(), None).unwrap_err();
    assert!(
        set_aside.reason.contains("names no letter of ours"),
        "{}",
        set_aside.reason
    );
    assert_eq!(set_aside.notice.unwrap().kind, NoticeKind::Failed);

    let huge = vec![b'a'; MAX_NOTICE_BYTES + 1];
    assert!(
        read_notice(&huge, &addresses(), None)
            .unwrap_err()
            .reason
            .contains("larger than")
    );
}
