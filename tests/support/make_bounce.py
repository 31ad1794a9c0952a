#!/usr/bin/python3
"""Makes the messages a mail system sends back about a letter, for hillpost's bounce tests:
Python's email package builds them the way mail software lays them out.

    make_bounce.py KIND LETTER_FILE TO_ADDRESS > message

KIND:
  dsn-failed     RFC 3464 report, Action: failed, Status: 5.1.1 (the letter returned whole)
  dsn-delayed    RFC 3464 report, Action: delayed, Status: 4.4.1 (its headers returned)
  exchange       Microsoft Exchange's plain-text non-delivery report (550 5.1.10)
  qmail          qmail-send's plain-text bounce (#5.1.1)
  auto-reply     an office's automatic reply (RFC 3834 Auto-Submitted, In-Reply-To)
  garbage        bytes that are no email at all
LETTER_FILE is the letter as the office's server received it; TO_ADDRESS is where the
notice is sent (the letter's envelope sender).
"""

import email
import email.policy
import sys
from email.message import Message
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

MTA = "mx.office.example"


def dsn(letter, to, action, status, diagnostic, whole):
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = f"MAILER-DAEMON@{MTA} (Mail Delivery System)"
    report["To"] = to
    report["Subject"] = "Undelivered Mail Returned to Sender" if action == "failed" else "Delayed Mail (still being retried)"
    report["Date"] = formatdate()
    report["Message-ID"] = make_msgid(domain=MTA)
    report["Auto-Submitted"] = "auto-replied"
    report.attach(MIMEText(f"This is the mail system at host {MTA}.\n\nYour message could not be delivered.\n"))
    status_part = Message()
    status_part.set_type("message/delivery-status")
    per_message = Message()
    per_message["Reporting-MTA"] = f"dns; {MTA}"
    per_message["Arrival-Date"] = formatdate()
    per_recipient = Message()
    recipient = letter["To"].addresses[0].addr_spec
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Remote-MTA"] = "dns; inbound.office.example"
    per_recipient["Diagnostic-Code"] = f"smtp; {diagnostic}"
    status_part.set_payload([per_message, per_recipient])
    report.attach(status_part)
    if whole:
        report.attach(MIMEMessage(letter))
    else:
        headers = "".join(f"{k}: {v}\n" for k, v in letter.items())
        report.attach(MIMEText(headers, "rfc822-headers"))
    return report.as_bytes()


def main():
    kind, letter_file, to = sys.argv[1], sys.argv[2], sys.argv[3]
    if kind == "garbage":
        sys.stdout.buffer.write(b"\x00\x01\x02 this is not an email \xff\xfe")
        return
    with open(letter_file, "rb") as f:
        raw = f.read()
    letter = email.message_from_bytes(raw, policy=email.policy.default)
    recipient = letter["To"].addresses[0].addr_spec
    message_id = letter["Message-ID"]
    if kind == "dsn-failed":
        out = dsn(letter, to, "failed", "5.1.1", f"550 5.1.1 <{recipient}>: Recipient address rejected: User unknown", True)
    elif kind == "dsn-delayed":
        out = dsn(letter, to, "delayed", "4.4.1", "421 4.4.1 connection timed out", False)
    elif kind == "exchange":
        out = (
            f"From: postmaster@office.example\r\nTo: {to}\r\nSubject: Undeliverable: {letter['Subject']}\r\n"
            f"Date: {formatdate()}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"Delivery has failed to these recipients or groups:\r\n\r\n{recipient}\r\n"
            "The email address you entered couldn't be found.\r\n\r\n"
            "Diagnostic information for administrators:\r\n\r\nGenerating server: EXCH01.office.example\r\n\r\n"
            f"{recipient}\r\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'\r\n\r\n"
            f"Original message headers:\r\n\r\nMessage-ID: {message_id}\r\n"
        ).encode()
    elif kind == "qmail":
        out = (
            f"From: MAILER-DAEMON@{MTA}\r\nTo: {to}\r\nSubject: failure notice\r\nDate: {formatdate()}\r\n\r\n"
            f"Hi. This is the qmail-send program at {MTA}.\r\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
            f"<{recipient}>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
            "--- Below this line is a copy of the message.\r\n\r\n"
        ).encode() + raw
    elif kind == "auto-reply":
        out = (
            f"From: Office <{recipient}>\r\nTo: {to}\r\nSubject: Re: {letter['Subject']}\r\n"
            f"Date: {formatdate()}\r\nAuto-Submitted: auto-replied\r\nIn-Reply-To: {message_id}\r\n\r\n"
            "Thank you for contacting our office. We read every letter.\r\n"
        ).encode()
    else:
        sys.exit(f"unknown kind {kind}")
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main()
